package history

import (
	"context"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

// executor runs a shard's tasks. Every branch checks that the task still
// applies to the run (event ID, attempt, stamp) and drops it otherwise, so a
// task executed twice after a crash does no harm.
type executor struct {
	sh *shard
}

func (x *executor) Execute(ctx context.Context, t *persistencepb.HistoryTask) error {
	err := x.execute(ctx, t)
	if isNotFound(err) {
		// The run (or what the task was about) is gone: nothing to do.
		return nil
	}
	if err != nil {
		x.sh.svc.logger.Debug("task failed", zap.Stringer("type", t.Type), zap.Int64("task_id", t.TaskId), zap.Error(err))
	}
	return err
}

func (x *executor) execute(ctx context.Context, t *persistencepb.HistoryTask) error {
	k := runKey{t.NamespaceId, t.WorkflowId, t.RunId}
	sh := x.sh
	switch t.Type {
	case persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK:
		return x.dispatchWorkflowTask(ctx, k, t)
	case persistencepb.TaskType_TASK_TYPE_ACTIVITY_TASK, persistencepb.TaskType_TASK_TYPE_ACTIVITY_RETRY_TIMER:
		return x.dispatchActivityTask(ctx, k, t)
	case persistencepb.TaskType_TASK_TYPE_UPSERT_VISIBILITY:
		var rec *persistencepb.VisibilityRecord
		if err := sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
			rec = &persistencepb.VisibilityRecord{NamespaceId: t.NamespaceId, Info: ExecutionInfo(st)}
			return nil
		}); err != nil {
			return err
		}
		return sh.svc.deps.Stores.Visibility.UpsertWorkflowExecution(ctx, rec)
	case persistencepb.TaskType_TASK_TYPE_USER_TIMER:
		return sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
			if !ms.IsRunning() {
				return nil
			}
			for _, ti := range ms.S.TimerInfos {
				// A task of a write whose outcome was unknown may name an
				// event ID that a later timer reused: never fire early.
				if ti.StartedEventId == t.EventId && !ti.ExpiryTime.AsTime().After(ms.Now()) {
					ms.FireTimer(ti)
					return nil
				}
			}
			return nil
		})
	case persistencepb.TaskType_TASK_TYPE_ACTIVITY_TIMEOUT:
		return sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
			return activityTimeout(ms, t)
		})
	case persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK_TIMEOUT:
		return sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
			wt := ms.WorkflowTask()
			if !ms.IsRunning() || wt == nil || wt.ScheduledEventId != t.EventId || wt.Attempt != t.Attempt {
				return nil
			}
			if t.TimeoutType == enumspb.TIMEOUT_TYPE_START_TO_CLOSE && wt.StartedEventId == 0 {
				return nil
			}
			if t.TimeoutType == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START && wt.StartedEventId != 0 {
				return nil
			}
			ms.TimeoutWorkflowTask(t.TimeoutType)
			return nil
		})
	case persistencepb.TaskType_TASK_TYPE_WORKFLOW_RUN_TIMEOUT:
		return sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
			exp := ms.Info().RunExpirationTime
			if !ms.IsRunning() || exp == nil || exp.AsTime().After(ms.Now()) {
				return nil
			}
			// A retry policy or cron schedule may start the next run.
			if err := sh.prepareClose(ctx, k, ms); err != nil {
				return err
			}
			ms.TimeoutRun()
			return nil
		})
	case persistencepb.TaskType_TASK_TYPE_START_CHILD_EXECUTION:
		return x.startChild(ctx, k, t)
	case persistencepb.TaskType_TASK_TYPE_CLOSE_EXECUTION:
		return x.closeExecution(ctx, k, t)
	case persistencepb.TaskType_TASK_TYPE_SIGNAL_EXECUTION:
		return x.signalExternal(ctx, k, t)
	case persistencepb.TaskType_TASK_TYPE_CANCEL_EXECUTION:
		return x.cancelExternal(ctx, k, t)
	case persistencepb.TaskType_TASK_TYPE_WORKFLOW_BACKOFF_TIMER:
		return sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
			if ms.IsRunning() && ms.Info().LastCompletedWorkflowTaskStartedEventId == 0 {
				ms.ScheduleWorkflowTask()
			}
			return nil
		})
	case persistencepb.TaskType_TASK_TYPE_DELETE_HISTORY:
		return x.deleteRun(ctx, k)
	}
	sh.svc.logger.Warn("unknown task type dropped", zap.Stringer("type", t.Type))
	return nil
}

func activityTimeout(ms *workflow.MutableState, t *persistencepb.HistoryTask) error {
	ai := ms.S.ActivityInfos[t.EventId]
	if !ms.IsRunning() || ai == nil {
		return nil
	}
	switch t.TimeoutType {
	case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
		ms.TimeoutActivity(ai, t.TimeoutType)
	case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START:
		if ai.Attempt == t.Attempt && ai.Stamp == t.Stamp && !ai.Started {
			ms.TimeoutActivity(ai, t.TimeoutType)
		}
	case enumspb.TIMEOUT_TYPE_START_TO_CLOSE:
		if ai.Attempt == t.Attempt && ai.Stamp == t.Stamp && ai.Started {
			ms.TimeoutActivity(ai, t.TimeoutType)
		}
	case enumspb.TIMEOUT_TYPE_HEARTBEAT:
		if ai.Attempt != t.Attempt || ai.Stamp != t.Stamp || !ai.Started {
			return nil
		}
		if workflow.HeartbeatDeadline(ai).After(ms.Now()) {
			ms.RescheduleHeartbeatTimer(ai)
			return nil
		}
		ms.TimeoutActivity(ai, t.TimeoutType)
	}
	return nil
}

func (x *executor) dispatchWorkflowTask(ctx context.Context, k runKey, t *persistencepb.HistoryTask) error {
	var tq *taskqueuepb.TaskQueue
	if err := x.sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
		wt := st.ExecutionInfo.WorkflowTask
		if st.ExecutionState.State != persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED &&
			wt != nil && wt.ScheduledEventId == t.EventId && wt.StartedEventId == 0 {
			tq = &taskqueuepb.TaskQueue{Name: wt.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
			if wt.Sticky {
				tq.Kind = enumspb.TASK_QUEUE_KIND_STICKY
				tq.NormalName = st.ExecutionInfo.TaskQueue
			}
		}
		return nil
	}); err != nil || tq == nil {
		return err
	}
	x.sh.svc.metrics.Counter(metricTasksDispatched).Inc(1)
	req := &matchingservice.AddWorkflowTaskRequest{
		NamespaceId:            t.NamespaceId,
		Execution:              &commonpb.WorkflowExecution{WorkflowId: t.WorkflowId, RunId: t.RunId},
		TaskQueue:              tq,
		ScheduledEventId:       t.EventId,
		ScheduleToStartTimeout: t.ScheduleToStartTimeout,
	}
	_, err := x.sh.svc.deps.Matching.AddWorkflowTask(ctx, req)
	if !matchingservice.IsStickyWorkerUnavailable(err) {
		return err
	}
	// The sticky worker is gone: send the task to the normal queue now
	// rather than after the sticky schedule-to-start timeout.
	moved := false
	if err := x.sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		moved = ms.UnstickWorkflowTask(t.EventId)
		return nil
	}); err != nil || !moved {
		return err
	}
	req.TaskQueue = &taskqueuepb.TaskQueue{Name: tq.NormalName, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	req.ScheduleToStartTimeout = nil
	_, err = x.sh.svc.deps.Matching.AddWorkflowTask(ctx, req)
	return err
}

func (x *executor) dispatchActivityTask(ctx context.Context, k runKey, t *persistencepb.HistoryTask) error {
	var req *matchingservice.AddActivityTaskRequest
	if err := x.sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
		ai := st.ActivityInfos[t.EventId]
		if st.ExecutionState.State == persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED || ai == nil ||
			ai.Attempt != t.Attempt || ai.Stamp != t.Stamp || ai.Started {
			return nil
		}
		req = &matchingservice.AddActivityTaskRequest{
			NamespaceId:            t.NamespaceId,
			Execution:              &commonpb.WorkflowExecution{WorkflowId: t.WorkflowId, RunId: t.RunId},
			TaskQueue:              &taskqueuepb.TaskQueue{Name: ai.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			ScheduledEventId:       ai.ScheduledEventId,
			ScheduleToStartTimeout: ai.ScheduleToStartTimeout,
			Attempt:                ai.Attempt,
		}
		return nil
	}); err != nil || req == nil {
		return err
	}
	x.sh.svc.metrics.Counter(metricTasksDispatched).Inc(1)
	_, err := x.sh.svc.deps.Matching.AddActivityTask(ctx, req)
	return err
}

// deleteRun removes a closed run after retention: state, history,
// visibility (deleteClosedRun). A run that is not closed (a stale task) is
// left alone.
func (x *executor) deleteRun(ctx context.Context, k runKey) error {
	err := x.sh.deleteClosedRun(ctx, k)
	if err == nil {
		x.sh.cache.drop(k)
	}
	return err
}
