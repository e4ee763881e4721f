package sdk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// requireInvalidArgument checks err is InvalidArgument mentioning want.
func requireInvalidArgument(t *testing.T, err error, want string) {
	t.Helper()
	var ia *serviceerror.InvalidArgument
	require.Truef(t, errors.As(err, &ia), "want InvalidArgument, got %T %v", err, err)
	require.Contains(t, ia.Error(), want)
}

func TestWorkflowStartBadRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	valid := func() *workflowservice.StartWorkflowExecutionRequest {
		return &workflowservice.StartWorkflowExecutionRequest{
			Namespace:    "default",
			WorkflowId:   wfName(t) + "-1",
			WorkflowType: &commonpb.WorkflowType{Name: "wfEcho"},
			TaskQueue:    &taskqueuepb.TaskQueue{Name: wfName(t)},
			RequestId:    uuid.NewString(),
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*workflowservice.StartWorkflowExecutionRequest)
		want   string
	}{
		{"no workflow id", func(r *workflowservice.StartWorkflowExecutionRequest) { r.WorkflowId = "" }, "WorkflowId"},
		{"no task queue", func(r *workflowservice.StartWorkflowExecutionRequest) { r.TaskQueue = nil }, "TaskQueue"},
		{"empty task queue name", func(r *workflowservice.StartWorkflowExecutionRequest) { r.TaskQueue = &taskqueuepb.TaskQueue{} }, "TaskQueue"},
		{"no workflow type", func(r *workflowservice.StartWorkflowExecutionRequest) { r.WorkflowType = nil }, "WorkflowType"},
		{"empty workflow type name", func(r *workflowservice.StartWorkflowExecutionRequest) { r.WorkflowType = &commonpb.WorkflowType{} }, "WorkflowType"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := valid()
			tc.mutate(req)
			_, err := e.client.WorkflowService().StartWorkflowExecution(wfCtx(t), req)
			requireInvalidArgument(t, err, tc.want)
		})
	}
	// None of them started anything; the valid request still works.
	_, err := e.client.DescribeWorkflowExecution(wfCtx(t), wfName(t)+"-1", "")
	var nf *serviceerror.NotFound
	require.Truef(t, errors.As(err, &nf), "want NotFound, got %T %v", err, err)
	resp, err := e.client.WorkflowService().StartWorkflowExecution(wfCtx(t), valid())
	require.NoError(t, err)
	require.True(t, resp.GetStarted())
}

func TestWorkflowDescribeInvalidRunID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// What readiness probes of external test runners send.
	_, err := e.client.DescribeWorkflowExecution(wfCtx(t), "no-such-workflow", "not-a-uuid")
	requireInvalidArgument(t, err, "Invalid RunId")
	_, err = e.client.WorkflowService().GetWorkflowExecutionHistory(wfCtx(t), &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: "x", RunId: "not-a-uuid"},
	})
	requireInvalidArgument(t, err, "Invalid RunId")
	err = e.client.SignalWorkflow(wfCtx(t), "x", "not-a-uuid", "s", nil)
	requireInvalidArgument(t, err, "Invalid RunId")
}

func TestWorkflowStartPayloadTooLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := wfName(t) + "-1"
	big := strings.Repeat("x", 2<<20+1024)
	_, err := e.client.ExecuteWorkflow(wfCtx(t), client.StartWorkflowOptions{ID: id, TaskQueue: wfName(t)}, wfEcho, big)
	require.Error(t, err)
	// The SDK may refuse client-side (a plain error); a server answer must
	// be InvalidArgument about the size.
	if errors.As(err, new(serviceerror.ServiceError)) {
		requireInvalidArgument(t, err, "size")
	}
	_, err = e.client.DescribeWorkflowExecution(wfCtx(t), id, "")
	var nf *serviceerror.NotFound
	require.Truef(t, errors.As(err, &nf), "nothing may have started: got %T %v", err, err)

	// A signal with an oversized payload is rejected the same way and does
	// not reach the run.
	run := wfStart(t, e, "2", client.StartWorkflowOptions{}, wfCollectSignals, 1)
	err = e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "item", big)
	require.Error(t, err)
	if errors.As(err, new(serviceerror.ServiceError)) {
		requireInvalidArgument(t, err, "size")
	}
	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	require.Len(t, events, 2, "only Started and WorkflowTaskScheduled: %v", wfEventTypes(events))
}
