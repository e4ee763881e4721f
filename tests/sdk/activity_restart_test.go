package sdk_test

import (
	"context"
	"fmt"
	"sync/atomic"
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

// actSteps counts how often each activity "step<i>" ran, across workers
// and server restarts.
type actSteps struct {
	runs    [5]atomic.Int32
	blockAt int           // the step that blocks on its first run; 0: none
	blocked chan struct{} // closed when blockAt started its first run
}

func newActSteps(blockAt int) *actSteps {
	return &actSteps{blockAt: blockAt, blocked: make(chan struct{})}
}

func (s *actSteps) register(w worker.Worker) {
	for i := range s.runs {
		w.RegisterActivityWithOptions(func(ctx context.Context) (int, error) {
			if s.runs[i].Add(1) == 1 && i == s.blockAt {
				close(s.blocked)
				<-ctx.Done() // in flight until its worker or timeout ends it
				return 0, ctx.Err()
			}
			return i, nil
		}, activity.RegisterOptions{Name: fmt.Sprintf("step%d", i)})
	}
	w.RegisterWorkflowWithOptions(actStepsWorkflow, workflow.RegisterOptions{Name: "steps"})
}

// actStepsWorkflow runs step1..stepN in sequence and returns the sum of
// their results.
func actStepsWorkflow(ctx workflow.Context, n int) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 10},
	})
	sum := 0
	for i := 1; i <= n; i++ {
		var out int
		if err := workflow.ExecuteActivity(ctx, fmt.Sprintf("step%d", i)).Get(ctx, &out); err != nil {
			return 0, err
		}
		sum += out
	}
	return sum, nil
}

// TestActivityCompletedNeverRunsAgain: a completed activity is never
// executed again, even when the worker replays the workflow from scratch
// after the server process restarted while a later activity was in flight.
// The in-flight activity may run again (at-least-once for the unfinished
// attempt), and the workflow completes on the restarted server.
func TestActivityCompletedNeverRunsAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	// Three sequential activities run exactly once each.
	tq1 := actName(t, "tq-plain")
	plain := newActSteps(0)
	w := actStartWorker(t, e.client, tq1, plain.register)
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "plain"), TaskQueue: tq1}, "steps", 3)
	require.NoError(t, err)
	var sum int
	require.NoError(t, run.Get(ctx, &sum))
	require.Equal(t, 1+2+3, sum)
	for i := 1; i <= 3; i++ {
		require.Equal(t, int32(1), plain.runs[i].Load(), "step%d", i)
	}
	w.Stop()

	// Restart the server while step4 is in flight.
	tq2 := actName(t, "tq-restart")
	steps := newActSteps(4)
	w = worker.New(e.client, tq2, worker.Options{})
	steps.register(w)
	require.NoError(t, w.Start())
	run, err = e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "restart"), TaskQueue: tq2}, "steps", 4)
	require.NoError(t, err)
	select {
	case <-steps.blocked:
	case <-ctx.Done():
		t.Fatal("step4 never started")
	}
	for i := 1; i <= 3; i++ {
		require.Equal(t, int32(1), steps.runs[i].Load(), "step%d before the restart", i)
	}
	w.Stop()
	e.restart(t)
	actStartWorker(t, e.client, tq2, steps.register)

	require.NoError(t, e.client.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &sum))
	require.Equal(t, 1+2+3+4, sum)
	for i := 1; i <= 3; i++ {
		require.Equal(t, int32(1), steps.runs[i].Load(), "step%d ran again after the restart", i)
	}
	require.GreaterOrEqual(t, steps.runs[4].Load(), int32(2), "step4 was in flight: it must have run again")

	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, events[len(events)-1].GetEventType())
	counts := actCountEvents(events)
	require.Equal(t, 4, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED])
	require.Equal(t, 4, counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED])
}

// TestActivityPendingSurvivesRestart: activities the server holds but no
// worker runs at the moment of a restart are not lost: one waiting in its
// task queue for a worker (none polls it yet) and one waiting for its retry
// (attempt 1 failed, the retry is two seconds away) both run after the
// restart, and their workflows complete.
func TestActivityPendingSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	laterQueue := actName(t, "later")
	var queuedRuns atomic.Int32
	var retried actAttempts
	queued := func(ctx context.Context) (string, error) {
		queuedRuns.Add(1)
		return "ran after restart", nil
	}
	flaky := func(ctx context.Context) (string, error) {
		n := activity.GetInfo(ctx).Attempt
		retried.add(n)
		if n == 1 {
			return "", temporal.NewApplicationErrorWithOptions("retry me", "RetryMeError",
				temporal.ApplicationErrorOptions{NextRetryDelay: 2 * time.Second})
		}
		return "retried after restart", nil
	}
	wf := func(ctx workflow.Context, queue string) (string, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			TaskQueue:           queue,
			StartToCloseTimeout: 10 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Hour, MaximumAttempts: 3},
		})
		name := "flaky"
		if queue != workflow.GetInfo(ctx).TaskQueueName {
			name = "queued"
		}
		var out string
		err := workflow.ExecuteActivity(ctx, name).Get(ctx, &out)
		return out, err
	}
	register := func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "pending"})
		w.RegisterActivityWithOptions(flaky, activity.RegisterOptions{Name: "flaky"})
	}
	w := worker.New(e.client, tq, worker.Options{})
	register(w)
	require.NoError(t, w.Start())
	ctx := actContext(t)
	queuedRun, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "queued"), TaskQueue: tq}, "pending", laterQueue)
	require.NoError(t, err)
	retryRun, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "retry"), TaskQueue: tq}, "pending", tq)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		q := actDescribe(t, e.client, queuedRun.GetID(), queuedRun.GetRunID()).GetPendingActivities()
		r := actDescribe(t, e.client, retryRun.GetID(), retryRun.GetRunID()).GetPendingActivities()
		return len(q) == 1 && len(r) == 1 && r[0].GetAttempt() == 2
	}, 10*time.Second, 20*time.Millisecond, "both activities must be pending, the second one waiting for attempt 2")

	w.Stop()
	e.restart(t)
	actStartWorker(t, e.client, tq, register)
	actStartWorker(t, e.client, laterQueue, func(w worker.Worker) {
		w.RegisterActivityWithOptions(queued, activity.RegisterOptions{Name: "queued"})
	})

	var out string
	require.NoError(t, e.client.GetWorkflow(ctx, queuedRun.GetID(), queuedRun.GetRunID()).Get(ctx, &out))
	require.Equal(t, "ran after restart", out)
	require.Equal(t, int32(1), queuedRuns.Load())
	require.NoError(t, e.client.GetWorkflow(ctx, retryRun.GetID(), retryRun.GetRunID()).Get(ctx, &out))
	require.Equal(t, "retried after restart", out)
	require.Equal(t, []int32{1, 2}, retried.get())
}
