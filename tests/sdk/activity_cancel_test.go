package sdk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// actCancelOutcome is what the cancel workflows report about the
// activity's error as the workflow saw it.
type actCancelOutcome struct {
	Canceled bool   // errors.As(err, *temporal.CanceledError)
	Error    string // err.Error(), "" when nil
}

// actCancelWorkflow starts the activity "work" on activityQueue, waits
// for the "cancel" signal (or, when afterTimer, just for a short timer, so
// that the schedule is committed first), cancels the activity's context and
// reports the error the activity's future returned.
func actCancelWorkflow(activityQueue string, afterTimer bool) func(ctx workflow.Context) (actCancelOutcome, error) {
	return func(ctx workflow.Context) (actCancelOutcome, error) {
		actCtx, cancel := workflow.WithCancel(ctx)
		actCtx = workflow.WithActivityOptions(actCtx, workflow.ActivityOptions{
			TaskQueue:           activityQueue,
			StartToCloseTimeout: 20 * time.Second,
			HeartbeatTimeout:    time.Second,
			WaitForCancellation: true,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		fut := workflow.ExecuteActivity(actCtx, "work")
		if afterTimer {
			if err := workflow.Sleep(ctx, 100*time.Millisecond); err != nil {
				return actCancelOutcome{}, err
			}
		} else {
			workflow.GetSignalChannel(ctx, "cancel").Receive(ctx, nil)
		}
		cancel()
		err := fut.Get(ctx, nil)
		var out actCancelOutcome
		if err != nil {
			var canceled *temporal.CanceledError
			out.Canceled = errors.As(err, &canceled)
			out.Error = err.Error()
		}
		return out, nil
	}
}

// TestActivityCancelThroughHeartbeat: a started activity learns of its
// cancellation from the heartbeat response, returns its context's error,
// and the workflow (waiting for cancellation) gets a CanceledError once
// the server recorded ActivityTaskCanceled.
func TestActivityCancelThroughHeartbeat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	started := make(chan struct{})
	sawErr := make(chan error, 1)
	work := func(ctx context.Context) error {
		close(started)
		for i := 0; ; i++ {
			activity.RecordHeartbeat(ctx, i)
			select {
			case <-ctx.Done():
				sawErr <- ctx.Err()
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(actCancelWorkflow(tq, false), workflow.RegisterOptions{Name: "cancel"})
		w.RegisterActivityWithOptions(work, activity.RegisterOptions{Name: "work"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "cancel")
	require.NoError(t, err)
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("the activity never started")
	}
	require.NoError(t, e.client.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), "cancel", nil))

	var out actCancelOutcome
	require.NoError(t, run.Get(ctx, &out))
	require.True(t, out.Canceled, "the workflow must get a *temporal.CanceledError, got %q", out.Error)
	select {
	case err := <-sawErr:
		require.ErrorIs(t, err, context.Canceled)
	default:
		t.Fatal("the activity did not see its context canceled")
	}

	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	counts := actCountEvents(events)
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED])
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED])
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED])
	requested := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)[0]
	canceled := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED)[0]
	require.Less(t, requested.GetEventId(), canceled.GetEventId())
	attrs := canceled.GetActivityTaskCanceledEventAttributes()
	require.Equal(t, requested.GetEventId(), attrs.GetLatestCancelRequestedEventId())
	require.Equal(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)[0].GetEventId(), attrs.GetStartedEventId())
}

// TestActivityCancelBeforeStart: canceling an activity that no worker has
// taken (its queue has no poller) closes it at once as canceled, without a
// started event.
func TestActivityCancelBeforeStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(actCancelWorkflow(actName(t, "nobody-polls"), true), workflow.RegisterOptions{Name: "cancel"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "cancel")
	require.NoError(t, err)
	var out actCancelOutcome
	require.NoError(t, run.Get(ctx, &out))
	require.True(t, out.Canceled, "the workflow must get a *temporal.CanceledError, got %q", out.Error)

	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	counts := actCountEvents(events)
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED])
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED])
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED])
	require.Zero(t, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED])
	attrs := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED)[0].GetActivityTaskCanceledEventAttributes()
	require.Zero(t, attrs.GetStartedEventId())
	require.Empty(t, actDescribe(t, e.client, run.GetID(), run.GetRunID()).GetPendingActivities())
}

// TestActivityCancelAsyncCompletion: an asynchronously completed activity
// learns of its cancellation from client.RecordActivityHeartbeat (a
// CanceledError) and confirms it with client.CompleteActivity and a
// CanceledError; the workflow gets a CanceledError.
func TestActivityCancelAsyncCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	tokens := make(chan []byte, 1)
	work := func(ctx context.Context) error {
		tokens <- activity.GetInfo(ctx).TaskToken
		return activity.ErrResultPending
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(actCancelWorkflow(tq, false), workflow.RegisterOptions{Name: "cancel"})
		w.RegisterActivityWithOptions(work, activity.RegisterOptions{Name: "work"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "cancel")
	require.NoError(t, err)
	var token []byte
	select {
	case token = <-tokens:
	case <-ctx.Done():
		t.Fatal("the activity never started")
	}
	require.NoError(t, e.client.RecordActivityHeartbeat(ctx, token, "before cancel"))
	require.NoError(t, e.client.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), "cancel", nil))

	require.Eventually(t, func() bool {
		var canceled *temporal.CanceledError
		return errors.As(e.client.RecordActivityHeartbeat(ctx, token, "after cancel"), &canceled)
	}, 10*time.Second, 50*time.Millisecond, "the heartbeat must report the cancellation")
	pas := actDescribe(t, e.client, run.GetID(), run.GetRunID()).GetPendingActivities()
	require.Len(t, pas, 1)
	require.Equal(t, enumspb.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED, pas[0].GetState())

	require.NoError(t, e.client.CompleteActivity(ctx, token, nil, temporal.NewCanceledError("as requested")))
	var out actCancelOutcome
	require.NoError(t, run.Get(ctx, &out))
	require.True(t, out.Canceled, "the workflow must get a *temporal.CanceledError, got %q", out.Error)
	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	canceled := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED)
	require.Len(t, canceled, 1)
	var details string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(
		canceled[0].GetActivityTaskCanceledEventAttributes().GetDetails(), &details))
	require.Equal(t, "as requested", details)
}

// TestActivityCancelDuringRetryBackoff: an activity waiting for its next
// attempt (attempt 1 failed, the retry is an hour away) is not running, so
// canceling it closes it at once; the pending retry never runs.
func TestActivityCancelDuringRetryBackoff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	var attempts actAttempts
	work := func(ctx context.Context) error {
		attempts.add(activity.GetInfo(ctx).Attempt)
		return temporal.NewApplicationErrorWithOptions("later", "LaterError",
			temporal.ApplicationErrorOptions{NextRetryDelay: time.Hour})
	}
	wf := func(ctx workflow.Context) (actCancelOutcome, error) {
		actCtx, cancel := workflow.WithCancel(ctx)
		actCtx = workflow.WithActivityOptions(actCtx, workflow.ActivityOptions{
			StartToCloseTimeout: 10 * time.Second,
			WaitForCancellation: true,
		})
		fut := workflow.ExecuteActivity(actCtx, "work")
		workflow.GetSignalChannel(ctx, "cancel").Receive(ctx, nil)
		cancel()
		err := fut.Get(ctx, nil)
		var out actCancelOutcome
		if err != nil {
			var canceled *temporal.CanceledError
			out.Canceled = errors.As(err, &canceled)
			out.Error = err.Error()
		}
		return out, nil
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "cancel"})
		w.RegisterActivityWithOptions(work, activity.RegisterOptions{Name: "work"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "cancel")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		pas := actDescribe(t, e.client, run.GetID(), run.GetRunID()).GetPendingActivities()
		return len(pas) == 1 && pas[0].GetAttempt() == 2
	}, 10*time.Second, 20*time.Millisecond, "attempt 1 must fail and a retry be scheduled")
	pas := actDescribe(t, e.client, run.GetID(), run.GetRunID()).GetPendingActivities()
	require.Equal(t, enumspb.PENDING_ACTIVITY_STATE_SCHEDULED, pas[0].GetState())

	require.NoError(t, e.client.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), "cancel", nil))
	var out actCancelOutcome
	require.NoError(t, run.Get(ctx, &out))
	require.True(t, out.Canceled, "the workflow must get a *temporal.CanceledError, got %q", out.Error)
	require.Equal(t, []int32{1}, attempts.get())
	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	counts := actCountEvents(events)
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED])
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED])
	require.Zero(t, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED])
}
