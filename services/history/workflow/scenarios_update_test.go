package workflow

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	protocolpb "go.temporal.io/api/protocol/v1"
	updatepb "go.temporal.io/api/update/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// seq is the sequencing event ID of the messages the in-flight task
// carries: the event before its started event, as the shell sends them.
func (h *harness) seq() int64 {
	h.t.Helper()
	wt := h.s.ExecutionInfo.GetWorkflowTask()
	require.NotNil(h.t, wt)
	require.NotZero(h.t, wt.StartedEventId, "no task in flight")
	return wt.StartedEventId - 1
}

func scenarioUpdateAcceptCompleteOneTask(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	// A task is scheduled already: it will carry the update.
	h.admitUpdate("u1")
	h.advance(time.Second)
	h.pollWorkflowTaskWithUpdates()
	acc, resp := acceptMsg("u1", h.seq()), respondMsg("u1", `"hello"`)
	h.advance(time.Second)
	h.completeWithMessages([]*protocolpb.Message{acc, resp}, protocolCmd(acc), protocolCmd(resp))
	h.advance(time.Second)
	// No task pending: admitting schedules one.
	h.admitUpdate("u2")
	h.advance(time.Second)
	h.pollWorkflowTaskWithUpdates()
	h.advance(time.Second)
	// No PROTOCOL_MESSAGE commands (an SDK that does not send them): the
	// messages are applied before the closing command.
	h.completeWithMessages([]*protocolpb.Message{acceptMsg("u2", h.seq()), respondFailureMsg("u2", "out of stock")}, completeWorkflow(`"done"`))
}

func scenarioUpdateAcceptThenCompleteLater(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.runWorkflowTask()
	h.advance(time.Second)
	h.admitUpdate("u1")
	h.advance(time.Second)
	h.pollWorkflowTaskWithUpdates()
	acc := acceptMsg("u1", h.seq())
	h.advance(time.Second)
	// The handler waits on a timer: accepted now, completed later.
	h.completeWithMessages([]*protocolpb.Message{acc}, protocolCmd(acc), startTimer("t1", time.Minute))
	h.advance(time.Minute)
	h.fireTimer("t1")
	h.advance(time.Second)
	h.pollWorkflowTask()
	resp := respondMsg("u1", `"done"`)
	h.advance(time.Second)
	h.completeWithMessages([]*protocolpb.Message{resp}, protocolCmd(resp))
	h.advance(time.Second)
	// u2 is accepted, then the workflow completes before the update does:
	// its outcome is Temporal's AcceptedUpdateCompletedWorkflow failure.
	h.admitUpdate("u2")
	h.advance(time.Second)
	h.pollWorkflowTaskWithUpdates()
	acc2 := acceptMsg("u2", h.seq())
	h.advance(time.Second)
	h.completeWithMessages([]*protocolpb.Message{acc2}, protocolCmd(acc2), completeWorkflow(`"bye"`))
}

func scenarioUpdateRejected(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.admitUpdate("u1")
	h.advance(time.Second)
	h.pollWorkflowTaskWithUpdates()
	seq := h.seq()
	h.advance(time.Second)
	// u2 arrives while the task that carries u1 runs.
	h.admitUpdate("u2")
	h.advance(time.Second)
	// The validator rejects u1: no event; u2 waits, so a task is scheduled.
	h.completeWithMessages([]*protocolpb.Message{rejectMsg("u1", seq, "name must not be empty")})
	h.advance(time.Second)
	h.pollWorkflowTaskWithUpdates()
	acc, resp := acceptMsg("u2", h.seq()), respondMsg("u2", `"ok"`)
	h.advance(time.Second)
	h.completeWithMessages([]*protocolpb.Message{acc, resp}, protocolCmd(acc), protocolCmd(resp))
}

func scenarioUpdateDuplicateID(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.admitUpdate("u1")
	h.advance(time.Second)
	h.pollWorkflowTaskWithUpdates()
	seq := h.seq()
	acc := acceptMsg("u1", seq)
	h.advance(time.Second)
	h.completeWithMessages([]*protocolpb.Message{acc}, protocolCmd(acc), startTimer("t1", time.Minute))
	h.advance(time.Second)
	h.signal("poke", `"1"`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	// The same update accepted again changes nothing: one accepted event.
	again := acceptMsg("u1", seq)
	h.completeWithMessages([]*protocolpb.Message{again}, protocolCmd(again))
	h.advance(time.Minute)
	h.fireTimer("t1")
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	// Two responses for u1: the first completes it, the second is ignored.
	first := respondMsg("u1", `"first"`)
	second := respondMsg("u1", `"second"`)
	second.Id = "u1/complete-again"
	h.completeWithMessages([]*protocolpb.Message{first, second}, protocolCmd(first), protocolCmd(second))
	h.advance(time.Second)
	h.signal("poke", `"2"`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	// After completion, acceptance and response of u1 change nothing.
	late, lateResp := acceptMsg("u1", seq), respondMsg("u1", `"late"`)
	h.completeWithMessages([]*protocolpb.Message{late, lateResp}, protocolCmd(late), protocolCmd(lateResp), completeWorkflow(`"done"`))
}

func scenarioUpdateBadMessages(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.admitUpdate("u1")
	h.advance(time.Second)
	h.pollWorkflowTaskWithUpdates()
	h.advance(time.Second)
	// A response for an update that was never accepted.
	resp := respondMsg("u1", `"x"`)
	h.completeWithMessages([]*protocolpb.Message{resp}, protocolCmd(resp))
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	// A PROTOCOL_MESSAGE command naming a message the completion lacks.
	h.completeWithMessages(nil, protocolCmdID("u1/accept"))
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	// An acceptance without the accepted request.
	bare := protocolMessage("u1", "accept", &updatepb.Acceptance{AcceptedRequestMessageId: "u1/request"})
	h.completeWithMessages([]*protocolpb.Message{bare}, protocolCmd(bare))
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	// Rejecting an update accepted in the same completion.
	acc := acceptMsg("u1", h.seq())
	h.completeWithMessages([]*protocolpb.Message{acc, rejectMsg("u1", h.seq(), "changed my mind")}, protocolCmd(acc))
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	acc = acceptMsg("u1", h.seq())
	h.completeWithMessages([]*protocolpb.Message{acc}, protocolCmd(acc))
}

// TestUpdateOutcomesBounded: state keeps the outcomes of the most recent
// completions only, within count and size, and rebuilding from events
// keeps the same ones.
func TestUpdateOutcomesBounded(t *testing.T) {
	build := func(n int, size int) *persistencepb.WorkflowMutableState {
		s := &persistencepb.WorkflowMutableState{}
		id := int64(1)
		for i := 0; i < n; i++ {
			uid := fmt.Sprintf("u%d", i)
			acc := &historypb.HistoryEvent{EventId: id, EventTime: timestamppb.New(t0), EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{
					ProtocolInstanceId: uid, AcceptedRequest: updateRequest(uid, "U", `1`),
				}}}
			require.NoError(t, applyUpdateEvent(s, acc))
			data := make([]byte, size)
			done := &historypb.HistoryEvent{EventId: id + 1, EventTime: timestamppb.New(t0), EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateCompletedEventAttributes{WorkflowExecutionUpdateCompletedEventAttributes: &historypb.WorkflowExecutionUpdateCompletedEventAttributes{
					Meta: &updatepb.Meta{UpdateId: uid}, AcceptedEventId: id,
					Outcome: &updatepb.Outcome{Value: &updatepb.Outcome_Success{Success: payloads(string(data))}},
				}}}
			require.NoError(t, applyUpdateEvent(s, done))
			id += 2
		}
		return s
	}
	kept := func(s *persistencepb.WorkflowMutableState) (n int, oldestKept, newestDropped int64) {
		for _, ui := range s.UpdateInfos {
			if ui.Outcome != nil {
				n++
				if oldestKept == 0 || ui.CompletedEventId < oldestKept {
					oldestKept = ui.CompletedEventId
				}
			} else if ui.CompletedEventId > newestDropped {
				newestDropped = ui.CompletedEventId
			}
		}
		return n, oldestKept, newestDropped
	}
	tests := []struct {
		name     string
		n, size  int
		wantKept int
	}{
		{"few small", 10, 10, 10},
		{"many small", maxUpdateOutcomes + 50, 10, maxUpdateOutcomes},
		{"few large", 10, maxUpdateOutcomeBytes / 4, 3},
		{"one too large", 1, maxUpdateOutcomeBytes + 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := build(tc.n, tc.size)
			require.Len(t, s.UpdateInfos, tc.n, "every completed update stays known by ID")
			n, oldestKept, newestDropped := kept(s)
			require.Equal(t, tc.wantKept, n)
			if n > 0 && newestDropped > 0 {
				require.Less(t, newestDropped, oldestKept, "an older outcome kept while a newer one was dropped")
			}
			for id, ui := range s.UpdateInfos {
				st := UpdateStatusOf(s, id)
				require.Equal(t, enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, st.Stage)
				require.Equal(t, ui.CompletedEventId, st.CompletedEventID)
			}
		})
	}
}

// TestInvariantCheckerCatchesUpdates covers the checks of update state.
func TestInvariantCheckerCatchesUpdates(t *testing.T) {
	base := newHarness(t, "checker-updates")
	base.start("start workflow", StartParams{Request: startRequest()})
	base.admitUpdate("u1")
	base.pollWorkflowTaskWithUpdates()
	acc, resp := acceptMsg("u1", base.seq()), respondMsg("u1", `"ok"`)
	base.completeWithMessages([]*protocolpb.Message{acc, resp}, protocolCmd(acc), protocolCmd(resp))
	require.Empty(t, runChecker(cloneHarness(base)), "a healthy run must pass")

	appendEvent := func(h *harness, e *historypb.HistoryEvent) {
		e.EventId, e.EventTime, e.Version = h.s.NextEventId, timestamppb.New(h.now), 1
		require.NoError(t, Apply(h.s, e))
		h.written = append(h.written, e)
		h.frozen = append(h.frozen, proto.Clone(e).(*historypb.HistoryEvent))
	}
	tests := []struct {
		name    string
		corrupt func(h *harness)
		want    string
	}{
		{"update info dropped without an event", func(h *harness) {
			delete(h.s.UpdateInfos, "u1")
		}, "update infos are not exactly the accepted updates"},
		{"kept outcome changed", func(h *harness) {
			h.s.UpdateInfos["u1"].Outcome = &updatepb.Outcome{Value: &updatepb.Outcome_Success{Success: payloads(`"other"`)}}
		}, "outcome differs from its completed event's"},
		{"update completed twice", func(h *harness) {
			appendEvent(h, proto.Clone(h.written[5]).(*historypb.HistoryEvent))
		}, "completed twice"},
		{"update completed before acceptance", func(h *harness) {
			appendEvent(h, &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionUpdateCompletedEventAttributes{WorkflowExecutionUpdateCompletedEventAttributes: &historypb.WorkflowExecutionUpdateCompletedEventAttributes{
					Meta: &updatepb.Meta{UpdateId: "u9"}, Outcome: &updatepb.Outcome{Value: &updatepb.Outcome_Success{Success: payloads(`1`)}},
				}}})
		}, "completed before it was accepted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := cloneHarness(base)
			tc.corrupt(h)
			require.Contains(t, runChecker(h), tc.want)
		})
	}
}
