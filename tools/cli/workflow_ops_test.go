package cli

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/server"
)

// cliGreeter greets the name it starts with, answers the "greeting"
// query, adds every "name" signal and returns when signaled "done" (or
// canceled).
func cliGreeter(ctx workflow.Context, greeting string) ([]string, error) {
	names := []string{}
	if err := workflow.SetQueryHandler(ctx, "greeting", func(suffix string) (string, error) {
		return greeting + " " + strings.Join(names, ",") + suffix, nil
	}); err != nil {
		return nil, err
	}
	ch := workflow.GetSignalChannel(ctx, "name")
	for {
		var n string
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &n) })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if n == "done" {
			return names, nil
		}
		names = append(names, n)
	}
}

// startTestDevServer starts an in-process dev server on a free port,
// stopped when the test ends, and returns its address.
func startTestDevServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	cfg := server.DefaultDevConfig()
	cfg.Port = port
	cfg.DataDir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dev, err := server.StartDev(ctx, cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	require.NoError(t, err)
	t.Cleanup(dev.Stop)
	return dev.Address()
}

// startCLIDevServer starts a dev server with a worker running cliGreeter
// on queue "greet", and returns its address and a client.
func startCLIDevServer(t *testing.T) (string, client.Client) {
	t.Helper()
	addr := startTestDevServer(t)
	cl, err := client.Dial(client.Options{HostPort: addr, Namespace: "default"})
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	w := worker.New(cl, "greet", worker.Options{})
	w.RegisterWorkflowWithOptions(cliGreeter, workflow.RegisterOptions{Name: "Greeter"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return addr, cl
}

func TestWorkflowOperationCommands(t *testing.T) {
	addr, cl := startCLIDevServer(t)
	run := func(args ...string) (int, string, string) {
		h := newHarness(t)
		code := h.run(append(append([]string{"workflow"}, args...), "--address", addr, "--command-timeout", "30s")...)
		return code, h.stdout.String(), h.stderr.String()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	code, out, errOut := run("start", "-w", "g1", "--type", "Greeter", "-t", "greet", "--input", `"hello"`, "-o", "json")
	require.Equal(t, 0, code, errOut)
	var started map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &started))
	require.Equal(t, "g1", started["workflowId"])
	firstRun := started["runId"]
	require.NotEmpty(t, firstRun)

	// Signal only once the first workflow task completed, so that a reset
	// to that task comes before the signal.
	require.Eventually(t, func() bool {
		iter := cl.GetWorkflowHistory(ctx, "g1", firstRun, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			e, err := iter.Next()
			if err != nil {
				return false
			}
			if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	code, out, errOut = run("signal", "-w", "g1", "--name", "name", "--input", `"ann"`)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Signaled workflow g1.\n", out)

	code, out, errOut = run("query", "-w", "g1", "--type", "greeting", "--input", `"!"`)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, `"hello ann!"`+"\n", out)

	// Reset to the first workflow task without re-applying the signal:
	// the new run has not seen "ann".
	code, out, errOut = run("reset", "-w", "g1", "--type", "first", "--reason", "redo", "--reapply-type", "None", "-o", "json")
	require.Equal(t, 0, code, errOut)
	var reset map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &reset))
	newRun := reset["runId"].(string)
	require.NotEqual(t, firstRun, newRun)
	// The first completed workflow task (event 4).
	var firstCompleted int64
	iter := cl.GetWorkflowHistory(ctx, "g1", firstRun, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for firstCompleted == 0 && iter.HasNext() {
		e, err := iter.Next()
		require.NoError(t, err)
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			firstCompleted = e.GetEventId()
		}
	}
	require.Equal(t, float64(firstCompleted), reset["eventId"])
	d, err := cl.DescribeWorkflowExecution(ctx, "g1", firstRun)
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, d.GetWorkflowExecutionInfo().GetStatus())
	code, out, errOut = run("query", "-w", "g1", "--type", "greeting", "--input", `"?"`)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, `"hello ?"`+"\n", out)

	code, out, errOut = run("terminate", "-w", "g1", "--reason", "enough")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Terminated workflow g1.\n", out)
	d, err = cl.DescribeWorkflowExecution(ctx, "g1", newRun)
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, d.GetWorkflowExecutionInfo().GetStatus())

	// Cancel reaches the workflow: Receive ends with a canceled error.
	code, _, errOut = run("start", "-w", "g2", "--type", "Greeter", "-t", "greet", "-i", `"hi"`)
	require.Equal(t, 0, code, errOut)
	code, out, errOut = run("cancel", "-w", "g2", "--reason", "no longer needed")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Cancellation of workflow g2 requested.\n", out)
	err = cl.GetWorkflow(ctx, "g2", "").Get(ctx, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "canceled")

	code, out, errOut = run("delete", "-w", "g1", "-r", firstRun)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Deleted workflow g1.\n", out)
	code, _, errOut = run("describe", "-w", "g1", "-r", firstRun)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "not found")
	// The reset run is still there.
	code, _, errOut = run("describe", "-w", "g1", "-r", newRun)
	require.Equal(t, 0, code, errOut)
}

func TestWorkflowOperationUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"start", "-t", "q"}, "--type: required"},
		{[]string{"start", "--type", "T"}, "--task-queue: required"},
		{[]string{"start", "--type", "T", "-t", "q", "--input", "hello"}, "not valid JSON"},
		{[]string{"signal", "--name", "x"}, "--workflow-id: required"},
		{[]string{"signal", "-w", "w"}, "--name: required"},
		{[]string{"query", "-w", "w"}, "--type: required"},
		{[]string{"cancel"}, "--workflow-id: required"},
		{[]string{"terminate"}, "--workflow-id: required"},
		{[]string{"delete"}, "--workflow-id: required"},
		{[]string{"reset", "-w", "w", "--event-id", "4"}, "--reason: required"},
		{[]string{"reset", "-w", "w", "--reason", "r"}, "--event-id or --type"},
		{[]string{"reset", "-w", "w", "--reason", "r", "--type", "middle"}, `--type "middle"`},
		{[]string{"reset", "-w", "w", "--reason", "r", "--event-id", "4", "--reapply-type", "some"}, `--reapply-type "some"`},
		{[]string{"reset", "-w", "w", "--reason", "r", "--event-id", "4", "--reapply-exclude", "timer"}, `--reapply-exclude "timer"`},
	} {
		h := newHarness(t)
		code := h.run(append([]string{"workflow"}, tc.args...)...)
		require.Equal(t, 2, code, "%v: %s", tc.args, h.stderr.String())
		require.Contains(t, h.stderr.String(), tc.want, "%v", tc.args)
	}
}
