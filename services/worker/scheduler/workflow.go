package scheduler

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	schedulepb "go.temporal.io/api/schedule/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/common/schedule"
)

// Limits and defaults of the scheduler workflow.
const (
	// DefaultCatchupWindow applies when the schedule sets none.
	DefaultCatchupWindow = 365 * 24 * time.Hour
	// MinCatchupWindow is the smallest catchup window honored.
	MinCatchupWindow = 10 * time.Second
	// maxBuffer bounds buffered actions; more are dropped and counted.
	maxBuffer = 1000
	// maxRecent and maxFuture bound describe's lists.
	maxRecent = 10
	maxFuture = 10
	// listActions bounds the recent and future times kept in the memo.
	listActions = 5
	// continueAsNewAfter bounds a run's history (iterations of the loop,
	// each a few events) when the server does not suggest continue-as-new.
	continueAsNewAfter  = 250
	continueAsNewEvents = 4000
	identity            = "temporal-scheduler"
)

// Register registers the scheduler workflow and its activities on w.
func Register(w worker.Registry, a *Activities) {
	w.RegisterWorkflowWithOptions(Workflow, workflow.RegisterOptions{Name: schedule.WorkflowType})
	w.RegisterActivityWithOptions(a.StartWorkflow, activity.RegisterOptions{Name: activityStart})
	w.RegisterActivityWithOptions(a.CancelWorkflow, activity.RegisterOptions{Name: activityCancel})
	w.RegisterActivityWithOptions(a.TerminateWorkflow, activity.RegisterOptions{Name: activityTerminate})
	w.RegisterActivityWithOptions(a.Watch, activity.RegisterOptions{Name: activityWatch})
}

// Workflow is the scheduler workflow: one per schedule, in the schedule's
// namespace. create is the CreateScheduleRequest (its schedule replaced by
// the current one after continue-as-new); st is nil on the first run.
func Workflow(ctx workflow.Context, create *workflowservice.CreateScheduleRequest, st *State) error {
	if create.GetSchedule() == nil {
		return temporal.NewNonRetryableApplicationError("schedule is required", "SchedulerBadInput", nil)
	}
	spec, err := schedule.Compile(create.GetSchedule().GetSpec())
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "SchedulerBadInput", err)
	}
	s := &scheduler{
		ctx:    ctx,
		id:     create.GetScheduleId(),
		create: create,
		sched:  create.GetSchedule(),
		spec:   spec,
		st:     st,
		logger: workflow.GetLogger(ctx),
	}
	if s.sched.State == nil {
		s.sched.State = &schedulepb.ScheduleState{}
	}
	if s.sched.Policies == nil {
		s.sched.Policies = &schedulepb.SchedulePolicies{}
	}
	s.seed = workflow.GetInfo(ctx).Namespace + "/" + s.id
	// State first: the SDK may run update handlers for updates that came
	// with the first workflow task as soon as they are registered.
	if s.st == nil {
		now := workflow.Now(ctx)
		s.st = &State{CreateTime: now, UpdateTime: now, LastProcessed: now}
		if p := create.GetInitialPatch(); p != nil {
			s.applyPatch(p)
		}
	}
	if err := s.registerHandlers(); err != nil {
		return err
	}
	return s.run()
}

type scheduler struct {
	ctx    workflow.Context
	id     string
	seed   string
	create *workflowservice.CreateScheduleRequest
	sched  *schedulepb.Schedule
	spec   *schedule.Spec
	st     *State
	logger interface {
		Info(string, ...any)
		Warn(string, ...any)
	}

	// dirty is set by handlers and the watcher: the loop runs again.
	dirty bool
	// closed are watcher results not yet applied.
	closed []Closed
	// The watcher activity in flight, if any.
	watchGen    int
	watching    bool
	watchCancel workflow.CancelFunc
	// listInfo is the memo last written.
	listInfo *schedulepb.ScheduleListInfo
}

func (s *scheduler) registerHandlers() error {
	if err := workflow.SetQueryHandler(s.ctx, schedule.QueryDescribe, s.describe); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(s.ctx, schedule.UpdatePatch,
		func(ctx workflow.Context, req *workflowservice.PatchScheduleRequest) error {
			s.applyPatch(req.GetPatch())
			s.st.ConflictToken++
			s.st.UpdateTime = workflow.Now(ctx)
			s.dirty = true
			return nil
		},
		workflow.UpdateHandlerOptions{Validator: func(req *workflowservice.PatchScheduleRequest) error {
			if req.GetPatch() == nil {
				return errors.New("patch is required")
			}
			return nil
		}},
	); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(s.ctx, schedule.UpdateSchedule,
		func(ctx workflow.Context, req *workflowservice.UpdateScheduleRequest) error {
			spec, err := schedule.Compile(req.GetSchedule().GetSpec())
			if err != nil {
				return err
			}
			s.sched = proto.Clone(req.GetSchedule()).(*schedulepb.Schedule)
			if s.sched.State == nil {
				s.sched.State = &schedulepb.ScheduleState{}
			}
			if s.sched.Policies == nil {
				s.sched.Policies = &schedulepb.SchedulePolicies{}
			}
			s.spec = spec
			s.st.ConflictToken++
			s.st.UpdateTime = workflow.Now(ctx)
			s.dirty = true
			return nil
		},
		workflow.UpdateHandlerOptions{Validator: func(req *workflowservice.UpdateScheduleRequest) error {
			if req.GetSchedule() == nil {
				return errors.New("schedule is required")
			}
			if tok := req.GetConflictToken(); len(tok) > 0 && !slices.Equal(tok, ConflictToken(s.st.ConflictToken)) {
				return errors.New("mismatched conflict token: the schedule changed since it was read")
			}
			_, err := schedule.Compile(req.GetSchedule().GetSpec())
			return err
		}},
	)
}

// ConflictToken encodes a conflict token as Temporal does (8 bytes).
func ConflictToken(n int64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(n))
	return b
}

func (s *scheduler) run() error {
	for iter := 0; ; iter++ {
		s.dirty = false
		now := workflow.Now(s.ctx)
		s.applyClosed()
		s.addScheduled(s.st.LastProcessed, now)
		s.st.LastProcessed = now
		s.startBuffered()
		s.upsertListInfo()
		if s.shouldContinueAsNew(iter) {
			if s.watchCancel != nil {
				s.watchCancel()
			}
			next := proto.Clone(s.create).(*workflowservice.CreateScheduleRequest)
			next.Schedule = s.sched
			next.InitialPatch = nil
			return workflow.NewContinueAsNewError(s.ctx, schedule.WorkflowType, next, s.st)
		}
		s.ensureWatcher()
		if s.dirty {
			continue
		}
		wake, ok := s.nextWake(now)
		if !ok {
			if err := workflow.Await(s.ctx, func() bool { return s.dirty }); err != nil {
				return err
			}
			continue
		}
		if _, err := workflow.AwaitWithTimeout(s.ctx, wake.Sub(now), func() bool { return s.dirty }); err != nil {
			return err
		}
	}
}

func (s *scheduler) shouldContinueAsNew(iter int) bool {
	info := workflow.GetInfo(s.ctx)
	long := iter >= continueAsNewAfter || info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > continueAsNewEvents
	return long && workflow.AllHandlersFinished(s.ctx)
}

// catchupWindow is the schedule's, defaulted and clamped.
func (s *scheduler) catchupWindow() time.Duration {
	w := s.sched.GetPolicies().GetCatchupWindow().AsDuration()
	if s.sched.GetPolicies().GetCatchupWindow() == nil || w <= 0 {
		return DefaultCatchupWindow
	}
	return max(w, MinCatchupWindow)
}

// canTakeScheduled reports whether the spec may take another action.
func (s *scheduler) canTakeScheduled() bool {
	st := s.sched.GetState()
	if st.GetPaused() {
		return false
	}
	if !st.GetLimitedActions() {
		return true
	}
	pending := int64(0)
	for _, b := range s.st.Buffer {
		if !b.Manual {
			pending++
		}
	}
	return st.GetRemainingActions()-pending > 0
}

// maxCatchup bounds the scheduled actions looked at in one pass.
const maxCatchup = 10 * maxBuffer

// addScheduled buffers the spec's actions whose actual time is in
// (from, to]. Times older than the catchup window are not looked at one
// by one past maxCatchup: after a long outage a fine-grained spec could
// otherwise name millions.
func (s *scheduler) addScheduled(from, to time.Time) {
	window := s.catchupWindow()
	t := from
	for range maxCatchup {
		nominal, actual, ok := s.spec.Next(s.seed, t)
		if !ok || actual.After(to) {
			return
		}
		t = actual
		switch {
		case !s.canTakeScheduled():
		case to.Sub(actual) > window:
			s.st.MissedCatchup++
		default:
			s.buffer(Start{Nominal: nominal, Actual: actual})
		}
	}
}

func (s *scheduler) buffer(item Start) {
	if len(s.st.Buffer) >= maxBuffer {
		s.st.BufferDropped++
		return
	}
	s.st.Buffer = append(s.st.Buffer, item)
}

// applyPatch applies trigger, backfill and pause/unpause.
func (s *scheduler) applyPatch(p *schedulepb.SchedulePatch) {
	now := workflow.Now(s.ctx)
	if t := p.GetTriggerImmediately(); t != nil {
		nominal := now
		if ts := t.GetScheduledTime(); ts != nil {
			nominal = ts.AsTime()
		}
		s.buffer(Start{Nominal: nominal, Actual: now, Overlap: t.GetOverlapPolicy(), Manual: true})
	}
	for _, bf := range p.GetBackfillRequest() {
		start, end := bf.GetStartTime().AsTime(), bf.GetEndTime().AsTime()
		t := start
		for {
			nominal, actual, ok := s.spec.Next(s.seed, t)
			if !ok || actual.After(end) {
				break
			}
			t = actual
			if len(s.st.Buffer) >= maxBuffer {
				s.st.BufferDropped++
				break
			}
			s.buffer(Start{Nominal: nominal, Actual: actual, Overlap: bf.GetOverlapPolicy(), Manual: true})
		}
	}
	if note := p.GetPause(); note != "" {
		s.sched.State.Paused = true
		s.sched.State.Notes = note
	}
	if note := p.GetUnpause(); note != "" {
		s.sched.State.Paused = false
		s.sched.State.Notes = note
	}
}

// startBuffered carries out the buffer's decisions until nothing changes.
func (s *scheduler) startBuffered() {
	canStart := func(b Start) bool { return b.Manual || !s.sched.GetState().GetPaused() }
	for range maxBuffer {
		d := processBuffer(s.st.Buffer, len(s.st.Running) > 0, s.sched.GetPolicies().GetOverlapPolicy(), canStart)
		s.st.Buffer = d.Keep
		s.st.OverlapSkipped += d.Skipped
		for _, item := range d.Start {
			s.startAction(item)
		}
		if d.Cancel {
			s.cancelRunning()
		}
		if d.Terminate && len(s.st.Running) > 0 {
			s.terminateRunning()
			continue // the kept action can start now
		}
		return
	}
}

func (s *scheduler) actionCtx() workflow.Context {
	return workflow.WithActivityOptions(s.ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	})
}

func (s *scheduler) startAction(item Start) {
	nw := s.sched.GetAction().GetStartWorkflow()
	if nw == nil {
		return
	}
	workflowID := nw.GetWorkflowId()
	if !s.sched.GetPolicies().GetKeepOriginalWorkflowId() {
		workflowID += "-" + item.Nominal.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	s.st.Seq++
	req := &workflowservice.StartWorkflowExecutionRequest{
		WorkflowId:               workflowID,
		WorkflowType:             nw.GetWorkflowType(),
		TaskQueue:                nw.GetTaskQueue(),
		Input:                    nw.GetInput(),
		WorkflowExecutionTimeout: nw.GetWorkflowExecutionTimeout(),
		WorkflowRunTimeout:       nw.GetWorkflowRunTimeout(),
		WorkflowTaskTimeout:      nw.GetWorkflowTaskTimeout(),
		Identity:                 identity,
		RequestId:                fmt.Sprintf("%s-%d", workflow.GetInfo(s.ctx).WorkflowExecution.RunID, s.st.Seq),
		WorkflowIdReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		RetryPolicy:              nw.GetRetryPolicy(),
		Memo:                     nw.GetMemo(),
		SearchAttributes:         nw.GetSearchAttributes(),
		Header:                   nw.GetHeader(),
		UserMetadata:             nw.GetUserMetadata(),
		Priority:                 nw.GetPriority(),
	}
	if len(s.st.LastCompletionResult) > 0 {
		var p commonpb.Payloads
		if proto.Unmarshal(s.st.LastCompletionResult, &p) == nil {
			req.LastCompletionResult = &p
		}
	}
	if len(s.st.ContinuedFailure) > 0 {
		var f failurepb.Failure
		if proto.Unmarshal(s.st.ContinuedFailure, &f) == nil {
			req.ContinuedFailure = &f
		}
	}
	var res StartResult
	if err := workflow.ExecuteActivity(s.actionCtx(), activityStart, req).Get(s.ctx, &res); err != nil {
		s.logger.Warn("schedule could not start its workflow", "ScheduleId", s.id, "WorkflowId", workflowID, "Error", err)
		return
	}
	if res.AlreadyStarted {
		s.logger.Info("schedule's workflow ID is already running", "ScheduleId", s.id, "WorkflowId", workflowID)
		s.st.OverlapSkipped++
		return
	}
	s.st.ActionCount++
	if st := s.sched.GetState(); !item.Manual && st.GetLimitedActions() && st.GetRemainingActions() > 0 {
		st.RemainingActions--
	}
	s.st.Running = append(s.st.Running, Execution{WorkflowID: workflowID, RunID: res.RunID})
	s.st.Recent = append(s.st.Recent, Action{
		Scheduled: item.Actual, Taken: workflow.Now(s.ctx), WorkflowID: workflowID, RunID: res.RunID,
		Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
	})
	if n := len(s.st.Recent); n > maxRecent {
		s.st.Recent = slices.Clone(s.st.Recent[n-maxRecent:])
	}
}

func (s *scheduler) cancelRunning() {
	for _, ex := range s.st.Running {
		if slices.Contains(s.st.CancelRequested, ex.WorkflowID) {
			continue
		}
		if err := workflow.ExecuteActivity(s.actionCtx(), activityCancel, ex).Get(s.ctx, nil); err != nil {
			s.logger.Warn("schedule could not cancel its running workflow", "ScheduleId", s.id, "WorkflowId", ex.WorkflowID, "Error", err)
			continue
		}
		s.st.CancelRequested = append(s.st.CancelRequested, ex.WorkflowID)
	}
}

func (s *scheduler) terminateRunning() {
	running := s.st.Running
	s.st.Running = nil
	for _, ex := range running {
		if err := workflow.ExecuteActivity(s.actionCtx(), activityTerminate, ex).Get(s.ctx, nil); err != nil {
			s.logger.Warn("schedule could not terminate its running workflow", "ScheduleId", s.id, "WorkflowId", ex.WorkflowID, "Error", err)
		}
		s.closed = append(s.closed, Closed{WorkflowID: ex.WorkflowID, RunID: ex.RunID, Status: enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED})
	}
	s.applyClosed()
}

// applyClosed records the outcome of closed workflows.
func (s *scheduler) applyClosed() {
	closed := s.closed
	s.closed = nil
	for _, c := range closed {
		s.st.Running = slices.DeleteFunc(s.st.Running, func(e Execution) bool { return e.WorkflowID == c.WorkflowID })
		s.st.CancelRequested = slices.DeleteFunc(s.st.CancelRequested, func(id string) bool { return id == c.WorkflowID })
		for i := range s.st.Recent {
			if s.st.Recent[i].WorkflowID == c.WorkflowID {
				s.st.Recent[i].Status = c.Status
			}
		}
		switch c.Status {
		case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
			s.st.LastCompletionResult = c.Result
			s.st.ContinuedFailure = nil
		case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
			s.st.ContinuedFailure = c.Failure
			if s.sched.GetPolicies().GetPauseOnFailure() {
				s.sched.State.Paused = true
				s.sched.State.Notes = fmt.Sprintf("paused due to workflow %s: %s", strings.ToLower(strings.TrimPrefix(c.Status.String(), "WORKFLOW_EXECUTION_STATUS_")), c.WorkflowID)
			}
		}
	}
}

// ensureWatcher keeps one Watch activity on the running workflows while
// there are any. A running watcher is not replaced when more workflows
// start (ALLOW_ALL would otherwise churn through watchers): it returns
// within DefaultWatchFor, and the next one watches them all.
func (s *scheduler) ensureWatcher() {
	if s.watching || len(s.st.Running) == 0 {
		return
	}
	s.watchGen++
	gen := s.watchGen
	wctx, cancel := workflow.WithCancel(s.ctx)
	s.watching, s.watchCancel = true, cancel
	wctx = workflow.WithActivityOptions(wctx, workflow.ActivityOptions{
		StartToCloseTimeout: DefaultWatchFor + time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	})
	fut := workflow.ExecuteActivity(wctx, activityWatch, slices.Clone(s.st.Running))
	workflow.Go(s.ctx, func(ctx workflow.Context) {
		var res []Closed
		err := fut.Get(ctx, &res)
		if gen != s.watchGen {
			return
		}
		s.watching = false
		if err == nil {
			s.closed = append(s.closed, res...)
		}
		s.dirty = true
	})
}

// nextWake is when the loop next has something to do.
func (s *scheduler) nextWake(now time.Time) (time.Time, bool) {
	_, actual, ok := s.spec.Next(s.seed, now)
	return actual, ok
}

// futureTimes are the next action times the spec will take.
func (s *scheduler) futureTimes(n int) []*timestamppb.Timestamp {
	st := s.sched.GetState()
	if st.GetPaused() {
		return nil
	}
	if st.GetLimitedActions() && int64(n) > st.GetRemainingActions() {
		n = int(max(st.GetRemainingActions(), 0))
	}
	var out []*timestamppb.Timestamp
	for _, t := range s.spec.Times(s.seed, s.st.LastProcessed, time.Time{}, n) {
		out = append(out, timestamppb.New(t))
	}
	return out
}

func (s *scheduler) recentActions(n int) []*schedulepb.ScheduleActionResult {
	recent := s.st.Recent
	if len(recent) > n {
		recent = recent[len(recent)-n:]
	}
	out := make([]*schedulepb.ScheduleActionResult, 0, len(recent))
	for _, a := range recent {
		out = append(out, &schedulepb.ScheduleActionResult{
			ScheduleTime:        timestamppb.New(a.Scheduled),
			ActualTime:          timestamppb.New(a.Taken),
			StartWorkflowResult: &commonpb.WorkflowExecution{WorkflowId: a.WorkflowID, RunId: a.RunID},
			StartWorkflowStatus: a.Status,
		})
	}
	return out
}

// describe answers the describe query.
func (s *scheduler) describe() (*workflowservice.DescribeScheduleResponse, error) {
	sched := proto.Clone(s.sched).(*schedulepb.Schedule)
	sched.Spec = schedule.CloneSpec(s.spec.Canonical())
	running := make([]*commonpb.WorkflowExecution, 0, len(s.st.Running))
	for _, e := range s.st.Running {
		running = append(running, &commonpb.WorkflowExecution{WorkflowId: e.WorkflowID, RunId: e.RunID})
	}
	return &workflowservice.DescribeScheduleResponse{
		Schedule: sched,
		Info: &schedulepb.ScheduleInfo{
			ActionCount:         s.st.ActionCount,
			MissedCatchupWindow: s.st.MissedCatchup,
			OverlapSkipped:      s.st.OverlapSkipped,
			BufferDropped:       s.st.BufferDropped,
			BufferSize:          int64(len(s.st.Buffer)),
			RunningWorkflows:    running,
			RecentActions:       s.recentActions(maxRecent),
			FutureActionTimes:   s.futureTimes(maxFuture),
			CreateTime:          timestamppb.New(s.st.CreateTime),
			UpdateTime:          timestamppb.New(s.st.UpdateTime),
		},
		ConflictToken: ConflictToken(s.st.ConflictToken),
	}, nil
}

// upsertListInfo keeps the memo ListSchedules reads current.
func (s *scheduler) upsertListInfo() {
	spec := schedule.CloneSpec(s.spec.Canonical())
	spec.TimezoneData = nil
	info := &schedulepb.ScheduleListInfo{
		Spec:              spec,
		WorkflowType:      s.sched.GetAction().GetStartWorkflow().GetWorkflowType(),
		Notes:             s.sched.GetState().GetNotes(),
		Paused:            s.sched.GetState().GetPaused(),
		RecentActions:     s.recentActions(listActions),
		FutureActionTimes: s.futureTimes(listActions),
	}
	if s.listInfo != nil && proto.Equal(info, s.listInfo) {
		return
	}
	if err := workflow.UpsertMemo(s.ctx, map[string]any{schedule.MemoKey: info}); err != nil {
		s.logger.Warn("schedule could not update its list info", "ScheduleId", s.id, "Error", err)
		return
	}
	s.listInfo = info
}
