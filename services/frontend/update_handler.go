package frontend

import (
	"context"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/historyservice"
)

// Workflow updates. History owns them: it admits an update (de-duplicated
// by update ID), hands it to a worker in the next workflow task and waits
// for the stage the caller asked for, answering the stage reached before
// the caller's deadline (the SDK then re-sends or polls).

// UpdateWorkflowExecution sends an update to a workflow and waits for it
// to be accepted (or completed, if the wait policy says so).
func (s *Service) UpdateWorkflowExecution(ctx context.Context, req *workflowservice.UpdateWorkflowExecutionRequest) (*workflowservice.UpdateWorkflowExecutionResponse, error) {
	if err := s.v.updateWorkflowExecution(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	normalizeWaitPolicy(req)
	resp, err := s.history.UpdateWorkflowExecution(ctx, &historyservice.UpdateWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	if resp.GetResponse() == nil {
		return &workflowservice.UpdateWorkflowExecutionResponse{}, nil
	}
	return resp.GetResponse(), nil
}

// PollWorkflowExecutionUpdate waits for an update's outcome (or the stage
// its wait policy names). Without a wait policy it answers at once.
func (s *Service) PollWorkflowExecutionUpdate(ctx context.Context, req *workflowservice.PollWorkflowExecutionUpdateRequest) (*workflowservice.PollWorkflowExecutionUpdateResponse, error) {
	if err := s.v.pollWorkflowExecutionUpdate(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	resp, err := s.history.PollWorkflowExecutionUpdate(ctx, &historyservice.PollWorkflowExecutionUpdateRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	if resp.GetResponse() == nil {
		return &workflowservice.PollWorkflowExecutionUpdateResponse{}, nil
	}
	return resp.GetResponse(), nil
}

// ExecuteMultiOperation runs update-with-start: a StartWorkflow (which
// honors its ID conflict policy, typically USE_EXISTING) and an
// UpdateWorkflow on the run it started or found. Errors name the
// operation that failed (MultiOperationExecution).
func (s *Service) ExecuteMultiOperation(ctx context.Context, req *workflowservice.ExecuteMultiOperationRequest) (*workflowservice.ExecuteMultiOperationResponse, error) {
	fillMultiOpNamespaces(req)
	if err := s.v.executeMultiOperation(req); err != nil {
		return nil, err
	}
	start := req.GetOperations()[0].GetStartWorkflow()
	update := req.GetOperations()[1].GetUpdateWorkflow()
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if err := newWorkflowsIn(ns, start.GetSearchAttributes()); err != nil {
		return nil, multiOpError(err, nil)
	}
	if start.RequestId == "" {
		start.RequestId = s.newID()
	}
	normalizeWaitPolicy(update)
	resp, err := s.history.UpdateWithStartWorkflowExecution(ctx, &historyservice.UpdateWithStartWorkflowExecutionRequest{
		NamespaceId:   ns.ID(),
		StartRequest:  start,
		UpdateRequest: update,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.ExecuteMultiOperationResponse{Responses: []*workflowservice.ExecuteMultiOperationResponse_Response{
		{Response: &workflowservice.ExecuteMultiOperationResponse_Response_StartWorkflow{StartWorkflow: resp.GetStartResponse()}},
		{Response: &workflowservice.ExecuteMultiOperationResponse_Response_UpdateWorkflow{UpdateWorkflow: resp.GetUpdateResponse()}},
	}}, nil
}
