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
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// actRetryWorkflow runs the activity "flaky" once with the given retry
// policy and returns its result.
func actRetryWorkflow(policy *temporal.RetryPolicy) func(ctx workflow.Context) (string, error) {
	return func(ctx workflow.Context) (string, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 10 * time.Second,
			RetryPolicy:         policy,
		})
		var out string
		err := workflow.ExecuteActivity(ctx, "flaky").Get(ctx, &out)
		return out, err
	}
}

// actRunRetry starts a worker with the "retry" workflow and the "flaky"
// activity fn, runs the workflow and returns the run and its outcome.
func actRunRetry(t *testing.T, e *env, policy *temporal.RetryPolicy, fn func(ctx context.Context) (string, error)) (client.WorkflowRun, string, error) {
	t.Helper()
	tq := actName(t, "tq")
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(actRetryWorkflow(policy), workflow.RegisterOptions{Name: "retry"})
		w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: "flaky"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "retry")
	require.NoError(t, err)
	var out string
	err = run.Get(ctx, &out)
	return run, out, err
}

// TestActivityRetrySucceedsOnThirdAttempt: the server retries a failing
// activity per its policy; attempts are numbered 1, 2, 3; the retries write
// no events, so the history has one ActivityTaskStarted (the attempt that
// closed, carrying the last failure) and one ActivityTaskCompleted.
func TestActivityRetrySucceedsOnThirdAttempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var attempts actAttempts
	run, out, err := actRunRetry(t, e, &temporal.RetryPolicy{
		InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumAttempts: 5,
	}, func(ctx context.Context) (string, error) {
		n := activity.GetInfo(ctx).Attempt
		attempts.add(n)
		if n < 3 {
			return "", errors.New("flaky failure")
		}
		return "ok", nil
	})
	require.NoError(t, err)
	require.Equal(t, "ok", out)
	require.Equal(t, []int32{1, 2, 3}, attempts.get())

	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	counts := actCountEvents(events)
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED])
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED])
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED])
	require.Zero(t, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED])
	started := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)[0].GetActivityTaskStartedEventAttributes()
	require.Equal(t, int32(3), started.GetAttempt())
	require.Equal(t, "flaky failure", started.GetLastFailure().GetMessage(), "the started event carries the failure of the previous attempt")
	completed := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)[0]
	require.Equal(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)[0].GetEventId(),
		completed.GetActivityTaskCompletedEventAttributes().GetStartedEventId())
}

// TestActivityRetryMaximumAttemptsReached: once MaximumAttempts attempts
// failed, the workflow gets an ActivityError with RetryState
// MAXIMUM_ATTEMPTS_REACHED wrapping the last ApplicationError.
func TestActivityRetryMaximumAttemptsReached(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var attempts actAttempts
	run, _, err := actRunRetry(t, e, &temporal.RetryPolicy{
		InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 2, MaximumAttempts: 3,
	}, func(ctx context.Context) (string, error) {
		attempts.add(activity.GetInfo(ctx).Attempt)
		return "", temporal.NewApplicationError("still broken", "BrokenError")
	})
	require.Error(t, err)
	require.Equal(t, []int32{1, 2, 3}, attempts.get())

	var actErr *temporal.ActivityError
	require.ErrorAs(t, err, &actErr)
	require.Equal(t, enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, actErr.RetryState())
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, "BrokenError", appErr.Type())
	require.Contains(t, appErr.Error(), "still broken")

	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	counts := actCountEvents(events)
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED])
	require.Equal(t, 1, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED])
	started := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)[0].GetActivityTaskStartedEventAttributes()
	require.Equal(t, int32(3), started.GetAttempt())
	failed := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED)[0].GetActivityTaskFailedEventAttributes()
	require.Equal(t, enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, failed.GetRetryState())
	require.Equal(t, "BrokenError", failed.GetFailure().GetApplicationFailureInfo().GetType())
}

// TestActivityRetryNonRetryable: an error type listed in
// NonRetryableErrorTypes, or an error made non-retryable by the activity,
// stops retries after attempt 1.
func TestActivityRetryNonRetryable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		policy *temporal.RetryPolicy
		err    error
	}{
		{
			name: "NonRetryableErrorTypes",
			policy: &temporal.RetryPolicy{
				InitialInterval: 100 * time.Millisecond, MaximumAttempts: 5, NonRetryableErrorTypes: []string{"FatalError"},
			},
			err: temporal.NewApplicationError("fatal", "FatalError"),
		},
		{
			name:   "NewNonRetryableApplicationError",
			policy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 5},
			err:    temporal.NewNonRetryableApplicationError("fatal", "OtherError", nil),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			var attempts actAttempts
			run, _, err := actRunRetry(t, e, tc.policy, func(ctx context.Context) (string, error) {
				attempts.add(activity.GetInfo(ctx).Attempt)
				return "", tc.err
			})
			require.Error(t, err)
			require.Equal(t, []int32{1}, attempts.get())
			var actErr *temporal.ActivityError
			require.ErrorAs(t, err, &actErr)
			require.Equal(t, enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE, actErr.RetryState())
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			require.Contains(t, appErr.Error(), "fatal")

			events := actHistory(t, e.client, run.GetID(), run.GetRunID())
			started := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)
			require.Len(t, started, 1)
			require.Equal(t, int32(1), started[0].GetActivityTaskStartedEventAttributes().GetAttempt())
		})
	}
}

// TestActivityRetryNextRetryDelay: an ApplicationError's NextRetryDelay
// replaces the policy's backoff. The policy's interval is an hour, so the
// second attempt happens within the test only if the delay is honored.
// While attempt 2 runs, DescribeWorkflowExecution shows it with the first
// attempt's failure.
func TestActivityRetryNextRetryDelay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	var attempts actAttempts
	secondStarted := make(chan struct{})
	proceed := make(chan struct{})
	flaky := func(ctx context.Context) (string, error) {
		n := activity.GetInfo(ctx).Attempt
		attempts.add(n)
		if n == 1 {
			return "", temporal.NewApplicationErrorWithOptions("not yet", "NotYetError",
				temporal.ApplicationErrorOptions{NextRetryDelay: 200 * time.Millisecond})
		}
		close(secondStarted)
		select {
		case <-proceed:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		return "second time lucky", nil
	}
	policy := &temporal.RetryPolicy{InitialInterval: time.Hour, BackoffCoefficient: 2, MaximumAttempts: 3}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(actRetryWorkflow(policy), workflow.RegisterOptions{Name: "retry"})
		w.RegisterActivityWithOptions(flaky, activity.RegisterOptions{Name: "flaky"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "retry")
	require.NoError(t, err)

	select {
	case <-secondStarted:
	case <-ctx.Done():
		t.Fatalf("attempt 2 never started; attempts seen: %v", attempts.get())
	}
	pas := actDescribe(t, e.client, run.GetID(), run.GetRunID()).GetPendingActivities()
	require.Len(t, pas, 1)
	require.Equal(t, enumspb.PENDING_ACTIVITY_STATE_STARTED, pas[0].GetState())
	require.Equal(t, int32(2), pas[0].GetAttempt())
	require.Equal(t, int32(3), pas[0].GetMaximumAttempts())
	require.Equal(t, "not yet", pas[0].GetLastFailure().GetMessage())
	require.Equal(t, "NotYetError", pas[0].GetLastFailure().GetApplicationFailureInfo().GetType())
	close(proceed)

	var out string
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, "second time lucky", out)
	require.Equal(t, []int32{1, 2}, attempts.get())
	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	started := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)
	require.Len(t, started, 1)
	require.Equal(t, int32(2), started[0].GetActivityTaskStartedEventAttributes().GetAttempt())
}

// TestActivityRetryDefaultPolicy: an activity without a retry policy gets
// the server's default one (unlimited attempts from a 1 s interval), so a
// failure is retried.
func TestActivityRetryDefaultPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var attempts actAttempts
	_, out, err := actRunRetry(t, e, nil, func(ctx context.Context) (string, error) {
		n := activity.GetInfo(ctx).Attempt
		attempts.add(n)
		if n == 1 {
			return "", errors.New("first attempt fails")
		}
		return "retried by default", nil
	})
	require.NoError(t, err)
	require.Equal(t, "retried by default", out)
	require.Equal(t, []int32{1, 2}, attempts.get())
}
