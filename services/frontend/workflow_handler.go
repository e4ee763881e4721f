package frontend

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/historyservice"
)

// Client-facing workflow APIs. Each handler validates the request, resolves
// the namespace (writes must reach the namespace's active cluster) and
// routes to history, which owns the workflow.

// StartWorkflowExecution starts a run. An empty request ID is filled in
// (the SDK always sets one; de-duplication needs it).
func (s *Service) StartWorkflowExecution(ctx context.Context, req *workflowservice.StartWorkflowExecutionRequest) (*workflowservice.StartWorkflowExecutionResponse, error) {
	if err := s.v.startWorkflowExecution(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if err := newWorkflowsIn(ns, req.GetSearchAttributes()); err != nil {
		return nil, err
	}
	if req.RequestId == "" {
		req.RequestId = s.newID()
	}
	resp, err := s.history.StartWorkflowExecution(ctx, &historyservice.StartWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	out := &workflowservice.StartWorkflowExecutionResponse{RunId: resp.GetRunId(), Started: resp.GetStarted()}
	if resp.GetStarted() {
		out.Status = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}
	// Set only when the request asked for eager execution and history
	// started the first workflow task for the caller's worker.
	out.EagerWorkflowTask = resp.GetEagerWorkflowTask()
	return out, nil
}

// SignalWithStartWorkflowExecution signals a running workflow or starts it
// with the signal.
func (s *Service) SignalWithStartWorkflowExecution(ctx context.Context, req *workflowservice.SignalWithStartWorkflowExecutionRequest) (*workflowservice.SignalWithStartWorkflowExecutionResponse, error) {
	if err := s.v.signalWithStartWorkflowExecution(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if err := newWorkflowsIn(ns, req.GetSearchAttributes()); err != nil {
		return nil, err
	}
	if req.RequestId == "" {
		req.RequestId = s.newID()
	}
	resp, err := s.history.SignalWithStartWorkflowExecution(ctx, &historyservice.SignalWithStartWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.SignalWithStartWorkflowExecutionResponse{RunId: resp.GetRunId(), Started: resp.GetStarted()}, nil
}

// SignalWorkflowExecution delivers a signal.
func (s *Service) SignalWorkflowExecution(ctx context.Context, req *workflowservice.SignalWorkflowExecutionRequest) (*workflowservice.SignalWorkflowExecutionResponse, error) {
	if err := s.v.signalWorkflowExecution(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if _, err := s.history.SignalWorkflowExecution(ctx, &historyservice.SignalWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	}); err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.SignalWorkflowExecutionResponse{}, nil
}

// RequestCancelWorkflowExecution asks a workflow to cancel.
func (s *Service) RequestCancelWorkflowExecution(ctx context.Context, req *workflowservice.RequestCancelWorkflowExecutionRequest) (*workflowservice.RequestCancelWorkflowExecutionResponse, error) {
	if err := s.v.requestCancelWorkflowExecution(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if _, err := s.history.RequestCancelWorkflowExecution(ctx, &historyservice.RequestCancelWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	}); err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.RequestCancelWorkflowExecutionResponse{}, nil
}

// TerminateWorkflowExecution ends a workflow at once.
func (s *Service) TerminateWorkflowExecution(ctx context.Context, req *workflowservice.TerminateWorkflowExecutionRequest) (*workflowservice.TerminateWorkflowExecutionResponse, error) {
	if err := s.v.terminateWorkflowExecution(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if _, err := s.history.TerminateWorkflowExecution(ctx, &historyservice.TerminateWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	}); err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.TerminateWorkflowExecutionResponse{}, nil
}

// DescribeWorkflowExecution reads a run's state. Reads are served in any
// cluster.
func (s *Service) DescribeWorkflowExecution(ctx context.Context, req *workflowservice.DescribeWorkflowExecutionRequest) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	if err := s.v.describeWorkflowExecution(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	resp, err := s.history.DescribeWorkflowExecution(ctx, &historyservice.DescribeWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	if resp.GetResponse() == nil {
		return &workflowservice.DescribeWorkflowExecutionResponse{}, nil
	}
	return resp.GetResponse(), nil
}

// GetWorkflowExecutionHistory reads a page of history. With
// wait_new_event history long-polls until a new event or the caller's
// deadline; the page size is capped at Config.DefaultHistoryPageSize.
func (s *Service) GetWorkflowExecutionHistory(ctx context.Context, req *workflowservice.GetWorkflowExecutionHistoryRequest) (*workflowservice.GetWorkflowExecutionHistoryResponse, error) {
	if err := s.v.getWorkflowExecutionHistory(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if n := int(req.GetMaximumPageSize()); n == 0 || n > s.cfg.DefaultHistoryPageSize {
		req.MaximumPageSize = int32(s.cfg.DefaultHistoryPageSize)
	}
	resp, err := s.history.GetWorkflowExecutionHistory(ctx, &historyservice.GetWorkflowExecutionHistoryRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	out := resp.GetResponse()
	if out == nil {
		out = &workflowservice.GetWorkflowExecutionHistoryResponse{}
	}
	if out.History == nil {
		out.History = &historypb.History{}
	}
	return out, nil
}

// QueryWorkflow runs a query on a workflow (history dispatches it to a
// worker and waits until the caller's deadline).
func (s *Service) QueryWorkflow(ctx context.Context, req *workflowservice.QueryWorkflowRequest) (*workflowservice.QueryWorkflowResponse, error) {
	if err := s.v.queryWorkflow(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	resp, err := s.history.QueryWorkflow(ctx, &historyservice.QueryWorkflowRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	if resp.GetResponse() == nil {
		return &workflowservice.QueryWorkflowResponse{}, nil
	}
	return resp.GetResponse(), nil
}

// ResetStickyTaskQueue makes a workflow's next task go to its normal task
// queue.
func (s *Service) ResetStickyTaskQueue(ctx context.Context, req *workflowservice.ResetStickyTaskQueueRequest) (*workflowservice.ResetStickyTaskQueueResponse, error) {
	if err := s.v.resetStickyTaskQueue(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if _, err := s.history.ResetStickyTaskQueue(ctx, &historyservice.ResetStickyTaskQueueRequest{
		NamespaceId: ns.ID(),
		Execution:   req.GetExecution(),
	}); err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.ResetStickyTaskQueueResponse{}, nil
}
