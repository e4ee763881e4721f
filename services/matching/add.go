package matching

import (
	"context"
	"errors"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// AddWorkflowTask hands a scheduled workflow task to a waiting poller or
// writes it to the backlog. A nil error means the task is started, stale, or
// durable.
func (s *Service) AddWorkflowTask(ctx context.Context, req *matchingservice.AddWorkflowTaskRequest) (*matchingservice.AddWorkflowTaskResponse, error) {
	if req == nil {
		return nil, invalidArgf("request is not set")
	}
	key, kind, err := partitionOf("task_queue", req.GetNamespaceId(), req.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return nil, err
	}
	info, err := s.newTaskInfo(req.GetNamespaceId(), req.GetExecution(), req.GetScheduledEventId(), req.GetScheduleToStartTimeout(), 0)
	if err != nil {
		return nil, err
	}
	if err := s.addTask(ctx, key, kind, info); err != nil {
		return nil, err
	}
	return &matchingservice.AddWorkflowTaskResponse{}, nil
}

// AddActivityTask is AddWorkflowTask for activity tasks.
func (s *Service) AddActivityTask(ctx context.Context, req *matchingservice.AddActivityTaskRequest) (*matchingservice.AddActivityTaskResponse, error) {
	if req == nil {
		return nil, invalidArgf("request is not set")
	}
	key, kind, err := partitionOf("task_queue", req.GetNamespaceId(), req.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_ACTIVITY)
	if err != nil {
		return nil, err
	}
	if req.GetAttempt() < 0 {
		return nil, invalidArgf("attempt must not be negative, got %d", req.GetAttempt())
	}
	info, err := s.newTaskInfo(req.GetNamespaceId(), req.GetExecution(), req.GetScheduledEventId(), req.GetScheduleToStartTimeout(), req.GetAttempt())
	if err != nil {
		return nil, err
	}
	if err := s.addTask(ctx, key, kind, info); err != nil {
		return nil, err
	}
	return &matchingservice.AddActivityTaskResponse{}, nil
}

func (s *Service) newTaskInfo(namespaceID string, ex *commonpb.WorkflowExecution, scheduledEventID int64, scheduleToStart *durationpb.Duration, attempt int32) (*persistencepb.TaskQueueTask, error) {
	if err := validateExecution(ex); err != nil {
		return nil, err
	}
	if err := validateScheduledEventID(scheduledEventID); err != nil {
		return nil, err
	}
	if err := validateScheduleToStart(scheduleToStart); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	info := &persistencepb.TaskQueueTask{
		NamespaceId:      namespaceID,
		Execution:        &commonpb.WorkflowExecution{WorkflowId: ex.GetWorkflowId(), RunId: ex.GetRunId()},
		ScheduledEventId: scheduledEventID,
		CreateTime:       timestamppb.New(now),
		Attempt:          attempt,
	}
	if d := scheduleToStart.AsDuration(); scheduleToStart != nil && d > 0 {
		info.ScheduleToStartTimeout = scheduleToStart
		info.ExpiryTime = timestamppb.New(now.Add(d))
	}
	return info, nil
}

// addTask tries sync match, then the backlog.
func (s *Service) addTask(ctx context.Context, key partitionKey, kind enumspb.TaskQueueKind, info *persistencepb.TaskQueueTask) error {
	m, err := s.getManager(ctx, key, kind)
	if err != nil {
		return err
	}
	defer m.release()
	if kind == enumspb.TASK_QUEUE_KIND_STICKY && !m.hasRecentPoller(stickyPollerWindow) {
		m.scope.Counter(metricStickyUnavailable).Inc(1)
		return matchingservice.ErrStickyWorkerUnavailable
	}
	o, err := m.trySyncMatch(ctx, newSyncTask(info))
	if err != nil {
		return s.managerError(err)
	}
	switch o {
	case outcomeStarted, outcomeDropped:
		m.scope.Counter(metricSyncMatch).Inc(1)
		return nil
	case outcomeReturned, outcomeFailed:
		// The poller could not start it; keep it durably instead.
		m.scope.Counter(metricTasksReturned).Inc(1)
	}
	return s.managerError(m.writeTask(ctx, info))
}

// managerError maps internal errors to what callers of the API see.
func (s *Service) managerError(err error) error {
	if errors.Is(err, errManagerStopped) {
		if s.isStopped() {
			return errServiceStopped
		}
		return serviceerror.NewUnavailable("matching: task queue is being unloaded, retry")
	}
	return err
}
