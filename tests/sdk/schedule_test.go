package sdk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
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

// schedBlock is a scheduled workflow that runs until signalled "done" (or
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

// schedWaitActions waits until the schedule took at least n actions.
func schedWaitActions(t *testing.T, h client.ScheduleHandle, n int) *client.ScheduleDescription {
	t.Helper()
	var d *client.ScheduleDescription
	require.Eventually(t, func() bool {
		d = schedDescribe(t, h)
		return d.Info.NumActions >= n
	}, schedTestTimeout, 200*time.Millisecond)
	return d
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
	it, err := sc.List(schedCtx(t), client.ScheduleListOptions{})
	require.NoError(t, err)
	require.False(t, it.HasNext())

	_ = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
}
