package sdk_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Signals and cancellation requests from one workflow to another
// (SignalExternalWorkflowExecution, RequestCancelExternalWorkflowExecution).

// waitForPing returns the first "ping" signal it gets.
func waitForPing(ctx workflow.Context) (string, error) {
	var v string
	workflow.GetSignalChannel(ctx, "ping").Receive(ctx, &v)
	return v, nil
}

// externalOutcome describes how an external request ended.
func externalOutcome(err error) string {
	var unknown *temporal.UnknownExternalWorkflowExecutionError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &unknown):
		return "not found"
	}
	return "error: " + err.Error()
}

// signalSender signals "ping" to target and reports the outcome.
func signalSender(ctx workflow.Context, target, value string) (string, error) {
	err := workflow.SignalExternalWorkflow(ctx, target, "", "ping", value).Get(ctx, nil)
	return externalOutcome(err), nil
}

// cancelSender asks target to cancel and reports the outcome.
func cancelSender(ctx workflow.Context, target string) (string, error) {
	err := workflow.RequestCancelExternalWorkflow(ctx, target, "").Get(ctx, nil)
	return externalOutcome(err), nil
}

func TestChildExternalSignal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{waitForPing, signalSender}, nil)
	target := wfStart(t, e, "target", client.StartWorkflowOptions{}, waitForPing)
	sender := wfStart(t, e, "sender", client.StartWorkflowOptions{}, signalSender, target.GetID(), "hello")
	var outcome, got string
	require.NoError(t, sender.Get(wfCtx(t), &outcome))
	require.Equal(t, "ok", outcome)
	require.NoError(t, target.Get(wfCtx(t), &got))
	require.Equal(t, "hello", got)

	events := wfHistory(t, e, sender.GetID(), sender.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED))
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED))
	wfReplay(t, e, sender.GetID(), sender.GetRunID(), signalSender)
	targetEvents := wfHistory(t, e, target.GetID(), target.GetRunID())
	require.Equal(t, 1, wfCount(targetEvents, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))

	// A target that does not exist.
	missing := wfStart(t, e, "sender-2", client.StartWorkflowOptions{}, signalSender, wfName(t)+"-nobody", "hello")
	require.NoError(t, missing.Get(wfCtx(t), &outcome))
	require.Equal(t, "not found", outcome)
	failed := wfFind(wfHistory(t, e, missing.GetID(), missing.GetRunID()), enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
	require.Len(t, failed, 1)
	require.Equal(t, enumspb.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
		failed[0].GetSignalExternalWorkflowExecutionFailedEventAttributes().GetCause())
}

func TestChildExternalCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{childSleeps, cancelSender}, nil)
	target := wfStart(t, e, "target", client.StartWorkflowOptions{}, childSleeps)
	sender := wfStart(t, e, "sender", client.StartWorkflowOptions{}, cancelSender, target.GetID())
	var outcome string
	require.NoError(t, sender.Get(wfCtx(t), &outcome))
	require.Equal(t, "ok", outcome)
	err := target.Get(wfCtx(t), nil)
	require.Error(t, err)
	var canceled *temporal.CanceledError
	require.True(t, errors.As(err, &canceled), "want the target canceled, got %v", err)

	events := wfHistory(t, e, sender.GetID(), sender.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED))
	wfReplay(t, e, sender.GetID(), sender.GetRunID(), cancelSender)
	req := wfFind(wfHistory(t, e, target.GetID(), target.GetRunID()), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
	require.Len(t, req, 1)
	a := req[0].GetWorkflowExecutionCancelRequestedEventAttributes()
	require.Equal(t, sender.GetRunID(), a.GetExternalWorkflowExecution().GetRunId())
	require.NotZero(t, a.GetExternalInitiatedEventId())

	// A target that does not exist.
	missing := wfStart(t, e, "sender-2", client.StartWorkflowOptions{}, cancelSender, wfName(t)+"-nobody")
	require.NoError(t, missing.Get(wfCtx(t), &outcome))
	require.Equal(t, "not found", outcome)
	failed := wfFind(wfHistory(t, e, missing.GetID(), missing.GetRunID()), enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
	require.Len(t, failed, 1)
	require.Equal(t, enumspb.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
		failed[0].GetRequestCancelExternalWorkflowExecutionFailedEventAttributes().GetCause())
}
