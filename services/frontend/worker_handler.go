package frontend

import (
	"context"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	tokenspb "github.com/meridian-dev/meridian/common/commonpb"
	"github.com/meridian-dev/meridian/common/namespace"
)

// Worker-facing APIs: long polls go to matching, completions to history.
// Polls are accepted in any cluster (a standby's queues just stay empty);
// completions must reach the namespace's active cluster.

// PollWorkflowTaskQueue long-polls for a workflow task. Matching answers
// empty (no task token) before the SDK's deadline when no task arrives.
func (s *Service) PollWorkflowTaskQueue(ctx context.Context, req *workflowservice.PollWorkflowTaskQueueRequest) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
	if err := s.v.pollWorkflowTaskQueue(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	resp, err := s.matching.PollWorkflowTaskQueue(ctx, &matchingservice.PollWorkflowTaskQueueRequest{
		NamespaceId: ns.ID(),
		PollerId:    s.newID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("matching", err)
	}
	if resp.GetResponse() == nil {
		return &workflowservice.PollWorkflowTaskQueueResponse{}, nil
	}
	return resp.GetResponse(), nil
}

// PollActivityTaskQueue long-polls for an activity task.
func (s *Service) PollActivityTaskQueue(ctx context.Context, req *workflowservice.PollActivityTaskQueueRequest) (*workflowservice.PollActivityTaskQueueResponse, error) {
	if err := s.v.pollActivityTaskQueue(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	resp, err := s.matching.PollActivityTaskQueue(ctx, &matchingservice.PollActivityTaskQueueRequest{
		NamespaceId: ns.ID(),
		PollerId:    s.newID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("matching", err)
	}
	if resp.GetResponse() == nil {
		return &workflowservice.PollActivityTaskQueueResponse{}, nil
	}
	return resp.GetResponse(), nil
}

// taskTokenNamespace decodes a task token and resolves its namespace.
func (s *Service) taskTokenNamespace(ctx context.Context, namespaceName string, token []byte) (*tokenspb.TaskToken, *namespace.Entry, error) {
	tok, err := decodeTaskToken(token)
	if err != nil {
		return nil, nil, err
	}
	ns, err := s.tokenNamespace(ctx, namespaceName, tok.GetNamespaceId())
	if err != nil {
		return nil, nil, err
	}
	return tok, ns, nil
}

// RespondWorkflowTaskCompleted hands a workflow task's commands to history.
func (s *Service) RespondWorkflowTaskCompleted(ctx context.Context, req *workflowservice.RespondWorkflowTaskCompletedRequest) (*workflowservice.RespondWorkflowTaskCompletedResponse, error) {
	if err := s.v.respondWorkflowTaskCompleted(req); err != nil {
		return nil, err
	}
	tok, ns, err := s.taskTokenNamespace(ctx, req.GetNamespace(), req.GetTaskToken())
	if err != nil {
		return nil, err
	}
	resp, err := s.history.RespondWorkflowTaskCompleted(ctx, &historyservice.RespondWorkflowTaskCompletedRequest{
		NamespaceId: ns.ID(),
		Token:       tok,
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("history", err)
	}
	if resp.GetResponse() == nil {
		return &workflowservice.RespondWorkflowTaskCompletedResponse{}, nil
	}
	return resp.GetResponse(), nil
}

// RespondWorkflowTaskFailed reports a workflow task failure.
func (s *Service) RespondWorkflowTaskFailed(ctx context.Context, req *workflowservice.RespondWorkflowTaskFailedRequest) (*workflowservice.RespondWorkflowTaskFailedResponse, error) {
	if err := s.v.respondWorkflowTaskFailed(req); err != nil {
		return nil, err
	}
	tok, ns, err := s.taskTokenNamespace(ctx, req.GetNamespace(), req.GetTaskToken())
	if err != nil {
		return nil, err
	}
	if _, err := s.history.RespondWorkflowTaskFailed(ctx, &historyservice.RespondWorkflowTaskFailedRequest{
		NamespaceId: ns.ID(),
		Token:       tok,
		Request:     req,
	}); err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.RespondWorkflowTaskFailedResponse{}, nil
}

// RecordActivityTaskHeartbeat records progress; the answer carries
// cancel_requested, the only way cancellation reaches an activity.
func (s *Service) RecordActivityTaskHeartbeat(ctx context.Context, req *workflowservice.RecordActivityTaskHeartbeatRequest) (*workflowservice.RecordActivityTaskHeartbeatResponse, error) {
	if err := s.v.recordActivityTaskHeartbeat(req); err != nil {
		return nil, err
	}
	tok, ns, err := s.taskTokenNamespace(ctx, req.GetNamespace(), req.GetTaskToken())
	if err != nil {
		return nil, err
	}
	cancel, err := s.heartbeat(ctx, ns, tok, req.GetDetails(), req.GetIdentity())
	if err != nil {
		return nil, err
	}
	return &workflowservice.RecordActivityTaskHeartbeatResponse{CancelRequested: cancel}, nil
}

// RecordActivityTaskHeartbeatById is RecordActivityTaskHeartbeat addressed
// by workflow and activity ID.
func (s *Service) RecordActivityTaskHeartbeatById(ctx context.Context, req *workflowservice.RecordActivityTaskHeartbeatByIdRequest) (*workflowservice.RecordActivityTaskHeartbeatByIdResponse, error) {
	if err := s.v.recordActivityTaskHeartbeatByID(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	tok := activityTokenByID(ns.ID(), req.GetWorkflowId(), req.GetRunId(), req.GetActivityId())
	cancel, err := s.heartbeat(ctx, ns, tok, req.GetDetails(), req.GetIdentity())
	if err != nil {
		return nil, err
	}
	return &workflowservice.RecordActivityTaskHeartbeatByIdResponse{CancelRequested: cancel}, nil
}

func (s *Service) heartbeat(ctx context.Context, ns *namespace.Entry, tok *tokenspb.TaskToken, details *commonpb.Payloads, identity string) (bool, error) {
	resp, err := s.history.RecordActivityTaskHeartbeat(ctx, &historyservice.RecordActivityTaskHeartbeatRequest{
		NamespaceId: ns.ID(),
		Token:       tok,
		Details:     details,
		Identity:    identity,
	})
	if err != nil {
		return false, dependencyError("history", err)
	}
	return resp.GetCancelRequested(), nil
}

// RespondActivityTaskCompleted completes an activity.
func (s *Service) RespondActivityTaskCompleted(ctx context.Context, req *workflowservice.RespondActivityTaskCompletedRequest) (*workflowservice.RespondActivityTaskCompletedResponse, error) {
	if err := s.v.respondActivityTaskCompleted(req); err != nil {
		return nil, err
	}
	tok, ns, err := s.taskTokenNamespace(ctx, req.GetNamespace(), req.GetTaskToken())
	if err != nil {
		return nil, err
	}
	if err := s.completeActivity(ctx, ns, tok, req.GetResult(), req.GetIdentity()); err != nil {
		return nil, err
	}
	return &workflowservice.RespondActivityTaskCompletedResponse{}, nil
}

// RespondActivityTaskCompletedById completes an activity addressed by ID.
func (s *Service) RespondActivityTaskCompletedById(ctx context.Context, req *workflowservice.RespondActivityTaskCompletedByIdRequest) (*workflowservice.RespondActivityTaskCompletedByIdResponse, error) {
	if err := s.v.respondActivityTaskCompletedByID(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	tok := activityTokenByID(ns.ID(), req.GetWorkflowId(), req.GetRunId(), req.GetActivityId())
	if err := s.completeActivity(ctx, ns, tok, req.GetResult(), req.GetIdentity()); err != nil {
		return nil, err
	}
	return &workflowservice.RespondActivityTaskCompletedByIdResponse{}, nil
}

func (s *Service) completeActivity(ctx context.Context, ns *namespace.Entry, tok *tokenspb.TaskToken, result *commonpb.Payloads, identity string) error {
	_, err := s.history.RespondActivityTaskCompleted(ctx, &historyservice.RespondActivityTaskCompletedRequest{
		NamespaceId: ns.ID(),
		Token:       tok,
		Result:      result,
		Identity:    identity,
	})
	return dependencyError("history", err)
}

// RespondActivityTaskFailed fails an activity attempt (history retries it
// per its retry policy).
func (s *Service) RespondActivityTaskFailed(ctx context.Context, req *workflowservice.RespondActivityTaskFailedRequest) (*workflowservice.RespondActivityTaskFailedResponse, error) {
	if err := s.v.respondActivityTaskFailed(req); err != nil {
		return nil, err
	}
	tok, ns, err := s.taskTokenNamespace(ctx, req.GetNamespace(), req.GetTaskToken())
	if err != nil {
		return nil, err
	}
	if _, err := s.history.RespondActivityTaskFailed(ctx, &historyservice.RespondActivityTaskFailedRequest{
		NamespaceId:          ns.ID(),
		Token:                tok,
		Failure:              req.GetFailure(),
		LastHeartbeatDetails: req.GetLastHeartbeatDetails(),
		Identity:             req.GetIdentity(),
	}); err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.RespondActivityTaskFailedResponse{}, nil
}

// RespondActivityTaskFailedById fails an activity addressed by ID.
func (s *Service) RespondActivityTaskFailedById(ctx context.Context, req *workflowservice.RespondActivityTaskFailedByIdRequest) (*workflowservice.RespondActivityTaskFailedByIdResponse, error) {
	if err := s.v.respondActivityTaskFailedByID(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if _, err := s.history.RespondActivityTaskFailed(ctx, &historyservice.RespondActivityTaskFailedRequest{
		NamespaceId:          ns.ID(),
		Token:                activityTokenByID(ns.ID(), req.GetWorkflowId(), req.GetRunId(), req.GetActivityId()),
		Failure:              req.GetFailure(),
		LastHeartbeatDetails: req.GetLastHeartbeatDetails(),
		Identity:             req.GetIdentity(),
	}); err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.RespondActivityTaskFailedByIdResponse{}, nil
}

// RespondActivityTaskCanceled confirms an activity's cancellation.
func (s *Service) RespondActivityTaskCanceled(ctx context.Context, req *workflowservice.RespondActivityTaskCanceledRequest) (*workflowservice.RespondActivityTaskCanceledResponse, error) {
	if err := s.v.respondActivityTaskCanceled(req); err != nil {
		return nil, err
	}
	tok, ns, err := s.taskTokenNamespace(ctx, req.GetNamespace(), req.GetTaskToken())
	if err != nil {
		return nil, err
	}
	if err := s.cancelActivity(ctx, ns, tok, req.GetDetails(), req.GetIdentity()); err != nil {
		return nil, err
	}
	return &workflowservice.RespondActivityTaskCanceledResponse{}, nil
}

// RespondActivityTaskCanceledById confirms cancellation of an activity
// addressed by ID.
func (s *Service) RespondActivityTaskCanceledById(ctx context.Context, req *workflowservice.RespondActivityTaskCanceledByIdRequest) (*workflowservice.RespondActivityTaskCanceledByIdResponse, error) {
	if err := s.v.respondActivityTaskCanceledByID(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	tok := activityTokenByID(ns.ID(), req.GetWorkflowId(), req.GetRunId(), req.GetActivityId())
	if err := s.cancelActivity(ctx, ns, tok, req.GetDetails(), req.GetIdentity()); err != nil {
		return nil, err
	}
	return &workflowservice.RespondActivityTaskCanceledByIdResponse{}, nil
}

func (s *Service) cancelActivity(ctx context.Context, ns *namespace.Entry, tok *tokenspb.TaskToken, details *commonpb.Payloads, identity string) error {
	_, err := s.history.RespondActivityTaskCanceled(ctx, &historyservice.RespondActivityTaskCanceledRequest{
		NamespaceId: ns.ID(),
		Token:       tok,
		Details:     details,
		Identity:    identity,
	})
	return dependencyError("history", err)
}

// RespondQueryTaskCompleted answers a legacy query task; matching hands
// the answer to the waiting QueryWorkflow call.
func (s *Service) RespondQueryTaskCompleted(ctx context.Context, req *workflowservice.RespondQueryTaskCompletedRequest) (*workflowservice.RespondQueryTaskCompletedResponse, error) {
	if err := s.v.respondQueryTaskCompleted(req); err != nil {
		return nil, err
	}
	tok, err := decodeQueryTaskToken(req.GetTaskToken())
	if err != nil {
		return nil, err
	}
	ns, err := s.tokenNamespace(ctx, req.GetNamespace(), tok.GetNamespaceId())
	if err != nil {
		return nil, err
	}
	if _, err := s.matching.RespondQueryTaskCompleted(ctx, &matchingservice.RespondQueryTaskCompletedRequest{
		NamespaceId: ns.ID(),
		TaskQueue:   tok.GetTaskQueue(),
		QueryId:     tok.GetQueryId(),
		Request:     req,
	}); err != nil {
		return nil, dependencyError("matching", err)
	}
	return &workflowservice.RespondQueryTaskCompletedResponse{}, nil
}

// DescribeTaskQueue reports a task queue's pollers and backlog.
func (s *Service) DescribeTaskQueue(ctx context.Context, req *workflowservice.DescribeTaskQueueRequest) (*workflowservice.DescribeTaskQueueResponse, error) {
	if err := s.v.describeTaskQueue(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	resp, err := s.matching.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{
		NamespaceId: ns.ID(),
		Request:     req,
	})
	if err != nil {
		return nil, dependencyError("matching", err)
	}
	if resp.GetResponse() == nil {
		return &workflowservice.DescribeTaskQueueResponse{}, nil
	}
	return resp.GetResponse(), nil
}

// ShutdownWorker acknowledges a stopping worker. Its sticky queue simply
// expires: tasks sent there time out after the sticky schedule-to-start
// timeout and go to the normal queue.
func (s *Service) ShutdownWorker(ctx context.Context, req *workflowservice.ShutdownWorkerRequest) (*workflowservice.ShutdownWorkerResponse, error) {
	if err := s.v.shutdownWorker(req); err != nil {
		return nil, err
	}
	if _, err := s.namespaceByName(ctx, req.GetNamespace()); err != nil {
		return nil, err
	}
	return &workflowservice.ShutdownWorkerResponse{}, nil
}
