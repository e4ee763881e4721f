package matching

import (
	"context"
	"errors"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// AddWorkflowTask hands a scheduled workflow task to a waiting poller or
// writes it to the backlog. A nil error means the task is started, stale, or
// durable; for a task forwarded by another partition, a response with
// unmatched set means no poller took it and it was not kept.
func (s *Service) AddWorkflowTask(ctx context.Context, req *matchingservice.AddWorkflowTaskRequest) (*matchingservice.AddWorkflowTaskResponse, error) {
	if req == nil {
		return nil, invalidArgf("request is not set")
	}
	key, kind, err := partitionOf("task_queue", req.GetNamespaceId(), req.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_WORKFLOW, req.GetPartition())
	if err != nil {
		return nil, err
	}
	if err := validateForwardedFrom(key, kind, req.GetForwardedFrom()); err != nil {
		return nil, err
	}
	info, err := s.newTaskInfo(req.GetNamespaceId(), req.GetExecution(), req.GetScheduledEventId(), req.GetScheduleToStartTimeout(), 0)
	if err != nil {
		return nil, err
	}
	matched, err := s.addTask(ctx, key, kind, info, req.GetForwardedFrom() != 0)
	if err != nil {
		return nil, err
	}
	return &matchingservice.AddWorkflowTaskResponse{Unmatched: !matched}, nil
}

// AddActivityTask is AddWorkflowTask for activity tasks.
func (s *Service) AddActivityTask(ctx context.Context, req *matchingservice.AddActivityTaskRequest) (*matchingservice.AddActivityTaskResponse, error) {
	if req == nil {
		return nil, invalidArgf("request is not set")
	}
	key, kind, err := partitionOf("task_queue", req.GetNamespaceId(), req.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_ACTIVITY, req.GetPartition())
	if err != nil {
		return nil, err
	}
	if err := validateForwardedFrom(key, kind, req.GetForwardedFrom()); err != nil {
		return nil, err
	}
	if req.GetAttempt() < 0 {
		return nil, invalidArgf("attempt must not be negative, got %d", req.GetAttempt())
	}
	info, err := s.newTaskInfo(req.GetNamespaceId(), req.GetExecution(), req.GetScheduledEventId(), req.GetScheduleToStartTimeout(), req.GetAttempt())
	if err != nil {
		return nil, err
	}
	matched, err := s.addTask(ctx, key, kind, info, req.GetForwardedFrom() != 0)
	if err != nil {
		return nil, err
	}
	return &matchingservice.AddActivityTaskResponse{Unmatched: !matched}, nil
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

// addTask tries sync match, then (on a non-root partition) the root's
// pollers, then the backlog. It reports false only for a forwarded task
// that no poller took (forwarded tasks are never written: the forwarding
// partition keeps them).
func (s *Service) addTask(ctx context.Context, key partitionKey, kind enumspb.TaskQueueKind, info *persistencepb.TaskQueueTask, forwarded bool) (bool, error) {
	m, err := s.getManager(ctx, key, kind)
	if err != nil {
		return false, err
	}
	defer m.release()
	if kind == enumspb.TASK_QUEUE_KIND_STICKY && !m.hasRecentPoller(stickyPollerWindow) {
		m.scope.Counter(metricStickyUnavailable).Inc(1)
		return false, matchingservice.ErrStickyWorkerUnavailable
	}
	wait := s.cfg.SyncMatchWait
	if forwarded {
		wait = 0 // the forwarding partition is waiting to write it itself
	}
	o, err := m.trySyncMatch(ctx, newSyncTask(info), wait)
	if err != nil {
		return false, s.managerError(m, err)
	}
	switch o {
	case outcomeStarted, outcomeDropped:
		m.scope.Counter(metricSyncMatch).Inc(1)
		return true, nil
	case outcomeReturned, outcomeFailed:
		// The poller could not start it; keep it durably instead.
		m.scope.Counter(metricTasksReturned).Inc(1)
	default:
		if !forwarded && m.forwards && !m.backlogPending() {
			if s.forwardTask(ctx, key, info, metricForwardedAdds) {
				return true, nil
			}
		}
	}
	if forwarded {
		return false, nil
	}
	return true, s.managerError(m, m.writeTask(ctx, info))
}

// forwardTask offers a task of the non-root partition key to the root's
// waiting pollers (see partition.go). It reports whether the task is done
// (started or stale); on false the caller keeps it.
func (s *Service) forwardTask(ctx context.Context, key partitionKey, info *persistencepb.TaskQueueTask, metric string) bool {
	tq := &taskqueuepb.TaskQueue{Name: key.name, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	var (
		unmatched bool
		err       error
	)
	switch key.taskType {
	case enumspb.TASK_QUEUE_TYPE_ACTIVITY:
		var resp *matchingservice.AddActivityTaskResponse
		resp, err = s.forward.AddActivityTask(ctx, &matchingservice.AddActivityTaskRequest{
			NamespaceId:            key.namespaceID,
			Execution:              info.GetExecution(),
			TaskQueue:              tq,
			ScheduledEventId:       info.GetScheduledEventId(),
			ScheduleToStartTimeout: info.GetScheduleToStartTimeout(),
			Attempt:                info.GetAttempt(),
			ForwardedFrom:          key.partition,
		})
		unmatched = resp.GetUnmatched()
	default:
		var resp *matchingservice.AddWorkflowTaskResponse
		resp, err = s.forward.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{
			NamespaceId:            key.namespaceID,
			Execution:              info.GetExecution(),
			TaskQueue:              tq,
			ScheduledEventId:       info.GetScheduledEventId(),
			ScheduleToStartTimeout: info.GetScheduleToStartTimeout(),
			ForwardedFrom:          key.partition,
		})
		unmatched = resp.GetUnmatched()
	}
	scope := s.scopes[key.taskType]
	switch {
	case err != nil:
		scope.Tagged(map[string]string{tagForwardResult: forwardFailed}).Counter(metric).Inc(1)
		s.logger.Debug("forwarding a task to the root partition failed", zap.Stringer("partition", key), zap.Error(err))
		return false
	case unmatched:
		scope.Tagged(map[string]string{tagForwardResult: forwardUnmatched}).Counter(metric).Inc(1)
		return false
	}
	scope.Tagged(map[string]string{tagForwardResult: forwardMatched}).Counter(metric).Inc(1)
	return true
}

// errLeaseLost: a backlog write found the lease taken by another host; it
// wrote nothing.
var errLeaseLost = errors.New("matching: task queue lease lost")

// managerError maps m's internal errors to what callers of the API see.
// With Deps.Ownership, a partition that moved or whose lease was taken
// answers NotOwned (the call did nothing; routers retry it on the owner).
func (s *Service) managerError(m *taskQueueManager, err error) error {
	stopped := errors.Is(err, errManagerStopped)
	lost := errors.Is(err, errLeaseLost)
	if !stopped && !lost {
		return err
	}
	if s.isStopped() {
		return errServiceStopped
	}
	if s.own != nil && (m.ownershipLost.Load() || m.leaseLost.Load()) {
		return notOwned(m.key, "")
	}
	if lost {
		return storeError("write backlog", persistence.ErrConditionFailed)
	}
	return serviceerror.NewUnavailable("matching: task queue is being unloaded, retry")
}
