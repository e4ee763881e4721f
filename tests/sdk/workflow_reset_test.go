package sdk_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// wfResetCount runs one activity and returns its result: a counter that
// differs on every execution, so a reset run returns something else.
func wfResetCount(ctx workflow.Context) (int64, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var n int64
	err := workflow.ExecuteActivity(ctx, "ResetCounter").Get(ctx, &n)
	return n, err
}

// wfResetSignals collects "item" signals until it receives "done".
func wfResetSignals(ctx workflow.Context) ([]string, error) {
	ch := workflow.GetSignalChannel(ctx, "item")
	got := []string{}
	for {
		var v string
		ch.Receive(ctx, &v)
		if v == "done" {
			return got, nil
		}
		got = append(got, v)
	}
}

// resetRequest resets workflow id (run runID, "" for the current run) to
// event eventID.
func resetRequest(id, runID string, eventID int64) *workflowservice.ResetWorkflowExecutionRequest {
	return &workflowservice.ResetWorkflowExecutionRequest{
		Namespace:                 "default",
		WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: id, RunId: runID},
		Reason:                    "bad deploy",
		WorkflowTaskFinishEventId: eventID,
	}
}

// waitTasksCompleted waits until the run has n WorkflowTaskCompleted events.
func waitTasksCompleted(t *testing.T, e *env, id, runID string, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		return wfCount(wfHistory(t, e, id, runID), enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) >= n
	}, wfTestTimeout, 20*time.Millisecond)
}

func TestWorkflowResetCompletedReruns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	w := worker.New(e.client, wfName(t), worker.Options{})
	w.RegisterWorkflow(wfResetCount)
	w.RegisterActivityWithOptions(func(context.Context) (int64, error) { return calls.Add(1), nil }, activity.RegisterOptions{Name: "ResetCounter"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfResetCount)
	var first int64
	require.NoError(t, run.Get(wfCtx(t), &first))
	require.Equal(t, int64(1), first)
	base := wfHistory(t, e, run.GetID(), run.GetRunID())
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, base[3].GetEventType())

	req := resetRequest(run.GetID(), run.GetRunID(), 4)
	req.RequestId = "reset-once"
	resp, err := e.client.ResetWorkflowExecution(wfCtx(t), req)
	require.NoError(t, err)
	require.NotEqual(t, run.GetRunID(), resp.GetRunId())
	// The same request ID answers the same run.
	again, err := e.client.ResetWorkflowExecution(wfCtx(t), req)
	require.NoError(t, err)
	require.Equal(t, resp.GetRunId(), again.GetRunId())

	var second int64
	require.NoError(t, e.client.GetWorkflow(wfCtx(t), run.GetID(), resp.GetRunId()).Get(wfCtx(t), &second))
	require.Equal(t, int64(2), second, "the reset run executes the activity again")

	events := wfHistory(t, e, run.GetID(), resp.GetRunId())
	requireWellFormed(t, events)
	for i := 0; i < 3; i++ {
		require.Equal(t, base[i].GetEventType(), events[i].GetEventType(), "copied event %d", i+1)
	}
	f := events[3].GetWorkflowTaskFailedEventAttributes()
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, events[3].GetEventType())
	require.Equal(t, enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW, f.GetCause())
	require.Equal(t, run.GetRunID(), f.GetBaseRunId())
	require.Equal(t, resp.GetRunId(), f.GetNewRunId())
	require.Equal(t, "bad deploy", f.GetFailure().GetMessage())
	wfReplay(t, e, run.GetID(), resp.GetRunId(), wfResetCount)

	// The base run is untouched; the workflow ID's current run is the new one.
	d, err := e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, d.GetWorkflowExecutionInfo().GetStatus())
	d, err = e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, resp.GetRunId(), d.GetWorkflowExecutionInfo().GetExecution().GetRunId())
}

func TestWorkflowResetRunningReappliesSignals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfResetSignals}, nil)
	excludeSignal := func(r *workflowservice.ResetWorkflowExecutionRequest) {
		r.ResetReapplyExcludeTypes = []enumspb.ResetReapplyExcludeType{enumspb.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL}
	}
	reapplyNone := func(r *workflowservice.ResetWorkflowExecutionRequest) {
		r.ResetReapplyType = enumspb.RESET_REAPPLY_TYPE_NONE //nolint:staticcheck // the CLI still sends it
	}
	for _, tc := range []struct {
		name string
		mod  func(*workflowservice.ResetWorkflowExecutionRequest)
		want []string
	}{
		{"default", func(*workflowservice.ResetWorkflowExecutionRequest) {}, []string{"a", "b"}},
		{"none", reapplyNone, []string{}},
		{"exclude-signal", excludeSignal, []string{}},
	} {
		run := wfStart(t, e, tc.name, client.StartWorkflowOptions{}, wfResetSignals)
		waitTasksCompleted(t, e, run.GetID(), run.GetRunID(), 1)
		require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "item", "a"))
		require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "item", "b"))
		waitTasksCompleted(t, e, run.GetID(), run.GetRunID(), 2)

		req := resetRequest(run.GetID(), "", 4) // the first task's completion
		tc.mod(req)
		resp, err := e.client.ResetWorkflowExecution(wfCtx(t), req)
		require.NoError(t, err, tc.name)

		// The old run is terminated with the reset's reason.
		old := wfHistory(t, e, run.GetID(), run.GetRunID())
		last := old[len(old)-1]
		require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, last.GetEventType(), tc.name)
		require.Equal(t, "bad deploy", last.GetWorkflowExecutionTerminatedEventAttributes().GetReason())

		// The new run is the current one and carries on.
		require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "item", "done"))
		var got []string
		require.NoError(t, e.client.GetWorkflow(wfCtx(t), run.GetID(), resp.GetRunId()).Get(wfCtx(t), &got), tc.name)
		require.Equal(t, tc.want, got, tc.name)
		events := wfHistory(t, e, run.GetID(), resp.GetRunId())
		requireWellFormed(t, events)
		wfReplay(t, e, run.GetID(), resp.GetRunId(), wfResetSignals)
	}
}

func TestWorkflowResetBadEventIsInvalidArgument(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfResetSignals}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfResetSignals)
	waitTasksCompleted(t, e, run.GetID(), run.GetRunID(), 1)
	// 1 started, 2 task scheduled, 99 past the end, 1 rejected up front.
	for _, id := range []int64{2, 99, 1} {
		_, err := e.client.ResetWorkflowExecution(wfCtx(t), resetRequest(run.GetID(), run.GetRunID(), id))
		var ia *serviceerror.InvalidArgument
		require.Truef(t, errors.As(err, &ia), "event %d: want InvalidArgument, got %T %v", id, err, err)
		require.Contains(t, ia.Error(), "WorkflowTaskFinishEventId")
	}
	// Nothing changed: the run still runs.
	d, err := e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, run.GetRunID(), d.GetWorkflowExecutionInfo().GetExecution().GetRunId())
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus())
}

func TestWorkflowDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfResetSignals}, nil)
	running := wfStart(t, e, "running", client.StartWorkflowOptions{}, wfResetSignals)
	closed := wfStart(t, e, "closed", client.StartWorkflowOptions{}, wfResetSignals)
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), closed.GetID(), "", "item", "done"))
	require.NoError(t, closed.Get(wfCtx(t), nil))
	waitTasksCompleted(t, e, running.GetID(), running.GetRunID(), 1)

	listed := func(id string) int {
		resp, err := e.client.ListWorkflow(wfCtx(t), &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId = '" + id + "'"})
		require.NoError(t, err)
		return len(resp.GetExecutions())
	}
	for _, run := range []client.WorkflowRun{running, closed} {
		require.Eventually(t, func() bool { return listed(run.GetID()) == 1 }, wfTestTimeout, 20*time.Millisecond)
		_, err := e.client.WorkflowService().DeleteWorkflowExecution(wfCtx(t), &workflowservice.DeleteWorkflowExecutionRequest{
			Namespace:         "default",
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: run.GetID(), RunId: run.GetRunID()},
		})
		require.NoError(t, err, run.GetID())

		var nf *serviceerror.NotFound
		_, err = e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), run.GetRunID())
		require.Truef(t, errors.As(err, &nf), "describe after delete: want NotFound, got %T %v", err, err)
		_, err = e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
		require.Truef(t, errors.As(err, &nf), "describe current after delete: want NotFound, got %T %v", err, err)
		it := e.client.GetWorkflowHistory(wfCtx(t), run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		_, err = it.Next()
		require.Truef(t, errors.As(err, &nf), "history after delete: want NotFound, got %T %v", err, err)
		require.Equal(t, 0, listed(run.GetID()))
	}
	// Deleting again finds nothing.
	_, err := e.client.WorkflowService().DeleteWorkflowExecution(wfCtx(t), &workflowservice.DeleteWorkflowExecutionRequest{
		Namespace:         "default",
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: running.GetID()},
	})
	var nf *serviceerror.NotFound
	require.Truef(t, errors.As(err, &nf), "second delete: want NotFound, got %T %v", err, err)
}
