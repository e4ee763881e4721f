package workflow

import (
	"cmp"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Signals and cancellation requests to other workflows. The command writes
// a *Initiated event, a pending SignalInfo / RequestCancelInfo keyed by its
// ID and a SIGNAL_EXECUTION / CANCEL_EXECUTION transfer task. The shell's
// executor delivers the request (de-duplicated at the target by a request
// ID derived from this run and the initiated event) and records the outcome
// here, which removes the pending info and schedules a workflow task. An
// outcome is recorded at most once: each method checks the pending info.

func validRunID(id string) bool {
	// A run ID is a UUID in its 36-character text form.
	if len(id) != 36 {
		return false
	}
	for i, c := range id {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHexDigit(c) {
				return false
			}
		}
	}
	return true
}

func isHexDigit(c rune) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (m *MutableState) validateSignalExternal(a *commandpb.SignalExternalWorkflowExecutionCommandAttributes, limits Limits) *commandError {
	cause := enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES
	switch {
	case a == nil:
		return badCommand(cause, "SignalExternalWorkflowExecutionCommandAttributes is not set on command.")
	case a.Execution.GetWorkflowId() == "":
		return badCommand(cause, "WorkflowId is not set on SignalExternalWorkflowExecutionCommand.")
	case a.Execution.GetRunId() != "" && !validRunID(a.Execution.GetRunId()):
		return badCommand(cause, "Invalid RunId %q on SignalExternalWorkflowExecutionCommand.", a.Execution.GetRunId())
	case a.SignalName == "":
		return badCommand(cause, "SignalName is not set on SignalExternalWorkflowExecutionCommand.")
	case limits.BlobSizeLimit > 0 && payloadsSize(a.Input) > limits.BlobSizeLimit:
		return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE, "SignalExternalWorkflowExecutionCommandAttributes.Input exceeds size limit.")
	}
	if _, _, ok := m.targetNamespace(a.Namespace); !ok { //nolint:staticcheck // SDKs still name the target's namespace here
		return badCommand(cause, "Namespace %q not found.", a.Namespace) //nolint:staticcheck // as above
	}
	return nil
}

func (m *MutableState) validateRequestCancelExternal(a *commandpb.RequestCancelExternalWorkflowExecutionCommandAttributes) *commandError {
	cause := enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES
	switch {
	case a == nil:
		return badCommand(cause, "RequestCancelExternalWorkflowExecutionCommandAttributes is not set on command.")
	case a.WorkflowId == "":
		return badCommand(cause, "WorkflowId is not set on RequestCancelExternalWorkflowExecutionCommand.")
	case a.RunId != "" && !validRunID(a.RunId):
		return badCommand(cause, "Invalid RunId %q on RequestCancelExternalWorkflowExecutionCommand.", a.RunId)
	}
	if _, _, ok := m.targetNamespace(a.Namespace); !ok { //nolint:staticcheck // SDKs still name the target's namespace here
		return badCommand(cause, "Namespace %q not found.", a.Namespace) //nolint:staticcheck // as above
	}
	return nil
}

func (m *MutableState) signalExternal(a *commandpb.SignalExternalWorkflowExecutionCommandAttributes, completedID int64) {
	nsName, nsID, _ := m.targetNamespace(a.Namespace) //nolint:staticcheck // SDKs still name the target's namespace here
	e := m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
		Attributes: &historypb.HistoryEvent_SignalExternalWorkflowExecutionInitiatedEventAttributes{SignalExternalWorkflowExecutionInitiatedEventAttributes: &historypb.SignalExternalWorkflowExecutionInitiatedEventAttributes{
			WorkflowTaskCompletedEventId: completedID,
			Namespace:                    nsName,
			NamespaceId:                  nsID,
			WorkflowExecution:            &commonpb.WorkflowExecution{WorkflowId: a.Execution.GetWorkflowId(), RunId: a.Execution.GetRunId()},
			SignalName:                   a.SignalName,
			Input:                        a.Input,
			Control:                      a.Control, //nolint:staticcheck // the SDK correlates its command through it
			ChildWorkflowOnly:            a.ChildWorkflowOnly,
			Header:                       a.Header,
		}},
	})
	m.addTask(&persistencepb.HistoryTask{
		Category: persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER,
		Type:     persistencepb.TaskType_TASK_TYPE_SIGNAL_EXECUTION,
		EventId:  e.EventId,
	})
}

func (m *MutableState) requestCancelExternal(a *commandpb.RequestCancelExternalWorkflowExecutionCommandAttributes, completedID int64) {
	nsName, nsID, _ := m.targetNamespace(a.Namespace) //nolint:staticcheck // SDKs still name the target's namespace here
	e := m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
		Attributes: &historypb.HistoryEvent_RequestCancelExternalWorkflowExecutionInitiatedEventAttributes{RequestCancelExternalWorkflowExecutionInitiatedEventAttributes: &historypb.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes{
			WorkflowTaskCompletedEventId: completedID,
			Namespace:                    nsName,
			NamespaceId:                  nsID,
			WorkflowExecution:            &commonpb.WorkflowExecution{WorkflowId: a.WorkflowId, RunId: a.RunId},
			Control:                      a.Control, //nolint:staticcheck // the SDK correlates its command through it
			ChildWorkflowOnly:            a.ChildWorkflowOnly,
			Reason:                       a.Reason,
		}},
	})
	m.addTask(&persistencepb.HistoryTask{
		Category: persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER,
		Type:     persistencepb.TaskType_TASK_TYPE_CANCEL_EXECUTION,
		EventId:  e.EventId,
	})
}

// PendingSignal returns the signal initiated by event initiatedID while its
// outcome is not recorded, or nil.
func (m *MutableState) PendingSignal(initiatedID int64) *persistencepb.SignalInfo {
	return m.S.SignalInfos[initiatedID]
}

// PendingCancelRequest returns the cancellation request initiated by event
// initiatedID while its outcome is not recorded, or nil.
func (m *MutableState) PendingCancelRequest(initiatedID int64) *persistencepb.RequestCancelInfo {
	return m.S.RequestCancelInfos[initiatedID]
}

// RecordExternalSignaled writes ExternalWorkflowExecutionSignaled (the
// target got the signal; runID is the run that got it) and reports whether
// it did.
func (m *MutableState) RecordExternalSignaled(initiatedID int64, runID string) bool {
	si := m.PendingSignal(initiatedID)
	if !m.IsRunning() || si == nil {
		return false
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED,
		Attributes: &historypb.HistoryEvent_ExternalWorkflowExecutionSignaledEventAttributes{ExternalWorkflowExecutionSignaledEventAttributes: &historypb.ExternalWorkflowExecutionSignaledEventAttributes{
			InitiatedEventId:  initiatedID,
			Namespace:         si.Namespace,
			NamespaceId:       si.NamespaceId,
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: si.WorkflowId, RunId: cmp.Or(runID, si.RunId)},
		}},
	})
	m.ScheduleWorkflowTask()
	return true
}

// RecordExternalSignalFailed writes SignalExternalWorkflowExecutionFailed
// and reports whether it did.
func (m *MutableState) RecordExternalSignalFailed(initiatedID int64, cause enumspb.SignalExternalWorkflowExecutionFailedCause) bool {
	si := m.PendingSignal(initiatedID)
	if !m.IsRunning() || si == nil {
		return false
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
		Attributes: &historypb.HistoryEvent_SignalExternalWorkflowExecutionFailedEventAttributes{SignalExternalWorkflowExecutionFailedEventAttributes: &historypb.SignalExternalWorkflowExecutionFailedEventAttributes{
			Cause:             cause,
			Namespace:         si.Namespace,
			NamespaceId:       si.NamespaceId,
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: si.WorkflowId, RunId: si.RunId},
			InitiatedEventId:  initiatedID,
		}},
	})
	m.ScheduleWorkflowTask()
	return true
}

// RecordExternalCancelRequested writes ExternalWorkflowExecutionCancelRequested
// (the target recorded the request, or had closed already) and reports
// whether it did.
func (m *MutableState) RecordExternalCancelRequested(initiatedID int64) bool {
	ri := m.PendingCancelRequest(initiatedID)
	if !m.IsRunning() || ri == nil {
		return false
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
		Attributes: &historypb.HistoryEvent_ExternalWorkflowExecutionCancelRequestedEventAttributes{ExternalWorkflowExecutionCancelRequestedEventAttributes: &historypb.ExternalWorkflowExecutionCancelRequestedEventAttributes{
			InitiatedEventId:  initiatedID,
			Namespace:         ri.Namespace,
			NamespaceId:       ri.NamespaceId,
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ri.WorkflowId, RunId: ri.RunId},
		}},
	})
	m.ScheduleWorkflowTask()
	return true
}

// RecordExternalCancelFailed writes RequestCancelExternalWorkflowExecutionFailed
// and reports whether it did.
func (m *MutableState) RecordExternalCancelFailed(initiatedID int64, cause enumspb.CancelExternalWorkflowExecutionFailedCause) bool {
	ri := m.PendingCancelRequest(initiatedID)
	if !m.IsRunning() || ri == nil {
		return false
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
		Attributes: &historypb.HistoryEvent_RequestCancelExternalWorkflowExecutionFailedEventAttributes{RequestCancelExternalWorkflowExecutionFailedEventAttributes: &historypb.RequestCancelExternalWorkflowExecutionFailedEventAttributes{
			Cause:             cause,
			Namespace:         ri.Namespace,
			NamespaceId:       ri.NamespaceId,
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ri.WorkflowId, RunId: ri.RunId},
			InitiatedEventId:  initiatedID,
		}},
	})
	m.ScheduleWorkflowTask()
	return true
}
