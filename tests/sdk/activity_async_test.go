package sdk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// actAsyncEnv runs the workflow "async", which executes the activity
// "pending" (activity ID "pending-1", one attempt) and returns its string
// result. The activity hands its task token to the test and returns
// activity.ErrResultPending.
type actAsyncEnv struct {
	e      *env
	run    client.WorkflowRun
	tokens chan []byte
}

func newActAsyncEnv(t *testing.T) *actAsyncEnv {
	t.Helper()
	a := &actAsyncEnv{e: newEnv(t), tokens: make(chan []byte, 1)}
	tq := actName(t, "tq")
	pending := func(ctx context.Context) (string, error) {
		a.tokens <- activity.GetInfo(ctx).TaskToken
		return "", activity.ErrResultPending
	}
	wf := func(ctx workflow.Context) (string, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			ActivityID:          "pending-1",
			StartToCloseTimeout: 20 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		var out string
		err := workflow.ExecuteActivity(ctx, "pending").Get(ctx, &out)
		return out, err
	}
	actStartWorker(t, a.e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "async"})
		w.RegisterActivityWithOptions(pending, activity.RegisterOptions{Name: "pending"})
	})
	var err error
	a.run, err = a.e.client.ExecuteWorkflow(actContext(t), client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "async")
	require.NoError(t, err)
	return a
}

// token waits for the activity to start and returns its task token, after
// checking that the activity is pending and started, with no started event
// in the history yet.
func (a *actAsyncEnv) token(t *testing.T) []byte {
	t.Helper()
	var token []byte
	select {
	case token = <-a.tokens:
	case <-actContext(t).Done():
		t.Fatal("the activity never started")
	}
	require.NotEmpty(t, token)
	pas := actDescribe(t, a.e.client, a.run.GetID(), a.run.GetRunID()).GetPendingActivities()
	require.Len(t, pas, 1)
	require.Equal(t, "pending-1", pas[0].GetActivityId())
	require.Equal(t, enumspb.PENDING_ACTIVITY_STATE_STARTED, pas[0].GetState())
	// A running attempt writes no event: ActivityTaskStarted is written
	// with the attempt's close.
	events := actHistory(t, a.e.client, a.run.GetID(), a.run.GetRunID())
	require.Len(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), 1)
	require.Empty(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED))
	return token
}

// TestActivityAsyncCompleteByToken: an activity that returned
// ErrResultPending stays open until client.CompleteActivity completes it
// with its task token; a second completion finds no activity.
func TestActivityAsyncCompleteByToken(t *testing.T) {
	t.Parallel()
	a := newActAsyncEnv(t)
	token := a.token(t)
	ctx := actContext(t)
	require.NoError(t, a.e.client.CompleteActivity(ctx, token, "done later", nil))
	var out string
	require.NoError(t, a.run.Get(ctx, &out))
	require.Equal(t, "done later", out)

	err := a.e.client.CompleteActivity(ctx, token, "again", nil)
	var notFound *serviceerror.NotFound
	require.ErrorAs(t, err, &notFound, "completing a closed activity must fail with NotFound")

	events := actHistory(t, a.e.client, a.run.GetID(), a.run.GetRunID())
	require.Len(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED), 1)
	require.Len(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED), 1)
}

// TestActivityAsyncCompleteByID: client.RecordActivityHeartbeatByID and
// client.CompleteActivityByID reach a pending activity addressed by
// workflow ID, run ID (given or empty for the current run) and activity ID.
func TestActivityAsyncCompleteByID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		useRunID   bool
		wantResult string
	}{
		{name: "with run ID", useRunID: true, wantResult: "by id"},
		{name: "current run", useRunID: false, wantResult: "by id, current run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newActAsyncEnv(t)
			a.token(t)
			ctx := actContext(t)
			runID := ""
			if tc.useRunID {
				runID = a.run.GetRunID()
			}
			err := a.e.client.CompleteActivityByID(ctx, "default", a.run.GetID(), runID, "no-such-activity", "x", nil)
			var notFound *serviceerror.NotFound
			require.ErrorAs(t, err, &notFound, "an unknown activity ID must fail with NotFound")

			require.NoError(t, a.e.client.RecordActivityHeartbeatByID(ctx, "default", a.run.GetID(), runID, "pending-1", "halfway"))
			pas := actDescribe(t, a.e.client, a.run.GetID(), a.run.GetRunID()).GetPendingActivities()
			require.Len(t, pas, 1)
			var details string
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(pas[0].GetHeartbeatDetails(), &details))
			require.Equal(t, "halfway", details)
			require.NotNil(t, pas[0].GetLastHeartbeatTime())

			require.NoError(t, a.e.client.CompleteActivityByID(ctx, "default", a.run.GetID(), runID, "pending-1", tc.wantResult, nil))
			var out string
			require.NoError(t, a.run.Get(ctx, &out))
			require.Equal(t, tc.wantResult, out)
		})
	}
}

// TestActivityAsyncFail: client.CompleteActivity with an error fails the
// pending activity; the workflow gets an ActivityError wrapping an
// ApplicationError with the message.
func TestActivityAsyncFail(t *testing.T) {
	t.Parallel()
	a := newActAsyncEnv(t)
	token := a.token(t)
	ctx := actContext(t)
	require.NoError(t, a.e.client.CompleteActivity(ctx, token, nil, errors.New("gave up asynchronously")))
	err := a.run.Get(ctx, nil)
	require.Error(t, err)
	var actErr *temporal.ActivityError
	require.ErrorAs(t, err, &actErr)
	require.Equal(t, enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, actErr.RetryState())
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Contains(t, appErr.Error(), "gave up asynchronously")

	events := actHistory(t, a.e.client, a.run.GetID(), a.run.GetRunID())
	failed := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED)
	require.Len(t, failed, 1)
	require.Contains(t, failed[0].GetActivityTaskFailedEventAttributes().GetFailure().GetMessage(), "gave up asynchronously")
}

// TestActivityAsyncCancelNotRequested: an activity may only be reported
// canceled after the workflow asked for its cancellation. Reporting a
// cancellation nobody requested is rejected with InvalidArgument (as in
// Temporal) and leaves the activity open: an ActivityTaskCanceled event
// without a cancel request would break the SDK's state machine and wedge
// the workflow.
func TestActivityAsyncCancelNotRequested(t *testing.T) {
	t.Parallel()
	a := newActAsyncEnv(t)
	token := a.token(t)
	ctx := actContext(t)
	err := a.e.client.CompleteActivity(ctx, token, nil, temporal.NewCanceledError("nobody asked"))
	var invalid *serviceerror.InvalidArgument
	require.ErrorAs(t, err, &invalid)

	pas := actDescribe(t, a.e.client, a.run.GetID(), a.run.GetRunID()).GetPendingActivities()
	require.Len(t, pas, 1, "the rejected cancellation must leave the activity open")
	require.NoError(t, a.e.client.CompleteActivity(ctx, token, "completed after all", nil))
	var out string
	require.NoError(t, a.run.Get(ctx, &out))
	require.Equal(t, "completed after all", out)
	require.Empty(t, actEvents(actHistory(t, a.e.client, a.run.GetID(), a.run.GetRunID()), enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED))
}

// TestActivityAsyncStaleToken: a task token names one attempt. After the
// server timed attempt 1 out and attempt 2 started, attempt 1's token can
// neither heartbeat nor complete the activity; attempt 2's can.
func TestActivityAsyncStaleToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	tokens := make(chan []byte, 2)
	pending := func(ctx context.Context) (string, error) {
		tokens <- activity.GetInfo(ctx).TaskToken
		return "", activity.ErrResultPending
	}
	wf := func(ctx workflow.Context) (string, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Second,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 2},
		})
		var out string
		err := workflow.ExecuteActivity(ctx, "pending").Get(ctx, &out)
		return out, err
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "async"})
		w.RegisterActivityWithOptions(pending, activity.RegisterOptions{Name: "pending"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "async")
	require.NoError(t, err)
	next := func() []byte {
		select {
		case tok := <-tokens:
			return tok
		case <-ctx.Done():
			t.Fatal("no activity attempt started")
			return nil
		}
	}
	first, second := next(), next() // attempt 2 starts after attempt 1 timed out
	require.NotEqual(t, first, second)

	var notFound *serviceerror.NotFound
	require.ErrorAs(t, e.client.RecordActivityHeartbeat(ctx, first, "stale"), &notFound)
	require.ErrorAs(t, e.client.CompleteActivity(ctx, first, "stale", nil), &notFound)
	require.NoError(t, e.client.RecordActivityHeartbeat(ctx, second, "fresh"))
	require.NoError(t, e.client.CompleteActivity(ctx, second, "from attempt 2", nil))
	var out string
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, "from attempt 2", out)
	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	started := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)
	require.Len(t, started, 1)
	require.Equal(t, int32(2), started[0].GetActivityTaskStartedEventAttributes().GetAttempt())
}
