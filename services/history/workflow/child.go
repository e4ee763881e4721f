package workflow

import (
	"sort"

	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Child workflows. A StartChildWorkflowExecution command writes
// StartChildWorkflowExecutionInitiated, adds a ChildExecutionInfo keyed by
// that event's ID and a START_CHILD_EXECUTION transfer task. The shell's
// executor starts the child (with this run as its parent) and records the
// outcome here: ChildWorkflowExecutionStarted, or
// StartChildWorkflowExecutionFailed. When the child's chain closes, its
// close task records the matching Child* close event here. Each outcome
// removes nothing but its own pending info and schedules a workflow task,
// and is recorded at most once: every method checks the pending info first,
// so an executor that runs twice changes nothing the second time.

// targetNamespace resolves the namespace a command names (empty: the run's
// own) to its name and ID; ok is false when the shell did not resolve it.
func (m *MutableState) targetNamespace(name string) (string, string, bool) {
	if name == "" || name == m.In.Namespace {
		return m.In.Namespace, m.S.ExecutionInfo.NamespaceId, true
	}
	id, ok := m.In.NamespaceIDs[name]
	return name, id, ok && id != ""
}

func (m *MutableState) validateStartChild(a *commandpb.StartChildWorkflowExecutionCommandAttributes, limits Limits) *commandError {
	cause := enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES
	switch {
	case a == nil:
		return badCommand(cause, "StartChildWorkflowExecutionCommandAttributes is not set on command.")
	case a.WorkflowId == "":
		return badCommand(cause, "Required field WorkflowId is not set on StartChildWorkflowExecutionCommand.")
	case a.WorkflowType.GetName() == "":
		return badCommand(cause, "Required field WorkflowType is not set on StartChildWorkflowExecutionCommand.")
	case a.WorkflowExecutionTimeout.AsDuration() < 0 || a.WorkflowRunTimeout.AsDuration() < 0 || a.WorkflowTaskTimeout.AsDuration() < 0:
		return badCommand(cause, "A valid timeout may not be negative.")
	case !validEnum(enumspb.ParentClosePolicy_name, int32(a.ParentClosePolicy)):
		return badCommand(cause, "Invalid ParentClosePolicy %d.", a.ParentClosePolicy)
	case !validEnum(enumspb.WorkflowIdReusePolicy_name, int32(a.WorkflowIdReusePolicy)):
		return badCommand(cause, "Invalid WorkflowIdReusePolicy %d.", a.WorkflowIdReusePolicy)
	case limits.BlobSizeLimit > 0 && payloadsSize(a.Input) > limits.BlobSizeLimit:
		return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE, "StartChildWorkflowExecutionCommandAttributes.Input exceeds size limit.")
	}
	nsName, _, ok := m.targetNamespace(a.Namespace) //nolint:staticcheck // SDKs still name the child's namespace here
	if !ok {
		return badCommand(cause, "Namespace %q not found.", a.Namespace) //nolint:staticcheck // as above
	}
	if a.SearchAttributes != nil {
		if _, err := m.checkSearchAttributes(nsName, a.SearchAttributes, nil, limits); err != nil {
			return err
		}
	}
	if err := validateRetryPolicy(a.RetryPolicy); err != "" {
		return badCommand(cause, "%s", err)
	}
	if err := validateCron(a.CronSchedule); err != "" {
		return badCommand(cause, "%s", err)
	}
	return nil
}

// startChild writes StartChildWorkflowExecutionInitiated with the
// command's values normalized as Temporal does: the parent's task queue and
// workflow task timeout when unset, Temporal's timeout rules, and
// TERMINATE as the default parent close policy.
func (m *MutableState) startChild(a *commandpb.StartChildWorkflowExecutionCommandAttributes, completedID int64) {
	ei := m.S.ExecutionInfo
	nsName, nsID, _ := m.targetNamespace(a.Namespace) //nolint:staticcheck // SDKs still name the child's namespace here
	tq := a.TaskQueue
	if tq.GetName() == "" {
		tq = &taskqueuepb.TaskQueue{Name: ei.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	}
	task := a.WorkflowTaskTimeout.AsDuration()
	if task <= 0 {
		task = ei.DefaultWorkflowTaskTimeout.AsDuration()
	}
	execT, runT, taskT := NormalizeTimeouts(a.WorkflowExecutionTimeout.AsDuration(), a.WorkflowRunTimeout.AsDuration(), task)
	policy := a.ParentClosePolicy
	if policy == enumspb.PARENT_CLOSE_POLICY_UNSPECIFIED {
		policy = enumspb.PARENT_CLOSE_POLICY_TERMINATE
	}
	var retry *commonpb.RetryPolicy
	if a.RetryPolicy != nil {
		retry = NormalizeRetryPolicy(a.RetryPolicy)
	}
	e := m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
		Attributes: &historypb.HistoryEvent_StartChildWorkflowExecutionInitiatedEventAttributes{StartChildWorkflowExecutionInitiatedEventAttributes: &historypb.StartChildWorkflowExecutionInitiatedEventAttributes{
			Namespace:                    nsName,
			NamespaceId:                  nsID,
			WorkflowId:                   a.WorkflowId,
			WorkflowType:                 a.WorkflowType,
			TaskQueue:                    tq,
			Input:                        a.Input,
			WorkflowExecutionTimeout:     durationOrNil(execT),
			WorkflowRunTimeout:           durationOrNil(runT),
			WorkflowTaskTimeout:          durationpb.New(taskT),
			ParentClosePolicy:            policy,
			Control:                      a.Control, //nolint:staticcheck // the SDK correlates its command through it
			WorkflowTaskCompletedEventId: completedID,
			WorkflowIdReusePolicy:        a.WorkflowIdReusePolicy,
			RetryPolicy:                  retry,
			CronSchedule:                 a.CronSchedule,
			Header:                       a.Header,
			Memo:                         a.Memo,
			SearchAttributes:             a.SearchAttributes,
			Priority:                     a.Priority,
		}},
	})
	m.addTask(&persistencepb.HistoryTask{
		Category: persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER,
		Type:     persistencepb.TaskType_TASK_TYPE_START_CHILD_EXECUTION,
		EventId:  e.EventId,
	})
}

// PendingChild returns the child initiated by event initiatedID while its
// outcome is not recorded, or nil.
func (m *MutableState) PendingChild(initiatedID int64) *persistencepb.ChildExecutionInfo {
	return m.S.ChildExecutionInfos[initiatedID]
}

// RecordChildStarted writes ChildWorkflowExecutionStarted for a child
// whose start the shell completed (runID is the child's first run) and
// reports whether it did: nothing is written for a child that is no longer
// pending or whose start is already recorded.
func (m *MutableState) RecordChildStarted(initiatedID int64, runID string, header *commonpb.Header) bool {
	ci := m.PendingChild(initiatedID)
	if !m.IsRunning() || ci == nil || ci.StartedEventId != 0 {
		return false
	}
	m.writeChildStarted(ci, runID, header)
	m.ScheduleWorkflowTask()
	return true
}

func (m *MutableState) writeChildStarted(ci *persistencepb.ChildExecutionInfo, runID string, header *commonpb.Header) {
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
		Attributes: &historypb.HistoryEvent_ChildWorkflowExecutionStartedEventAttributes{ChildWorkflowExecutionStartedEventAttributes: &historypb.ChildWorkflowExecutionStartedEventAttributes{
			Namespace:         ci.Namespace,
			NamespaceId:       ci.NamespaceId,
			InitiatedEventId:  ci.InitiatedEventId,
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ci.WorkflowId, RunId: runID},
			WorkflowType:      &commonpb.WorkflowType{Name: ci.WorkflowTypeName},
			Header:            header,
		}},
	})
}

// RecordChildStartFailed writes StartChildWorkflowExecutionFailed for a
// child that could not be started and reports whether it did.
func (m *MutableState) RecordChildStartFailed(initiatedID int64, cause enumspb.StartChildWorkflowExecutionFailedCause) bool {
	ci := m.PendingChild(initiatedID)
	if !m.IsRunning() || ci == nil || ci.StartedEventId != 0 {
		return false
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
		Attributes: &historypb.HistoryEvent_StartChildWorkflowExecutionFailedEventAttributes{StartChildWorkflowExecutionFailedEventAttributes: &historypb.StartChildWorkflowExecutionFailedEventAttributes{
			Namespace:        ci.Namespace,
			NamespaceId:      ci.NamespaceId,
			WorkflowId:       ci.WorkflowId,
			WorkflowType:     &commonpb.WorkflowType{Name: ci.WorkflowTypeName},
			Cause:            cause,
			InitiatedEventId: ci.InitiatedEventId,
		}},
	})
	m.ScheduleWorkflowTask()
	return true
}

// RecordChildClosed writes the Child* close event matching the close event
// of the child's last run (child is that run; firstRunID the chain's first)
// and reports whether it did. A child whose start is not recorded yet (its
// close overtook the start's outcome) gets ChildWorkflowExecutionStarted
// first, as Temporal does. A close event that ends no chain (a run
// continued as new, or one followed by a retry or cron run) records nothing.
func (m *MutableState) RecordChildClosed(initiatedID int64, child *commonpb.WorkflowExecution, firstRunID string, closeEvent *historypb.HistoryEvent) bool {
	ci := m.PendingChild(initiatedID)
	if !m.IsRunning() || ci == nil || ci.WorkflowId != child.GetWorkflowId() || !ClosesChain(closeEvent) {
		return false
	}
	if ci.StartedEventId == 0 {
		m.writeChildStarted(ci, firstRunID, nil)
	}
	ns, nsID, ex, typ, started := ci.Namespace, ci.NamespaceId, child, &commonpb.WorkflowType{Name: ci.WorkflowTypeName}, ci.StartedEventId
	e := &historypb.HistoryEvent{}
	switch closeEvent.EventType {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		e.EventType = enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED
		e.Attributes = &historypb.HistoryEvent_ChildWorkflowExecutionCompletedEventAttributes{ChildWorkflowExecutionCompletedEventAttributes: &historypb.ChildWorkflowExecutionCompletedEventAttributes{
			Result:    closeEvent.GetWorkflowExecutionCompletedEventAttributes().GetResult(),
			Namespace: ns, NamespaceId: nsID, WorkflowExecution: ex, WorkflowType: typ, InitiatedEventId: initiatedID, StartedEventId: started,
		}}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		a := closeEvent.GetWorkflowExecutionFailedEventAttributes()
		e.EventType = enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED
		e.Attributes = &historypb.HistoryEvent_ChildWorkflowExecutionFailedEventAttributes{ChildWorkflowExecutionFailedEventAttributes: &historypb.ChildWorkflowExecutionFailedEventAttributes{
			Failure: a.GetFailure(), RetryState: a.GetRetryState(),
			Namespace: ns, NamespaceId: nsID, WorkflowExecution: ex, WorkflowType: typ, InitiatedEventId: initiatedID, StartedEventId: started,
		}}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		e.EventType = enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED
		e.Attributes = &historypb.HistoryEvent_ChildWorkflowExecutionCanceledEventAttributes{ChildWorkflowExecutionCanceledEventAttributes: &historypb.ChildWorkflowExecutionCanceledEventAttributes{
			Details:   closeEvent.GetWorkflowExecutionCanceledEventAttributes().GetDetails(),
			Namespace: ns, NamespaceId: nsID, WorkflowExecution: ex, WorkflowType: typ, InitiatedEventId: initiatedID, StartedEventId: started,
		}}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		e.EventType = enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT
		e.Attributes = &historypb.HistoryEvent_ChildWorkflowExecutionTimedOutEventAttributes{ChildWorkflowExecutionTimedOutEventAttributes: &historypb.ChildWorkflowExecutionTimedOutEventAttributes{
			RetryState: closeEvent.GetWorkflowExecutionTimedOutEventAttributes().GetRetryState(),
			Namespace:  ns, NamespaceId: nsID, WorkflowExecution: ex, WorkflowType: typ, InitiatedEventId: initiatedID, StartedEventId: started,
		}}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		e.EventType = enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED
		e.Attributes = &historypb.HistoryEvent_ChildWorkflowExecutionTerminatedEventAttributes{ChildWorkflowExecutionTerminatedEventAttributes: &historypb.ChildWorkflowExecutionTerminatedEventAttributes{
			Namespace: ns, NamespaceId: nsID, WorkflowExecution: ex, WorkflowType: typ, InitiatedEventId: initiatedID, StartedEventId: started,
		}}
	default:
		return false
	}
	m.addEvent(e)
	m.ScheduleWorkflowTask()
	return true
}

// ClosesChain reports whether close event e ends its workflow's chain: a
// close that names a new run (continue-as-new, retry, cron) does not.
func ClosesChain(e *historypb.HistoryEvent) bool {
	switch e.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		return e.GetWorkflowExecutionCompletedEventAttributes().GetNewExecutionRunId() == ""
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		return e.GetWorkflowExecutionFailedEventAttributes().GetNewExecutionRunId() == ""
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		return e.GetWorkflowExecutionTimedOutEventAttributes().GetNewExecutionRunId() == ""
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		return true
	}
	return false
}

// ChildrenToClose lists, in initiated-event order, the started children of
// a closed run that its parent close policy acts on (all but ABANDON).
// Children whose start is not recorded are left out: their start task finds
// the parent closed and does not start them (or applies the policy itself
// when the start raced the close).
func ChildrenToClose(s *persistencepb.WorkflowMutableState) []*persistencepb.ChildExecutionInfo {
	var out []*persistencepb.ChildExecutionInfo
	for _, ci := range s.ChildExecutionInfos {
		if ci.StartedEventId != 0 && ci.ParentClosePolicy != enumspb.PARENT_CLOSE_POLICY_ABANDON {
			out = append(out, ci)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InitiatedEventId < out[j].InitiatedEventId })
	return out
}

// fixChildStartedID gives a child close event that was buffered together
// with its child's started event the started event's real ID, once the
// buffer is written (startedIDs maps initiated IDs to the started events
// written so far in this flush).
func fixChildStartedID(e *historypb.HistoryEvent, startedIDs map[int64]int64) {
	initiated := ChildInitiatedID(e)
	if initiated == 0 {
		return
	}
	if e.EventType == enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED {
		startedIDs[initiated] = e.EventId
		return
	}
	id, ok := startedIDs[initiated]
	if !ok {
		return
	}
	switch e.EventType {
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
		e.GetChildWorkflowExecutionCompletedEventAttributes().StartedEventId = id
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
		e.GetChildWorkflowExecutionFailedEventAttributes().StartedEventId = id
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
		e.GetChildWorkflowExecutionCanceledEventAttributes().StartedEventId = id
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
		e.GetChildWorkflowExecutionTimedOutEventAttributes().StartedEventId = id
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
		e.GetChildWorkflowExecutionTerminatedEventAttributes().StartedEventId = id
	}
}

func validEnum(names map[int32]string, v int32) bool {
	_, ok := names[v]
	return ok
}
