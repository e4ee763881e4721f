package frontend

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/historyservice"
)

func (h *fakeHistory) UpdateWorkflowExecution(ctx context.Context, req *historyservice.UpdateWorkflowExecutionRequest) (*historyservice.UpdateWorkflowExecutionResponse, error) {
	if err := h.record(ctx, "UpdateWorkflowExecution", req); err != nil {
		return nil, err
	}
	return &historyservice.UpdateWorkflowExecutionResponse{Response: &workflowservice.UpdateWorkflowExecutionResponse{
		Stage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED,
	}}, nil
}

func (h *fakeHistory) PollWorkflowExecutionUpdate(ctx context.Context, req *historyservice.PollWorkflowExecutionUpdateRequest) (*historyservice.PollWorkflowExecutionUpdateResponse, error) {
	if err := h.record(ctx, "PollWorkflowExecutionUpdate", req); err != nil {
		return nil, err
	}
	return &historyservice.PollWorkflowExecutionUpdateResponse{Response: &workflowservice.PollWorkflowExecutionUpdateResponse{
		Stage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
	}}, nil
}

func (h *fakeHistory) UpdateWithStartWorkflowExecution(ctx context.Context, req *historyservice.UpdateWithStartWorkflowExecutionRequest) (*historyservice.UpdateWithStartWorkflowExecutionResponse, error) {
	if err := h.record(ctx, "UpdateWithStartWorkflowExecution", req); err != nil {
		return nil, err
	}
	return &historyservice.UpdateWithStartWorkflowExecutionResponse{
		StartResponse:  &workflowservice.StartWorkflowExecutionResponse{RunId: fakeRunID, Started: true},
		UpdateResponse: &workflowservice.UpdateWorkflowExecutionResponse{Stage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED},
	}, nil
}

func validUpdate() *workflowservice.UpdateWorkflowExecutionRequest {
	return &workflowservice.UpdateWorkflowExecutionRequest{
		Namespace:         "default",
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "wf"},
		WaitPolicy:        &updatepb.WaitPolicy{LifecycleStage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED},
		Request: &updatepb.Request{
			Meta:  &updatepb.Meta{UpdateId: "u1", Identity: "client"},
			Input: &updatepb.Input{Name: "set", Args: payloadsOf(10)},
		},
	}
}

func TestValidateUpdateWorkflowExecution(t *testing.T) {
	type R = *workflowservice.UpdateWorkflowExecutionRequest
	runValidation(t, validUpdate, tv.updateWorkflowExecution, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no wait policy", mutate: func(r R) { r.WaitPolicy = nil }, want: ""},
		{name: "with run ids", mutate: func(r R) {
			r.WorkflowExecution.RunId = fakeRunID
			r.FirstExecutionRunId = fakeRunID
		}, want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no execution", mutate: func(r R) { r.WorkflowExecution = nil }, want: "WorkflowExecution is not set on request."},
		{name: "no workflow id", mutate: func(r R) { r.WorkflowExecution.WorkflowId = "" }, want: "WorkflowId is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.WorkflowExecution.RunId = "x" }, want: msgInvalidRunID},
		{name: "bad first run id", mutate: func(r R) { r.FirstExecutionRunId = "x" }, want: "Invalid FirstExecutionRunId."},
		{name: "no request", mutate: func(r R) { r.Request = nil }, want: "Request is not set on request."},
		{name: "no update id", mutate: func(r R) { r.Request.Meta = nil }, want: "Request.Meta.UpdateId is not set on request."},
		{name: "long update id", mutate: func(r R) { r.Request.Meta.UpdateId = long(1001) }, want: "Request.Meta.UpdateId exceeds length limit"},
		{name: "no name", mutate: func(r R) { r.Request.Input.Name = "" }, want: "Request.Input.Name is not set on request."},
		{name: "no input", mutate: func(r R) { r.Request.Input = nil }, want: "Request.Input.Name is not set on request."},
		{name: "args too large", mutate: func(r R) { r.Request.Input.Args = payloadsOf(twoMiB + 1) }, want: msgBlobSizeExceeded},
		{name: "bad stage", mutate: func(r R) { r.WaitPolicy.LifecycleStage = 42 }, want: "WaitPolicy.LifecycleStage"},
		{name: "callbacks", mutate: func(r R) { r.Request.CompletionCallbacks = []*commonpb.Callback{{}} }, want: "CompletionCallbacks"},
	})
	requireInvalid(t, tv.updateWorkflowExecution(nil), msgRequestNil)
}

func TestValidatePollWorkflowExecutionUpdate(t *testing.T) {
	type R = *workflowservice.PollWorkflowExecutionUpdateRequest
	valid := func() R {
		return &workflowservice.PollWorkflowExecutionUpdateRequest{
			Namespace: "default",
			UpdateRef: &updatepb.UpdateRef{WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "wf"}, UpdateId: "u1"},
		}
	}
	runValidation(t, valid, tv.pollWorkflowExecutionUpdate, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no ref", mutate: func(r R) { r.UpdateRef = nil }, want: "UpdateRef is not set on request."},
		{name: "no execution", mutate: func(r R) { r.UpdateRef.WorkflowExecution = nil }, want: "UpdateRef.WorkflowExecution is not set on request."},
		{name: "no update id", mutate: func(r R) { r.UpdateRef.UpdateId = "" }, want: "UpdateRef.UpdateId is not set on request."},
		{name: "bad stage", mutate: func(r R) { r.WaitPolicy = &updatepb.WaitPolicy{LifecycleStage: 9} }, want: "WaitPolicy.LifecycleStage"},
	})
}

func validMultiOp() *workflowservice.ExecuteMultiOperationRequest {
	return &workflowservice.ExecuteMultiOperationRequest{
		Namespace: "default",
		Operations: []*workflowservice.ExecuteMultiOperationRequest_Operation{
			{Operation: &workflowservice.ExecuteMultiOperationRequest_Operation_StartWorkflow{StartWorkflow: &workflowservice.StartWorkflowExecutionRequest{
				Namespace: "default", WorkflowId: "wf", WorkflowType: &commonpb.WorkflowType{Name: "T"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"},
				WorkflowIdConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			}}},
			{Operation: &workflowservice.ExecuteMultiOperationRequest_Operation_UpdateWorkflow{UpdateWorkflow: validUpdate()}},
		},
	}
}

func TestValidateExecuteMultiOperation(t *testing.T) {
	type R = *workflowservice.ExecuteMultiOperationRequest
	start := func(r R) *workflowservice.StartWorkflowExecutionRequest { return r.Operations[0].GetStartWorkflow() }
	update := func(r R) *workflowservice.UpdateWorkflowExecutionRequest { return r.Operations[1].GetUpdateWorkflow() }
	// The shape of the request: plain InvalidArgument.
	runValidation(t, validMultiOp, tv.executeMultiOperation, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "one operation", mutate: func(r R) { r.Operations = r.Operations[:1] }, want: msgMultiOpShape},
		{name: "swapped", mutate: func(r R) { r.Operations[0], r.Operations[1] = r.Operations[1], r.Operations[0] }, want: msgMultiOpShape},
	})
	// A bad operation: MultiOperationExecution naming it.
	tests := []struct {
		name     string
		mutate   func(r R)
		badIndex int
		want     string
	}{
		{"start without type", func(r R) { start(r).WorkflowType = nil }, 0, "WorkflowType is not set"},
		{"cron", func(r R) { start(r).CronSchedule = "* * * * *" }, 0, "CronSchedule is not allowed"},
		{"start delay", func(r R) { start(r).WorkflowStartDelay = durationpb.New(1e9) }, 0, "WorkflowStartDelay is not allowed"},
		{"eager", func(r R) { start(r).RequestEagerExecution = true }, 0, "RequestEagerExecution is not allowed"},
		{"start namespace", func(r R) { start(r).Namespace = "other" }, 0, "Namespace of the operation"},
		{"other workflow", func(r R) { update(r).WorkflowExecution.WorkflowId = "other" }, 1, "WorkflowId is not consistent"},
		{"update run id", func(r R) { update(r).WorkflowExecution.RunId = fakeRunID }, 1, "RunId is not allowed"},
		{"update first run id", func(r R) { update(r).FirstExecutionRunId = fakeRunID }, 1, "FirstExecutionRunId is not allowed"},
		{"no update id", func(r R) { update(r).Request.Meta.UpdateId = "" }, 1, "Request.Meta.UpdateId is not set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := validMultiOp()
			tc.mutate(r)
			err := tv.executeMultiOperation(r)
			var multi *serviceerror.MultiOperationExecution
			require.ErrorAs(t, err, &multi)
			errs := multi.OperationErrors()
			require.Len(t, errs, 2)
			var ia *serviceerror.InvalidArgument
			require.ErrorAs(t, errs[tc.badIndex], &ia)
			require.Contains(t, ia.Message, tc.want)
			if tc.badIndex == 0 {
				var aborted *serviceerror.MultiOperationAborted
				require.ErrorAs(t, errs[1], &aborted)
			} else {
				require.NoError(t, errs[0])
			}
		})
	}
}

func TestUpdateCallsRoute(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()

	// UNSPECIFIED and ADMITTED wait for ACCEPTED; COMPLETED is kept.
	for _, stage := range []enumspb.UpdateWorkflowExecutionLifecycleStage{
		enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED,
		enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
		enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
	} {
		req := validUpdate()
		req.WaitPolicy.LifecycleStage = stage
		resp, err := env.svc.UpdateWorkflowExecution(ctx, req)
		require.NoError(t, err)
		require.Equal(t, enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED, resp.GetStage())
		got := env.history.last("UpdateWorkflowExecution").(*historyservice.UpdateWorkflowExecutionRequest)
		require.Equal(t, env.defaultID, got.GetNamespaceId())
		want := enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
		if stage == enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED {
			want = stage
		}
		require.Equal(t, want, got.GetRequest().GetWaitPolicy().GetLifecycleStage())
	}

	poll, err := env.svc.PollWorkflowExecutionUpdate(ctx, &workflowservice.PollWorkflowExecutionUpdateRequest{
		Namespace: "default",
		UpdateRef: &updatepb.UpdateRef{WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "wf"}, UpdateId: "u1"},
	})
	require.NoError(t, err)
	require.Equal(t, enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, poll.GetStage())

	// Operations that name no namespace get the request's; the start gets
	// a request ID.
	req := validMultiOp()
	req.Operations[0].GetStartWorkflow().Namespace = ""
	req.Operations[1].GetUpdateWorkflow().Namespace = ""
	multi, err := env.svc.ExecuteMultiOperation(ctx, req)
	require.NoError(t, err)
	require.Len(t, multi.GetResponses(), 2)
	require.Equal(t, fakeRunID, multi.GetResponses()[0].GetStartWorkflow().GetRunId())
	require.Equal(t, enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, multi.GetResponses()[1].GetUpdateWorkflow().GetStage())
	got := env.history.last("UpdateWithStartWorkflowExecution").(*historyservice.UpdateWithStartWorkflowExecutionRequest)
	require.Equal(t, env.defaultID, got.GetNamespaceId())
	require.True(t, isUUID(got.GetStartRequest().GetRequestId()))
	require.Equal(t, "default", got.GetUpdateRequest().GetNamespace())

	// Unknown namespaces are not found.
	bad := validUpdate()
	bad.Namespace = "nope"
	_, err = env.svc.UpdateWorkflowExecution(ctx, bad)
	var nf *serviceerror.NamespaceNotFound
	require.ErrorAs(t, err, &nf)
}
