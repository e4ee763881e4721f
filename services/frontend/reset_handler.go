package frontend

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/historyservice"
)

// ResetWorkflowExecution starts a new run of a workflow from one of its
// runs' history up to a workflow task, terminating the current run if it
// is running (history's api_reset.go). A request without a request ID
// gets one, so that history's retries de-duplicate.
func (s *Service) ResetWorkflowExecution(ctx context.Context, req *workflowservice.ResetWorkflowExecutionRequest) (*workflowservice.ResetWorkflowExecutionResponse, error) {
	if err := s.v.resetWorkflowExecution(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if req.GetRequestId() == "" {
		req.RequestId = newUUID()
	}
	resp, err := s.history.ResetWorkflowExecution(ctx, &historyservice.ResetWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	if resp.GetResponse() == nil {
		return nil, serviceerror.NewInternal("history answered a reset without a run ID")
	}
	return resp.GetResponse(), nil
}

// DeleteWorkflowExecution terminates a run if it is running and deletes
// it: describe and history answer NotFound afterwards and list calls no
// longer show it.
func (s *Service) DeleteWorkflowExecution(ctx context.Context, req *workflowservice.DeleteWorkflowExecutionRequest) (*workflowservice.DeleteWorkflowExecutionResponse, error) {
	if err := s.v.deleteWorkflowExecution(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if _, err := s.history.DeleteWorkflowExecution(ctx, &historyservice.DeleteWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	}); err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.DeleteWorkflowExecutionResponse{}, nil
}

// resetWorkflowExecution validates a ResetWorkflowExecutionRequest. That
// the finish event is a workflow task's is checked against the history.
func (v validator) resetWorkflowExecution(r *workflowservice.ResetWorkflowExecutionRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	if err := v.execution("WorkflowExecution", r.GetWorkflowExecution()); err != nil {
		return err
	}
	if r.GetWorkflowTaskFinishEventId() <= 1 {
		return invalidArgf("WorkflowTaskFinishEventId must be greater than 1, got %d.", r.GetWorkflowTaskFinishEventId())
	}
	if err := v.length("RequestId", r.GetRequestId()); err != nil {
		return err
	}
	if err := v.length("Identity", r.GetIdentity()); err != nil {
		return err
	}
	if err := v.reason(r.GetReason()); err != nil {
		return err
	}
	if err := enumValue("ResetReapplyType", enumspb.ResetReapplyType_name, r.GetResetReapplyType()); err != nil { //nolint:staticcheck // SDKs and the CLI still send it
		return err
	}
	for _, x := range r.GetResetReapplyExcludeTypes() {
		if err := enumValue("ResetReapplyExcludeTypes", enumspb.ResetReapplyExcludeType_name, x); err != nil {
			return err
		}
	}
	if len(r.GetPostResetOperations()) > 0 {
		return serviceerror.NewInvalidArgument("PostResetOperations are not supported.")
	}
	return nil
}

// deleteWorkflowExecution validates a DeleteWorkflowExecutionRequest.
func (v validator) deleteWorkflowExecution(r *workflowservice.DeleteWorkflowExecutionRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	return v.execution("WorkflowExecution", r.GetWorkflowExecution())
}
