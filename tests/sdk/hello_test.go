package sdk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

func greet(ctx context.Context, name string) (string, error) {
	return "Hello, " + name + "!", nil
}

func helloWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, greet, name).Get(ctx, &out)
	return out, err
}

func TestHelloWorkflow(t *testing.T) {
	e := newEnv(t)
	w := worker.New(e.client, "hello", worker.Options{})
	w.RegisterWorkflow(helloWorkflow)
	w.RegisterActivity(greet)
	require.NoError(t, w.Start())
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "hello-1", TaskQueue: "hello"}, helloWorkflow, "Meridian")
	require.NoError(t, err)
	var out string
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, "Hello, Meridian!", out)
}

// After its first task, a caching worker gets the run's later tasks on its
// sticky queue, with only the events it has not seen.
func TestStickyWorkflowTasks(t *testing.T) {
	e := newEnv(t)
	w := worker.New(e.client, "sticky", worker.Options{})
	w.RegisterWorkflow(helloWorkflow)
	w.RegisterActivity(greet)
	require.NoError(t, w.Start())
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "sticky-1", TaskQueue: "sticky"}, helloWorkflow, "sticky")
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))

	var kinds []enumspb.TaskQueueKind
	it := e.client.GetWorkflowHistory(ctx, "sticky-1", run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetWorkflowTaskScheduledEventAttributes(); a != nil {
			kinds = append(kinds, a.GetTaskQueue().GetKind())
		}
	}
	require.Equal(t, []enumspb.TaskQueueKind{enumspb.TASK_QUEUE_KIND_NORMAL, enumspb.TASK_QUEUE_KIND_STICKY}, kinds)
}
