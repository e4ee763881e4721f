package workflow

import (
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// ActivityByID finds a pending activity by its activity ID.
func (m *MutableState) ActivityByID(activityID string) *persistencepb.ActivityInfo {
	for _, ai := range m.S.ActivityInfos {
		if ai.ActivityId == activityID {
			return ai
		}
	}
	return nil
}

// scheduleActivityAttempt derives the tasks of one attempt being scheduled:
// dispatch (now, or by the retry timer at scheduledTime) and its
// schedule-to-start timeout.
func (m *MutableState) activityAttemptTasks(ai *persistencepb.ActivityInfo, retry bool) {
	scheduled := ai.ScheduledTime.AsTime()
	if retry {
		m.addTimer(persistencepb.TaskType_TASK_TYPE_ACTIVITY_RETRY_TIMER, scheduled, &persistencepb.HistoryTask{
			EventId: ai.ScheduledEventId, Attempt: ai.Attempt, Stamp: ai.Stamp, TaskQueue: ai.TaskQueue,
		})
	} else {
		m.addTask(&persistencepb.HistoryTask{
			Category: persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER,
			Type:     persistencepb.TaskType_TASK_TYPE_ACTIVITY_TASK,
			EventId:  ai.ScheduledEventId, Attempt: ai.Attempt, Stamp: ai.Stamp, TaskQueue: ai.TaskQueue,
			ScheduleToStartTimeout: ai.ScheduleToStartTimeout,
		})
	}
	if d := ai.ScheduleToStartTimeout.AsDuration(); d > 0 {
		m.addTimer(persistencepb.TaskType_TASK_TYPE_ACTIVITY_TIMEOUT, scheduled.Add(d), &persistencepb.HistoryTask{
			EventId: ai.ScheduledEventId, Attempt: ai.Attempt, Stamp: ai.Stamp,
			TimeoutType: enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START,
		})
	}
}

// StartActivity records that attempt ai.Attempt was taken by a worker.
// No event is written until the activity closes.
func (m *MutableState) StartActivity(ai *persistencepb.ActivityInfo, requestID, identity string) {
	ai.Started = true
	ai.StartedTime = timestamppb.New(m.now)
	ai.RequestId = requestID
	ai.StartedIdentity = identity
	ai.LastHeartbeatTime = nil
	m.MarkDirty()
	if d := ai.StartToCloseTimeout.AsDuration(); d > 0 {
		m.addTimer(persistencepb.TaskType_TASK_TYPE_ACTIVITY_TIMEOUT, m.now.Add(d), &persistencepb.HistoryTask{
			EventId: ai.ScheduledEventId, Attempt: ai.Attempt, Stamp: ai.Stamp,
			TimeoutType: enumspb.TIMEOUT_TYPE_START_TO_CLOSE,
		})
	}
	if d := ai.HeartbeatTimeout.AsDuration(); d > 0 {
		m.addTimer(persistencepb.TaskType_TASK_TYPE_ACTIVITY_TIMEOUT, m.now.Add(d), &persistencepb.HistoryTask{
			EventId: ai.ScheduledEventId, Attempt: ai.Attempt, Stamp: ai.Stamp,
			TimeoutType: enumspb.TIMEOUT_TYPE_HEARTBEAT,
		})
	}
}

// HeartbeatActivity stores the latest details of a running attempt.
func (m *MutableState) HeartbeatActivity(ai *persistencepb.ActivityInfo, details *commonpb.Payloads) {
	ai.LastHeartbeatTime = timestamppb.New(m.now)
	if details != nil {
		ai.LastHeartbeatDetails = details
	}
	m.MarkDirty()
}

// HeartbeatDeadline is when the running attempt's heartbeat timeout passes.
func HeartbeatDeadline(ai *persistencepb.ActivityInfo) time.Time {
	last := ai.StartedTime.AsTime()
	if ai.LastHeartbeatTime != nil && ai.LastHeartbeatTime.AsTime().After(last) {
		last = ai.LastHeartbeatTime.AsTime()
	}
	return last.Add(ai.HeartbeatTimeout.AsDuration())
}

// RescheduleHeartbeatTimer re-arms the heartbeat timer at the next deadline.
func (m *MutableState) RescheduleHeartbeatTimer(ai *persistencepb.ActivityInfo) {
	m.addTimer(persistencepb.TaskType_TASK_TYPE_ACTIVITY_TIMEOUT, HeartbeatDeadline(ai), &persistencepb.HistoryTask{
		EventId: ai.ScheduledEventId, Attempt: ai.Attempt, Stamp: ai.Stamp,
		TimeoutType: enumspb.TIMEOUT_TYPE_HEARTBEAT,
	})
}

// writeActivityStarted writes the ActivityTaskStarted event of the attempt
// that is closing.
func (m *MutableState) writeActivityStarted(ai *persistencepb.ActivityInfo) int64 {
	if !ai.Started {
		return 0
	}
	e := m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED,
		Attributes: &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{
			ScheduledEventId: ai.ScheduledEventId,
			Identity:         ai.StartedIdentity,
			RequestId:        ai.RequestId,
			Attempt:          ai.Attempt,
			LastFailure:      ai.RetryLastFailure,
		}},
	})
	return e.EventId
}

// CompleteActivity closes the activity with its result.
func (m *MutableState) CompleteActivity(ai *persistencepb.ActivityInfo, result *commonpb.Payloads, identity string) {
	startedID := m.writeActivityStarted(ai)
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
		Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
			Result: result, ScheduledEventId: ai.ScheduledEventId, StartedEventId: startedID, Identity: identity,
		}},
	})
	m.ScheduleWorkflowTask()
}

// FailActivity retries the activity per its retry policy, or closes it as
// failed. It reports whether a retry was scheduled.
func (m *MutableState) FailActivity(ai *persistencepb.ActivityInfo, failure *failurepb.Failure, details *commonpb.Payloads, identity string) bool {
	if details != nil {
		ai.LastHeartbeatDetails = details
	}
	state := m.retryActivity(ai, failure, identity)
	if state == enumspb.RETRY_STATE_IN_PROGRESS {
		return true
	}
	startedID := m.writeActivityStarted(ai)
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED,
		Attributes: &historypb.HistoryEvent_ActivityTaskFailedEventAttributes{ActivityTaskFailedEventAttributes: &historypb.ActivityTaskFailedEventAttributes{
			Failure: failure, ScheduledEventId: ai.ScheduledEventId, StartedEventId: startedID, Identity: identity, RetryState: state,
		}},
	})
	m.ScheduleWorkflowTask()
	return false
}

// TimeoutActivity handles a fired activity timeout: retries start-to-close
// and heartbeat timeouts per policy, closes the activity otherwise.
func (m *MutableState) TimeoutActivity(ai *persistencepb.ActivityInfo, timeoutType enumspb.TimeoutType) bool {
	f := &failurepb.Failure{
		Message: fmt.Sprintf("activity %s timeout", timeoutName(timeoutType)),
		Source:  "Server",
		FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{
			TimeoutType: timeoutType, LastHeartbeatDetails: ai.LastHeartbeatDetails,
		}},
	}
	if timeoutType == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE || timeoutType == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START {
		f.Cause = ai.RetryLastFailure
	}
	state := m.retryActivity(ai, f, "")
	if state == enumspb.RETRY_STATE_IN_PROGRESS {
		return true
	}
	if state == enumspb.RETRY_STATE_TIMEOUT && timeoutType != enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE && timeoutType != enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START {
		// The retry would pass schedule-to-close: report a schedule-to-close
		// timeout with the last failure as the cause, as Temporal does.
		f.Message = fmt.Sprintf("activity %s timeout", timeoutName(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE))
		f.GetTimeoutFailureInfo().TimeoutType = enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
		f.Cause = ai.RetryLastFailure
	}
	startedID := m.writeActivityStarted(ai)
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
		Attributes: &historypb.HistoryEvent_ActivityTaskTimedOutEventAttributes{ActivityTaskTimedOutEventAttributes: &historypb.ActivityTaskTimedOutEventAttributes{
			Failure: f, ScheduledEventId: ai.ScheduledEventId, StartedEventId: startedID, RetryState: state,
		}},
	})
	m.ScheduleWorkflowTask()
	return false
}

// CancelActivity closes a started activity whose worker confirmed cancellation.
func (m *MutableState) CancelActivity(ai *persistencepb.ActivityInfo, details *commonpb.Payloads, identity string) {
	startedID := m.writeActivityStarted(ai)
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
		Attributes: &historypb.HistoryEvent_ActivityTaskCanceledEventAttributes{ActivityTaskCanceledEventAttributes: &historypb.ActivityTaskCanceledEventAttributes{
			Details: details, LatestCancelRequestedEventId: ai.CancelRequestEventId,
			ScheduledEventId: ai.ScheduledEventId, StartedEventId: startedID, Identity: identity,
		}},
	})
	m.ScheduleWorkflowTask()
}

// retryActivity schedules the next attempt if the policy allows and returns
// the retry state (IN_PROGRESS when a retry was scheduled).
func (m *MutableState) retryActivity(ai *persistencepb.ActivityInfo, failure *failurepb.Failure, identity string) enumspb.RetryState {
	if ai.CancelRequested {
		return enumspb.RETRY_STATE_CANCEL_REQUESTED
	}
	var deadline time.Time
	if d := ai.ScheduleToCloseTimeout.AsDuration(); d > 0 {
		deadline = ai.FirstScheduledTime.AsTime().Add(d)
	}
	if run := m.S.ExecutionInfo.RunExpirationTime; run != nil && (deadline.IsZero() || run.AsTime().Before(deadline)) {
		deadline = run.AsTime()
	}
	dec := NextRetry(ai.RetryPolicy, ai.Attempt, failure, m.now, deadline)
	if dec.State != enumspb.RETRY_STATE_IN_PROGRESS {
		return dec.State
	}
	ai.Attempt++
	ai.Stamp++
	ai.ScheduledTime = timestamppb.New(m.now.Add(dec.Backoff))
	ai.Started = false
	ai.StartedTime = nil
	ai.RequestId = ""
	ai.RetryLastFailure = failure
	if identity != "" {
		ai.RetryLastWorkerIdentity = identity
	} else {
		ai.RetryLastWorkerIdentity = ai.StartedIdentity
	}
	ai.StartedIdentity = ""
	m.MarkDirty()
	m.activityAttemptTasks(ai, true)
	return enumspb.RETRY_STATE_IN_PROGRESS
}

func timeoutName(t enumspb.TimeoutType) string {
	switch t {
	case enumspb.TIMEOUT_TYPE_START_TO_CLOSE:
		return "StartToClose"
	case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START:
		return "ScheduleToStart"
	case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
		return "ScheduleToClose"
	case enumspb.TIMEOUT_TYPE_HEARTBEAT:
		return "Heartbeat"
	}
	return t.String()
}
