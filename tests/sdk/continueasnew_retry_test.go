package sdk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Workflow retry policies: a failed (or run-timed-out) run is followed by a
// new run of the same chain, attempt+1, after the policy's backoff.

// failUntil fails until its attempt reaches n, then returns the attempt.
func failUntil(ctx workflow.Context, n int32) (int32, error) {
	a := workflow.GetInfo(ctx).Attempt
	if a < n {
		return 0, temporal.NewApplicationError("not yet", "NotYet")
	}
	return a, nil
}

// alwaysFails fails with an error of type typ.
func alwaysFails(ctx workflow.Context, typ string) error {
	return temporal.NewApplicationError("failed attempt", typ)
}

// sleepOnFirstAttempt outlives its run timeout on attempt 1.
func sleepOnFirstAttempt(ctx workflow.Context) (int32, error) {
	a := workflow.GetInfo(ctx).Attempt
	if a == 1 {
		if err := workflow.Sleep(ctx, time.Hour); err != nil {
			return 0, err
		}
	}
	return a, nil
}

func fastRetry(maxAttempts int32, nonRetryable ...string) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 1, MaximumAttempts: maxAttempts,
		NonRetryableErrorTypes: nonRetryable,
	}
}

// chainRuns follows a chain from its first run and returns each run's
// close event type, retry state (for failures and timeouts) and attempt.
type chainRun struct {
	runID   string
	attempt int32
	close   enumspb.EventType
	retry   enumspb.RetryState
}

func chainRuns(t *testing.T, e *env, workflowID, firstRunID string) []chainRun {
	t.Helper()
	var out []chainRun
	for runID := firstRunID; runID != ""; {
		events := wfHistory(t, e, workflowID, runID)
		requireWellFormed(t, events)
		start := events[0].GetWorkflowExecutionStartedEventAttributes()
		require.Equal(t, firstRunID, start.GetFirstExecutionRunId())
		last := events[len(events)-1]
		r := chainRun{runID: runID, attempt: start.GetAttempt(), close: last.GetEventType()}
		next := ""
		switch last.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			a := last.GetWorkflowExecutionFailedEventAttributes()
			r.retry, next = a.GetRetryState(), a.GetNewExecutionRunId()
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
			a := last.GetWorkflowExecutionTimedOutEventAttributes()
			r.retry, next = a.GetRetryState(), a.GetNewExecutionRunId()
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
			next = last.GetWorkflowExecutionCompletedEventAttributes().GetNewExecutionRunId()
		}
		if next != "" {
			nextStart := wfHistory(t, e, workflowID, next)[0].GetWorkflowExecutionStartedEventAttributes()
			require.Equal(t, runID, nextStart.GetContinuedExecutionRunId())
			require.Equal(t, enumspb.CONTINUE_AS_NEW_INITIATOR_RETRY, nextStart.GetInitiator())
			require.NotNil(t, nextStart.GetContinuedFailure(), "a retry carries the failure")
			require.Positive(t, nextStart.GetFirstWorkflowTaskBackoff().AsDuration(), "a retry waits for its backoff")
		}
		out = append(out, r)
		runID = next
	}
	return out
}

func TestContinueAsNewWorkflowRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{failUntil}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{RetryPolicy: fastRetry(5)}, failUntil, int32(3))
	firstRunID := run.GetRunID()
	var attempt int32
	require.NoError(t, run.Get(wfCtx(t), &attempt))
	require.Equal(t, int32(3), attempt)
	runs := chainRuns(t, e, run.GetID(), firstRunID)
	require.Len(t, runs, 3)
	for i, r := range runs[:2] {
		require.Equal(t, int32(i+1), r.attempt)
		require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, r.close)
		require.Equal(t, enumspb.RETRY_STATE_IN_PROGRESS, r.retry)
	}
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, runs[2].close)
	require.Equal(t, int32(3), runs[2].attempt)
}

func TestContinueAsNewWorkflowRetryLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	queue := wfName(t)
	wfWorker(t, e, queue, worker.Options{}, []any{alwaysFails}, nil)

	t.Run("maximum attempts", func(t *testing.T) {
		run := wfStart(t, e, "max", client.StartWorkflowOptions{TaskQueue: queue, RetryPolicy: fastRetry(2)}, alwaysFails, "Oops")
		firstRunID := run.GetRunID()
		err := run.Get(wfCtx(t), nil)
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), "want the last attempt's failure, got %v", err)
		require.Equal(t, "Oops", appErr.Type())
		runs := chainRuns(t, e, run.GetID(), firstRunID)
		require.Len(t, runs, 2)
		require.Equal(t, enumspb.RETRY_STATE_IN_PROGRESS, runs[0].retry)
		require.Equal(t, enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, runs[1].retry)
		require.Equal(t, int32(2), runs[1].attempt)
	})

	t.Run("non-retryable type", func(t *testing.T) {
		run := wfStart(t, e, "fatal", client.StartWorkflowOptions{TaskQueue: queue, RetryPolicy: fastRetry(0, "Fatal")}, alwaysFails, "Fatal")
		firstRunID := run.GetRunID()
		require.Error(t, run.Get(wfCtx(t), nil))
		runs := chainRuns(t, e, run.GetID(), firstRunID)
		require.Len(t, runs, 1)
		require.Equal(t, enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE, runs[0].retry)
	})

	t.Run("no policy", func(t *testing.T) {
		run := wfStart(t, e, "none", client.StartWorkflowOptions{TaskQueue: queue}, alwaysFails, "Oops")
		firstRunID := run.GetRunID()
		require.Error(t, run.Get(wfCtx(t), nil))
		runs := chainRuns(t, e, run.GetID(), firstRunID)
		require.Len(t, runs, 1)
		require.Equal(t, enumspb.RETRY_STATE_RETRY_POLICY_NOT_SET, runs[0].retry)
	})
}

func TestContinueAsNewWorkflowRetryOnRunTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{sleepOnFirstAttempt}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{RetryPolicy: fastRetry(3), WorkflowRunTimeout: time.Second}, sleepOnFirstAttempt)
	firstRunID := run.GetRunID()
	var attempt int32
	require.NoError(t, run.Get(wfCtx(t), &attempt))
	require.Equal(t, int32(2), attempt)
	runs := chainRuns(t, e, run.GetID(), firstRunID)
	require.Len(t, runs, 2)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, runs[0].close)
	require.Equal(t, enumspb.RETRY_STATE_IN_PROGRESS, runs[0].retry)
}

func TestContinueAsNewWorkflowRetryStopsAtExecutionTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{sleepOnFirstAttempt}, nil)
	// Attempt 1 sleeps past its 1 s run timeout; a retry would wait 1 s,
	// past the 1.5 s execution timeout, so the chain ends timed out.
	run := wfStart(t, e, "1", client.StartWorkflowOptions{
		RetryPolicy:        &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 1},
		WorkflowRunTimeout: time.Second, WorkflowExecutionTimeout: 1500 * time.Millisecond,
	}, sleepOnFirstAttempt)
	firstRunID := run.GetRunID()
	err := run.Get(wfCtx(t), nil)
	var timeoutErr *temporal.TimeoutError
	require.True(t, errors.As(err, &timeoutErr), "want a timeout, got %v", err)
	runs := chainRuns(t, e, run.GetID(), firstRunID)
	require.Len(t, runs, 1)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, runs[0].close)
	require.Equal(t, enumspb.RETRY_STATE_TIMEOUT, runs[0].retry)
}
