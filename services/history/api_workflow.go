package history

import (
	"context"
	"errors"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/common/searchattribute"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

// resolve finds the run a request names; an empty run ID means the current run.
func (s *Service) resolve(ctx context.Context, nsID string, ex *commonpb.WorkflowExecution) (*shard, runKey, error) {
	sh, err := s.shardFor(ctx, nsID, ex.GetWorkflowId())
	if err != nil {
		return nil, runKey{}, err
	}
	runID := ex.GetRunId()
	if runID == "" {
		cur, err := s.deps.Stores.Execution.GetCurrentExecution(ctx, sh.id, nsID, ex.GetWorkflowId())
		if errors.Is(err, persistence.ErrNotFound) {
			return nil, runKey{}, errRunNotFound
		}
		if err != nil {
			return nil, runKey{}, toServiceError(err)
		}
		runID = cur.RunId
	}
	return sh, runKey{nsID, ex.GetWorkflowId(), runID}, nil
}

// signalRun delivers a signal; with childOf set, only to a child of that
// execution (SignalExternalWorkflowExecution with child_workflow_only).
func (s *Service) signalRun(ctx context.Context, sh *shard, k runKey, a *historypb.WorkflowExecutionSignaledEventAttributes, childOf *commonpb.WorkflowExecution) error {
	return sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if ms.RequestSeen(a.RequestId) != nil {
			return nil
		}
		if !ms.IsRunning() {
			return errAlreadyCompleted()
		}
		if childOf != nil && !isChildOf(ms.Info(), childOf) {
			return errRunNotFound
		}
		ms.AddSignal(a)
		return nil
	})
}

// isChildOf reports whether the run's parent is parent (by workflow and
// run ID; every run of a child's chain keeps its parent).
func isChildOf(ei *persistencepb.WorkflowExecutionInfo, parent *commonpb.WorkflowExecution) bool {
	p := ei.GetParentExecution()
	return p != nil && p.GetWorkflowId() == parent.GetWorkflowId() && p.GetRunId() == parent.GetRunId()
}

func (s *Service) SignalWorkflowExecution(ctx context.Context, req *historyservice.SignalWorkflowExecutionRequest) (*historyservice.SignalWorkflowExecutionResponse, error) {
	r := req.Request
	sh, k, err := s.resolve(ctx, req.NamespaceId, r.WorkflowExecution)
	if err != nil {
		return nil, err
	}
	var childOf *commonpb.WorkflowExecution
	if req.ChildWorkflowOnly {
		childOf = req.ExternalWorkflowExecution
	}
	err = s.signalRun(ctx, sh, k, &historypb.WorkflowExecutionSignaledEventAttributes{
		SignalName: r.SignalName, Input: r.Input, Identity: r.Identity, Header: r.Header,
		RequestId: r.RequestId,
	}, childOf)
	if err != nil {
		return nil, err
	}
	return &historyservice.SignalWorkflowExecutionResponse{}, nil
}

func (s *Service) RequestCancelWorkflowExecution(ctx context.Context, req *historyservice.RequestCancelWorkflowExecutionRequest) (*historyservice.RequestCancelWorkflowExecutionResponse, error) {
	r := req.Request
	sh, k, err := s.resolve(ctx, req.NamespaceId, r.WorkflowExecution)
	if err != nil {
		return nil, err
	}
	if r.FirstExecutionRunId != "" {
		// Only the chain that started with FirstExecutionRunId may be canceled.
		if err := sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
			if st.ExecutionInfo.FirstExecutionRunId != r.FirstExecutionRunId {
				return errRunNotFound
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	external := req.ExternalWorkflowExecution
	err = sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if ms.RequestSeen(r.RequestId) != nil {
			return nil
		}
		if req.ChildWorkflowOnly && !isChildOf(ms.Info(), external) {
			return errRunNotFound
		}
		if !ms.IsRunning() {
			if external != nil {
				// Another workflow's request to cancel a run that has
				// closed already succeeds, as in Temporal.
				return nil
			}
			return errAlreadyCompleted()
		}
		if ms.Info().CancelRequested {
			// Cancellation is idempotent, as in Temporal.
			return nil
		}
		ms.AddExternalCancelRequest(r.RequestId, r.Reason, r.Identity, req.ExternalInitiatedEventId, external)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.RequestCancelWorkflowExecutionResponse{}, nil
}

func (s *Service) TerminateWorkflowExecution(ctx context.Context, req *historyservice.TerminateWorkflowExecutionRequest) (*historyservice.TerminateWorkflowExecutionResponse, error) {
	r := req.Request
	sh, k, err := s.resolve(ctx, req.NamespaceId, r.WorkflowExecution)
	if err != nil {
		return nil, err
	}
	err = sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if r.FirstExecutionRunId != "" && ms.Info().FirstExecutionRunId != r.FirstExecutionRunId {
			return errRunNotFound
		}
		if req.ChildWorkflowOnly && !isChildOf(ms.Info(), req.ExternalWorkflowExecution) {
			return errRunNotFound
		}
		if !ms.IsRunning() {
			return errAlreadyCompleted()
		}
		ms.Terminate(r.Reason, r.Details, r.Identity)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.TerminateWorkflowExecutionResponse{}, nil
}

func (s *Service) ResetStickyTaskQueue(ctx context.Context, req *historyservice.ResetStickyTaskQueueRequest) (*historyservice.ResetStickyTaskQueueResponse, error) {
	sh, k, err := s.resolve(ctx, req.NamespaceId, req.Execution)
	if err != nil {
		return nil, err
	}
	err = sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		ei := ms.Info()
		if ei.StickyTaskQueue == "" {
			return nil
		}
		ei.StickyTaskQueue = ""
		ei.StickyScheduleToStartTimeout = nil
		ms.MarkDirty()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.ResetStickyTaskQueueResponse{}, nil
}

func (s *Service) DescribeWorkflowExecution(ctx context.Context, req *historyservice.DescribeWorkflowExecutionRequest) (*historyservice.DescribeWorkflowExecutionResponse, error) {
	sh, k, err := s.resolve(ctx, req.NamespaceId, req.Request.Execution)
	if err != nil {
		return nil, err
	}
	var resp *workflowservice.DescribeWorkflowExecutionResponse
	err = sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
		resp = describe(st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Each search attribute's type travels in its payload, as in lists:
	// the SDKs decode typed search attributes by it. Memo and search
	// attributes are never nil, as in Temporal: the Go SDK's
	// DescribeWorkflow reads their fields without a nil check.
	ns, err := s.deps.Namespaces.GetByID(ctx, req.NamespaceId)
	if err != nil {
		return nil, err
	}
	info := resp.WorkflowExecutionInfo
	info.SearchAttributes = searchattribute.WithTypes(info.SearchAttributes,
		searchattribute.FromAliases(ns.Detail().GetConfig().GetCustomSearchAttributeAliases()))
	if info.SearchAttributes == nil {
		info.SearchAttributes = &commonpb.SearchAttributes{}
	}
	if info.Memo == nil {
		info.Memo = &commonpb.Memo{}
	}
	return &historyservice.DescribeWorkflowExecutionResponse{Response: resp}, nil
}

// ExecutionInfo is the public summary of a run, as visibility and Describe show it.
func ExecutionInfo(st *persistencepb.WorkflowMutableState) *workflowpb.WorkflowExecutionInfo {
	ei := st.ExecutionInfo
	info := &workflowpb.WorkflowExecutionInfo{
		Execution:            &commonpb.WorkflowExecution{WorkflowId: ei.WorkflowId, RunId: ei.RunId},
		Type:                 &commonpb.WorkflowType{Name: ei.WorkflowTypeName},
		StartTime:            ei.StartTime,
		CloseTime:            ei.CloseTime,
		Status:               st.ExecutionState.GetStatus(),
		HistoryLength:        st.NextEventId - 1,
		ExecutionTime:        ei.ExecutionTime,
		Memo:                 ei.Memo,
		SearchAttributes:     ei.SearchAttributes,
		TaskQueue:            ei.TaskQueue,
		StateTransitionCount: ei.StateTransitionCount,
		HistorySizeBytes:     ei.HistorySizeBytes,
		ParentNamespaceId:    ei.ParentNamespaceId,
		ParentExecution:      ei.ParentExecution,
		FirstRunId:           ei.FirstExecutionRunId,
	}
	if ei.CloseTime != nil && ei.ExecutionTime != nil {
		info.ExecutionDuration = durationpb.New(ei.CloseTime.AsTime().Sub(ei.ExecutionTime.AsTime()))
	}
	return info
}

func describe(st *persistencepb.WorkflowMutableState) *workflowservice.DescribeWorkflowExecutionResponse {
	ei := st.ExecutionInfo
	resp := &workflowservice.DescribeWorkflowExecutionResponse{
		ExecutionConfig: &workflowpb.WorkflowExecutionConfig{
			TaskQueue:                  &taskqueuepb.TaskQueue{Name: ei.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			WorkflowExecutionTimeout:   ei.WorkflowExecutionTimeout,
			WorkflowRunTimeout:         ei.WorkflowRunTimeout,
			DefaultWorkflowTaskTimeout: ei.DefaultWorkflowTaskTimeout,
		},
		WorkflowExecutionInfo: ExecutionInfo(st),
	}
	for _, ai := range st.ActivityInfos {
		pa := &workflowpb.PendingActivityInfo{
			ActivityId:           ai.ActivityId,
			ActivityType:         &commonpb.ActivityType{Name: ai.ActivityType},
			State:                enumspb.PENDING_ACTIVITY_STATE_SCHEDULED,
			HeartbeatDetails:     ai.LastHeartbeatDetails,
			LastHeartbeatTime:    ai.LastHeartbeatTime,
			LastStartedTime:      ai.StartedTime,
			Attempt:              ai.Attempt,
			MaximumAttempts:      ai.RetryPolicy.GetMaximumAttempts(),
			ScheduledTime:        ai.ScheduledTime,
			LastFailure:          ai.RetryLastFailure,
			LastWorkerIdentity:   ai.RetryLastWorkerIdentity,
			CurrentRetryInterval: nil,
		}
		if ai.Started {
			pa.State = enumspb.PENDING_ACTIVITY_STATE_STARTED
			pa.LastWorkerIdentity = ai.StartedIdentity
		}
		if ai.CancelRequested {
			pa.State = enumspb.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
		}
		if d := ai.ScheduleToCloseTimeout.AsDuration(); d > 0 {
			pa.ExpirationTime = timestampAdd(ai.FirstScheduledTime, d)
		}
		resp.PendingActivities = append(resp.PendingActivities, pa)
	}
	for _, id := range sortedIDs(st.ChildExecutionInfos) {
		ci := st.ChildExecutionInfos[id]
		resp.PendingChildren = append(resp.PendingChildren, &workflowpb.PendingChildExecutionInfo{
			WorkflowId:        ci.WorkflowId,
			RunId:             ci.StartedRunId,
			WorkflowTypeName:  ci.WorkflowTypeName,
			InitiatedId:       ci.InitiatedEventId,
			ParentClosePolicy: ci.ParentClosePolicy,
		})
	}
	if wt := ei.WorkflowTask; wt != nil && wt.ScheduledEventId != 0 {
		p := &workflowpb.PendingWorkflowTaskInfo{
			State:                 enumspb.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
			ScheduledTime:         wt.ScheduledTime,
			OriginalScheduledTime: wt.OriginalScheduledTime,
			Attempt:               wt.Attempt,
		}
		if wt.StartedEventId > 0 {
			p.State = enumspb.PENDING_WORKFLOW_TASK_STATE_STARTED
			p.StartedTime = wt.StartedTime
		}
		resp.PendingWorkflowTask = p
	}
	return resp
}
