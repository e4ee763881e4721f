package workflow

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	protocolpb "go.temporal.io/api/protocol/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Harness steps, builders, rendering and invariants of workflow updates.

// admitUpdate plays the shell admitting an update: a workflow task must
// carry it. With a task in flight, the shell tells the completion that
// updates wait (undelivered stays set until a task carries them).
func (h *harness) admitUpdate(id string) {
	h.t.Helper()
	h.step(fmt.Sprintf("update %q admitted", id), func(m *MutableState) string {
		require.True(h.t, m.ReadyForUpdates(), "run cannot take updates")
		if m.WorkflowTaskStarted() {
			h.undeliveredUpdates = true
			return "a task is in flight: the next one carries it"
		}
		m.AdmitUpdate()
		return ""
	})
}

// pollWorkflowTaskWithUpdates is a poll whose task carries every admitted update.
func (h *harness) pollWorkflowTaskWithUpdates() {
	h.t.Helper()
	h.pollWorkflowTask()
	h.undeliveredUpdates = false
}

// completeWithMessages completes the in-flight task with protocol messages.
func (h *harness) completeWithMessages(msgs []*protocolpb.Message, cmds ...*commandpb.Command) {
	h.t.Helper()
	h.completeWorkflowTaskReq(&workflowservice.RespondWorkflowTaskCompletedRequest{Commands: cmds, Messages: msgs, Identity: wftWorker}, Limits{})
}

func updateRequest(id, name, arg string) *updatepb.Request {
	return &updatepb.Request{
		Meta:  &updatepb.Meta{UpdateId: id, Identity: "client"},
		Input: &updatepb.Input{Name: name, Args: payloads(arg)},
	}
}

func protocolMessage(id, suffix string, body proto.Message) *protocolpb.Message {
	b, err := anypb.New(body)
	if err != nil {
		panic(err)
	}
	return &protocolpb.Message{Id: id + "/" + suffix, ProtocolInstanceId: id, Body: b}
}

// acceptMsg is the SDK's acceptance of update id, whose request a task
// delivered sequenced at event seq.
func acceptMsg(id string, seq int64) *protocolpb.Message {
	return protocolMessage(id, "accept", &updatepb.Acceptance{
		AcceptedRequestMessageId:         id + "/request",
		AcceptedRequestSequencingEventId: seq,
		AcceptedRequest:                  updateRequest(id, "SetGreeting", `"hi"`),
	})
}

func rejectMsg(id string, seq int64, msg string) *protocolpb.Message {
	return protocolMessage(id, "reject", &updatepb.Rejection{
		RejectedRequestMessageId:         id + "/request",
		RejectedRequestSequencingEventId: seq,
		RejectedRequest:                  updateRequest(id, "SetGreeting", `""`),
		Failure:                          appFailure(msg, "ValidationError", false),
	})
}

func respondMsg(id, result string) *protocolpb.Message {
	return protocolMessage(id, "complete", &updatepb.Response{
		Meta:    &updatepb.Meta{UpdateId: id},
		Outcome: &updatepb.Outcome{Value: &updatepb.Outcome_Success{Success: payloads(result)}},
	})
}

func respondFailureMsg(id, msg string) *protocolpb.Message {
	return protocolMessage(id, "complete", &updatepb.Response{
		Meta:    &updatepb.Meta{UpdateId: id},
		Outcome: &updatepb.Outcome{Value: &updatepb.Outcome_Failure{Failure: appFailure(msg, "UpdateError", false)}},
	})
}

func protocolCmd(msg *protocolpb.Message) *commandpb.Command {
	return protocolCmdID(msg.Id)
}

func protocolCmdID(msgID string) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE,
		Attributes: &commandpb.Command_ProtocolMessageCommandAttributes{ProtocolMessageCommandAttributes: &commandpb.ProtocolMessageCommandAttributes{
			MessageId: msgID,
		}},
	}
}

// ---- rendering ----

func describeMessages(msgs []*protocolpb.Message) string {
	var parts []string
	for _, m := range msgs {
		parts = append(parts, m.GetId())
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func renderRejections(rs []UpdateRejection) string {
	if len(rs) == 0 {
		return ""
	}
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s: %s", r.UpdateID, renderFailure(r.Failure)))
	}
	return " rejected_updates=[" + strings.Join(parts, "; ") + "]"
}

func renderOutcome(o *updatepb.Outcome) string {
	switch {
	case o == nil:
		return "-"
	case o.GetFailure() != nil:
		return "failure(" + renderFailure(o.GetFailure()) + ")"
	}
	return "success(" + renderPayloads(o.GetSuccess()) + ")"
}

func renderUpdateEvent(e *historypb.HistoryEvent, add func(string, ...any)) {
	switch e.EventType {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes()
		r := a.GetAcceptedRequest()
		add("id=%s request_msg=%s seq=%d name=%s args=%s", a.ProtocolInstanceId, a.AcceptedRequestMessageId,
			a.AcceptedRequestSequencingEventId, r.GetInput().GetName(), renderPayloads(r.GetInput().GetArgs()))
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
		a := e.GetWorkflowExecutionUpdateCompletedEventAttributes()
		add("id=%s accepted=%d outcome=%s", a.GetMeta().GetUpdateId(), a.AcceptedEventId, renderOutcome(a.Outcome))
	}
}

func renderUpdateState(s *persistencepb.WorkflowMutableState) string {
	if len(s.UpdateInfos) == 0 {
		return ""
	}
	ids := make([]string, 0, len(s.UpdateInfos))
	for id := range s.UpdateInfos {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	b.WriteString("  updates:\n")
	for _, id := range ids {
		ui := s.UpdateInfos[id]
		st := UpdateStatusOf(s, id)
		fmt.Fprintf(&b, "    %s accepted=%d completed=%d stage=%s", id, ui.AcceptedEventId, ui.CompletedEventId,
			strings.TrimPrefix(st.Stage.String(), "UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_"))
		if st.Outcome != nil {
			b.WriteString(" outcome=" + renderOutcome(st.Outcome))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ---- invariants ----

// checkUpdateInvariants: an update is accepted at most once, completed at
// most once and only after its acceptance; the update infos are exactly
// the accepted updates, agree with their events, and the outcomes kept
// inline are the completed events' and within the bound.
func checkUpdateInvariants(t testingT, h *harness) {
	t.Helper()
	s := h.s
	acceptedAt := map[string]int64{}
	completedAt := map[string]int64{}
	outcomes := map[string]*updatepb.Outcome{}
	for _, e := range h.written {
		switch e.EventType {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes()
			id := updateIDOf(e)
			require.NotEmpty(t, id, "accepted event %d names no update", e.EventId)
			_, dup := acceptedAt[id]
			require.False(t, dup, "update %q accepted twice", id)
			require.NotNil(t, a.AcceptedRequest, "accepted event %d does not carry the request", e.EventId)
			require.Equal(t, id, a.ProtocolInstanceId)
			acceptedAt[id] = e.EventId
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			a := e.GetWorkflowExecutionUpdateCompletedEventAttributes()
			id := updateIDOf(e)
			acc, ok := acceptedAt[id]
			require.True(t, ok, "update %q completed before it was accepted", id)
			require.Equal(t, acc, a.AcceptedEventId, "update %q completed event names the wrong accepted event", id)
			_, dup := completedAt[id]
			require.False(t, dup, "update %q completed twice", id)
			require.NotNil(t, a.Outcome, "update %q completed without an outcome", id)
			completedAt[id] = e.EventId
			outcomes[id] = a.Outcome
		}
	}
	for _, e := range s.BufferedEvents {
		require.NotContains(t, []enumspb.EventType{enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED},
			e.EventType, "update events are never buffered")
	}
	require.Len(t, s.UpdateInfos, len(acceptedAt), "update infos are not exactly the accepted updates")
	kept := 0
	for id, ui := range s.UpdateInfos {
		require.Equal(t, id, ui.UpdateId)
		require.Equal(t, acceptedAt[id], ui.AcceptedEventId, "update %q accepted event and update info disagree", id)
		require.Equal(t, completedAt[id], ui.CompletedEventId, "update %q completed event and update info disagree", id)
		if ui.Outcome != nil {
			require.NotZero(t, ui.CompletedEventId, "running update %q has an outcome", id)
			require.True(t, proto.Equal(outcomes[id], ui.Outcome), "update %q outcome differs from its completed event's", id)
			kept++
		}
	}
	require.LessOrEqual(t, kept, maxUpdateOutcomes, "more update outcomes kept than the bound")
}
