package workflow

import (
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// BufferedEventID is the event ID of an event waiting in the buffer.
const BufferedEventID int64 = -123

// Apply changes s to reflect event e. It is the only place events change
// state. Events with BufferedEventID are applied when buffered; their IDs and
// version-history entries are assigned when the buffer is flushed.
func Apply(s *persistencepb.WorkflowMutableState, e *historypb.HistoryEvent) error {
	ei := s.ExecutionInfo
	if ei == nil {
		if e.EventType != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
			return fmt.Errorf("workflow: event %v applied before WorkflowExecutionStarted", e.EventType)
		}
		ei = &persistencepb.WorkflowExecutionInfo{}
		s.ExecutionInfo = ei
	}
	if s.ExecutionState == nil {
		s.ExecutionState = &persistencepb.ExecutionState{}
	}
	if s.ActivityInfos == nil {
		s.ActivityInfos = map[int64]*persistencepb.ActivityInfo{}
	}
	if s.TimerInfos == nil {
		s.TimerInfos = map[string]*persistencepb.TimerInfo{}
	}
	if s.ChildExecutionInfos == nil {
		s.ChildExecutionInfos = map[int64]*persistencepb.ChildExecutionInfo{}
	}
	if s.RequestCancelInfos == nil {
		s.RequestCancelInfos = map[int64]*persistencepb.RequestCancelInfo{}
	}
	if s.SignalInfos == nil {
		s.SignalInfos = map[int64]*persistencepb.SignalInfo{}
	}
	if e.EventId != BufferedEventID {
		if err := recordVersion(ei, e.EventId, e.Version); err != nil {
			return err
		}
	}
	switch e.EventType {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		applyStarted(s, e)
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
		a := e.GetWorkflowTaskScheduledEventAttributes()
		ei.WorkflowTask = &persistencepb.WorkflowTaskInfo{
			ScheduledEventId:      e.EventId,
			Attempt:               a.GetAttempt(),
			Version:               e.Version,
			StartToCloseTimeout:   a.GetStartToCloseTimeout(),
			ScheduledTime:         e.EventTime,
			OriginalScheduledTime: e.EventTime,
			TaskQueue:             a.GetTaskQueue().GetName(),
			Sticky:                a.GetTaskQueue().GetKind() == enumspb.TASK_QUEUE_KIND_STICKY,
		}
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
		a := e.GetWorkflowTaskStartedEventAttributes()
		wt := ei.WorkflowTask
		if wt == nil || wt.ScheduledEventId != a.GetScheduledEventId() {
			return fmt.Errorf("workflow: task started event %d for unknown scheduled event %d", e.EventId, a.GetScheduledEventId())
		}
		wt.StartedEventId = e.EventId
		wt.StartedTime = e.EventTime
		wt.RequestId = a.GetRequestId()
		wt.Identity = a.GetIdentity()
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
		ei.LastCompletedWorkflowTaskStartedEventId = e.GetWorkflowTaskCompletedEventAttributes().GetStartedEventId()
		ei.WorkflowTask = nil
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
		// Keep the attempt so that the retry is scheduled with attempt+1.
		attempt := int32(1)
		if ei.WorkflowTask != nil {
			attempt = ei.WorkflowTask.Attempt
		}
		if e.GetWorkflowTaskTimedOutEventAttributes().GetTimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START {
			// A sticky task nobody started is no failed attempt: the task
			// that replaces it on the normal queue keeps its attempt (the
			// SDK reports failures of attempt 1 only).
			attempt--
		}
		if e.GetWorkflowTaskFailedEventAttributes().GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW {
			// The failure that starts a reset run (reset.go).
			applyResetPoint(s, e)
			attempt = 0
		}
		ei.WorkflowTask = &persistencepb.WorkflowTaskInfo{Attempt: attempt}
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		a := e.GetActivityTaskScheduledEventAttributes()
		s.ActivityInfos[e.EventId] = &persistencepb.ActivityInfo{
			ScheduledEventId:       e.EventId,
			Version:                e.Version,
			ActivityId:             a.GetActivityId(),
			ActivityType:           a.GetActivityType().GetName(),
			TaskQueue:              a.GetTaskQueue().GetName(),
			ScheduledTime:          e.EventTime,
			FirstScheduledTime:     e.EventTime,
			Attempt:                1,
			ScheduleToStartTimeout: a.GetScheduleToStartTimeout(),
			ScheduleToCloseTimeout: a.GetScheduleToCloseTimeout(),
			StartToCloseTimeout:    a.GetStartToCloseTimeout(),
			HeartbeatTimeout:       a.GetHeartbeatTimeout(),
			RetryPolicy:            a.GetRetryPolicy(),
			Stamp:                  1,
		}
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
		a := e.GetActivityTaskStartedEventAttributes()
		if ai := s.ActivityInfos[a.GetScheduledEventId()]; ai != nil {
			ai.Started = true
			ai.Attempt = a.GetAttempt()
			ai.RequestId = a.GetRequestId()
			ai.StartedIdentity = a.GetIdentity()
			if ai.StartedTime == nil {
				ai.StartedTime = e.EventTime
			}
		}
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		delete(s.ActivityInfos, e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		delete(s.ActivityInfos, e.GetActivityTaskFailedEventAttributes().GetScheduledEventId())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		delete(s.ActivityInfos, e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		delete(s.ActivityInfos, e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
		a := e.GetActivityTaskCancelRequestedEventAttributes()
		if ai := s.ActivityInfos[a.GetScheduledEventId()]; ai != nil {
			ai.CancelRequested = true
			ai.CancelRequestEventId = e.EventId
		}
	case enumspb.EVENT_TYPE_TIMER_STARTED:
		a := e.GetTimerStartedEventAttributes()
		s.TimerInfos[a.GetTimerId()] = &persistencepb.TimerInfo{
			TimerId:        a.GetTimerId(),
			StartedEventId: e.EventId,
			ExpiryTime:     timestamppb.New(e.EventTime.AsTime().Add(a.GetStartToFireTimeout().AsDuration())),
			Version:        e.Version,
		}
	case enumspb.EVENT_TYPE_TIMER_FIRED:
		a := e.GetTimerFiredEventAttributes()
		deleteTimer(s, a.GetTimerId(), a.GetStartedEventId())
	case enumspb.EVENT_TYPE_TIMER_CANCELED:
		a := e.GetTimerCanceledEventAttributes()
		deleteTimer(s, a.GetTimerId(), a.GetStartedEventId())
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		ei.SignalCount++
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
		ei.CancelRequested = true
	case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
		fields := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
		ei.SearchAttributes = mergeSearchAttributes(ei.SearchAttributes, fields)
	case enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
		fields := e.GetWorkflowPropertiesModifiedEventAttributes().GetUpsertedMemo().GetFields()
		ei.Memo = mergeMemo(ei.Memo, fields)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		applyClosed(s, e, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED)
		ei.NewExecutionRunId = e.GetWorkflowExecutionCompletedEventAttributes().GetNewExecutionRunId()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		applyClosed(s, e, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED)
		ei.NewExecutionRunId = e.GetWorkflowExecutionFailedEventAttributes().GetNewExecutionRunId()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		applyClosed(s, e, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT)
		ei.NewExecutionRunId = e.GetWorkflowExecutionTimedOutEventAttributes().GetNewExecutionRunId()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		applyClosed(s, e, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		applyClosed(s, e, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		applyClosed(s, e, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
		ei.NewExecutionRunId = e.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
	case enumspb.EVENT_TYPE_MARKER_RECORDED:
		// Markers change no server state.
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
		if err := applyUpdateEvent(s, e); err != nil {
			return err
		}
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
		a := e.GetStartChildWorkflowExecutionInitiatedEventAttributes()
		s.ChildExecutionInfos[e.EventId] = &persistencepb.ChildExecutionInfo{
			InitiatedEventId:  e.EventId,
			Version:           e.Version,
			Namespace:         a.GetNamespace(),
			NamespaceId:       a.GetNamespaceId(),
			WorkflowId:        a.GetWorkflowId(),
			WorkflowTypeName:  a.GetWorkflowType().GetName(),
			ParentClosePolicy: a.GetParentClosePolicy(),
		}
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
		a := e.GetChildWorkflowExecutionStartedEventAttributes()
		if ci := s.ChildExecutionInfos[a.GetInitiatedEventId()]; ci != nil {
			ci.StartedEventId = e.EventId
			ci.StartedRunId = a.GetWorkflowExecution().GetRunId()
		}
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
		enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
		enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
		delete(s.ChildExecutionInfos, ChildInitiatedID(e))
	case enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
		a := e.GetRequestCancelExternalWorkflowExecutionInitiatedEventAttributes()
		s.RequestCancelInfos[e.EventId] = &persistencepb.RequestCancelInfo{
			InitiatedEventId:  e.EventId,
			Version:           e.Version,
			Namespace:         a.GetNamespace(),
			NamespaceId:       a.GetNamespaceId(),
			WorkflowId:        a.GetWorkflowExecution().GetWorkflowId(),
			RunId:             a.GetWorkflowExecution().GetRunId(),
			ChildWorkflowOnly: a.GetChildWorkflowOnly(),
		}
	case enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
		delete(s.RequestCancelInfos, e.GetExternalWorkflowExecutionCancelRequestedEventAttributes().GetInitiatedEventId())
	case enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
		delete(s.RequestCancelInfos, e.GetRequestCancelExternalWorkflowExecutionFailedEventAttributes().GetInitiatedEventId())
	case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
		a := e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes()
		s.SignalInfos[e.EventId] = &persistencepb.SignalInfo{
			InitiatedEventId:  e.EventId,
			Version:           e.Version,
			Namespace:         a.GetNamespace(),
			NamespaceId:       a.GetNamespaceId(),
			WorkflowId:        a.GetWorkflowExecution().GetWorkflowId(),
			RunId:             a.GetWorkflowExecution().GetRunId(),
			ChildWorkflowOnly: a.GetChildWorkflowOnly(),
			SignalName:        a.GetSignalName(),
		}
	case enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
		delete(s.SignalInfos, e.GetExternalWorkflowExecutionSignaledEventAttributes().GetInitiatedEventId())
	case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
		delete(s.SignalInfos, e.GetSignalExternalWorkflowExecutionFailedEventAttributes().GetInitiatedEventId())
	default:
		return fmt.Errorf("workflow: event type %v is not supported", e.EventType)
	}
	if e.EventId != BufferedEventID && e.EventId >= s.NextEventId {
		s.NextEventId = e.EventId + 1
	}
	return nil
}

// applyFlushed finishes applying buffered event e now that the buffer is
// written and e has its real ID: state that recorded the buffered ID gets
// the real one.
func applyFlushed(s *persistencepb.WorkflowMutableState, e *historypb.HistoryEvent) {
	if e.EventType != enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED {
		return
	}
	if ci := s.ChildExecutionInfos[e.GetChildWorkflowExecutionStartedEventAttributes().GetInitiatedEventId()]; ci != nil && ci.StartedEventId == BufferedEventID {
		ci.StartedEventId = e.EventId
	}
}

// ChildInitiatedID is the initiated event ID a child workflow event refers
// to (0 for other events).
func ChildInitiatedID(e *historypb.HistoryEvent) int64 {
	switch e.EventType {
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
		return e.GetStartChildWorkflowExecutionFailedEventAttributes().GetInitiatedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
		return e.GetChildWorkflowExecutionStartedEventAttributes().GetInitiatedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
		return e.GetChildWorkflowExecutionCompletedEventAttributes().GetInitiatedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
		return e.GetChildWorkflowExecutionFailedEventAttributes().GetInitiatedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
		return e.GetChildWorkflowExecutionCanceledEventAttributes().GetInitiatedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
		return e.GetChildWorkflowExecutionTimedOutEventAttributes().GetInitiatedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
		return e.GetChildWorkflowExecutionTerminatedEventAttributes().GetInitiatedEventId()
	}
	return 0
}

// deleteTimer removes the timer startedID started. A timer ID may be reused
// while the old timer's TimerFired waits in the buffer; that event must not
// remove the new timer when it is applied again (rebuild, replication).
func deleteTimer(s *persistencepb.WorkflowMutableState, timerID string, startedID int64) {
	if ti := s.TimerInfos[timerID]; ti != nil && (startedID == 0 || ti.StartedEventId == startedID) {
		delete(s.TimerInfos, timerID)
	}
}

func applyStarted(s *persistencepb.WorkflowMutableState, e *historypb.HistoryEvent) {
	a := e.GetWorkflowExecutionStartedEventAttributes()
	ei := s.ExecutionInfo
	ei.WorkflowTypeName = a.GetWorkflowType().GetName()
	ei.TaskQueue = a.GetTaskQueue().GetName()
	ei.WorkflowExecutionTimeout = a.GetWorkflowExecutionTimeout()
	ei.WorkflowRunTimeout = a.GetWorkflowRunTimeout()
	ei.DefaultWorkflowTaskTimeout = a.GetWorkflowTaskTimeout()
	ei.StartTime = e.EventTime
	ei.ExecutionTime = timestamppb.New(e.EventTime.AsTime().Add(a.GetFirstWorkflowTaskBackoff().AsDuration()))
	ei.ExecutionExpirationTime = a.GetWorkflowExecutionExpirationTime()
	if rt := a.GetWorkflowRunTimeout().AsDuration(); rt > 0 {
		ei.RunExpirationTime = timestamppb.New(ei.ExecutionTime.AsTime().Add(rt))
	}
	if exp := ei.ExecutionExpirationTime; exp != nil && (ei.RunExpirationTime == nil || exp.AsTime().Before(ei.RunExpirationTime.AsTime())) {
		// A run of a chain ends with the chain's execution timeout at the
		// latest (Temporal caps the run's expiration the same way).
		ei.RunExpirationTime = exp
	}
	ei.RetryPolicy = a.GetRetryPolicy()
	ei.Attempt = a.GetAttempt()
	ei.CronSchedule = a.GetCronSchedule()
	ei.FirstExecutionRunId = a.GetFirstExecutionRunId()
	ei.OriginalExecutionRunId = a.GetOriginalExecutionRunId()
	ei.Memo = a.GetMemo()
	ei.SearchAttributes = a.GetSearchAttributes()
	ei.Header = a.GetHeader()
	ei.Identity = a.GetIdentity()
	ei.ParentNamespaceId = a.GetParentWorkflowNamespaceId()
	ei.ParentExecution = a.GetParentWorkflowExecution()
	ei.ParentInitiatedEventId = a.GetParentInitiatedEventId()
	ei.ParentNamespace = a.GetParentWorkflowNamespace()
	ei.ContinuedExecutionRunId = a.GetContinuedExecutionRunId()
	s.ExecutionState.State = persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING
	s.ExecutionState.Status = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

func applyClosed(s *persistencepb.WorkflowMutableState, e *historypb.HistoryEvent, status enumspb.WorkflowExecutionStatus) {
	s.ExecutionState.State = persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED
	s.ExecutionState.Status = status
	s.ExecutionInfo.CloseTime = e.EventTime
	s.ExecutionInfo.CompletionEventId = e.EventId
	s.ExecutionInfo.WorkflowTask = nil
}

// recordVersion extends the current version history with (eventID, version).
func recordVersion(ei *persistencepb.WorkflowExecutionInfo, eventID, version int64) error {
	vhs := ei.VersionHistories
	if vhs == nil || len(vhs.Histories) == 0 {
		vhs = &persistencepb.VersionHistories{Histories: []*persistencepb.VersionHistory{{}}}
		ei.VersionHistories = vhs
	}
	vh := vhs.Histories[vhs.CurrentIndex]
	n := len(vh.Items)
	if n > 0 {
		last := vh.Items[n-1]
		if version < last.Version {
			return fmt.Errorf("workflow: event %d has version %d below the history's %d", eventID, version, last.Version)
		}
		if eventID <= last.EventId {
			return fmt.Errorf("workflow: event %d is not after the last recorded event %d", eventID, last.EventId)
		}
		if last.Version == version {
			last.EventId = eventID
			return nil
		}
	}
	vh.Items = append(vh.Items, &persistencepb.VersionHistoryItem{EventId: eventID, Version: version})
	return nil
}
