package cli

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	schedulepb "go.temporal.io/api/schedule/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// `meridian schedule ...`: the Schedules API through the SDK client's
// WorkflowService, flags named as in Temporal's CLI where it has them.

func (a *App) newScheduleCommand() *cobra.Command {
	f := &workflowFlags{}
	c := &cobra.Command{
		Use:     "schedule",
		Aliases: []string{"sched"},
		Short:   "Create, inspect and control schedules",
	}
	f.register(c.PersistentFlags())
	c.AddCommand(
		a.newScheduleCreateCommand(f),
		a.newScheduleUpdateCommand(f),
		a.newScheduleDescribeCommand(f),
		a.newScheduleListCommand(f),
		a.newSchedulePatchCommand(f, "pause", "Pause a schedule: it takes no scheduled actions until unpaused"),
		a.newSchedulePatchCommand(f, "unpause", "Unpause a schedule"),
		a.newSchedulePatchCommand(f, "trigger", "Take the schedule's action now"),
		a.newSchedulePatchCommand(f, "backfill", "Take the actions the schedule would have taken in a past time range"),
		a.newScheduleDeleteCommand(f),
	)
	return c
}

// scheduleSpecFlags describe a schedule's spec, action and policies.
type scheduleSpecFlags struct {
	intervals, crons        []string
	startTime, endTime      string
	jitter, catchupWindow   time.Duration
	timeZone                string
	workflowID, wfType      string
	taskQueue               string
	inputs                  []string
	overlap                 string
	pauseOnFailure, paused  bool
	note                    string
	remainingActions        int64
	executionTimeout, runTO time.Duration
}

func (s *scheduleSpecFlags) register(c *cobra.Command) {
	fs := c.Flags()
	fs.StringArrayVar(&s.intervals, "interval", nil, "interval spec EVERY[/OFFSET], e.g. 10m or 1h/15m (repeatable)")
	fs.StringArrayVar(&s.crons, "cron", nil, `cron spec, e.g. "30 2 * * *" or "@daily" (repeatable)`)
	fs.StringVar(&s.startTime, "start-time", "", "no actions before this RFC 3339 time")
	fs.StringVar(&s.endTime, "end-time", "", "no actions after this RFC 3339 time")
	fs.DurationVar(&s.jitter, "jitter", 0, "delay each action by a random amount up to this")
	fs.StringVar(&s.timeZone, "time-zone", "", "IANA time zone for cron specs (default UTC)")
	fs.StringVarP(&s.workflowID, "workflow-id", "w", "", "workflow ID of started workflows (the scheduled time is appended)")
	fs.StringVar(&s.wfType, "type", "", "workflow type to start")
	fs.StringVarP(&s.taskQueue, "task-queue", "t", "", "task queue of started workflows")
	fs.StringArrayVarP(&s.inputs, "input", "i", nil, "JSON input argument (repeatable)")
	fs.StringVar(&s.overlap, "overlap-policy", "", "skip, buffer-one, buffer-all, cancel-other, terminate-other or allow-all (default skip)")
	fs.DurationVar(&s.catchupWindow, "catchup-window", 0, "take missed actions at most this late (default one year)")
	fs.BoolVar(&s.pauseOnFailure, "pause-on-failure", false, "pause when a started workflow fails")
	fs.BoolVar(&s.paused, "paused", false, "create the schedule paused")
	fs.StringVar(&s.note, "note", "", "note on the schedule's state")
	fs.Int64Var(&s.remainingActions, "remaining-actions", 0, "take only this many scheduled actions (0 = no limit)")
	fs.DurationVar(&s.executionTimeout, "execution-timeout", 0, "workflow execution timeout of started workflows")
	fs.DurationVar(&s.runTO, "run-timeout", 0, "workflow run timeout of started workflows")
}

// parseOverlap parses --overlap-policy; "" is UNSPECIFIED.
func parseOverlap(s string) (enumspb.ScheduleOverlapPolicy, error) {
	if s == "" {
		return enumspb.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED, nil
	}
	name := "SCHEDULE_OVERLAP_POLICY_" + strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	v, ok := enumspb.ScheduleOverlapPolicy_value[name]
	if !ok || v == 0 {
		return 0, fmt.Errorf("--overlap-policy %q: want skip, buffer-one, buffer-all, cancel-other, terminate-other or allow-all", s)
	}
	return enumspb.ScheduleOverlapPolicy(v), nil
}

func parseRFC3339(flag, s string) (*timestamppb.Timestamp, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", flag, s)
	}
	return timestamppb.New(t), nil
}

// apply sets the fields whose flags were given on sched (all of them on
// create, where sched is empty).
func (s *scheduleSpecFlags) apply(c *cobra.Command, sched *schedulepb.Schedule) error {
	changed := c.Flags().Changed
	if sched.Spec == nil {
		sched.Spec = &schedulepb.ScheduleSpec{}
	}
	if sched.Policies == nil {
		sched.Policies = &schedulepb.SchedulePolicies{}
	}
	if sched.State == nil {
		sched.State = &schedulepb.ScheduleState{}
	}
	spec := sched.Spec
	if changed("interval") || changed("cron") {
		spec.Interval, spec.CronString, spec.StructuredCalendar, spec.Calendar = nil, s.crons, nil, nil
		for _, iv := range s.intervals {
			every, offset, _ := strings.Cut(iv, "/")
			d, err := parseDuration(every)
			if err != nil || d <= 0 {
				return fmt.Errorf("--interval %q: want a positive duration such as 10m", iv)
			}
			spec.Interval = append(spec.Interval, &schedulepb.IntervalSpec{Interval: durationpb.New(d)})
			if offset != "" {
				o, err := parseDuration(offset)
				if err != nil {
					return fmt.Errorf("--interval %q: bad offset: %w", iv, err)
				}
				spec.Interval[len(spec.Interval)-1].Phase = durationpb.New(o)
			}
		}
	}
	var err error
	if changed("start-time") {
		if spec.StartTime, err = parseRFC3339("start-time", s.startTime); err != nil {
			return err
		}
	}
	if changed("end-time") {
		if spec.EndTime, err = parseRFC3339("end-time", s.endTime); err != nil {
			return err
		}
	}
	if changed("jitter") {
		spec.Jitter = durationpb.New(s.jitter)
	}
	if changed("time-zone") {
		spec.TimezoneName = s.timeZone
	}
	nw := sched.GetAction().GetStartWorkflow()
	if nw == nil {
		nw = &workflowpb.NewWorkflowExecutionInfo{}
		sched.Action = &schedulepb.ScheduleAction{Action: &schedulepb.ScheduleAction_StartWorkflow{StartWorkflow: nw}}
	}
	if changed("workflow-id") {
		nw.WorkflowId = s.workflowID
	}
	if changed("type") {
		nw.WorkflowType = &commonpb.WorkflowType{Name: s.wfType}
	}
	if changed("task-queue") {
		nw.TaskQueue = &taskqueuepb.TaskQueue{Name: s.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	}
	if changed("input") {
		nw.Input = &commonpb.Payloads{}
		for _, in := range s.inputs {
			p, err := converter.GetDefaultDataConverter().ToPayload(rawJSON(in))
			if err != nil {
				return fmt.Errorf("--input: %w", err)
			}
			nw.Input.Payloads = append(nw.Input.Payloads, p)
		}
	}
	if changed("execution-timeout") {
		nw.WorkflowExecutionTimeout = durationpb.New(s.executionTimeout)
	}
	if changed("run-timeout") {
		nw.WorkflowRunTimeout = durationpb.New(s.runTO)
	}
	if changed("overlap-policy") {
		if sched.Policies.OverlapPolicy, err = parseOverlap(s.overlap); err != nil {
			return err
		}
	}
	if changed("catchup-window") {
		sched.Policies.CatchupWindow = durationpb.New(s.catchupWindow)
	}
	if changed("pause-on-failure") {
		sched.Policies.PauseOnFailure = s.pauseOnFailure
	}
	if changed("paused") {
		sched.State.Paused = s.paused
	}
	if changed("note") {
		sched.State.Notes = s.note
	}
	if changed("remaining-actions") {
		sched.State.LimitedActions = s.remainingActions > 0
		sched.State.RemainingActions = s.remainingActions
	}
	return nil
}

// rawJSON is JSON text the data converter sends as is.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// scheduleID is --schedule-id/-s, the schedule a command acts on.
type scheduleID string

func (id *scheduleID) register(c *cobra.Command) {
	c.Flags().StringVarP((*string)(id), "schedule-id", "s", "", "schedule ID (required)")
}

func (id *scheduleID) validate() error {
	if *id == "" {
		return errors.New("--schedule-id: required")
	}
	return nil
}

// scheduleResult reports what a command did to schedule id: err wrapped
// with verb ("create schedule s1: ..."), or the text line done (with %s
// for the schedule ID).
func (a *App) scheduleResult(id scheduleID, verb string, err error, done string) error {
	if err != nil {
		return fmt.Errorf("%s schedule %s: %w", verb, id, err)
	}
	_, err = fmt.Fprintf(a.Stdout, done, id)
	return err
}

// describeSchedule fetches schedule id.
func describeSchedule(s *clientSession, cl client.Client, f *workflowFlags, id scheduleID) (*workflowservice.DescribeScheduleResponse, error) {
	d, err := cl.WorkflowService().DescribeSchedule(s.ctx, &workflowservice.DescribeScheduleRequest{Namespace: f.namespace, ScheduleId: string(id)})
	if err != nil {
		return nil, fmt.Errorf("describe schedule %s: %w", id, err)
	}
	return d, nil
}

func (a *App) newScheduleCreateCommand(f *workflowFlags) *cobra.Command {
	var (
		id    scheduleID
		spec  scheduleSpecFlags
		sched *schedulepb.Schedule
	)
	c := &cobra.Command{Use: "create", Short: "Create a schedule"}
	a.clientCommand(c, f, func() error {
		if err := id.validate(); err != nil {
			return err
		}
		for _, req := range []struct{ flag, v string }{{"workflow-id", spec.workflowID}, {"type", spec.wfType}, {"task-queue", spec.taskQueue}} {
			if req.v == "" {
				return fmt.Errorf("--%s: required", req.flag)
			}
		}
		sched = &schedulepb.Schedule{}
		return spec.apply(c, sched)
	}, func(s *clientSession, cl client.Client) error {
		_, err := cl.WorkflowService().CreateSchedule(s.ctx, &workflowservice.CreateScheduleRequest{
			Namespace: f.namespace, ScheduleId: string(id), Schedule: sched,
			Identity: s.opts.Identity, RequestId: uuid.NewString(),
		})
		return a.scheduleResult(id, "create", err, "Schedule %s created.\n")
	})
	id.register(c)
	spec.register(c)
	return c
}

func (a *App) newScheduleUpdateCommand(f *workflowFlags) *cobra.Command {
	var (
		id   scheduleID
		spec scheduleSpecFlags
	)
	c := &cobra.Command{Use: "update", Short: "Change a schedule: the flags given replace those parts of it"}
	a.clientCommand(c, f, id.validate, func(s *clientSession, cl client.Client) error {
		desc, err := describeSchedule(s, cl, f, id)
		if err != nil {
			return err
		}
		sched := desc.GetSchedule()
		if err := spec.apply(c, sched); err != nil {
			return usage(c, err)
		}
		_, err = cl.WorkflowService().UpdateSchedule(s.ctx, &workflowservice.UpdateScheduleRequest{
			Namespace: f.namespace, ScheduleId: string(id), Schedule: sched, ConflictToken: desc.GetConflictToken(),
			Identity: s.opts.Identity, RequestId: uuid.NewString(),
		})
		return a.scheduleResult(id, "update", err, "Schedule %s updated.\n")
	})
	id.register(c)
	spec.register(c)
	return c
}

func (a *App) newScheduleDescribeCommand(f *workflowFlags) *cobra.Command {
	var id scheduleID
	c := &cobra.Command{Use: "describe", Short: "Show a schedule and what it did"}
	a.clientCommand(c, f, id.validate, func(s *clientSession, cl client.Client) error {
		d, err := describeSchedule(s, cl, f, id)
		if err != nil {
			return err
		}
		if s.out.json() {
			return writeProtoJSON(a.Stdout, d)
		}
		sched, info := d.GetSchedule(), d.GetInfo()
		nw := sched.GetAction().GetStartWorkflow()
		t := newTable()
		t.field("Schedule ID", string(id))
		t.field("Spec", specSummary(sched.GetSpec()))
		t.field("Workflow", fmt.Sprintf("type=%s id=%s task_queue=%s", nw.GetWorkflowType().GetName(), nw.GetWorkflowId(), nw.GetTaskQueue().GetName()))
		t.field("Overlap policy", enumName(sched.GetPolicies().GetOverlapPolicy()))
		t.field("Paused", fmt.Sprint(sched.GetState().GetPaused()))
		t.field("Notes", sched.GetState().GetNotes())
		t.field("Actions", fmt.Sprintf("%d taken, %d skipped (overlap), %d missed (catchup window)", info.GetActionCount(), info.GetOverlapSkipped(), info.GetMissedCatchupWindow()))
		t.field("Running", fmt.Sprint(len(info.GetRunningWorkflows())))
		for _, r := range info.GetRecentActions() {
			t.field("Recent", fmt.Sprintf("%s %s %s", formatTime(r.GetScheduleTime()), r.GetStartWorkflowResult().GetWorkflowId(), enumName(r.GetStartWorkflowStatus())))
		}
		for _, n := range info.GetFutureActionTimes() {
			t.field("Next", formatTime(n))
		}
		t.field("Created", formatTime(info.GetCreateTime()))
		t.field("Updated", formatTime(info.GetUpdateTime()))
		return t.writeTo(a.Stdout)
	})
	id.register(c)
	return c
}

// specSummary is a one-line form of a (canonical) spec.
func specSummary(s *schedulepb.ScheduleSpec) string {
	var parts []string
	for _, iv := range s.GetInterval() {
		p := "every " + formatDuration(iv.GetInterval())
		if iv.GetPhase().AsDuration() != 0 {
			p += " offset " + formatDuration(iv.GetPhase())
		}
		parts = append(parts, p)
	}
	if n := len(s.GetStructuredCalendar()); n > 0 {
		parts = append(parts, fmt.Sprintf("%d calendar(s)", n))
	}
	if tz := s.GetTimezoneName(); tz != "" {
		parts = append(parts, "in "+tz)
	}
	if j := s.GetJitter().AsDuration(); j > 0 {
		parts = append(parts, "jitter "+formatDuration(s.GetJitter()))
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}

func (a *App) newScheduleListCommand(f *workflowFlags) *cobra.Command {
	var query string
	c := &cobra.Command{Use: "list", Short: "List schedules"}
	a.clientCommand(c, f, nil, func(s *clientSession, cl client.Client) error {
		var all []*schedulepb.ScheduleListEntry
		var token []byte
		for {
			resp, err := cl.WorkflowService().ListSchedules(s.ctx, &workflowservice.ListSchedulesRequest{
				Namespace: f.namespace, MaximumPageSize: 100, NextPageToken: token, Query: query,
			})
			if err != nil {
				return fmt.Errorf("list schedules: %w", err)
			}
			all = append(all, resp.GetSchedules()...)
			if token = resp.GetNextPageToken(); len(token) == 0 {
				break
			}
		}
		if s.out.json() {
			return writeProtoJSONList(a.Stdout, all)
		}
		t := newTable("SCHEDULE ID", "WORKFLOW TYPE", "PAUSED", "SPEC", "NEXT")
		for _, e := range all {
			next := ""
			if ts := e.GetInfo().GetFutureActionTimes(); len(ts) > 0 {
				next = formatTime(ts[0])
			}
			t.row(e.GetScheduleId(), e.GetInfo().GetWorkflowType().GetName(), fmt.Sprint(e.GetInfo().GetPaused()), specSummary(e.GetInfo().GetSpec()), next)
		}
		return t.writeTo(a.Stdout)
	})
	c.Flags().StringVarP(&query, "query", "q", "", "visibility query on the schedules' search attributes")
	return c
}

// newSchedulePatchCommand builds pause, unpause, trigger and backfill.
func (a *App) newSchedulePatchCommand(f *workflowFlags, verb, short string) *cobra.Command {
	var (
		id                        scheduleID
		note, overlap, start, end string
		patch                     *schedulepb.SchedulePatch
	)
	c := &cobra.Command{Use: verb, Short: short}
	a.clientCommand(c, f, func() error {
		if err := id.validate(); err != nil {
			return err
		}
		policy, err := parseOverlap(overlap)
		if err != nil {
			return err
		}
		patch = &schedulepb.SchedulePatch{}
		switch verb {
		case "pause":
			patch.Pause = cmp.Or(note, "Paused via meridian CLI")
		case "unpause":
			patch.Unpause = cmp.Or(note, "Unpaused via meridian CLI")
		case "trigger":
			patch.TriggerImmediately = &schedulepb.TriggerImmediatelyRequest{OverlapPolicy: policy}
		case "backfill":
			st, err := parseRFC3339("start-time", start)
			if err != nil {
				return err
			}
			et, err := parseRFC3339("end-time", end)
			if err != nil {
				return err
			}
			if st == nil || et == nil {
				return errors.New("--start-time and --end-time: required")
			}
			patch.BackfillRequest = []*schedulepb.BackfillRequest{{StartTime: st, EndTime: et, OverlapPolicy: policy}}
		}
		return nil
	}, func(s *clientSession, cl client.Client) error {
		_, err := cl.WorkflowService().PatchSchedule(s.ctx, &workflowservice.PatchScheduleRequest{
			Namespace: f.namespace, ScheduleId: string(id), Patch: patch, Identity: s.opts.Identity, RequestId: uuid.NewString(),
		})
		return a.scheduleResult(id, verb, err, "Schedule %s: "+verb+" done.\n")
	})
	id.register(c)
	switch verb {
	case "pause", "unpause":
		c.Flags().StringVar(&note, "note", "", "note recorded on the schedule")
	case "trigger":
		c.Flags().StringVar(&overlap, "overlap-policy", "", "overlap policy for this action (default: the schedule's)")
	case "backfill":
		c.Flags().StringVar(&overlap, "overlap-policy", "", "overlap policy for these actions (default: the schedule's)")
		c.Flags().StringVar(&start, "start-time", "", "start of the range, RFC 3339, exclusive (required)")
		c.Flags().StringVar(&end, "end-time", "", "end of the range, RFC 3339, inclusive (required)")
	}
	return c
}

func (a *App) newScheduleDeleteCommand(f *workflowFlags) *cobra.Command {
	var id scheduleID
	c := &cobra.Command{Use: "delete", Short: "Delete a schedule (workflows it started keep running)"}
	a.clientCommand(c, f, id.validate, func(s *clientSession, cl client.Client) error {
		_, err := cl.WorkflowService().DeleteSchedule(s.ctx, &workflowservice.DeleteScheduleRequest{
			Namespace: f.namespace, ScheduleId: string(id), Identity: s.opts.Identity,
		})
		return a.scheduleResult(id, "delete", err, "Schedule %s deleted.\n")
	})
	id.register(c)
	return c
}
