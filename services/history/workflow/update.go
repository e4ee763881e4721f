package workflow

import (
	"fmt"
	"sort"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	protocolpb "go.temporal.io/api/protocol/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Workflow updates, as Temporal's update protocol defines them. A client's
// request is admitted by the shell (memory only) and reaches the worker as
// a protocol message in a workflow task; the worker answers in its
// completion with messages (Acceptance, Rejection, Response) and
// PROTOCOL_MESSAGE commands that place them among its other commands. The
// core turns the answers into events:
//
//   - Acceptance: WorkflowExecutionUpdateAccepted, carrying the whole
//     original request, so that replay can rebuild the request message.
//   - Response: WorkflowExecutionUpdateCompleted with the outcome.
//   - Rejection: no event (as in Temporal); CompletionResult reports it and
//     the shell hands the failure to the caller as the update's outcome.
//
// Messages are applied at their PROTOCOL_MESSAGE command, in command order;
// messages no command references are applied after the other commands, or
// right before a workflow-closing command (so that an update the workflow
// finished in its last task is recorded before the run closes).
//
// State: UpdateInfos keeps every accepted update by ID (Apply adds it at
// the accepted event and marks it at the completed event), with the
// outcomes of the most recent completions inline (see maxUpdateOutcomes);
// older outcomes stay in their completed events.

// Bounds of the completed update outcomes kept in mutable state: the most
// recent ones, at most this many and this many bytes.
const (
	maxUpdateOutcomes     = 100
	maxUpdateOutcomeBytes = 256 << 10
)

// UpdateRejection is an update a worker rejected in a completion.
type UpdateRejection struct {
	UpdateID string
	Failure  *failurepb.Failure
}

// UpdateStatus is what a run's state says about an update.
type UpdateStatus struct {
	// UNSPECIFIED when the run has not accepted the update (it may still
	// be admitted in the shell); ACCEPTED or COMPLETED otherwise.
	Stage enumspb.UpdateWorkflowExecutionLifecycleStage
	// The outcome of a completed update when the state has it: kept
	// inline, or the failure of an accepted update whose run closed first.
	Outcome *updatepb.Outcome
	// The update's WorkflowExecutionUpdateCompleted event; when Outcome is
	// nil for a completed update, the outcome is read from it.
	CompletedEventID int64
}

// UpdateStatusOf looks an update up in a run's state.
func UpdateStatusOf(s *persistencepb.WorkflowMutableState, updateID string) UpdateStatus {
	ui := s.GetUpdateInfos()[updateID]
	switch {
	case ui == nil:
		return UpdateStatus{}
	case ui.CompletedEventId != 0:
		return UpdateStatus{Stage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, Outcome: ui.Outcome, CompletedEventID: ui.CompletedEventId}
	case s.GetExecutionState().GetState() == persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED:
		return UpdateStatus{
			Stage:   enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
			Outcome: &updatepb.Outcome{Value: &updatepb.Outcome_Failure{Failure: AcceptedUpdateClosedFailure()}},
		}
	}
	return UpdateStatus{Stage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED}
}

// AcceptedUpdateClosedFailure is the outcome of an accepted update whose
// run closed before the update completed (Temporal's failure).
func AcceptedUpdateClosedFailure() *failurepb.Failure {
	return &failurepb.Failure{
		Message: "Workflow Update failed because the Workflow completed before the Update completed.",
		Source:  "Server",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: "AcceptedUpdateCompletedWorkflow", NonRetryable: true,
		}},
	}
}

// UnprocessedUpdateFailure is the outcome of an update a workflow task
// carried but whose completion neither accepted nor rejected it
// (Temporal's failure): re-sending it could loop forever.
func UnprocessedUpdateFailure() *failurepb.Failure {
	return &failurepb.Failure{
		Message: "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
		Source:  "Server",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: "UnprocessedUpdate", NonRetryable: true,
		}},
	}
}

// UpdatesInFlight counts the run's accepted updates that have not completed.
func (m *MutableState) UpdatesInFlight() int {
	n := 0
	for _, ui := range m.S.UpdateInfos {
		if ui.CompletedEventId == 0 {
			n++
		}
	}
	return n
}

// ReadyForUpdates reports whether the run can take an update: it is open
// and not waiting for its first workflow task (a start delay or a chain's
// backoff; Temporal answers WorkflowNotReady then).
func (m *MutableState) ReadyForUpdates() bool {
	ei := m.S.ExecutionInfo
	if !m.IsRunning() {
		return false
	}
	waiting := ei.LastCompletedWorkflowTaskStartedEventId == 0 && m.WorkflowTask() == nil &&
		ei.ExecutionTime != nil && m.now.Before(ei.ExecutionTime.AsTime())
	return !waiting
}

// AdmitUpdate makes sure a workflow task will carry a newly admitted update
// to a worker: it schedules one unless one is pending. A task already in
// flight cannot carry it; its completion schedules the next one when the
// shell says updates wait (Inputs.UndeliveredUpdates).
func (m *MutableState) AdmitUpdate() { m.ScheduleWorkflowTask() }

// updateStep is one protocol message of a completion, decoded.
type updateStep struct {
	updateID   string
	acceptance *updatepb.Acceptance
	rejection  *updatepb.Rejection
	response   *updatepb.Response
}

// updatePlan says when a completion's messages are applied: at[i] right
// before command i, after at the end. Messages that change nothing
// (a repeated acceptance or response) are left out.
type updatePlan struct {
	at    map[int][]*updateStep
	after []*updateStep
}

func badMessage(format string, args ...any) *commandError {
	return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE, format, args...)
}

// decodeMessage checks one protocol message of a completion.
func decodeMessage(msg *protocolpb.Message) (*updateStep, *commandError) {
	if msg == nil {
		return nil, badMessage("Message is nil.")
	}
	if msg.Id == "" || msg.ProtocolInstanceId == "" {
		return nil, badMessage("Message Id and ProtocolInstanceId must be set.")
	}
	if msg.Body == nil {
		return nil, badMessage("Message %q has no body.", msg.Id)
	}
	body, err := msg.Body.UnmarshalNew()
	if err != nil {
		return nil, badMessage("Message %q body does not decode: %v.", msg.Id, err)
	}
	st := &updateStep{updateID: msg.ProtocolInstanceId}
	switch b := body.(type) {
	case *updatepb.Acceptance:
		if b.AcceptedRequest == nil {
			return nil, badMessage("Acceptance of update %q does not carry the accepted request.", st.updateID)
		}
		if id := b.AcceptedRequest.GetMeta().GetUpdateId(); id != "" && id != st.updateID {
			return nil, badMessage("Acceptance of update %q carries the request of update %q.", st.updateID, id)
		}
		st.acceptance = b
	case *updatepb.Rejection:
		st.rejection = b
	case *updatepb.Response:
		if b.Outcome == nil || b.Outcome.Value == nil {
			return nil, badMessage("Response of update %q has no outcome.", st.updateID)
		}
		if id := b.GetMeta().GetUpdateId(); id != "" && id != st.updateID {
			return nil, badMessage("Response of update %q names update %q.", st.updateID, id)
		}
		st.response = b
	default:
		return nil, badMessage("Message %q has an unsupported body %T.", msg.Id, body)
	}
	return st, nil
}

// planUpdates validates a completion's protocol messages and the
// PROTOCOL_MESSAGE commands that reference them, in the order they will be
// applied, and says when each is applied.
func (m *MutableState) planUpdates(req *workflowservice.RespondWorkflowTaskCompletedRequest, limits Limits) (*updatePlan, *commandError) {
	plan := &updatePlan{at: map[int][]*updateStep{}}
	if len(req.Messages) == 0 {
		for _, c := range req.Commands {
			if c.GetCommandType() == enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE {
				return nil, badMessage("PROTOCOL_MESSAGE command references message %q, which the completion does not carry.", c.GetProtocolMessageCommandAttributes().GetMessageId())
			}
		}
		return plan, nil
	}
	steps := make([]*updateStep, len(req.Messages))
	byID := map[string]int{}
	for i, msg := range req.Messages {
		st, err := decodeMessage(msg)
		if err != nil {
			return nil, err
		}
		if _, dup := byID[msg.Id]; dup {
			return nil, badMessage("Message ID %q is used twice.", msg.Id)
		}
		byID[msg.Id] = i
		steps[i] = st
	}
	used := make([]bool, len(steps))
	accepted := map[string]bool{}  // accepted and not completed
	completed := map[string]bool{} // completed (or, this completion, rejected)
	for id, ui := range m.S.UpdateInfos {
		if ui.CompletedEventId != 0 {
			completed[id] = true
		} else {
			accepted[id] = true
		}
	}
	// check simulates applying st and reports whether it changes anything.
	check := func(st *updateStep) (bool, *commandError) {
		id := st.updateID
		switch {
		case st.acceptance != nil:
			if accepted[id] || completed[id] {
				return false, nil // a repeated acceptance changes nothing
			}
			accepted[id] = true
		case st.rejection != nil:
			if accepted[id] {
				return false, badMessage("Update %q was accepted; it cannot be rejected.", id)
			}
			if completed[id] {
				return false, nil
			}
			completed[id] = true
		case st.response != nil:
			if completed[id] {
				return false, nil
			}
			if !accepted[id] {
				return false, badMessage("Update %q completes without having been accepted.", id)
			}
			if limits.BlobSizeLimit > 0 && payloadsSize(st.response.Outcome.GetSuccess()) > limits.BlobSizeLimit {
				return false, badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE, "Response of update %q exceeds size limit.", id)
			}
			delete(accepted, id)
			completed[id] = true
		}
		return true, nil
	}
	unreferenced := func() ([]*updateStep, *commandError) {
		var out []*updateStep
		for i, st := range steps {
			if used[i] {
				continue
			}
			used[i] = true
			ok, err := check(st)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, st)
			}
		}
		return out, nil
	}
	for i, c := range req.Commands {
		switch {
		case c.GetCommandType() == enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE:
			id := c.GetProtocolMessageCommandAttributes().GetMessageId()
			j, ok := byID[id]
			if !ok {
				return nil, badMessage("PROTOCOL_MESSAGE command references message %q, which the completion does not carry.", id)
			}
			if used[j] {
				return nil, badMessage("Message %q is referenced by two PROTOCOL_MESSAGE commands.", id)
			}
			used[j] = true
			ok, err := check(steps[j])
			if err != nil {
				return nil, err
			}
			if ok {
				plan.at[i] = append(plan.at[i], steps[j])
			}
		case closesRunCommand(c.GetCommandType()):
			// The closing command is the last one (validateCommands).
			out, err := unreferenced()
			if err != nil {
				return nil, err
			}
			plan.at[i] = append(plan.at[i], out...)
		}
	}
	out, err := unreferenced()
	if err != nil {
		return nil, err
	}
	plan.after = out
	return plan, nil
}

func closesRunCommand(t enumspb.CommandType) bool {
	switch t {
	case enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
		enumspb.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
		return true
	}
	return false
}

// applyUpdateStep writes the event of one planned message (none for a
// rejection, which it reports instead).
func (m *MutableState) applyUpdateStep(st *updateStep, res *CompletionResult) {
	switch {
	case st.acceptance != nil:
		a := st.acceptance
		m.addEvent(&historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{
				ProtocolInstanceId:               st.updateID,
				AcceptedRequestMessageId:         a.AcceptedRequestMessageId,
				AcceptedRequestSequencingEventId: a.AcceptedRequestSequencingEventId,
				AcceptedRequest:                  a.AcceptedRequest,
			}},
		})
	case st.response != nil:
		r := st.response
		meta := r.Meta
		if meta.GetUpdateId() == "" {
			meta = &updatepb.Meta{UpdateId: st.updateID, Identity: meta.GetIdentity()}
		}
		m.addEvent(&historypb.HistoryEvent{
			EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateCompletedEventAttributes{WorkflowExecutionUpdateCompletedEventAttributes: &historypb.WorkflowExecutionUpdateCompletedEventAttributes{
				Meta:            meta,
				AcceptedEventId: m.S.UpdateInfos[st.updateID].GetAcceptedEventId(),
				Outcome:         r.Outcome,
			}},
		})
	case st.rejection != nil:
		f := st.rejection.Failure
		if f == nil {
			f = &failurepb.Failure{Message: "Update rejected by the workflow.", Source: "Server"}
		}
		res.Rejections = append(res.Rejections, UpdateRejection{UpdateID: st.updateID, Failure: f})
	}
}

// updateIDOf is the update an update event belongs to.
func updateIDOf(e *historypb.HistoryEvent) string {
	switch e.EventType {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes()
		if id := a.GetAcceptedRequest().GetMeta().GetUpdateId(); id != "" {
			return id
		}
		return a.GetProtocolInstanceId()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
		return e.GetWorkflowExecutionUpdateCompletedEventAttributes().GetMeta().GetUpdateId()
	}
	return ""
}

// applyUpdateEvent is Apply for the update events.
func applyUpdateEvent(s *persistencepb.WorkflowMutableState, e *historypb.HistoryEvent) error {
	if e.EventId == BufferedEventID {
		return fmt.Errorf("workflow: update event %v is never buffered", e.EventType)
	}
	id := updateIDOf(e)
	if id == "" {
		return fmt.Errorf("workflow: update event %d names no update", e.EventId)
	}
	if s.UpdateInfos == nil {
		s.UpdateInfos = map[string]*persistencepb.UpdateInfo{}
	}
	switch e.EventType {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		s.UpdateInfos[id] = &persistencepb.UpdateInfo{UpdateId: id, AcceptedEventId: e.EventId}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
		a := e.GetWorkflowExecutionUpdateCompletedEventAttributes()
		ui := s.UpdateInfos[id]
		if ui == nil {
			ui = &persistencepb.UpdateInfo{UpdateId: id, AcceptedEventId: a.GetAcceptedEventId()}
			s.UpdateInfos[id] = ui
		}
		ui.CompletedEventId = e.EventId
		ui.Outcome = a.GetOutcome()
		trimUpdateOutcomes(s)
	}
	return nil
}

// trimUpdateOutcomes keeps the outcomes of the most recent completions
// within maxUpdateOutcomes and maxUpdateOutcomeBytes; the others are
// dropped from state (their completed events keep them).
func trimUpdateOutcomes(s *persistencepb.WorkflowMutableState) {
	var kept []*persistencepb.UpdateInfo
	for _, ui := range s.UpdateInfos {
		if ui.Outcome != nil {
			kept = append(kept, ui)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].CompletedEventId > kept[j].CompletedEventId })
	bytes := 0
	for i, ui := range kept {
		bytes += proto.Size(ui.Outcome)
		if i >= maxUpdateOutcomes || bytes > maxUpdateOutcomeBytes {
			ui.Outcome = nil
		}
	}
}
