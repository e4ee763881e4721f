package sdk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/meridian-dev/meridian/server"
	"github.com/meridian-dev/meridian/services/history"
)

// newLimitsEnv starts a dev server whose history service uses hcfg.
func newLimitsEnv(t *testing.T, hcfg history.Config) *env {
	t.Helper()
	cfg := server.DefaultDevConfig()
	cfg.Port = freePort(t)
	cfg.DataDir = t.TempDir()
	cfg.History = &hcfg
	return startEnv(t, cfg)
}

// limEndless alternates activities (each returning a payload of the size
// it is given) and short timers for ever.
func limEndless(ctx workflow.Context, payloadSize int) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for i := 0; ; i++ {
		if err := workflow.ExecuteActivity(ctx, "echo", payloadSize).Get(ctx, nil); err != nil {
			return err
		}
		if err := workflow.Sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
}

func limEcho(_ context.Context, size int) (string, error) {
	return strings.Repeat("p", size), nil
}

// TestLimitsHistoryTerminated: a run whose history outgrows the configured
// count or size limit is terminated by the server with a reason naming the
// limit; the history stays well formed and the server keeps serving.
func TestLimitsHistoryTerminated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		cfg         history.Config
		payloadSize int
		check       func(t *testing.T, events int, sizeBytes int64)
	}{
		{
			name:        "count",
			cfg:         history.Config{HistoryCountLimit: 200},
			payloadSize: 1,
			check: func(t *testing.T, events int, _ int64) {
				require.GreaterOrEqual(t, events, 200)
				require.Less(t, events, 220, "the run must be stopped as soon as it passes the limit")
			},
		},
		{
			name:        "size",
			cfg:         history.Config{HistorySizeLimit: 256 << 10},
			payloadSize: 16 << 10,
			check: func(t *testing.T, _ int, sizeBytes int64) {
				require.GreaterOrEqual(t, sizeBytes, int64(256<<10))
				require.Less(t, sizeBytes, int64(512<<10), "the run must be stopped as soon as it passes the limit")
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newLimitsEnv(t, tc.cfg)
			tq := actName(t, "tq")
			actStartWorker(t, e.client, tq, func(w worker.Worker) {
				w.RegisterWorkflowWithOptions(limEndless, workflow.RegisterOptions{Name: "endless"})
				w.RegisterActivityWithOptions(limEcho, activity.RegisterOptions{Name: "echo"})
			})
			ctx := actContext(t)
			run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "endless", tc.payloadSize)
			require.NoError(t, err)
			err = run.Get(ctx, nil)
			var terminated *temporal.TerminatedError
			require.ErrorAs(t, err, &terminated)

			desc := actDescribe(t, e.client, run.GetID(), run.GetRunID())
			info := desc.GetWorkflowExecutionInfo()
			require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, info.GetStatus())
			events := actHistory(t, e.client, run.GetID(), run.GetRunID())
			last := events[len(events)-1]
			require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, last.GetEventType())
			require.Contains(t, last.GetWorkflowExecutionTerminatedEventAttributes().GetReason(), "exceeds limit")
			require.Equal(t, int64(len(events)), info.GetHistoryLength())
			t.Logf("terminated after %d events, %d bytes", len(events), info.GetHistorySizeBytes())
			tc.check(t, len(events), info.GetHistorySizeBytes())

			limRequireHealthy(t, e)
		})
	}
}

// TestLimitsPendingActivities: a workflow task that would leave more
// activities pending than the configured limit is rejected as a whole and
// recorded as a failed workflow task with cause
// PENDING_ACTIVITIES_LIMIT_EXCEEDED; nothing of it is scheduled. The run
// stays open (the worker keeps retrying its task) until it is terminated,
// and the server keeps serving.
func TestLimitsPendingActivities(t *testing.T) {
	t.Parallel()
	e := newLimitsEnv(t, history.Config{MaxPendingActivities: 3})
	tq := actName(t, "tq")
	fanOut := func(ctx workflow.Context, n int) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
		var futures []workflow.Future
		for i := 0; i < n; i++ {
			futures = append(futures, workflow.ExecuteActivity(ctx, "echo", 1))
		}
		for _, f := range futures {
			if err := f.Get(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(fanOut, workflow.RegisterOptions{Name: "fanout"})
		w.RegisterActivityWithOptions(limEcho, activity.RegisterOptions{Name: "echo"})
	})
	ctx := actContext(t)

	// Within the limit: fine.
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "three"), TaskQueue: tq}, "fanout", 3)
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))

	run, err = e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "five"), TaskQueue: tq}, "fanout", 5)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		events := actHistory(t, e.client, run.GetID(), run.GetRunID())
		for _, ev := range actEvents(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
			if ev.GetWorkflowTaskFailedEventAttributes().GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "the over-limit workflow task must fail with PENDING_ACTIVITIES_LIMIT_EXCEEDED")
	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	require.Empty(t, actEvents(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		actDescribe(t, e.client, run.GetID(), run.GetRunID()).GetWorkflowExecutionInfo().GetStatus())

	require.NoError(t, e.client.TerminateWorkflow(ctx, run.GetID(), run.GetRunID(), "test over"))
	var terminated *temporal.TerminatedError
	require.ErrorAs(t, run.Get(ctx, nil), &terminated)
	limRequireHealthy(t, e)
}
