package sdk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Child workflows through the Go SDK: results, failures, start failures,
// cancellation and timeouts reach the parent as the SDK expects.

// childEcho is the child of most tests.
func childEcho(ctx workflow.Context, s string) (string, error) {
	return "child:" + s, nil
}

// childFails fails with an application error of type ChildBoom.
func childFails(ctx workflow.Context, msg string) error {
	return temporal.NewApplicationError(msg, "ChildBoom")
}

// childSleeps sleeps an hour (or until canceled).
func childSleeps(ctx workflow.Context) (string, error) {
	if err := workflow.Sleep(ctx, time.Hour); err != nil {
		return "", err
	}
	return "slept", nil
}

// Parents take their child's workflow ID as input, so that a replay (which
// runs under another workflow ID) makes the same commands.

// parentEcho runs childEcho and returns its result.
func parentEcho(ctx workflow.Context, childID, s string) (string, error) {
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: childID})
	var out string
	err := workflow.ExecuteChildWorkflow(ctx, childEcho, s).Get(ctx, &out)
	return out, err
}

// parentOfFailing returns its child's error as is.
func parentOfFailing(ctx workflow.Context, childID string) error {
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: childID})
	return workflow.ExecuteChildWorkflow(ctx, childFails, "child broke").Get(ctx, nil)
}

func TestChildWorkflowResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{parentEcho, childEcho}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, parentEcho, wfName(t)+"-child", "hi")
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "child:hi", out)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED))
	started := wfFind(events, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
	require.Len(t, started, 1)
	completed := wfFind(events, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
	require.Len(t, completed, 1)
	childRun := started[0].GetChildWorkflowExecutionStartedEventAttributes().GetWorkflowExecution()
	require.Equal(t, wfName(t)+"-child", childRun.GetWorkflowId())
	require.Equal(t, started[0].GetEventId(), completed[0].GetChildWorkflowExecutionCompletedEventAttributes().GetStartedEventId())
	wfReplay(t, e, run.GetID(), run.GetRunID(), parentEcho)

	// The child knows its parent.
	d, err := e.client.DescribeWorkflowExecution(wfCtx(t), childRun.GetWorkflowId(), childRun.GetRunId())
	require.NoError(t, err)
	info := d.GetWorkflowExecutionInfo()
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, info.GetStatus())
	require.Equal(t, run.GetID(), info.GetParentExecution().GetWorkflowId())
	require.Equal(t, run.GetRunID(), info.GetParentExecution().GetRunId())
	childEvents := wfHistory(t, e, childRun.GetWorkflowId(), childRun.GetRunId())
	sa := childEvents[0].GetWorkflowExecutionStartedEventAttributes()
	require.Equal(t, "default", sa.GetParentWorkflowNamespace())
	require.Equal(t, run.GetRunID(), sa.GetParentWorkflowExecution().GetRunId())
	require.Equal(t, initiatedID(t, events), sa.GetParentInitiatedEventId())
}

func initiatedID(t *testing.T, events []*historypb.HistoryEvent) int64 {
	t.Helper()
	init := wfFind(events, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
	require.NotEmpty(t, init)
	return init[0].GetEventId()
}

func TestChildWorkflowFailurePropagates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{parentOfFailing, childFails}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, parentOfFailing, wfName(t)+"-child")
	err := run.Get(wfCtx(t), nil)
	require.Error(t, err)
	var childErr *temporal.ChildWorkflowExecutionError
	require.True(t, errors.As(err, &childErr), "want a ChildWorkflowExecutionError in %v", err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want the child's ApplicationError in %v", err)
	require.Equal(t, "ChildBoom", appErr.Type())
	require.Contains(t, appErr.Error(), "child broke")

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	failed := wfFind(events, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED)
	require.Len(t, failed, 1)
	require.Equal(t, "child broke", failed[0].GetChildWorkflowExecutionFailedEventAttributes().GetFailure().GetMessage())
}

// parentOfTaken starts a child whose ID is in use and reports how it failed.
func parentOfTaken(ctx workflow.Context, childID string) (string, error) {
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: childID})
	err := workflow.ExecuteChildWorkflow(ctx, childEcho, "x").GetChildWorkflowExecution().Get(ctx, nil)
	var childErr *temporal.ChildWorkflowExecutionError
	var taken *temporal.ChildWorkflowExecutionAlreadyStartedError
	switch {
	case err == nil:
		return "started", nil
	case errors.As(err, &childErr) && errors.As(err, &taken):
		return "already-started", nil
	}
	return "", err
}

func TestChildWorkflowIDConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{parentOfTaken, childEcho, childSleeps}, nil)
	// Another workflow holds the ID.
	holder := wfStart(t, e, "holder", client.StartWorkflowOptions{}, childSleeps)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, parentOfTaken, holder.GetID())
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "already-started", out)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	failed := wfFind(events, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)
	require.Len(t, failed, 1)
	a := failed[0].GetStartChildWorkflowExecutionFailedEventAttributes()
	require.Equal(t, enumspb.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS, a.GetCause())
	require.Equal(t, holder.GetID(), a.GetWorkflowId())
	require.Zero(t, wfCount(events, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED))
	wfReplay(t, e, run.GetID(), run.GetRunID(), parentOfTaken)
	require.NoError(t, e.client.TerminateWorkflow(wfCtx(t), holder.GetID(), "", "done"))
}

// parentCancelsChild starts childSleeps, cancels it once started and
// reports the outcome.
func parentCancelsChild(ctx workflow.Context, childID string) (string, error) {
	childCtx, cancel := workflow.WithCancel(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: childID}))
	f := workflow.ExecuteChildWorkflow(childCtx, childSleeps)
	if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return "", err
	}
	cancel()
	err := f.Get(ctx, nil)
	var childErr *temporal.ChildWorkflowExecutionError
	if errors.As(err, &childErr) && temporal.IsCanceledError(err) {
		return "child canceled", nil
	}
	return "", err
}

func TestChildWorkflowCancellation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{parentCancelsChild, childSleeps}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, parentCancelsChild, wfName(t)+"-child")
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "child canceled", out)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	cancelInit := wfFind(events, enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)
	require.Len(t, cancelInit, 1)
	require.True(t, cancelInit[0].GetRequestCancelExternalWorkflowExecutionInitiatedEventAttributes().GetChildWorkflowOnly())
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED))
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED))
	wfReplay(t, e, run.GetID(), run.GetRunID(), parentCancelsChild)

	childID := wfName(t) + "-child"
	d, err := e.client.DescribeWorkflowExecution(wfCtx(t), childID, "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, d.GetWorkflowExecutionInfo().GetStatus())
	childEvents := wfHistory(t, e, childID, "")
	req := wfFind(childEvents, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
	require.Len(t, req, 1)
	require.Equal(t, run.GetRunID(), req[0].GetWorkflowExecutionCancelRequestedEventAttributes().GetExternalWorkflowExecution().GetRunId())
}

// parentOfSlowChild runs childSleeps with a 1 s run timeout.
func parentOfSlowChild(ctx workflow.Context, childID string) (string, error) {
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: childID, WorkflowRunTimeout: time.Second})
	err := workflow.ExecuteChildWorkflow(ctx, childSleeps).Get(ctx, nil)
	var childErr *temporal.ChildWorkflowExecutionError
	var timeoutErr *temporal.TimeoutError
	if errors.As(err, &childErr) && errors.As(err, &timeoutErr) {
		return "child timed out: " + timeoutErr.TimeoutType().String(), nil
	}
	return "", err
}

func TestChildWorkflowTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{parentOfSlowChild, childSleeps}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, parentOfSlowChild, wfName(t)+"-child")
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "child timed out: StartToClose", out)
	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT))
	wfReplay(t, e, run.GetID(), run.GetRunID(), parentOfSlowChild)
}
