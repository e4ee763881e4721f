package sdk_test

import (
	"context"
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

// TestActivityHeartbeatTimeoutRetriesWithDetails: attempt 1 heartbeats
// progress 1, 2, 3 and then hangs without heartbeating; the server times
// it out after the 1 s heartbeat timeout and retries it; attempt 2 sees
// the last recorded details (3). While attempt 2 runs,
// DescribeWorkflowExecution shows it as a started pending activity with
// those details and the heartbeat timeout as its last failure. The retry
// writes no events: the history has one ActivityTaskStarted (attempt 2).
func TestActivityHeartbeatTimeoutRetriesWithDetails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	var attempts actAttempts
	hang := make(chan struct{}) // closed at the end: releases attempt 1
	defer close(hang)
	secondStarted := make(chan int, 1) // attempt 2's view of the details
	proceed := make(chan struct{})

	progress := func(ctx context.Context) (int, error) {
		info := activity.GetInfo(ctx)
		attempts.add(info.Attempt)
		if info.Attempt == 1 {
			for i := 1; i <= 3; i++ {
				activity.RecordHeartbeat(ctx, i)
			}
			select { // stop heartbeating
			case <-hang:
			case <-ctx.Done():
			}
			return 0, ctx.Err()
		}
		last := -1
		if activity.HasHeartbeatDetails(ctx) {
			if err := activity.GetHeartbeatDetails(ctx, &last); err != nil {
				return 0, err
			}
		}
		secondStarted <- last
		select {
		case <-proceed:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		return last + 100, nil
	}
	wf := func(ctx workflow.Context) (int, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			ActivityID:          "progress-1",
			StartToCloseTimeout: 20 * time.Second,
			HeartbeatTimeout:    time.Second,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 3},
		})
		var out int
		err := workflow.ExecuteActivity(ctx, "progress").Get(ctx, &out)
		return out, err
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "heartbeat"})
		w.RegisterActivityWithOptions(progress, activity.RegisterOptions{Name: "progress"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "heartbeat")
	require.NoError(t, err)

	select {
	case got := <-secondStarted:
		require.Equal(t, 3, got, "attempt 2 must see the last heartbeat details of attempt 1")
	case <-ctx.Done():
		t.Fatalf("attempt 2 never started; attempts seen: %v", attempts.get())
	}
	desc := actDescribe(t, e.client, run.GetID(), run.GetRunID())
	require.Len(t, desc.GetPendingActivities(), 1)
	pa := desc.GetPendingActivities()[0]
	require.Equal(t, "progress-1", pa.GetActivityId())
	require.Equal(t, "progress", pa.GetActivityType().GetName())
	require.Equal(t, enumspb.PENDING_ACTIVITY_STATE_STARTED, pa.GetState())
	require.Equal(t, int32(2), pa.GetAttempt())
	require.Equal(t, int32(3), pa.GetMaximumAttempts())
	var details int
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(pa.GetHeartbeatDetails(), &details))
	require.Equal(t, 3, details)
	require.Equal(t, enumspb.TIMEOUT_TYPE_HEARTBEAT, pa.GetLastFailure().GetTimeoutFailureInfo().GetTimeoutType())
	close(proceed)

	var out int
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, 103, out)
	require.Equal(t, []int32{1, 2}, attempts.get())

	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	started := actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED)
	require.Len(t, started, 1)
	attrs := started[0].GetActivityTaskStartedEventAttributes()
	require.Equal(t, int32(2), attrs.GetAttempt())
	require.Equal(t, enumspb.TIMEOUT_TYPE_HEARTBEAT, attrs.GetLastFailure().GetTimeoutFailureInfo().GetTimeoutType())
	require.Len(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED), 1)
	require.Empty(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT))
}

// TestActivityHeartbeatKeepsAlive: an activity that keeps heartbeating
// runs well past its heartbeat timeout without timing out: every heartbeat
// pushes the server's deadline out.
func TestActivityHeartbeatKeepsAlive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	var attempts actAttempts
	busy := func(ctx context.Context) (int, error) {
		attempts.add(activity.GetInfo(ctx).Attempt)
		beats := 0
		for deadline := time.Now().Add(2500 * time.Millisecond); time.Now().Before(deadline); beats++ {
			activity.RecordHeartbeat(ctx, beats)
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		return beats, nil
	}
	wf := func(ctx workflow.Context) (int, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 20 * time.Second,
			HeartbeatTimeout:    time.Second,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		var out int
		err := workflow.ExecuteActivity(ctx, "busy").Get(ctx, &out)
		return out, err
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "busy"})
		w.RegisterActivityWithOptions(busy, activity.RegisterOptions{Name: "busy"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "busy")
	require.NoError(t, err)
	var beats int
	require.NoError(t, run.Get(ctx, &beats), "a heartbeating activity must not time out")
	require.Greater(t, beats, 10)
	require.Equal(t, []int32{1}, attempts.get())
}
