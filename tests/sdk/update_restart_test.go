package sdk_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// An accepted update is durable: after a restart its handler finishes on a
// new worker (which rebuilds the update's request from the accepted event)
// and its outcome reaches a handle made from its IDs.
func TestUpdateAcceptedSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	queue := wfName(t)
	w := worker.New(e.client, queue, worker.Options{StickyScheduleToStartTimeout: 500 * time.Millisecond})
	w.RegisterWorkflow(upGreeter)
	require.NoError(t, w.Start())
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, upGreeter)

	_, err := e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "add-2", "slow-add", client.WorkflowUpdateStageAccepted, 2))
	require.NoError(t, err)
	w.Stop()
	e.restart(t)
	wfWorker(t, e, queue, worker.Options{}, []any{upGreeter}, nil)

	h := e.client.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{WorkflowID: run.GetID(), RunID: run.GetRunID(), UpdateID: "add-2"})
	var n int
	require.NoError(t, h.Get(wfCtx(t), &n))
	require.Equal(t, 2, n)
	upFinish(t, e, run)
	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED))
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED))
}

// An update admitted but not accepted lives in the server's memory only: a
// restart loses it, and the SDK's retry of UpdateWorkflowExecution admits
// it again.
func TestUpdateAdmittedRetriedAcrossRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	queue := wfName(t)
	w := worker.New(e.client, queue, worker.Options{StickyScheduleToStartTimeout: 500 * time.Millisecond})
	w.RegisterWorkflow(upGreeter)
	require.NoError(t, w.Start())
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, upGreeter)
	scheduled := func(n int) func() bool {
		return func() bool {
			return wfCount(wfHistory(t, e, run.GetID(), run.GetRunID()), enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) >= n
		}
	}
	require.Eventually(t, func() bool {
		return wfCount(wfHistory(t, e, run.GetID(), run.GetRunID()), enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) == 1
	}, 10*time.Second, 20*time.Millisecond)
	w.Stop()

	// A client of its own: e.restart closes e.client.
	c, err := client.Dial(client.Options{HostPort: e.dev.Address(), Namespace: "default"})
	require.NoError(t, err)
	defer c.Close()
	type result struct {
		prev string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		h, err := c.UpdateWorkflow(wfCtx(t), upOptions(run, "u1", "set-greeting", client.WorkflowUpdateStageCompleted, "again"))
		var prev string
		if err == nil {
			err = h.Get(wfCtx(t), &prev)
		}
		done <- result{prev, err}
	}()
	// Admission schedules a workflow task nobody polls.
	require.Eventually(t, scheduled(2), 10*time.Second, 20*time.Millisecond)
	e.restart(t)
	wfWorker(t, e, queue, worker.Options{}, []any{upGreeter}, nil)

	res := <-done
	require.NoError(t, res.err)
	require.Equal(t, "hello", res.prev)
	require.Equal(t, "again", upQuery(t, e, run).Greeting)
	require.Equal(t, "again", upFinish(t, e, run))
}
