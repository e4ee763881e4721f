package temporalcli_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/meridian-dev/meridian/server"
)

const (
	queue          = "cli"
	workerIdentity = "temporalcli-test-worker"
)

// greet completes at once with a greeting.
func greet(_ workflow.Context, name string) (string, error) {
	return "hello " + name, nil
}

// collect records the values of "add" signals, answers the "state" query
// with them, and returns them when a "finish" signal arrives. A cancel
// request ends it canceled.
func collect(ctx workflow.Context) ([]string, error) {
	got := []string{}
	if err := workflow.SetQueryHandler(ctx, "state", func() ([]string, error) { return got, nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandler(ctx, "push", func(_ workflow.Context, v string) (int, error) {
		got = append(got, v)
		return len(got), nil
	}); err != nil {
		return nil, err
	}
	add := workflow.GetSignalChannel(ctx, "add")
	finish := workflow.GetSignalChannel(ctx, "finish")
	done := false
	for !done {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(add, func(c workflow.ReceiveChannel, _ bool) {
			var v string
			c.Receive(ctx, &v)
			got = append(got, v)
		})
		sel.AddReceive(finish, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			done = true
		})
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { done = true })
		sel.Select(ctx)
	}
	return got, ctx.Err()
}

// startWorker runs the suite's workflows on queue until the test ends.
func (e *env) startWorker() {
	e.t.Helper()
	w := worker.New(e.client, queue, worker.Options{Identity: workerIdentity})
	w.RegisterWorkflowWithOptions(greet, workflow.RegisterOptions{Name: "Greet"})
	w.RegisterWorkflowWithOptions(collect, workflow.RegisterOptions{Name: "Collect"})
	require.NoError(e.t, w.Start())
	e.t.Cleanup(w.Stop)
}

// decodeString decodes a JSON payload holding a string.
func decodeString(t *testing.T, p *commonpb.Payload) string {
	t.Helper()
	var s string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &s))
	return s
}

func describe(e *env, workflowID, runID string) *workflowservice.DescribeWorkflowExecutionResponse {
	e.t.Helper()
	d := &workflowservice.DescribeWorkflowExecutionResponse{}
	args := []string{"workflow", "describe", "-w", workflowID}
	if runID != "" {
		args = append(args, "-r", runID)
	}
	e.runProto(d, args...)
	return d
}

func history(e *env, workflowID, runID string) []*historypb.HistoryEvent {
	e.t.Helper()
	h := &historypb.History{}
	args := []string{"workflow", "show", "-w", workflowID}
	if runID != "" {
		args = append(args, "-r", runID)
	}
	e.runProto(h, args...)
	return h.GetEvents()
}

// query runs the "state" query; runID "" is the current run.
func query(e *env, workflowID, runID string) []string {
	e.t.Helper()
	got, err := tryQuery(e, workflowID, runID)
	require.NoError(e.t, err)
	return got
}

func tryQuery(e *env, workflowID, runID string) ([]string, error) {
	var out struct {
		QueryResult [][]string `json:"queryResult"` // one entry per result payload
	}
	args := []string{"workflow", "query", "-w", workflowID, "--name", "state"}
	if runID != "" {
		args = append(args, "-r", runID)
	}
	if err := e.tryJSON(&out, args...); err != nil {
		return nil, err
	}
	if len(out.QueryResult) != 1 {
		return nil, fmt.Errorf("query answered %d results, want 1", len(out.QueryResult))
	}
	return out.QueryResult[0], nil
}

func newInfo() *workflowpb.WorkflowExecutionInfo { return &workflowpb.WorkflowExecutionInfo{} }

// started is `workflow start`'s JSON answer.
type started struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	Type       string `json:"type"`
	Namespace  string `json:"namespace"`
	TaskQueue  string `json:"taskQueue"`
}

func TestWorkflowCommands(t *testing.T) {
	e := newEnv(t, server.SearchAttribute{Name: "Color", Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD})
	e.startWorker()

	// execute: starts, waits, prints the result.
	var exec struct {
		WorkflowID string          `json:"workflowId"`
		RunID      string          `json:"runId"`
		Type       string          `json:"type"`
		Status     string          `json:"status"`
		Result     json.RawMessage `json:"result"`
	}
	e.runJSON(&exec, "workflow", "execute", "--type", "Greet", "-t", queue, "-w", "greet-1", "-i", `"cli"`)
	require.Equal(t, "greet-1", exec.WorkflowID)
	require.NotEmpty(t, exec.RunID)
	require.Equal(t, "COMPLETED", exec.Status)
	require.JSONEq(t, `"hello cli"`, string(exec.Result))
	e.requireStatus(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, "greet-1", exec.RunID)

	// start, with a search attribute and a memo.
	var s started
	e.runJSON(&s, "workflow", "start", "--type", "Collect", "-t", queue, "-w", "collect-1",
		"--search-attribute", `Color="blue"`, "--memo", `owner="cli"`)
	require.Equal(t, started{WorkflowID: "collect-1", RunID: s.RunID, Type: "Collect", Namespace: "default", TaskQueue: queue}, s)
	require.NotEmpty(t, s.RunID)

	// signal, then query sees it.
	e.run("workflow", "signal", "-w", "collect-1", "--name", "add", "-i", `"a"`)
	e.eventually("the query sees the signal", func() (bool, error) {
		got, err := tryQuery(e, "collect-1", "")
		return len(got) == 1, err
	})
	require.Equal(t, []string{"a"}, query(e, "collect-1", s.RunID))

	// describe: the run as the server holds it.
	d := describe(e, "collect-1", "")
	info := d.GetWorkflowExecutionInfo()
	require.Equal(t, s.RunID, info.GetExecution().GetRunId())
	require.Equal(t, "Collect", info.GetType().GetName())
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, info.GetStatus())
	require.Equal(t, queue, info.GetTaskQueue())
	require.Equal(t, "blue", decodeString(t, info.GetSearchAttributes().GetIndexedFields()["Color"]))
	require.Equal(t, "cli", decodeString(t, info.GetMemo().GetFields()["owner"]))
	require.Equal(t, queue, d.GetExecutionConfig().GetTaskQueue().GetName())

	// list and count by the search attribute and by type.
	e.eventually("list finds the run by its search attribute", func() (bool, error) {
		l, err := tryProtoList(e, newInfo, "workflow", "list", "-q", `Color="blue"`)
		return len(l) == 1 && l[0].GetExecution().GetRunId() == s.RunID, err
	})
	want := map[string]enumspb.WorkflowExecutionStatus{
		"greet-1":   enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED,
		"collect-1": enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
	}
	e.eventually("list shows both runs with their statuses", func() (bool, error) {
		all, err := tryProtoList(e, newInfo, "workflow", "list")
		ids := map[string]enumspb.WorkflowExecutionStatus{}
		for _, w := range all {
			ids[w.GetExecution().GetWorkflowId()] = w.GetStatus()
		}
		return reflect.DeepEqual(want, ids), err
	})
	var count struct {
		Count  string `json:"count"`
		Groups []struct {
			GroupValues []string `json:"groupValues"`
			Count       string   `json:"count"`
		} `json:"groups"`
	}
	e.runJSON(&count, "workflow", "count", "-q", "WorkflowType='Collect'")
	require.Equal(t, "1", count.Count)
	e.runJSON(&count, "workflow", "count", "-q", "GROUP BY ExecutionStatus")
	require.Equal(t, "2", count.Count)
	require.Len(t, count.Groups, 2)
	require.ElementsMatch(t, []string{"Running", "Completed"},
		[]string{count.Groups[0].GroupValues[0], count.Groups[1].GroupValues[0]})

	// reset a running run to its first workflow task: the old run is
	// terminated, the new one gets the signal re-applied.
	var reset struct {
		RunID string `json:"runId"`
	}
	e.runJSON(&reset, "workflow", "reset", "-w", "collect-1", "--type", "FirstWorkflowTask", "--reason", "cli test")
	require.NotEmpty(t, reset.RunID)
	require.NotEqual(t, s.RunID, reset.RunID)
	e.requireStatus(enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, "collect-1", s.RunID)
	e.eventually("the reset run re-applied the signal", func() (bool, error) {
		q, err := tryQuery(e, "collect-1", reset.RunID)
		return len(q) == 1 && q[0] == "a", err
	})
	require.Equal(t, reset.RunID, describe(e, "collect-1", "").GetWorkflowExecutionInfo().GetExecution().GetRunId())

	// finish it and show its history.
	e.run("workflow", "signal", "-w", "collect-1", "--name", "finish")
	e.eventuallyStatus(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, "collect-1", reset.RunID)
	events := history(e, "collect-1", reset.RunID)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, events[0].GetEventType())
	last := events[len(events)-1]
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, last.GetEventType())
	var result []string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(
		last.GetWorkflowExecutionCompletedEventAttributes().GetResult(), &result))
	require.Equal(t, []string{"a"}, result)
	var signals []string
	for i, ev := range events {
		require.Equal(t, int64(i+1), ev.GetEventId(), "event IDs are contiguous")
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			signals = append(signals, a.GetSignalName())
		}
	}
	require.Equal(t, []string{"add", "finish"}, signals)

	// result: the closed run's outcome.
	var res struct {
		RunID  string `json:"runId"`
		Status string `json:"status"`
	}
	e.runJSON(&res, "workflow", "result", "-w", "collect-1")
	require.Equal(t, reset.RunID, res.RunID)
	require.Equal(t, "COMPLETED", res.Status)

	// reset to the last workflow task (found by reading the history
	// newest first): the new run replays both signals and completes again.
	var again struct {
		RunID string `json:"runId"`
	}
	e.runJSON(&again, "workflow", "reset", "-w", "collect-1", "--type", "LastWorkflowTask", "--reason", "again")
	require.NotEqual(t, reset.RunID, again.RunID)
	e.eventuallyStatus(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, "collect-1", again.RunID)
	events = history(e, "collect-1", again.RunID)
	var resetAt int64
	for _, ev := range events {
		if ev.GetWorkflowTaskFailedEventAttributes().GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW {
			resetAt = ev.GetEventId()
		}
	}
	require.NotZero(t, resetAt, "the new run's history records the reset")
	// The reset point is the last workflow task: both signals come before it.
	signals = nil
	for _, ev := range events[:resetAt-1] {
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			signals = append(signals, a.GetSignalName())
		}
	}
	require.Equal(t, []string{"add", "finish"}, signals)

	// signal-with-start starts the run with the signal; update changes it
	// and answers.
	e.runJSON(&s, "workflow", "signal-with-start", "--type", "Collect", "-t", queue, "-w", "collect-2",
		"--signal-name", "add", "--signal-input", `"x"`)
	var upd struct {
		Name     string `json:"name"`
		UpdateID string `json:"updateId"`
		Result   int    `json:"result"`
	}
	e.runJSON(&upd, "workflow", "update", "execute", "-w", "collect-2", "--name", "push", "-i", `"y"`, "--update-id", "u1")
	require.Equal(t, "push", upd.Name)
	require.Equal(t, "u1", upd.UpdateID)
	require.Equal(t, 2, upd.Result)
	require.Equal(t, []string{"x", "y"}, query(e, "collect-2", ""))
	// stack: the worker's goroutine dump of the workflow.
	require.Contains(t, e.run("workflow", "stack", "-w", "collect-2"), "temporalcli_test.collect")

	// cancel: the workflow sees the request and ends canceled.
	e.run("workflow", "cancel", "-w", "collect-2")
	e.eventuallyStatus(enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, "collect-2", s.RunID)

	// terminate: the history ends with the reason.
	e.runJSON(&s, "workflow", "start", "--type", "Collect", "-t", queue, "-w", "collect-3")
	e.run("workflow", "terminate", "-w", "collect-3", "--reason", "stop now")
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, describe(e, "collect-3", "").GetWorkflowExecutionInfo().GetStatus())
	events = history(e, "collect-3", s.RunID)
	last = events[len(events)-1]
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, last.GetEventType())
	require.Equal(t, "stop now", last.GetWorkflowExecutionTerminatedEventAttributes().GetReason())

	// delete: describe then fails with NotFound and list no longer shows it.
	e.run("workflow", "delete", "-w", "greet-1")
	e.eventually("the deleted workflow is gone", func() (bool, error) {
		_, err := e.exec("workflow", "describe", "-w", "greet-1")
		var ce *cliError
		return errors.As(err, &ce) && strings.Contains(strings.ToLower(ce.stderr), "not found"), nil
	})
	e.eventually("list no longer shows the deleted workflow", func() (bool, error) {
		l, err := tryProtoList(e, newInfo, "workflow", "list", "-q", "WorkflowId='greet-1'")
		return len(l) == 0, err
	})
}
