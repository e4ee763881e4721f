package sdk_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Workflow updates through the Go SDK: handlers, validators, stages,
// de-duplication by update ID, update-with-start.

// upGreeter keeps a greeting and a counter that updates change:
//   - "set-greeting" replaces the greeting and returns the old one; its
//     validator rejects an empty greeting;
//   - "slow-add" sleeps a second (so it completes in a later workflow task
//     than the one that accepted it), adds to the counter and returns it;
//   - query "state" reads both; signal "done" ends the run with the greeting.
func upGreeter(ctx workflow.Context) (string, error) {
	greeting, count := "hello", 0
	err := workflow.SetUpdateHandlerWithOptions(ctx, "set-greeting", func(ctx workflow.Context, g string) (string, error) {
		prev := greeting
		greeting = g
		return prev, nil
	}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, g string) error {
		if g == "" {
			return errors.New("greeting must not be empty")
		}
		return nil
	}})
	if err != nil {
		return "", err
	}
	if err := workflow.SetUpdateHandler(ctx, "slow-add", func(ctx workflow.Context, n int) (int, error) {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return 0, err
		}
		count += n
		return count, nil
	}); err != nil {
		return "", err
	}
	if err := workflow.SetQueryHandler(ctx, "state", func() (upState, error) {
		return upState{Greeting: greeting, Count: count}, nil
	}); err != nil {
		return "", err
	}
	workflow.GetSignalChannel(ctx, "done").Receive(ctx, nil)
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return "", err
	}
	return greeting, nil
}

type upState struct {
	Greeting string
	Count    int
}

// upStart starts upGreeter with a worker on the test's queue.
func upStart(t *testing.T, e *env) client.WorkflowRun {
	t.Helper()
	wfWorker(t, e, wfName(t), worker.Options{}, []any{upGreeter}, nil)
	return wfStart(t, e, "1", client.StartWorkflowOptions{}, upGreeter)
}

func upOptions(run client.WorkflowRun, id, name string, stage client.WorkflowUpdateStage, args ...any) client.UpdateWorkflowOptions {
	return client.UpdateWorkflowOptions{
		UpdateID: id, WorkflowID: run.GetID(), RunID: run.GetRunID(),
		UpdateName: name, Args: args, WaitForStage: stage,
	}
}

func upQuery(t *testing.T, e *env, run client.WorkflowRun) upState {
	t.Helper()
	v, err := e.client.QueryWorkflow(wfCtx(t), run.GetID(), run.GetRunID(), "state")
	require.NoError(t, err)
	var st upState
	require.NoError(t, v.Get(&st))
	return st
}

// upFinish ends the run and returns its result (through e.client: run may
// come from a client a restart closed).
func upFinish(t *testing.T, e *env, run client.WorkflowRun) string {
	t.Helper()
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), run.GetRunID(), "done", nil))
	var got string
	require.NoError(t, e.client.GetWorkflow(wfCtx(t), run.GetID(), run.GetRunID()).Get(wfCtx(t), &got))
	return got
}

func TestUpdateReturnsValue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := upStart(t, e)

	h, err := e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "u1", "set-greeting", client.WorkflowUpdateStageCompleted, "bonjour"))
	require.NoError(t, err)
	require.Equal(t, "u1", h.UpdateID())
	require.Equal(t, run.GetRunID(), h.RunID())
	var prev string
	require.NoError(t, h.Get(wfCtx(t), &prev))
	require.Equal(t, "hello", prev)

	// A query after the update sees what it did.
	require.Equal(t, upState{Greeting: "bonjour"}, upQuery(t, e, run))
	require.Equal(t, "bonjour", upFinish(t, e, run))

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	accepted := wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
	completed := wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
	require.Len(t, accepted, 1)
	require.Len(t, completed, 1)
	a := accepted[0].GetWorkflowExecutionUpdateAcceptedEventAttributes()
	require.Equal(t, "u1", a.GetProtocolInstanceId())
	require.Equal(t, "set-greeting", a.GetAcceptedRequest().GetInput().GetName(), "the accepted event stores the whole request")
	require.Equal(t, "u1", a.GetAcceptedRequest().GetMeta().GetUpdateId())
	require.NotEmpty(t, a.GetAcceptedRequestMessageId())
	require.NotZero(t, a.GetAcceptedRequestSequencingEventId())
	c := completed[0].GetWorkflowExecutionUpdateCompletedEventAttributes()
	require.Equal(t, accepted[0].GetEventId(), c.GetAcceptedEventId())
	require.Equal(t, "u1", c.GetMeta().GetUpdateId())
	require.NotNil(t, c.GetOutcome().GetSuccess())
	wfReplay(t, e, run.GetID(), run.GetRunID(), upGreeter)
}

func TestUpdateValidatorRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := upStart(t, e)

	h, err := e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "bad", "set-greeting", client.WorkflowUpdateStageCompleted, ""))
	require.NoError(t, err)
	err = h.Get(wfCtx(t), nil)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Contains(t, err.Error(), "greeting must not be empty")

	// An update the workflow has no handler for is rejected too.
	h, err = e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "unknown", "no-such-update", client.WorkflowUpdateStageAccepted))
	require.NoError(t, err)
	require.ErrorContains(t, h.Get(wfCtx(t), nil), "unknown update")

	// The rejections changed nothing: a valid update still works.
	h, err = e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "good", "set-greeting", client.WorkflowUpdateStageCompleted, "hi"))
	require.NoError(t, err)
	require.NoError(t, h.Get(wfCtx(t), nil))
	require.Equal(t, "hi", upFinish(t, e, run))

	// A rejection writes no event.
	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	accepted := wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
	require.Len(t, accepted, 1)
	require.Equal(t, "good", accepted[0].GetWorkflowExecutionUpdateAcceptedEventAttributes().GetProtocolInstanceId())
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED))
	wfReplay(t, e, run.GetID(), run.GetRunID(), upGreeter)
}

func TestUpdateAcceptedThenCompletedLater(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := upStart(t, e)

	// ACCEPTED answers once the validator passed; the handler still
	// sleeps, and Get polls for the outcome.
	h, err := e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "add-5", "slow-add", client.WorkflowUpdateStageAccepted, 5))
	require.NoError(t, err)
	var n int
	require.NoError(t, h.Get(wfCtx(t), &n))
	require.Equal(t, 5, n)
	require.Equal(t, 5, upQuery(t, e, run).Count)

	// A handle made from the IDs alone polls the same outcome.
	again := e.client.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{WorkflowID: run.GetID(), UpdateID: "add-5"})
	n = 0
	require.NoError(t, again.Get(wfCtx(t), &n))
	require.Equal(t, 5, n)
	upFinish(t, e, run)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	acc := wfIndex(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
	timer := wfIndex(events, enumspb.EVENT_TYPE_TIMER_FIRED)
	done := wfIndex(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
	require.True(t, acc >= 0 && timer > acc && done > timer, "accepted, then the timer fired, then completed: %v", wfEventTypes(events))
	wfReplay(t, e, run.GetID(), run.GetRunID(), upGreeter)
}

func TestUpdateSameIDRunsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := upStart(t, e)

	// Two clients send the same update at once: one execution, one answer.
	var wg sync.WaitGroup
	results := make([]int, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "add-once", "slow-add", client.WorkflowUpdateStageCompleted, 1))
			if err == nil {
				err = h.Get(wfCtx(t), &results[i])
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.Equal(t, []int{1, 1}, results)

	// After completion the same ID answers the stored outcome.
	h, err := e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "add-once", "slow-add", client.WorkflowUpdateStageAccepted, 1))
	require.NoError(t, err)
	var n int
	require.NoError(t, h.Get(wfCtx(t), &n))
	require.Equal(t, 1, n)
	require.Equal(t, 1, upQuery(t, e, run).Count, "the update ran once")
	upFinish(t, e, run)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED))
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED))
}

func TestUpdateOnCompletedWorkflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := upStart(t, e)
	h, err := e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "before", "set-greeting", client.WorkflowUpdateStageCompleted, "hey"))
	require.NoError(t, err)
	require.NoError(t, h.Get(wfCtx(t), nil))
	upFinish(t, e, run)

	_, err = e.client.UpdateWorkflow(wfCtx(t), upOptions(run, "after", "set-greeting", client.WorkflowUpdateStageCompleted, "late"))
	var nf *serviceerror.NotFound
	require.ErrorAs(t, err, &nf)
	require.Contains(t, err.Error(), "workflow execution already completed")

	// The outcome of an update the run completed is still there.
	again := e.client.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{WorkflowID: run.GetID(), RunID: run.GetRunID(), UpdateID: "before"})
	var prev string
	require.NoError(t, again.Get(wfCtx(t), &prev))
	require.Equal(t, "hello", prev)
}

func TestUpdateWithStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{upGreeter}, nil)
	opts := client.StartWorkflowOptions{
		ID: wfName(t) + "-1", TaskQueue: wfName(t),
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	send := func(updateID, greeting string) (client.WorkflowRun, string) {
		op := e.client.NewWithStartWorkflowOperation(opts, upGreeter)
		h, err := e.client.UpdateWithStartWorkflow(wfCtx(t), client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: op,
			UpdateOptions: client.UpdateWorkflowOptions{
				UpdateID: updateID, UpdateName: "set-greeting", Args: []any{greeting},
				WaitForStage: client.WorkflowUpdateStageCompleted,
			},
		})
		require.NoError(t, err)
		run, err := op.Get(wfCtx(t))
		require.NoError(t, err)
		var prev string
		require.NoError(t, h.Get(wfCtx(t), &prev))
		return run, prev
	}

	// Absent: the workflow starts and its first task runs the update.
	first, prev := send("u1", "one")
	require.Equal(t, "hello", prev)
	// Running: USE_EXISTING updates the same run.
	second, prev := send("u2", "two")
	require.Equal(t, first.GetRunID(), second.GetRunID())
	require.Equal(t, "one", prev)
	require.Equal(t, "two", upFinish(t, e, first))

	events := wfHistory(t, e, first.GetID(), first.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, 2, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED))
	// The first update reached the workflow in its first workflow task.
	acc := wfIndex(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
	require.Equal(t, 1, wfCount(events[:acc], enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), "history: %v", wfEventTypes(events))
	wfReplay(t, e, first.GetID(), first.GetRunID(), upGreeter)

	// FAIL on a running workflow: the start fails, the update is not sent.
	opts.ID = wfName(t) + "-2"
	run := wfStart(t, e, "2", client.StartWorkflowOptions{}, upGreeter)
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	_, err := e.client.UpdateWithStartWorkflow(wfCtx(t), client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: e.client.NewWithStartWorkflowOperation(opts, upGreeter),
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: "u3", UpdateName: "set-greeting", Args: []any{"three"},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	require.ErrorAs(t, err, &already)
	require.Equal(t, "hello", upQuery(t, e, run).Greeting)
}

// Updates sent together reach the workflow in the tasks that follow, the
// ones admitted while a task runs included; each runs once.
func TestUpdateConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := upStart(t, e)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := e.client.UpdateWorkflow(wfCtx(t), upOptions(run, fmt.Sprintf("add-%d", i), "slow-add", client.WorkflowUpdateStageCompleted, i+1))
			if err == nil {
				err = h.Get(wfCtx(t), nil)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, n*(n+1)/2, upQuery(t, e, run).Count)
	upFinish(t, e, run)
	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, n, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED))
	require.Equal(t, n, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED))
	wfReplay(t, e, run.GetID(), run.GetRunID(), upGreeter)
}
