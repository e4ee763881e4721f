package sdk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
