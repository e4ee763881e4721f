package workflow

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// fakeT records failures; FailNow ends the checking goroutine.
type fakeT struct{ msgs []string }

func (f *fakeT) Errorf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}
func (f *fakeT) FailNow() { runtime.Goexit() }
func (f *fakeT) Helper()  {}

// runChecker runs checkInvariants on h with a fake T and returns what it
// reported.
func runChecker(h *harness) string {
	ft := &fakeT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		checkInvariants(ft, h)
	}()
	<-done
	return strings.Join(ft.msgs, "\n")
}

func cloneHarness(h *harness) *harness {
	c := &harness{t: h.t, name: h.name, now: h.now, version: h.version, steps: h.steps}
	c.s = proto.Clone(h.s).(*persistencepb.WorkflowMutableState)
	for i := range h.written {
		c.written = append(c.written, proto.Clone(h.written[i]).(*historypb.HistoryEvent))
		c.frozen = append(c.frozen, proto.Clone(h.frozen[i]).(*historypb.HistoryEvent))
	}
	return c
}

// TestInvariantCheckerCatches makes sure the invariant checker is not
// vacuous: each corruption of a healthy run must be reported.
func TestInvariantCheckerCatches(t *testing.T) {
	// A run with a pending activity (started), a pending timer and no task.
	idle := newHarness(t, "checker")
	startAndSchedule(idle, scheduleActivity("a1", "Charge", withStartToClose(time.Minute)), startTimer("t1", time.Hour))
	idle.advance(time.Second)
	idle.startActivity("a1")
	// A run with a workflow task in flight.
	inflight := cloneHarness(idle)
	inflight.signal("poke", "1")
	inflight.pollWorkflowTask()

	require.Empty(t, runChecker(cloneHarness(idle)), "a healthy run must pass")
	require.Empty(t, runChecker(cloneHarness(inflight)), "a healthy run must pass")

	tests := []struct {
		name    string
		base    *harness
		corrupt func(h *harness)
		want    string
	}{
		{"timer dropped without an event", idle, func(h *harness) {
			delete(h.s.TimerInfos, "t1")
		}, "rebuilt from events differs"},
		{"activity timeout changed without an event", idle, func(h *harness) {
			h.s.ActivityInfos[5].StartToCloseTimeout = dur(time.Second)
		}, "rebuilt from events differs"},
		{"activity canceled without an event", idle, func(h *harness) {
			h.s.ActivityInfos[5].CancelRequested = true
		}, "rebuilt from events differs"},
		{"status changed without an event", idle, func(h *harness) {
			h.s.ExecutionState.Status = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
		}, "rebuilt from events differs"},
		{"next event ID skips ahead", idle, func(h *harness) {
			h.s.NextEventId++
		}, "next_event_id does not follow"},
		{"written event mutated", idle, func(h *harness) {
			h.written[4].GetActivityTaskScheduledEventAttributes().ActivityId = "other"
		}, "changed after it was written"},
		{"version history short", idle, func(h *harness) {
			items := h.s.ExecutionInfo.VersionHistories.Histories[0].Items
			items[len(items)-1].EventId--
		}, "version history does not end"},
		{"event version not recorded", idle, func(h *harness) {
			h.written[2].Version = 7
			h.frozen[2].Version = 7
		}, "version not what the version history records"},
		{"buffered event with no task started", idle, func(h *harness) {
			h.s.BufferedEvents = append(h.s.BufferedEvents, &historypb.HistoryEvent{
				EventId: BufferedEventID, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
				EventTime: timestamppb.New(h.now), Version: 1,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{SignalName: "x"}},
			})
		}, "events buffered with no workflow task started"},
		{"event written past the in-flight task's started event", inflight, func(h *harness) {
			e := &historypb.HistoryEvent{
				EventId: h.s.NextEventId, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, EventTime: timestamppb.New(h.now), Version: 1,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{SignalName: "x"}},
			}
			require.NoError(t, Apply(h.s, e))
			h.written = append(h.written, e)
			h.frozen = append(h.frozen, proto.Clone(e).(*historypb.HistoryEvent))
		}, "history continues past the in-flight task's started event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := cloneHarness(tc.base)
			tc.corrupt(h)
			got := runChecker(h)
			require.Contains(t, got, tc.want)
		})
	}
}

// TestInvariantCheckerCatchesExternal covers the checks of child, signal,
// cancel and chain state.
func TestInvariantCheckerCatchesExternal(t *testing.T) {
	base := newHarness(t, "checker-external")
	startAndSchedule(base, startChild("c1", "ChildWorkflow"), signalExternal(testNamespace, "w", "", "ping", false))
	base.advance(time.Second)
	base.childStarted(5, "child-run-1")
	require.Empty(t, runChecker(cloneHarness(base)), "a healthy run must pass")

	tests := []struct {
		name    string
		corrupt func(h *harness)
		want    string
	}{
		{"child info dropped without an event", func(h *harness) {
			delete(h.s.ChildExecutionInfos, 5)
		}, "has neither a close event nor a pending info"},
		{"child started without the event", func(h *harness) {
			h.s.ChildExecutionInfos[5].StartedEventId = 0
		}, "started event and pending info disagree"},
		{"signal info dropped without an event", func(h *harness) {
			delete(h.s.SignalInfos, 6)
		}, "rebuilt from events differs"},
		{"running run names a new run", func(h *harness) {
			h.s.ExecutionInfo.NewExecutionRunId = "run-2"
		}, "a running run names a new run"},
		{"child close without a start", func(h *harness) {
			e := &historypb.HistoryEvent{
				EventId: h.s.NextEventId, EventType: enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, EventTime: timestamppb.New(h.now), Version: 1,
				Attributes: &historypb.HistoryEvent_ChildWorkflowExecutionCompletedEventAttributes{ChildWorkflowExecutionCompletedEventAttributes: &historypb.ChildWorkflowExecutionCompletedEventAttributes{InitiatedEventId: 6}},
			}
			require.NoError(t, Apply(h.s, e))
			h.written = append(h.written, e)
			h.frozen = append(h.frozen, proto.Clone(e).(*historypb.HistoryEvent))
		}, "points at SignalExternalWorkflowExecutionInitiated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := cloneHarness(base)
			tc.corrupt(h)
			require.Contains(t, runChecker(h), tc.want)
		})
	}
}
