package workflow

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
)

// reset runs Reset against the scenario's run as one step: a running base
// run is terminated by it (as TerminateForReset does in the shell). The
// new run is rendered under "reset run", checked like any run, and
// returned.
func (h *harness) reset(finishID int64, reapplySignals bool) *MutableState {
	h.t.Helper()
	var next *MutableState
	title := fmt.Sprintf("reset to event %d (reapply signals: %v)", finishID, reapplySignals)
	h.step(title, func(m *MutableState) string {
		written := make([]*historypb.HistoryEvent, len(h.written))
		copy(written, h.written)
		r, err := Reset(ResetParams{
			NamespaceID: testNamespaceID, WorkflowID: testWorkflowID, BaseRunID: m.Info().RunId,
			NewRunID: fmt.Sprintf("reset-run-%d", h.steps+1), BaseEvents: written, BaseBuffered: m.S.BufferedEvents,
			FinishEventID: finishID, Reason: "bad deploy", Identity: "operator", RequestID: "reset-req",
			ReapplySignals: reapplySignals,
		}, h.now, h.version, testRetention)
		require.NoError(h.t, err)
		next = r
		if m.IsRunning() {
			m.Terminate("bad deploy", nil, "operator")
		}
		return "new run " + r.Info().RunId
	})
	ei := next.S.ExecutionInfo
	fmt.Fprintf(&h.out, "reset run %s:\n", ei.RunId)
	h.out.WriteString("  events:\n")
	for _, e := range next.NewEvents() {
		fmt.Fprintf(&h.out, "    %s\n", h.renderEvent(e))
	}
	h.out.WriteString("  tasks:\n")
	for _, tk := range next.Tasks() {
		fmt.Fprintf(&h.out, "    %s\n", h.renderTask(tk))
	}
	for _, line := range strings.Split(strings.TrimRight(h.renderState(next), "\n"), "\n") {
		h.out.WriteString("  " + line + "\n")
	}

	// The copied prefix is the base run's history, unchanged.
	startedID, err := ResetPoint(h.written, finishID)
	require.NoError(h.t, err)
	for i := int64(0); i < startedID; i++ {
		require.True(h.t, proto.Equal(h.written[i], next.NewEvents()[i]), "copied event %d differs from the base run's", i+1)
	}
	f := next.NewEvents()[startedID]
	require.Equal(h.t, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, f.EventType)
	fa := f.GetWorkflowTaskFailedEventAttributes()
	require.Equal(h.t, enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW, fa.Cause)
	require.Equal(h.t, ei.RunId, fa.NewRunId)
	require.Equal(h.t, h.s.ExecutionInfo.RunId, fa.BaseRunId)
	last := next.NewEvents()[len(next.NewEvents())-1]
	require.Equal(h.t, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, last.EventType)
	require.Equal(h.t, int32(1), last.GetWorkflowTaskScheduledEventAttributes().Attempt)

	// The new run passes the same checks as any run, and goes on as one.
	tmp := &harness{t: h.t, name: h.name, now: h.now, version: h.version, s: next.S, steps: h.steps, runs: 1}
	checkStep(h.t, tmp, next, 1)
	for _, e := range next.NewEvents() {
		tmp.written = append(tmp.written, e)
		tmp.frozen = append(tmp.frozen, proto.Clone(e).(*historypb.HistoryEvent))
	}
	checkInvariants(h.t, tmp)
	return next
}

// continueWithReset makes the reset run the scenario's run.
func (h *harness) continueWithReset(next *MutableState) {
	h.s = next.S
	h.written, h.frozen = nil, nil
	for _, e := range next.NewEvents() {
		h.written = append(h.written, e)
		h.frozen = append(h.frozen, proto.Clone(e).(*historypb.HistoryEvent))
	}
	fmt.Fprintf(&h.out, "\n-- continuing with %s\n", next.S.ExecutionInfo.RunId)
}

// scenarioResetClosed resets a completed run to a workflow task that had
// an activity and a timer pending and a signal arriving after it.
func scenarioResetClosed(h *harness) {
	startAndSchedule(h, scheduleActivity("a1", "Charge", withStartToClose(time.Minute), withScheduleToClose(time.Hour)), startTimer("t1", time.Hour))
	h.advance(time.Second)
	h.signal("s1", `"one"`) // 7, task 8
	h.advance(time.Second)
	h.pollWorkflowTask() // 9
	h.advance(time.Second)
	h.signal("s2", `"two"`) // buffered
	h.advance(time.Second)
	h.completeWorkflowTask() // 10, s2 11, task 12
	h.advance(time.Second)
	h.startActivity("a1")
	h.advance(time.Second)
	h.completeActivity("a1", `"charged"`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(completeWorkflow(`"done"`))
	h.advance(2 * time.Hour) // the timer's expiry has passed: it fires at once
	next := h.reset(10, true)
	h.continueWithReset(next)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(completeWorkflow(`"done again"`))
	// Without re-applied signals, from the first workflow task.
	h.advance(time.Second)
	h.reset(4, false)
}

// scenarioResetRunning resets a running run with a workflow task in flight
// and a signal in its buffer: the base run is terminated and the buffered
// signal is re-applied to the new run.
func scenarioResetRunning(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.WorkflowRunTimeout = dur(time.Hour)
	})})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(startTimer("t1", time.Minute))
	h.advance(time.Second)
	h.signal("s1", `"one"`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.signal("s2", `"two"`) // buffered
	h.advance(time.Second)
	next := h.reset(8, true) // the in-flight task's started event
	h.continueWithReset(next)
	h.advance(time.Minute)
	h.fireTimer("t1")
}

func TestResetPointErrors(t *testing.T) {
	h := newHarness(t, "reset-errors")
	startAndSchedule(h, startChild("c1", "ChildWorkflow"))
	h.advance(time.Second)
	h.signal("s1", `"one"`)
	h.pollWorkflowTask()
	h.completeWorkflowTask()
	h.advance(time.Second)
	h.signal("s2", `"two"`)
	h.pollWorkflowTask()
	// History: 1 started, 2 sched, 3 started, 4 completed, 5 child
	// initiated, 6 signal, 7 sched, 8 started, 9 completed, 10 signal,
	// 11 sched, 12 started.
	tests := []struct {
		id   int64
		want string
	}{
		{0, "is not an event of the run"},
		{1, "is not an event of the run"},
		{13, "is not an event of the run"},
		{5, "is a StartChildWorkflowExecutionInitiated event"},
		{2, "is a WorkflowTaskScheduled event"},
		{9, "pending child workflows"},
		{12, "pending child workflows"},
	}
	for _, tc := range tests {
		_, err := Reset(ResetParams{NamespaceID: testNamespaceID, WorkflowID: testWorkflowID, NewRunID: "r2", BaseEvents: h.written, FinishEventID: tc.id}, h.now, 1, testRetention)
		var rpe *ResetPointError
		require.ErrorAs(t, err, &rpe, "event %d", tc.id)
		require.Contains(t, err.Error(), "WorkflowTaskFinishEventId")
		require.Contains(t, err.Error(), tc.want, "event %d", tc.id)
	}
	for _, id := range []int64{3, 4} {
		m, err := Reset(ResetParams{NamespaceID: testNamespaceID, WorkflowID: testWorkflowID, NewRunID: "r2", BaseEvents: h.written, FinishEventID: id}, h.now, 1, testRetention)
		require.NoError(t, err, "event %d", id)
		require.Equal(t, int64(6), m.S.NextEventId, "event %d: 3 copied, failed, scheduled", id)
	}
}

func TestTerminateForResetWritesBothRuns(t *testing.T) {
	h := newHarness(t, "reset-terminate")
	startAndSchedule(h)
	m := Load(h.s, h.now, h.version, testRetention)
	next, err := Reset(ResetParams{NamespaceID: testNamespaceID, WorkflowID: testWorkflowID, NewRunID: "r2", BaseEvents: h.written, FinishEventID: 4}, h.now, 1, testRetention)
	require.NoError(t, err)
	m.TerminateForReset("bad deploy", "operator", next)
	require.False(t, m.IsRunning())
	require.Same(t, next, m.NextRun())
	evs := m.NewEvents()
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, evs[len(evs)-1].EventType)
	require.Equal(t, "bad deploy", evs[len(evs)-1].GetWorkflowExecutionTerminatedEventAttributes().Reason)
}
