package workflow

import (
	"fmt"

	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/common/searchattribute"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Limits bound what a workflow task completion may do.
type Limits struct {
	// Largest payload blob a command may carry; 0 means no limit.
	BlobSizeLimit int
	// Largest number of pending activities.
	MaxPendingActivities int
	// Largest numbers of pending child workflows, signals to other
	// workflows and cancellation requests to other workflows; 0: no limit.
	MaxPendingChildWorkflows int
	MaxPendingSignals        int
	MaxPendingCancelRequests int
	// SearchAttributes bounds the search attributes of a run (upserted,
	// or given to a child or a continue-as-new run); zero fields: no limit.
	SearchAttributes searchattribute.Limits
}

// CompletionResult says what a workflow task completion did.
type CompletionResult struct {
	// The completion was rejected: a WorkflowTaskFailed event was written.
	Failed      bool
	FailedCause enumspb.WorkflowTaskFailedCause
	FailedMsg   string
	// A new workflow task was scheduled.
	NewWorkflowTask bool
	// Updates the worker rejected, in message order. A rejection writes no
	// event: the shell gives the failure to the update's callers.
	Rejections []UpdateRejection
}

// commandError rejects a completion with a cause the SDK understands.
type commandError struct {
	cause enumspb.WorkflowTaskFailedCause
	msg   string
}

func (e *commandError) Error() string { return e.msg }

func badCommand(cause enumspb.WorkflowTaskFailedCause, format string, args ...any) *commandError {
	return &commandError{cause: cause, msg: fmt.Sprintf(format, args...)}
}

// CompleteWorkflowTask applies a worker's completion of the in-flight task.
// The caller has checked that the task token names the in-flight task.
func (m *MutableState) CompleteWorkflowTask(req *workflowservice.RespondWorkflowTaskCompletedRequest, limits Limits) CompletionResult {
	err := m.validateCommands(req.Commands, limits)
	var plan *updatePlan
	if err == nil {
		plan, err = m.planUpdates(req, limits)
	}
	if err != nil {
		m.FailWorkflowTask(err.cause, serverFailure(err.msg), req.Identity)
		return CompletionResult{Failed: true, FailedCause: err.cause, FailedMsg: err.msg, NewWorkflowTask: true}
	}
	var res CompletionResult
	wt := m.WorkflowTask()
	completed := m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
			ScheduledEventId: wt.ScheduledEventId,
			StartedEventId:   wt.StartedEventId,
			Identity:         req.Identity,
			BinaryChecksum:   req.BinaryChecksum,     //nolint:staticcheck // older SDKs still send it; Temporal still records it in history
			WorkerVersion:    req.WorkerVersionStamp, //nolint:staticcheck // older SDKs still send it; Temporal still records it in history
			SdkMetadata:      req.SdkMetadata,
			MeteringMetadata: req.MeteringMetadata,
		}},
	})
	if sa := req.StickyAttributes; sa != nil && sa.WorkerTaskQueue.GetName() != "" {
		m.S.ExecutionInfo.StickyTaskQueue = sa.WorkerTaskQueue.GetName()
		m.S.ExecutionInfo.StickyScheduleToStartTimeout = sa.ScheduleToStartTimeout
	} else {
		// A worker that completes without sticky attributes keeps no
		// cache; an earlier worker's cache is stale now. Either way the
		// next task belongs on the normal queue.
		m.ClearSticky()
	}
	needTask := false
	for i, c := range req.Commands {
		if !m.IsRunning() {
			break
		}
		for _, st := range plan.at[i] {
			m.applyUpdateStep(st, &res)
		}
		if m.applyCommand(c, completed.EventId) {
			needTask = true
		}
	}
	for _, st := range plan.after {
		if !m.IsRunning() {
			break
		}
		m.applyUpdateStep(st, &res)
	}
	if m.IsRunning() {
		if m.HasBufferedEvents() {
			needTask = true
		}
		m.flushBufferedEvents()
		if needTask || req.ForceCreateNewWorkflowTask || m.In.UndeliveredUpdates {
			m.ScheduleWorkflowTask()
			res.NewWorkflowTask = true
		}
	}
	return res
}

// validateCommands checks every command before any is applied, so that a
// rejected completion changes nothing but the WorkflowTaskFailed event.
func (m *MutableState) validateCommands(cmds []*commandpb.Command, limits Limits) *commandError {
	timers := map[string]bool{}
	for id := range m.S.TimerInfos {
		timers[id] = true
	}
	activities := map[string]bool{}
	for _, ai := range m.S.ActivityInfos {
		activities[ai.ActivityId] = true
	}
	pending := len(m.S.ActivityInfos)
	// The run's search attributes after the upserts validated so far.
	searchAttrs := m.S.ExecutionInfo.GetSearchAttributes()
	children, signals, cancels := len(m.S.ChildExecutionInfos), len(m.S.SignalInfos), len(m.S.RequestCancelInfos)
	for i, c := range cmds {
		if c == nil {
			return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, "command %d is nil", i)
		}
		switch c.CommandType {
		case enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
			a := c.GetScheduleActivityTaskCommandAttributes()
			cause := enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES
			switch {
			case a == nil:
				return badCommand(cause, "ScheduleActivityTaskCommandAttributes is not set on command.")
			case a.ActivityId == "":
				return badCommand(cause, "ActivityId is not set on command.")
			case a.ActivityType.GetName() == "":
				return badCommand(cause, "ActivityType is not set on command.")
			case activities[a.ActivityId]:
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID, "Activity with ID %q is already pending.", a.ActivityId)
			case a.ScheduleToCloseTimeout.AsDuration() < 0 || a.ScheduleToStartTimeout.AsDuration() < 0 ||
				a.StartToCloseTimeout.AsDuration() < 0 || a.HeartbeatTimeout.AsDuration() < 0:
				return badCommand(cause, "A valid timeout may not be negative.")
			case a.ScheduleToCloseTimeout.AsDuration() <= 0 && a.StartToCloseTimeout.AsDuration() <= 0:
				return badCommand(cause, "A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.")
			case limits.BlobSizeLimit > 0 && payloadsSize(a.Input) > limits.BlobSizeLimit:
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE, "ScheduleActivityTaskCommandAttributes.Input exceeds size limit.")
			}
			activities[a.ActivityId] = true
			pending++
			if limits.MaxPendingActivities > 0 && pending > limits.MaxPendingActivities {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED, "Pending activities limit %d exceeded.", limits.MaxPendingActivities)
			}
		case enumspb.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
			a := c.GetRequestCancelActivityTaskCommandAttributes()
			if a == nil || a.ScheduledEventId <= 0 {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES, "ScheduledEventId is not set on RequestCancelActivityTaskCommand.")
			}
		case enumspb.COMMAND_TYPE_START_TIMER:
			a := c.GetStartTimerCommandAttributes()
			switch {
			case a == nil || a.TimerId == "":
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, "TimerId is not set on StartTimerCommand.")
			case a.StartToFireTimeout.AsDuration() <= 0:
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, "A valid StartToFireTimeout is not set on StartTimerCommand.")
			case timers[a.TimerId]:
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID, "Timer with ID %q is already pending.", a.TimerId)
			}
			timers[a.TimerId] = true
		case enumspb.COMMAND_TYPE_CANCEL_TIMER:
			a := c.GetCancelTimerCommandAttributes()
			if a == nil || a.TimerId == "" {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, "TimerId is not set on CancelTimerCommand.")
			}
			if !timers[a.TimerId] && !m.timerFiredInBuffer(a.TimerId) {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, "Timer with ID %q is not pending.", a.TimerId)
			}
			delete(timers, a.TimerId)
		case enumspb.COMMAND_TYPE_RECORD_MARKER:
			a := c.GetRecordMarkerCommandAttributes()
			if a == nil || a.MarkerName == "" {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES, "MarkerName is not set on RecordMarkerCommand.")
			}
		case enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
			if err := m.validateStartChild(c.GetStartChildWorkflowExecutionCommandAttributes(), limits); err != nil {
				return err
			}
			children++
			if limits.MaxPendingChildWorkflows > 0 && children > limits.MaxPendingChildWorkflows {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED, "Pending child workflows limit %d exceeded.", limits.MaxPendingChildWorkflows)
			}
		case enumspb.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
			if err := m.validateSignalExternal(c.GetSignalExternalWorkflowExecutionCommandAttributes(), limits); err != nil {
				return err
			}
			signals++
			if limits.MaxPendingSignals > 0 && signals > limits.MaxPendingSignals {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PENDING_SIGNALS_LIMIT_EXCEEDED, "Pending signals limit %d exceeded.", limits.MaxPendingSignals)
			}
		case enumspb.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
			if err := m.validateRequestCancelExternal(c.GetRequestCancelExternalWorkflowExecutionCommandAttributes()); err != nil {
				return err
			}
			cancels++
			if limits.MaxPendingCancelRequests > 0 && cancels > limits.MaxPendingCancelRequests {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PENDING_REQUEST_CANCEL_LIMIT_EXCEEDED, "Pending cancellation requests limit %d exceeded.", limits.MaxPendingCancelRequests)
			}
		case enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
			if err := m.validateContinueAsNew(c.GetContinueAsNewWorkflowExecutionCommandAttributes(), limits); err != nil {
				return err
			}
			if i != len(cmds)-1 {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, "A workflow-closing command must be the last command.")
			}
			if m.hasUnhandledEvents() {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, "Workflow has unhandled events.")
			}
		case enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
			enumspb.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
			if i != len(cmds)-1 {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, "A workflow-closing command must be the last command.")
			}
			if m.hasUnhandledEvents() {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, "Workflow has unhandled events.")
			}
			if c.CommandType == enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION && limits.BlobSizeLimit > 0 &&
				payloadsSize(c.GetCompleteWorkflowExecutionCommandAttributes().GetResult()) > limits.BlobSizeLimit {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE, "CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.")
			}
		case enumspb.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			a := c.GetUpsertWorkflowSearchAttributesCommandAttributes()
			switch {
			case a == nil:
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, "UpsertWorkflowSearchAttributesCommandAttributes is not set on command.")
			case len(a.GetSearchAttributes().GetIndexedFields()) == 0:
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, "IndexedFields is empty on command.")
			}
			merged, err := m.checkSearchAttributes(m.In.Namespace, a.GetSearchAttributes(), searchAttrs, limits)
			if err != nil {
				return err
			}
			searchAttrs = merged
		case enumspb.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
			a := c.GetModifyWorkflowPropertiesCommandAttributes()
			switch {
			case a == nil:
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES, "ModifyWorkflowPropertiesCommandAttributes is not set on command.")
			case a.GetUpsertedMemo() == nil:
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES, "UpsertedMemo is not set on ModifyWorkflowPropertiesCommand.")
			case limits.BlobSizeLimit > 0 && memoSize(a.GetUpsertedMemo()) > limits.BlobSizeLimit:
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE, "ModifyWorkflowPropertiesCommandAttributes.UpsertedMemo exceeds size limit.")
			}
		case enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE:
			// The message it names is checked with the others (planUpdates).
			if c.GetProtocolMessageCommandAttributes().GetMessageId() == "" {
				return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, "ProtocolMessageCommandAttributes.MessageId is not set on command.")
			}
		default:
			return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND, "Command %v is not supported by this server yet.", c.CommandType)
		}
	}
	return nil
}

// hasUnhandledEvents reports whether events arrived during the in-flight
// task that the workflow has not seen (the SDK must get another task).
func (m *MutableState) hasUnhandledEvents() bool {
	return len(m.S.BufferedEvents) > 0
}

func (m *MutableState) activityCloseBuffered(scheduledID int64) bool {
	for _, e := range m.S.BufferedEvents {
		var id int64 = -1
		switch e.EventType {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			id = e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			id = e.GetActivityTaskFailedEventAttributes().GetScheduledEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			id = e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			id = e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()
		}
		if id == scheduledID {
			return true
		}
	}
	return false
}

func (m *MutableState) timerFiredInBuffer(timerID string) bool {
	for _, e := range m.S.BufferedEvents {
		if e.EventType == enumspb.EVENT_TYPE_TIMER_FIRED && e.GetTimerFiredEventAttributes().GetTimerId() == timerID {
			return true
		}
	}
	return false
}

// applyCommand writes the events of one validated command; it reports
// whether the workflow needs another task to observe the result.
func (m *MutableState) applyCommand(c *commandpb.Command, completedID int64) bool {
	switch c.CommandType {
	case enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
		m.scheduleActivity(c.GetScheduleActivityTaskCommandAttributes(), completedID)
	case enumspb.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
		return m.requestCancelActivity(c.GetRequestCancelActivityTaskCommandAttributes().ScheduledEventId, completedID)
	case enumspb.COMMAND_TYPE_START_TIMER:
		a := c.GetStartTimerCommandAttributes()
		e := m.addEvent(&historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_TIMER_STARTED,
			Attributes: &historypb.HistoryEvent_TimerStartedEventAttributes{TimerStartedEventAttributes: &historypb.TimerStartedEventAttributes{
				TimerId: a.TimerId, StartToFireTimeout: a.StartToFireTimeout, WorkflowTaskCompletedEventId: completedID,
			}},
		})
		m.addTimer(persistencepb.TaskType_TASK_TYPE_USER_TIMER, m.now.Add(a.StartToFireTimeout.AsDuration()), &persistencepb.HistoryTask{EventId: e.EventId})
	case enumspb.COMMAND_TYPE_CANCEL_TIMER:
		m.cancelTimer(c.GetCancelTimerCommandAttributes().TimerId, completedID)
	case enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE:
		// Its message was applied just before (updatePlan).
	case enumspb.COMMAND_TYPE_RECORD_MARKER:
		a := c.GetRecordMarkerCommandAttributes()
		m.addEvent(&historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_MARKER_RECORDED,
			Attributes: &historypb.HistoryEvent_MarkerRecordedEventAttributes{MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{
				MarkerName: a.MarkerName, Details: a.Details, WorkflowTaskCompletedEventId: completedID, Header: a.Header, Failure: a.Failure,
			}},
		})
	case enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
		m.completeRun(c.GetCompleteWorkflowExecutionCommandAttributes().GetResult(), completedID)
	case enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
		m.failRun(c.GetFailWorkflowExecutionCommandAttributes().GetFailure(), completedID)
	case enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
		m.continueAsNew(c.GetContinueAsNewWorkflowExecutionCommandAttributes(), completedID)
	case enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
		m.startChild(c.GetStartChildWorkflowExecutionCommandAttributes(), completedID)
	case enumspb.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
		m.signalExternal(c.GetSignalExternalWorkflowExecutionCommandAttributes(), completedID)
	case enumspb.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
		m.requestCancelExternal(c.GetRequestCancelExternalWorkflowExecutionCommandAttributes(), completedID)
	case enumspb.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
		m.close(&historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionCanceledEventAttributes{WorkflowExecutionCanceledEventAttributes: &historypb.WorkflowExecutionCanceledEventAttributes{
				Details: c.GetCancelWorkflowExecutionCommandAttributes().GetDetails(), WorkflowTaskCompletedEventId: completedID,
			}},
		}, false)
	case enumspb.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
		m.addEvent(&historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
			Attributes: &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{
				WorkflowTaskCompletedEventId: completedID, SearchAttributes: c.GetUpsertWorkflowSearchAttributesCommandAttributes().GetSearchAttributes(),
			}},
		})
		m.AddVisibilityTask()
	case enumspb.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
		m.addEvent(&historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
			Attributes: &historypb.HistoryEvent_WorkflowPropertiesModifiedEventAttributes{WorkflowPropertiesModifiedEventAttributes: &historypb.WorkflowPropertiesModifiedEventAttributes{
				WorkflowTaskCompletedEventId: completedID, UpsertedMemo: c.GetModifyWorkflowPropertiesCommandAttributes().GetUpsertedMemo(),
			}},
		})
		m.AddVisibilityTask()
	}
	return false
}

// scheduleActivity normalises the command's timeouts as Temporal does and
// writes ActivityTaskScheduled with the normalised values.
func (m *MutableState) scheduleActivity(a *commandpb.ScheduleActivityTaskCommandAttributes, completedID int64) {
	ei := m.S.ExecutionInfo
	s2c := a.ScheduleToCloseTimeout.AsDuration()
	s2s := a.ScheduleToStartTimeout.AsDuration()
	stc := a.StartToCloseTimeout.AsDuration()
	hb := a.HeartbeatTimeout.AsDuration()
	if run := ei.RunExpirationTime; run != nil {
		remaining := run.AsTime().Sub(m.now)
		if remaining > 0 && (s2c <= 0 || s2c > remaining) {
			s2c = remaining
		}
	}
	if s2c > 0 {
		if s2s <= 0 || s2s > s2c {
			s2s = s2c
		}
		if stc <= 0 || stc > s2c {
			stc = s2c
		}
	}
	if hb > stc {
		hb = stc
	}
	tq := a.TaskQueue
	if tq.GetName() == "" {
		tq = &taskqueuepb.TaskQueue{Name: ei.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	}
	e := m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
		Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
			ActivityId:                   a.ActivityId,
			ActivityType:                 a.ActivityType,
			TaskQueue:                    tq,
			Header:                       a.Header,
			Input:                        a.Input,
			ScheduleToCloseTimeout:       durationOrNil(s2c),
			ScheduleToStartTimeout:       durationOrNil(s2s),
			StartToCloseTimeout:          durationOrNil(stc),
			HeartbeatTimeout:             durationOrNil(hb),
			WorkflowTaskCompletedEventId: completedID,
			RetryPolicy:                  NormalizeRetryPolicy(a.RetryPolicy),
			Priority:                     a.Priority,
		}},
	})
	ai := m.S.ActivityInfos[e.EventId]
	m.activityAttemptTasks(ai, false)
	if s2c > 0 {
		m.addTimer(persistencepb.TaskType_TASK_TYPE_ACTIVITY_TIMEOUT, m.now.Add(s2c), &persistencepb.HistoryTask{
			EventId: ai.ScheduledEventId, TimeoutType: enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
		})
	}
}

// requestCancelActivity writes ActivityTaskCancelRequested; an activity no
// worker has started is canceled at once (and the workflow needs a task to
// see it). An activity whose close event is buffered (it closed during this
// task) still gets the request recorded, as in Temporal: the SDK matches its
// command against that event on replay. Any other unknown activity is left
// alone.
func (m *MutableState) requestCancelActivity(scheduledID, completedID int64) bool {
	ai := m.S.ActivityInfos[scheduledID]
	if ai == nil && !m.activityCloseBuffered(scheduledID) {
		return false
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
		Attributes: &historypb.HistoryEvent_ActivityTaskCancelRequestedEventAttributes{ActivityTaskCancelRequestedEventAttributes: &historypb.ActivityTaskCancelRequestedEventAttributes{
			ScheduledEventId: scheduledID, WorkflowTaskCompletedEventId: completedID,
		}},
	})
	if ai == nil || ai.Started {
		return false
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
		Attributes: &historypb.HistoryEvent_ActivityTaskCanceledEventAttributes{ActivityTaskCanceledEventAttributes: &historypb.ActivityTaskCanceledEventAttributes{
			LatestCancelRequestedEventId: ai.CancelRequestEventId, ScheduledEventId: scheduledID,
		}},
	})
	return true
}

// cancelTimer writes TimerCanceled. A timer that fired during the task is
// canceled instead: its buffered TimerFired event is dropped.
func (m *MutableState) cancelTimer(timerID string, completedID int64) {
	ti := m.S.TimerInfos[timerID]
	var startedID int64
	if ti != nil {
		startedID = ti.StartedEventId
	} else {
		kept := m.S.BufferedEvents[:0]
		for _, e := range m.S.BufferedEvents {
			if e.EventType == enumspb.EVENT_TYPE_TIMER_FIRED && e.GetTimerFiredEventAttributes().GetTimerId() == timerID {
				startedID = e.GetTimerFiredEventAttributes().GetStartedEventId()
				continue
			}
			kept = append(kept, e)
		}
		m.S.BufferedEvents = kept
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_TIMER_CANCELED,
		Attributes: &historypb.HistoryEvent_TimerCanceledEventAttributes{TimerCanceledEventAttributes: &historypb.TimerCanceledEventAttributes{
			TimerId: timerID, StartedEventId: startedID, WorkflowTaskCompletedEventId: completedID,
		}},
	})
}

// FireTimer writes TimerFired for a due user timer.
func (m *MutableState) FireTimer(ti *persistencepb.TimerInfo) {
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_TIMER_FIRED,
		Attributes: &historypb.HistoryEvent_TimerFiredEventAttributes{TimerFiredEventAttributes: &historypb.TimerFiredEventAttributes{
			TimerId: ti.TimerId, StartedEventId: ti.StartedEventId,
		}},
	})
	m.ScheduleWorkflowTask()
}

func serverFailure(msg string) *failurepb.Failure {
	return &failurepb.Failure{
		Message:     msg,
		Source:      "Server",
		FailureInfo: &failurepb.Failure_ServerFailureInfo{ServerFailureInfo: &failurepb.ServerFailureInfo{}},
	}
}

func payloadsSize(p *commonpb.Payloads) int {
	n := 0
	for _, x := range p.GetPayloads() {
		n += len(x.GetData())
	}
	return n
}

func memoSize(m *commonpb.Memo) int {
	n := 0
	for _, p := range m.GetFields() {
		n += len(p.GetData())
	}
	return n
}

// mergeSearchAttributes upserts fields into cur; an empty payload (JSON
// null, binary/null or no data) removes the attribute.
func mergeSearchAttributes(cur *commonpb.SearchAttributes, fields map[string]*commonpb.Payload) *commonpb.SearchAttributes {
	return searchattribute.Merge(cur, fields)
}

func mergeMemo(cur *commonpb.Memo, fields map[string]*commonpb.Payload) *commonpb.Memo {
	if len(fields) == 0 {
		return cur
	}
	out := &commonpb.Memo{Fields: map[string]*commonpb.Payload{}}
	for k, v := range cur.GetFields() {
		out.Fields[k] = v
	}
	for k, v := range fields {
		if v == nil || len(v.Data) == 0 || string(v.Data) == "null" {
			delete(out.Fields, k)
			continue
		}
		out.Fields[k] = v
	}
	return out
}
