package sdk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	schedulepb "go.temporal.io/api/schedule/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Schedules (client.ScheduleClient): each schedule is a scheduler workflow
// run by the server's own system worker; these tests drive it only
// through the SDK's schedule API and look at the workflows it starts.

// schedTestTimeout bounds the waits of schedule tests: actions are 1-2 s
// apart, so generous bounds never make a test depend on timing.
const schedTestTimeout = 30 * time.Second

// schedTick is the scheduled workflow: it returns at once.
func schedTick(ctx workflow.Context) (string, error) {
	return workflow.GetInfo(ctx).WorkflowExecution.ID, nil
}

// schedBlock is a scheduled workflow that runs until signaled "done" (or
// canceled).
func schedBlock(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, "done").Receive(ctx, nil)
	return nil
}

func schedCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), schedTestTimeout)
	t.Cleanup(cancel)
	return ctx
}

// schedAction starts wf on the test's task queue with ID prefix id.
func schedAction(t *testing.T, id string, wf any) *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{ID: id, Workflow: wf, TaskQueue: wfName(t)}
}

// schedDescribe describes a schedule.
func schedDescribe(t *testing.T, h client.ScheduleHandle) *client.ScheduleDescription {
	t.Helper()
	d, err := h.Describe(schedCtx(t))
	require.NoError(t, err)
	return d
}

// schedWaitFor waits until the schedule's description satisfies ok.
// Describe errors end the wait (Eventually's condition runs in its own
// goroutine, where require cannot stop the test).
func schedWaitFor(t *testing.T, h client.ScheduleHandle, ok func(*client.ScheduleDescription) bool) *client.ScheduleDescription {
	t.Helper()
	var (
		d   *client.ScheduleDescription
		err error
	)
	require.Eventually(t, func() bool {
		d, err = h.Describe(schedCtx(t))
		return err != nil || ok(d)
	}, schedTestTimeout, 200*time.Millisecond)
	require.NoError(t, err)
	return d
}

// schedWaitActions waits until the schedule took at least n actions.
func schedWaitActions(t *testing.T, h client.ScheduleHandle, n int) *client.ScheduleDescription {
	t.Helper()
	return schedWaitFor(t, h, func(d *client.ScheduleDescription) bool { return d.Info.NumActions >= n })
}

// schedWorkflows lists the workflows whose ID starts with prefix.
func schedWorkflows(t *testing.T, e *env, prefix string) []string {
	t.Helper()
	resp, err := e.client.ListWorkflow(schedCtx(t), &workflowservice.ListWorkflowExecutionsRequest{
		Query: "WorkflowId STARTS_WITH '" + prefix + "'",
	})
	require.NoError(t, err)
	var out []string
	for _, ex := range resp.GetExecutions() {
		out = append(out, ex.GetExecution().GetWorkflowId())
	}
	return out
}

// schedWorkflowsE is schedWorkflows for Eventually conditions: nil on error.
func schedWorkflowsE(e *env, prefix string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), wfTestTimeout)
	defer cancel()
	resp, err := e.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: "WorkflowId STARTS_WITH '" + prefix + "'",
	})
	if err != nil {
		return nil
	}
	var out []string
	for _, ex := range resp.GetExecutions() {
		out = append(out, ex.GetExecution().GetWorkflowId())
	}
	return out
}

func TestScheduleIntervalStartsWorkflows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{schedTick}, nil)
	sc := e.client.ScheduleClient()
	h, err := sc.Create(schedCtx(t), client.ScheduleOptions{
		ID:     "every-second",
		Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Second}}},
		Action: schedAction(t, "tick", schedTick),
		Memo:   map[string]any{"owner": "tests"},
		Note:   "created by a test",
	})
	require.NoError(t, err)
	require.Equal(t, "every-second", h.GetID())

	d := schedWaitActions(t, h, 2)
	// Describe round-trips what was created.
	require.Len(t, d.Schedule.Spec.Intervals, 1)
	require.Equal(t, time.Second, d.Schedule.Spec.Intervals[0].Every)
	require.Equal(t, "created by a test", d.Schedule.State.Note)
	require.False(t, d.Schedule.State.Paused)
	action, ok := d.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	require.Equal(t, "tick", action.ID)
	require.Equal(t, "schedTick", action.Workflow)
	require.NotEmpty(t, d.Info.RecentActions)
	require.NotEmpty(t, d.Info.NextActionTimes)
	require.False(t, d.Info.CreatedAt.IsZero())
	require.Contains(t, d.Memo.GetFields(), "owner")
	require.NotContains(t, d.Memo.GetFields(), "ScheduleInfo")

	// Each action started a workflow named by its scheduled time, and it
	// ran to completion on the test's worker.
	recent := d.Info.RecentActions[0]
	wfID := recent.StartWorkflowResult.WorkflowID
	require.True(t, strings.HasPrefix(wfID, "tick-"), wfID)
	_, err = time.Parse(time.RFC3339, strings.TrimPrefix(wfID, "tick-"))
	require.NoError(t, err, "workflow ID ends with the RFC 3339 scheduled time")
	var got string
	require.NoError(t, e.client.GetWorkflow(schedCtx(t), wfID, "").Get(schedCtx(t), &got))
	require.Equal(t, wfID, got)

	// The scheduler workflow itself is hidden from workflow lists.
	ids := schedWorkflows(t, e, "")
	require.NotEmpty(t, ids)
	for _, id := range ids {
		require.False(t, strings.HasPrefix(id, "temporal-sys-scheduler:"), id)
	}

	// List shows the schedule with its list info.
	var entries []*client.ScheduleListEntry
	require.Eventually(t, func() bool {
		it, err := sc.List(schedCtx(t), client.ScheduleListOptions{})
		require.NoError(t, err)
		entries = nil
		for it.HasNext() {
			en, err := it.Next()
			require.NoError(t, err)
			entries = append(entries, en)
		}
		return len(entries) == 1 && entries[0].WorkflowType.Name != ""
	}, schedTestTimeout, 200*time.Millisecond)
	require.Equal(t, "every-second", entries[0].ID)
	require.Equal(t, "schedTick", entries[0].WorkflowType.Name)
	require.Len(t, entries[0].Spec.Intervals, 1)

	// Creating it again fails; deleting it stops it.
	_, err = sc.Create(schedCtx(t), client.ScheduleOptions{
		ID:     "every-second",
		Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Second}}},
		Action: schedAction(t, "tick", schedTick),
	})
	require.ErrorIs(t, err, temporal.ErrScheduleAlreadyRunning)

	require.NoError(t, h.Delete(schedCtx(t)))
	_, err = h.Describe(schedCtx(t))
	var nf *serviceerror.NotFound
	require.True(t, errors.As(err, &nf), "describe after delete: %v", err)
	require.True(t, errors.As(h.Delete(schedCtx(t)), &nf))
	// Visibility learns of the deletion asynchronously.
	require.Eventually(t, func() bool {
		it, err := sc.List(schedCtx(t), client.ScheduleListOptions{})
		return err == nil && !it.HasNext()
	}, schedTestTimeout, 200*time.Millisecond)
}

func TestScheduleUpdatePauseTrigger(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{schedTick}, nil)
	h, err := e.client.ScheduleClient().Create(schedCtx(t), client.ScheduleOptions{
		ID:     "sched",
		Spec:   client.ScheduleSpec{CronExpressions: []string{"0 0 1 1 *"}}, // once a year
		Action: schedAction(t, "yearly", schedTick),
		Paused: true,
	})
	require.NoError(t, err)
	d := schedDescribe(t, h)
	require.True(t, d.Schedule.State.Paused)
	require.Empty(t, d.Info.NextActionTimes, "a paused schedule takes no actions")
	// The cron string comes back as a structured calendar.
	require.Len(t, d.Schedule.Spec.Calendars, 1)
	require.Equal(t, []client.ScheduleRange{{Start: 1}}, d.Schedule.Spec.Calendars[0].Month)

	// Trigger runs an action even while paused.
	require.NoError(t, h.Trigger(schedCtx(t), client.ScheduleTriggerOptions{}))
	d = schedWaitActions(t, h, 1)
	require.Len(t, d.Info.RecentActions, 1)
	require.True(t, strings.HasPrefix(d.Info.RecentActions[0].StartWorkflowResult.WorkflowID, "yearly-"))

	// Update: every second, a new workflow ID.
	require.NoError(t, h.Update(schedCtx(t), client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Second}}}
			s.Action = schedAction(t, "fast", schedTick)
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	}))
	d = schedDescribe(t, h)
	require.Empty(t, d.Schedule.Spec.Calendars)
	require.Equal(t, time.Second, d.Schedule.Spec.Intervals[0].Every)
	require.Equal(t, "fast", d.Schedule.Action.(*client.ScheduleWorkflowAction).ID)
	require.True(t, d.Schedule.State.Paused, "update kept the state it read")
	require.False(t, d.Info.LastUpdateAt.IsZero())
	// Still paused: no scheduled actions. Unpause and they come.
	require.NoError(t, h.Unpause(schedCtx(t), client.ScheduleUnpauseOptions{Note: "go"}))
	d = schedWaitActions(t, h, 3)
	require.Equal(t, "go", d.Schedule.State.Note)
	require.NotEmpty(t, d.Info.NextActionTimes)
	require.Eventually(t, func() bool { return len(schedWorkflowsE(e, "fast-")) > 0 }, schedTestTimeout, 200*time.Millisecond)

	// Pause: the count stops growing (the describe after pause is applied,
	// since patches wait for the scheduler).
	require.NoError(t, h.Pause(schedCtx(t), client.SchedulePauseOptions{Note: "stop"}))
	paused := schedDescribe(t, h)
	require.True(t, paused.Schedule.State.Paused)
	require.Equal(t, "stop", paused.Schedule.State.Note)
	require.Empty(t, paused.Info.NextActionTimes)
	// Wait for several intervals' worth of wall time by watching a
	// workflow of our own, then check nothing more was taken.
	require.Never(t, func() bool {
		d, err := h.Describe(schedCtx(t))
		return err != nil || d.Info.NumActions > paused.Info.NumActions
	}, 3*time.Second, 250*time.Millisecond)

	// A stale conflict token is refused with FailedPrecondition; the
	// current one is accepted.
	raw, err := e.client.WorkflowService().DescribeSchedule(schedCtx(t), &workflowservice.DescribeScheduleRequest{Namespace: "default", ScheduleId: "sched"})
	require.NoError(t, err)
	_, err = e.client.WorkflowService().UpdateSchedule(schedCtx(t), &workflowservice.UpdateScheduleRequest{
		Namespace: "default", ScheduleId: "sched", Schedule: raw.GetSchedule(), ConflictToken: []byte{0, 0, 0, 0, 0, 0, 0, 0},
	})
	var fp *serviceerror.FailedPrecondition
	require.True(t, errors.As(err, &fp), "stale token: %v", err)
	_, err = e.client.WorkflowService().UpdateSchedule(schedCtx(t), &workflowservice.UpdateScheduleRequest{
		Namespace: "default", ScheduleId: "sched", Schedule: raw.GetSchedule(), ConflictToken: raw.GetConflictToken(),
	})
	require.NoError(t, err)
}

func TestScheduleOverlapPolicies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	queue := wfName(t)
	wfWorker(t, e, queue, worker.Options{}, []any{schedBlock}, nil)
	create := func(t *testing.T, id string, p enumspb.ScheduleOverlapPolicy) client.ScheduleHandle {
		h, err := e.client.ScheduleClient().Create(schedCtx(t), client.ScheduleOptions{
			ID:      id,
			Spec:    client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Second}}},
			Action:  &client.ScheduleWorkflowAction{ID: id, Workflow: schedBlock, TaskQueue: queue},
			Overlap: p,
		})
		require.NoError(t, err)
		return h
	}
	release := func(t *testing.T, wfID string) {
		require.NoError(t, e.client.SignalWorkflow(schedCtx(t), wfID, "", "done", nil))
	}
	// waitSkipped waits until the schedule skipped n actions.
	waitSkipped := func(t *testing.T, h client.ScheduleHandle, n int) *client.ScheduleDescription {
		return schedWaitFor(t, h, func(d *client.ScheduleDescription) bool { return d.Info.NumActionsSkippedOverlap >= n })
	}

	t.Run("skip", func(t *testing.T) {
		t.Parallel()
		h := create(t, "skip", enumspb.SCHEDULE_OVERLAP_POLICY_SKIP)
		d := waitSkipped(t, h, 2)
		require.Equal(t, 1, d.Info.NumActions, "nothing starts while the first runs")
		require.Len(t, d.Info.RunningWorkflows, 1)
		first := d.Info.RunningWorkflows[0].WorkflowID
		release(t, first)
		d = schedWaitActions(t, h, 2)
		require.NotEqual(t, first, d.Info.RecentActions[len(d.Info.RecentActions)-1].StartWorkflowResult.WorkflowID)
		// The finished workflow leaves the running list.
		schedWaitFor(t, h, func(d *client.ScheduleDescription) bool {
			for _, r := range d.Info.RunningWorkflows {
				if r.WorkflowID == first {
					return false
				}
			}
			return true
		})
	})

	t.Run("buffer one", func(t *testing.T) {
		t.Parallel()
		h := create(t, "bufone", enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE)
		d := waitSkipped(t, h, 2)
		require.Equal(t, 1, d.Info.NumActions)
		require.Len(t, d.Info.RunningWorkflows, 1)
		// The one buffered action starts as soon as the first finishes.
		release(t, d.Info.RunningWorkflows[0].WorkflowID)
		d = schedWaitActions(t, h, 2)
		require.Len(t, d.Info.RunningWorkflows, 1)
	})

	t.Run("allow all", func(t *testing.T) {
		t.Parallel()
		h := create(t, "allowall", enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL)
		d := schedWaitActions(t, h, 3)
		require.GreaterOrEqual(t, len(d.Info.RunningWorkflows), 3, "overlapping runs are allowed")
		require.Zero(t, d.Info.NumActionsSkippedOverlap)
	})

	t.Run("terminate other", func(t *testing.T) {
		t.Parallel()
		h := create(t, "terminate", enumspb.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER)
		d := schedWaitActions(t, h, 3)
		require.LessOrEqual(t, len(d.Info.RunningWorkflows), 1)
		first := d.Info.RecentActions[0].StartWorkflowResult.WorkflowID
		desc, err := e.client.DescribeWorkflowExecution(schedCtx(t), first, "")
		require.NoError(t, err)
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, desc.GetWorkflowExecutionInfo().GetStatus())
	})
}

func TestScheduleBackfillAndJitter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{schedTick}, nil)
	sc := e.client.ScheduleClient()

	// Backfill: a paused hourly schedule replays four past hours of its
	// spec; backfills run while paused.
	now := time.Now().UTC().Truncate(time.Hour)
	h, err := sc.Create(schedCtx(t), client.ScheduleOptions{
		ID:     "backfill",
		Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}},
		Action: schedAction(t, "bf", schedTick),
		Paused: true,
	})
	require.NoError(t, err)
	require.NoError(t, h.Backfill(schedCtx(t), client.ScheduleBackfillOptions{Backfill: []client.ScheduleBackfill{{
		Start:   now.Add(-5 * time.Hour), // exclusive
		End:     now.Add(-time.Hour),     // inclusive
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
	}}}))
	schedWaitActions(t, h, 4)
	var want []string
	for i := 4; i >= 1; i-- {
		want = append(want, "bf-"+now.Add(-time.Duration(i)*time.Hour).Format(time.RFC3339))
	}
	// Visibility records the starts asynchronously.
	var got []string
	require.Eventually(t, func() bool {
		got = schedWorkflowsE(e, "bf-")
		return len(got) >= len(want)
	}, schedTestTimeout, 200*time.Millisecond)
	require.ElementsMatch(t, want, got)

	// Jitter: every action is late by less than the jitter, and the
	// workflow ID still names the nominal time.
	const jitter = 800 * time.Millisecond
	j, err := sc.Create(schedCtx(t), client.ScheduleOptions{
		ID:     "jitter",
		Spec:   client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: 2 * time.Second}}, Jitter: jitter},
		Action: schedAction(t, "jit", schedTick),
	})
	require.NoError(t, err)
	d := schedWaitActions(t, j, 3)
	for _, a := range d.Info.RecentActions {
		nominal, err := time.Parse(time.RFC3339, strings.TrimPrefix(a.StartWorkflowResult.WorkflowID, "jit-"))
		require.NoError(t, err)
		delay := a.ScheduleTime.Sub(nominal)
		require.GreaterOrEqual(t, delay, time.Duration(0))
		require.Less(t, delay, jitter)
		require.Zero(t, nominal.Unix()%2, "nominal times are on the interval")
	}
	for _, next := range d.Info.NextActionTimes {
		require.Less(t, next.Sub(next.Truncate(2*time.Second)), jitter)
	}
	require.Equal(t, jitter, d.Schedule.Spec.Jitter)

	// ListScheduleMatchingTimes names the same jittered times.
	from := time.Now().Add(time.Minute)
	resp, err := e.client.WorkflowService().ListScheduleMatchingTimes(schedCtx(t), &workflowservice.ListScheduleMatchingTimesRequest{
		Namespace: "default", ScheduleId: "jitter", StartTime: timestamppb.New(from), EndTime: timestamppb.New(from.Add(10 * time.Second)),
	})
	require.NoError(t, err)
	// Five nominal times; the last one's jitter may push it past the end.
	require.GreaterOrEqual(t, len(resp.GetStartTime()), 4)
	require.LessOrEqual(t, len(resp.GetStartTime()), 5)
	for _, ts := range resp.GetStartTime() {
		at := ts.AsTime()
		require.True(t, at.After(from) && !at.After(from.Add(10*time.Second)), at)
		require.Less(t, at.Sub(at.Truncate(2*time.Second)), jitter)
	}
}

func TestScheduleBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.client.WorkflowService()
	invalid := func(t *testing.T, err error, field string) {
		t.Helper()
		var ia *serviceerror.InvalidArgument
		require.True(t, errors.As(err, &ia), "want InvalidArgument, got %v", err)
		require.Contains(t, ia.Error(), field)
	}
	good := func() *workflowservice.CreateScheduleRequest {
		return &workflowservice.CreateScheduleRequest{
			Namespace: "default", ScheduleId: "s", RequestId: "r",
			Schedule: &schedulepb.Schedule{
				Spec: &schedulepb.ScheduleSpec{CronString: []string{"@hourly"}},
				Action: &schedulepb.ScheduleAction{Action: &schedulepb.ScheduleAction_StartWorkflow{StartWorkflow: &workflowpb.NewWorkflowExecutionInfo{
					WorkflowId: "w", WorkflowType: &commonpb.WorkflowType{Name: "t"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"},
				}}},
			},
		}
	}
	req := good()
	req.ScheduleId = ""
	_, err := svc.CreateSchedule(schedCtx(t), req)
	invalid(t, err, "ScheduleId")

	req = good()
	req.Schedule.Spec.CronString = []string{"61 * * * *"}
	_, err = svc.CreateSchedule(schedCtx(t), req)
	invalid(t, err, "cron_string[0]")

	req = good()
	req.Schedule.Action = nil
	_, err = svc.CreateSchedule(schedCtx(t), req)
	invalid(t, err, "StartWorkflow")

	// The SDK's own create reports the bad cron string the same way.
	_, err = e.client.ScheduleClient().Create(schedCtx(t), client.ScheduleOptions{
		ID:     "bad-cron",
		Spec:   client.ScheduleSpec{CronExpressions: []string{"every tuesday"}},
		Action: schedAction(t, "x", schedTick),
	})
	invalid(t, err, "cron_string")

	_, err = svc.DescribeSchedule(schedCtx(t), &workflowservice.DescribeScheduleRequest{Namespace: "default"})
	invalid(t, err, "ScheduleId")
	_, err = svc.PatchSchedule(schedCtx(t), &workflowservice.PatchScheduleRequest{Namespace: "default", ScheduleId: "s"})
	invalid(t, err, "Patch")

	_, err = svc.DescribeSchedule(schedCtx(t), &workflowservice.DescribeScheduleRequest{Namespace: "default", ScheduleId: "missing"})
	var nf *serviceerror.NotFound
	require.True(t, errors.As(err, &nf), "%v", err)
	_, err = svc.PatchSchedule(schedCtx(t), &workflowservice.PatchScheduleRequest{
		Namespace: "default", ScheduleId: "missing", Patch: &schedulepb.SchedulePatch{Pause: "x"},
	})
	require.True(t, errors.As(err, &nf), "%v", err)
}
