package sdk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// actTimeoutCase runs the workflow "timeout", which executes the activity
// "stuck" once with opts, and returns the attempts the activity saw, the
// history and the workflow's error. The activity heartbeats what
// heartbeats returns for its attempt (nothing when nil), then blocks until
// its context ends or the test does.
func actTimeoutCase(t *testing.T, opts workflow.ActivityOptions, heartbeats func(attempt int32) []int) ([]int32, []*historypb.HistoryEvent, error) {
	t.Helper()
	e := newEnv(t)
	tq := actName(t, "tq")
	var attempts actAttempts
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	stuck := func(ctx context.Context) error {
		n := activity.GetInfo(ctx).Attempt
		attempts.add(n)
		if heartbeats != nil {
			for _, d := range heartbeats(n) {
				activity.RecordHeartbeat(ctx, d)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return nil
		}
	}
	wf := func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, opts)
		return workflow.ExecuteActivity(ctx, "stuck").Get(ctx, nil)
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "timeout"})
		w.RegisterActivityWithOptions(stuck, activity.RegisterOptions{Name: "stuck"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "timeout")
	require.NoError(t, err)
	wfErr := run.Get(ctx, nil)
	require.Error(t, wfErr, "the activity must time out")
	return attempts.get(), actHistory(t, e.client, run.GetID(), run.GetRunID()), wfErr
}

// actRequireTimeout checks that err is an ActivityError with retry state
// state wrapping a TimeoutError of type typ, and that the history closed
// the activity with one ActivityTaskTimedOut saying the same.
func actRequireTimeout(t *testing.T, err error, events []*historypb.HistoryEvent, typ enumspb.TimeoutType, state enumspb.RetryState) {
	t.Helper()
	var actErr *temporal.ActivityError
	require.ErrorAs(t, err, &actErr)
	require.Equal(t, state, actErr.RetryState())
	var timeoutErr *temporal.TimeoutError
	require.ErrorAs(t, err, &timeoutErr)
	require.Equal(t, typ, timeoutErr.TimeoutType(), "timeout error: %v", timeoutErr)

	timedOut := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)
	require.Len(t, timedOut, 1)
	attrs := timedOut[0].GetActivityTaskTimedOutEventAttributes()
	require.Equal(t, typ, attrs.GetFailure().GetTimeoutFailureInfo().GetTimeoutType())
	require.Equal(t, state, attrs.GetRetryState())
}

// TestActivityTimeoutScheduleToStart: an activity on a queue nobody polls
// times out after its schedule-to-start timeout, and that timeout is not
// retried even though the policy allows more attempts.
func TestActivityTimeoutScheduleToStart(t *testing.T) {
	t.Parallel()
	attempts, events, err := actTimeoutCase(t, workflow.ActivityOptions{
		TaskQueue:              actName(t, "nobody-polls"),
		ScheduleToStartTimeout: time.Second,
		StartToCloseTimeout:    5 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 5},
	}, nil)
	require.Empty(t, attempts)
	actRequireTimeout(t, err, events, enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START, enumspb.RETRY_STATE_TIMEOUT)
	require.Empty(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED))
}

// TestActivityTimeoutStartToClose: an attempt that outlives its
// start-to-close timeout is timed out by the server and retried; when the
// attempts are used up the workflow gets a START_TO_CLOSE timeout.
func TestActivityTimeoutStartToClose(t *testing.T) {
	t.Parallel()
	attempts, events, err := actTimeoutCase(t, workflow.ActivityOptions{
		StartToCloseTimeout: time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 2},
	}, nil)
	require.Equal(t, []int32{1, 2}, attempts)
	actRequireTimeout(t, err, events, enumspb.TIMEOUT_TYPE_START_TO_CLOSE, enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED)
	started := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)
	require.Len(t, started, 1)
	require.Equal(t, int32(2), started[0].GetActivityTaskStartedEventAttributes().GetAttempt())
}

// TestActivityTimeoutScheduleToClose: the schedule-to-close timeout spans
// all attempts: attempts keep timing out start-to-close and being retried
// until the schedule-to-close deadline ends the activity.
func TestActivityTimeoutScheduleToClose(t *testing.T) {
	t.Parallel()
	attempts, events, err := actTimeoutCase(t, workflow.ActivityOptions{
		ScheduleToCloseTimeout: 2500 * time.Millisecond,
		StartToCloseTimeout:    time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 1},
	}, nil)
	require.GreaterOrEqual(t, len(attempts), 2, "schedule-to-close must span retries")
	for i, n := range attempts {
		require.Equal(t, int32(i+1), n)
	}
	actRequireTimeout(t, err, events, enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, enumspb.RETRY_STATE_TIMEOUT)
}

// TestActivityTimeoutHeartbeat: an activity that stops heartbeating times
// out with a HEARTBEAT timeout when no attempts are left; the error carries
// the last heartbeat details.
func TestActivityTimeoutHeartbeat(t *testing.T) {
	t.Parallel()
	attempts, events, err := actTimeoutCase(t, workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Second,
		HeartbeatTimeout:    time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	}, func(int32) []int { return []int{7, 8, 9} })
	require.Equal(t, []int32{1}, attempts)
	actRequireTimeout(t, err, events, enumspb.TIMEOUT_TYPE_HEARTBEAT, enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED)
	var timeoutErr *temporal.TimeoutError
	require.ErrorAs(t, err, &timeoutErr)
	require.True(t, timeoutErr.HasLastHeartbeatDetails())
	var last int
	require.NoError(t, timeoutErr.LastHeartbeatDetails(&last))
	require.Equal(t, 9, last)
}

// TestActivityTimeoutOnlyScheduleToClose: an activity given only a
// schedule-to-close timeout gets a start-to-close timeout derived from it
// (the worker needs one), and runs normally.
func TestActivityTimeoutOnlyScheduleToClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	info := func(ctx context.Context) (time.Duration, error) {
		return activity.GetInfo(ctx).StartToCloseTimeout, nil
	}
	wf := func(ctx workflow.Context) (time.Duration, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{ScheduleToCloseTimeout: 7 * time.Second})
		var out time.Duration
		err := workflow.ExecuteActivity(ctx, "info").Get(ctx, &out)
		return out, err
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "s2c-only"})
		w.RegisterActivityWithOptions(info, activity.RegisterOptions{Name: "info"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "s2c-only")
	require.NoError(t, err)
	var startToClose time.Duration
	require.NoError(t, run.Get(ctx, &startToClose))
	require.Equal(t, 7*time.Second, startToClose)
}
