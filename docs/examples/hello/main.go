// Command hello is the smallest complete Meridian program: a workflow that
// calls an activity, a worker that hosts both, and a client that starts the
// workflow and prints its result. It uses only the official Temporal Go SDK.
//
// Start a dev server in one terminal (`make run`), then:
//
//	go run ./docs/examples/hello
//	go run ./docs/examples/hello -name Ada
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// taskQueue connects the starter to the worker.
const taskQueue = "hello-world"

// Greeting is the workflow: it runs the Compose activity with a retry
// policy and returns what it returns. Workflow code must be deterministic;
// anything that touches the outside world belongs in an activity.
func Greeting(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumAttempts:    5,
		},
	})
	var greeting string
	if err := workflow.ExecuteActivity(ctx, Compose, name).Get(ctx, &greeting); err != nil {
		return "", err
	}
	workflow.GetLogger(ctx).Info("greeting composed", "name", name)
	return greeting, nil
}

// Compose is the activity: ordinary Go code that may fail and be retried.
func Compose(_ context.Context, name string) (string, error) {
	if name == "" {
		return "", temporal.NewNonRetryableApplicationError("name is empty", "InvalidName", nil)
	}
	return "Hello, " + name + "!", nil
}

func main() {
	address := flag.String("address", client.DefaultHostPort, "Meridian frontend host:port")
	namespace := flag.String("namespace", client.DefaultNamespace, "namespace")
	name := flag.String("name", "World", "who to greet")
	flag.Parse()

	if err := run(*address, *namespace, *name); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(address, namespace, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	c, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: namespace})
	if err != nil {
		return fmt.Errorf("connect to %s: %w", address, err)
	}
	defer c.Close()

	// The worker polls the task queue and runs workflow and activity code.
	// It usually runs in its own process; here it shares one with the
	// starter to keep the example short.
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(Greeting)
	w.RegisterActivity(Compose)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()

	// Start the workflow and wait for its result. The workflow ID is the
	// business key: starting a second one with the same ID while the first
	// runs fails instead of duplicating work.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        "hello-" + name,
		TaskQueue: taskQueue,
	}, Greeting, name)
	if err != nil {
		return fmt.Errorf("start workflow: %w", err)
	}
	var greeting string
	if err := run.Get(ctx, &greeting); err != nil {
		return fmt.Errorf("workflow %s: %w", run.GetID(), err)
	}
	fmt.Printf("%s (workflow %s, run %s)\n", greeting, run.GetID(), run.GetRunID())
	return nil
}
