package sdk_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// wfCollectSignals receives n signals on channel "item" and returns them in
// the order received.
func wfCollectSignals(ctx workflow.Context, n int) ([]string, error) {
	ch := workflow.GetSignalChannel(ctx, "item")
	var got []string
	for len(got) < n {
		var v string
		ch.Receive(ctx, &v)
		got = append(got, v)
	}
	return got, nil
}

func TestWorkflowSignalsInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 8
	// Start before any worker polls, so some signals are buffered ahead of
	// the first workflow task and others arrive while tasks run.
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfCollectSignals, n)
	var want []string
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("s%d", i)
		want = append(want, v)
		require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), run.GetRunID(), "item", v))
		if i == n/2 {
			wfWorker(t, e, wfName(t), worker.Options{}, []any{wfCollectSignals}, nil)
		}
	}
	var got []string
	require.NoError(t, run.Get(wfCtx(t), &got))
	require.Equal(t, want, got)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	signals := wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
	require.Len(t, signals, n)
	for i, ev := range signals {
		attrs := ev.GetWorkflowExecutionSignaledEventAttributes()
		require.Equal(t, "item", attrs.GetSignalName())
		require.Contains(t, string(attrs.GetInput().GetPayloads()[0].GetData()), want[i])
	}
}

func TestWorkflowSignalWithStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfCollectSignals}, nil)
	id := wfName(t) + "-1"
	opts := client.StartWorkflowOptions{ID: id, TaskQueue: wfName(t)}

	// Absent: SignalWithStart starts a run and delivers the signal.
	first, err := e.client.SignalWithStartWorkflow(wfCtx(t), id, "item", "a", opts, wfCollectSignals, 2)
	require.NoError(t, err)
	require.NotEmpty(t, first.GetRunID())

	// Present: the same call signals the running run.
	second, err := e.client.SignalWithStartWorkflow(wfCtx(t), id, "item", "b", opts, wfCollectSignals, 2)
	require.NoError(t, err)
	require.Equal(t, first.GetRunID(), second.GetRunID())

	var got []string
	require.NoError(t, first.Get(wfCtx(t), &got))
	require.Equal(t, []string{"a", "b"}, got)

	events := wfHistory(t, e, id, first.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED))
	require.Equal(t, 2, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))
	// The start's signal directly follows WorkflowExecutionStarted.
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, events[1].GetEventType())
}

func TestWorkflowSignalCompletedIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfCollectSignals}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfCollectSignals, 0)
	require.NoError(t, run.Get(wfCtx(t), nil))

	for _, runID := range []string{run.GetRunID(), ""} {
		err := e.client.SignalWorkflow(wfCtx(t), run.GetID(), runID, "item", "late")
		var nf *serviceerror.NotFound
		require.Truef(t, errors.As(err, &nf), "signal to a completed run (run ID %q): want NotFound, got %T %v", runID, err, err)
	}
	// And to a workflow that never existed.
	err := e.client.SignalWorkflow(wfCtx(t), wfName(t)+"-never", "", "item", "x")
	var nf *serviceerror.NotFound
	require.Truef(t, errors.As(err, &nf), "want NotFound, got %T %v", err, err)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	require.Equal(t, 0, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))
}
