package sdk_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Continue-as-new: a chain of runs under one workflow ID, followed by the
// client.

// canResult is what the last run of canCounter returns.
type canResult struct {
	N             int
	FirstRunID    string
	ContinuedFrom string
	Memo          string
}

// canCounter continues as new until n reaches 3.
func canCounter(ctx workflow.Context, n int) (canResult, error) {
	if n < 3 {
		return canResult{}, workflow.NewContinueAsNewError(ctx, canCounter, n+1)
	}
	info := workflow.GetInfo(ctx)
	var memo string
	if p := info.Memo.GetFields()["owner"]; p != nil {
		memo = string(p.GetData())
	}
	return canResult{N: n, FirstRunID: info.FirstRunID, ContinuedFrom: info.ContinuedExecutionRunID, Memo: memo}, nil
}

// closeEvent returns a run's last event, which closes it.
func closeEvent(t *testing.T, e *env, workflowID, runID string) *historypb.HistoryEvent {
	t.Helper()
	events := wfHistory(t, e, workflowID, runID)
	requireWellFormed(t, events)
	return events[len(events)-1]
}

func TestContinueAsNewChain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{canCounter}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{
		Memo:                     map[string]any{"owner": "ops"},
		WorkflowExecutionTimeout: time.Hour,
	}, canCounter, 1)
	firstRunID := run.GetRunID() // Get moves the handle along the chain

	// Get follows the chain from the first run to the last.
	var res canResult
	require.NoError(t, run.Get(wfCtx(t), &res))
	require.Equal(t, 3, res.N)
	require.Equal(t, firstRunID, res.FirstRunID)
	require.Contains(t, res.Memo, "ops", "the memo is carried over")
	require.NoError(t, e.client.GetWorkflow(wfCtx(t), run.GetID(), firstRunID).Get(wfCtx(t), &res))
	require.Equal(t, 3, res.N)

	// Walk the chain: each run closes with ContinuedAsNew naming the next,
	// whose start event names its predecessor.
	runIDs := []string{firstRunID}
	for len(runIDs) < 3 {
		prev := runIDs[len(runIDs)-1]
		last := closeEvent(t, e, run.GetID(), prev)
		require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, last.GetEventType())
		next := last.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
		require.NotEmpty(t, next)
		start := wfHistory(t, e, run.GetID(), next)[0].GetWorkflowExecutionStartedEventAttributes()
		require.Equal(t, prev, start.GetContinuedExecutionRunId())
		require.Equal(t, firstRunID, start.GetFirstExecutionRunId())
		require.Equal(t, next, start.GetOriginalExecutionRunId())
		require.Equal(t, enumspb.CONTINUE_AS_NEW_INITIATOR_WORKFLOW, start.GetInitiator())
		require.Equal(t, int32(1), start.GetAttempt())
		require.NotNil(t, start.GetWorkflowExecutionExpirationTime(), "the chain keeps its execution timeout")
		runIDs = append(runIDs, next)
	}
	require.Equal(t, runIDs[1], res.ContinuedFrom)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, closeEvent(t, e, run.GetID(), runIDs[2]).GetEventType())

	// The workflow ID's current run is the last one.
	d, err := e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, runIDs[2], d.GetWorkflowExecutionInfo().GetExecution().GetRunId())
	require.Equal(t, firstRunID, d.GetWorkflowExecutionInfo().GetFirstRunId())
	d, err = e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), firstRunID)
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, d.GetWorkflowExecutionInfo().GetStatus())
	for _, id := range runIDs {
		wfReplay(t, e, run.GetID(), id, canCounter)
	}
}

// canOnce continues as new once.
func canOnce(ctx workflow.Context, again bool) (string, error) {
	if again {
		return "", workflow.NewContinueAsNewError(ctx, canOnce, false)
	}
	return "done", nil
}

func TestContinueAsNewCloseEventFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{canOnce}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, canOnce, true)
	firstRunID := run.GetRunID() // Get moves the handle along the chain
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "done", out)
	// What the SDK reads to follow the chain: the close event alone.
	it := e.client.GetWorkflowHistory(wfCtx(t), run.GetID(), firstRunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	require.True(t, it.HasNext())
	ev, err := it.Next()
	require.NoError(t, err)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, ev.GetEventType())
	require.NotEmpty(t, ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId())
	require.False(t, it.HasNext())
}
