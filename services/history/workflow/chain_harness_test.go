package workflow

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Harness support for chains of runs (continue-as-new, retry, cron), child
// workflows and signals/cancellations to other workflows. A step that
// creates the next run renders it under "next run"; continueChain moves the
// scenario on to it.

const (
	testNamespace = "default"
	// Another namespace commands may name.
	otherNamespace   = "billing"
	otherNamespaceID = "ns-2"
)

// recordNextRun renders and checks the run step m created, if any.
func (h *harness) recordNextRun(m *MutableState) {
	h.t.Helper()
	next := m.NextRun()
	if next == nil {
		return
	}
	ei := next.S.ExecutionInfo
	fmt.Fprintf(&h.out, "next run %s:\n", ei.RunId)
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

	// The closing run names its successor, which continues its chain.
	cur := h.s.ExecutionInfo
	require.Equal(h.t, ei.RunId, cur.NewExecutionRunId, "the closing run does not name the new run")
	close := h.written[len(h.written)-1]
	require.True(h.t, isCloseEvent(close.EventType))
	require.Equal(h.t, ei.RunId, newExecutionRunID(close), "close event does not name the new run")
	a := next.NewEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	require.Equal(h.t, cur.RunId, a.GetContinuedExecutionRunId())
	require.Equal(h.t, cur.FirstExecutionRunId, a.GetFirstExecutionRunId())
	require.Equal(h.t, cur.WorkflowId, ei.WorkflowId)
	require.Equal(h.t, cur.ParentExecution.GetWorkflowId(), ei.ParentExecution.GetWorkflowId(), "the parent is inherited")

	// The new run passes the same checks as any run.
	tmp := &harness{t: h.t, name: h.name, now: h.now, version: h.version, s: next.S, steps: h.steps}
	checkStep(h.t, tmp, next, 1)
	for _, e := range next.NewEvents() {
		tmp.written = append(tmp.written, e)
		tmp.frozen = append(tmp.frozen, proto.Clone(e).(*historypb.HistoryEvent))
	}
	checkInvariants(h.t, tmp)
	h.next = next
}

// continueChain makes the run the last step created the scenario's run.
func (h *harness) continueChain() {
	h.t.Helper()
	require.NotNil(h.t, h.next, "the last step created no run")
	next := h.next
	h.next = nil
	h.runs++
	h.s = next.S
	h.written, h.frozen = nil, nil
	for _, e := range next.NewEvents() {
		h.written = append(h.written, e)
		h.frozen = append(h.frozen, proto.Clone(e).(*historypb.HistoryEvent))
	}
	fmt.Fprintf(&h.out, "\n-- continuing with %s\n", next.S.ExecutionInfo.RunId)
}

func newExecutionRunID(e *historypb.HistoryEvent) string {
	switch e.EventType {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		return e.GetWorkflowExecutionCompletedEventAttributes().GetNewExecutionRunId()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		return e.GetWorkflowExecutionFailedEventAttributes().GetNewExecutionRunId()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		return e.GetWorkflowExecutionTimedOutEventAttributes().GetNewExecutionRunId()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return e.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
	}
	return ""
}

// ---- rendering ----

func (h *harness) renderNewRunID(e *historypb.HistoryEvent, add func(string, ...any)) {
	if e.EventType == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW {
		return // rendered with its other fields
	}
	if id := newExecutionRunID(e); id != "" {
		add("new_run=%s", id)
	}
}

func renderStartedChain(a *historypb.WorkflowExecutionStartedEventAttributes, add func(string, ...any)) {
	if a.ContinuedExecutionRunId != "" {
		add("continued_from=%s initiator=%s", a.ContinuedExecutionRunId, a.Initiator.String())
	}
	if a.LastCompletionResult != nil {
		add("last_completion_result=%s", renderPayloads(a.LastCompletionResult))
	}
	if a.ContinuedFailure != nil {
		add("continued_failure=[%s]", renderFailure(a.ContinuedFailure))
	}
	if a.ParentWorkflowExecution != nil {
		add("parent=%s/%s/%s initiated=%d", a.ParentWorkflowNamespace, a.ParentWorkflowExecution.GetWorkflowId(),
			a.ParentWorkflowExecution.GetRunId(), a.ParentInitiatedEventId)
	}
	if a.CronSchedule != "" {
		add("cron=%q", a.CronSchedule)
	}
	if a.RetryPolicy != nil {
		add("retry=%s", renderRetryPolicy(a.RetryPolicy))
	}
}

func renderExecution(ns string, ex *commonpb.WorkflowExecution) string {
	s := ns + "/" + ex.GetWorkflowId()
	if ex.GetRunId() != "" {
		s += "/" + ex.GetRunId()
	}
	return s
}

func (h *harness) renderChainEvent(e *historypb.HistoryEvent, add func(string, ...any)) {
	switch e.EventType {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		a := e.GetWorkflowExecutionContinuedAsNewEventAttributes()
		add("new_run=%s type=%s queue=%s input=%s run_timeout=%s task_timeout=%s backoff=%s initiator=%s wft_completed=%d",
			a.NewExecutionRunId, a.WorkflowType.GetName(), a.TaskQueue.GetName(), renderPayloads(a.Input),
			durStr(a.WorkflowRunTimeout), durStr(a.WorkflowTaskTimeout), durStr(a.BackoffStartInterval), a.Initiator.String(),
			a.WorkflowTaskCompletedEventId)
		if a.Memo != nil {
			add("memo=%s", renderPayloadMap(a.Memo.Fields))
		}
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
		a := e.GetStartChildWorkflowExecutionInitiatedEventAttributes()
		add("child=%s/%s type=%s queue=%s input=%s", a.Namespace, a.WorkflowId, a.WorkflowType.GetName(), a.TaskQueue.GetName(), renderPayloads(a.Input))
		add("execution_timeout=%s run_timeout=%s task_timeout=%s parent_close_policy=%s wft_completed=%d",
			durStr(a.WorkflowExecutionTimeout), durStr(a.WorkflowRunTimeout), durStr(a.WorkflowTaskTimeout),
			a.ParentClosePolicy.String(), a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
		a := e.GetStartChildWorkflowExecutionFailedEventAttributes()
		add("child=%s/%s initiated=%d cause=%s", a.Namespace, a.WorkflowId, a.InitiatedEventId, a.Cause.String())
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
		a := e.GetChildWorkflowExecutionStartedEventAttributes()
		add("child=%s initiated=%d", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId)
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
		a := e.GetChildWorkflowExecutionCompletedEventAttributes()
		add("child=%s initiated=%d started=%d result=%s", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId, a.StartedEventId, renderPayloads(a.Result))
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
		a := e.GetChildWorkflowExecutionFailedEventAttributes()
		add("child=%s initiated=%d started=%d retry_state=%s failure=%s", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId, a.StartedEventId,
			retryState(a.RetryState), renderFailure(a.Failure))
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
		a := e.GetChildWorkflowExecutionCanceledEventAttributes()
		add("child=%s initiated=%d started=%d details=%s", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId, a.StartedEventId, renderPayloads(a.Details))
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
		a := e.GetChildWorkflowExecutionTimedOutEventAttributes()
		add("child=%s initiated=%d started=%d retry_state=%s", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId, a.StartedEventId, retryState(a.RetryState))
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
		a := e.GetChildWorkflowExecutionTerminatedEventAttributes()
		add("child=%s initiated=%d started=%d", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId, a.StartedEventId)
	case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
		a := e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes()
		add("target=%s name=%s input=%s child_only=%v control=%s wft_completed=%d", renderExecution(a.Namespace, a.WorkflowExecution),
			a.SignalName, renderPayloads(a.Input), a.ChildWorkflowOnly, a.Control, a.WorkflowTaskCompletedEventId) //nolint:staticcheck // the SDKs still correlate through control
	case enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
		a := e.GetExternalWorkflowExecutionSignaledEventAttributes()
		add("target=%s initiated=%d", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId)
	case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
		a := e.GetSignalExternalWorkflowExecutionFailedEventAttributes()
		add("target=%s initiated=%d cause=%s", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId, a.Cause.String())
	case enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
		a := e.GetRequestCancelExternalWorkflowExecutionInitiatedEventAttributes()
		add("target=%s child_only=%v control=%s reason=%q wft_completed=%d", renderExecution(a.Namespace, a.WorkflowExecution),
			a.ChildWorkflowOnly, a.Control, a.Reason, a.WorkflowTaskCompletedEventId) //nolint:staticcheck // the SDKs still correlate through control
	case enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
		a := e.GetExternalWorkflowExecutionCancelRequestedEventAttributes()
		add("target=%s initiated=%d", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId)
	case enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
		a := e.GetRequestCancelExternalWorkflowExecutionFailedEventAttributes()
		add("target=%s initiated=%d cause=%s", renderExecution(a.Namespace, a.WorkflowExecution), a.InitiatedEventId, a.Cause.String())
	}
}

func (h *harness) renderExternalState(s *persistencepb.WorkflowMutableState) string {
	var b strings.Builder
	if len(s.ChildExecutionInfos) > 0 {
		b.WriteString("  children:\n")
		for _, id := range sortedKeys(s.ChildExecutionInfos) {
			ci := s.ChildExecutionInfos[id]
			fmt.Fprintf(&b, "    %d %s/%s type=%s policy=%s", id, ci.Namespace, ci.WorkflowId, ci.WorkflowTypeName, ci.ParentClosePolicy.String())
			if ci.StartedEventId != 0 {
				fmt.Fprintf(&b, " started=%d run=%s", ci.StartedEventId, ci.StartedRunId)
			} else {
				b.WriteString(" not-started")
			}
			b.WriteString("\n")
		}
	}
	if len(s.SignalInfos) > 0 {
		b.WriteString("  signals to others:\n")
		for _, id := range sortedKeys(s.SignalInfos) {
			si := s.SignalInfos[id]
			fmt.Fprintf(&b, "    %d %s/%s/%s name=%s child_only=%v\n", id, si.Namespace, si.WorkflowId, si.RunId, si.SignalName, si.ChildWorkflowOnly)
		}
	}
	if len(s.RequestCancelInfos) > 0 {
		b.WriteString("  cancel requests to others:\n")
		for _, id := range sortedKeys(s.RequestCancelInfos) {
			ri := s.RequestCancelInfos[id]
			fmt.Fprintf(&b, "    %d %s/%s/%s child_only=%v\n", id, ri.Namespace, ri.WorkflowId, ri.RunId, ri.ChildWorkflowOnly)
		}
	}
	if ei := s.ExecutionInfo; ei.ParentExecution != nil {
		fmt.Fprintf(&b, "  parent=%s/%s/%s initiated=%d\n", ei.ParentNamespace, ei.ParentExecution.GetWorkflowId(), ei.ParentExecution.GetRunId(), ei.ParentInitiatedEventId)
	}
	return b.String()
}

func sortedKeys[V any](m map[int64]V) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// ---- invariants ----

// checkChainInvariants: a run knows its place in its chain, and a closed
// run names its successor exactly when its close event does.
func checkChainInvariants(t testingT, h *harness) {
	t.Helper()
	s := h.s
	ei := s.ExecutionInfo
	if len(h.written) == 0 {
		return
	}
	a := h.written[0].GetWorkflowExecutionStartedEventAttributes()
	require.NotEmpty(t, a.GetFirstExecutionRunId(), "first_execution_run_id is not set")
	require.GreaterOrEqual(t, a.GetAttempt(), int32(1))
	if resetRun(h.written, ei.RunId) {
		// A reset run keeps the base run's WorkflowExecutionStarted (the
		// API says the reset preserves original_execution_run_id).
		require.NotEqual(t, ei.RunId, a.GetOriginalExecutionRunId(), "a reset run's started event is the base run's")
	} else {
		require.Equal(t, ei.RunId, a.GetOriginalExecutionRunId(), "original_execution_run_id is not the run's own ID")
	}
	switch {
	case resetRun(h.written, ei.RunId):
		// Its chain is the base run's.
	case a.GetContinuedExecutionRunId() != "":
		require.NotEqual(t, enumspb.CONTINUE_AS_NEW_INITIATOR_UNSPECIFIED, a.GetInitiator(), "a continued run has no initiator")
		require.NotEqual(t, ei.RunId, a.GetFirstExecutionRunId(), "a continued run is not its chain's first")
	default:
		require.Equal(t, ei.RunId, a.GetFirstExecutionRunId(), "a chain's first run must name itself first")
	}
	closed := s.ExecutionState.GetState() == persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED
	if closed {
		last := h.written[len(h.written)-1]
		require.Equal(t, newExecutionRunID(last), ei.NewExecutionRunId, "state and close event disagree on the new run")
		if last.EventType == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW {
			require.NotEmpty(t, ei.NewExecutionRunId, "continued-as-new without a new run")
		}
	} else {
		require.Empty(t, ei.NewExecutionRunId, "a running run names a new run")
	}
}

// resetRun reports whether events are a reset run's: a WorkflowTaskFailed
// with cause RESET_WORKFLOW names runID as the new run.
func resetRun(events []*historypb.HistoryEvent, runID string) bool {
	for _, e := range events {
		a := e.GetWorkflowTaskFailedEventAttributes()
		if a.GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW && a.GetNewRunId() == runID {
			return true
		}
	}
	return false
}

// checkExternalInvariants: pending child, signal and cancel infos point at
// their initiating events; every outcome event points at an initiating
// event of the right kind, and each initiation has at most one outcome
// (a child: at most one started event and one close or start failure).
func checkExternalInvariants(t testingT, h *harness) {
	t.Helper()
	s := h.s
	byID := func(id int64) *historypb.HistoryEvent {
		if id < 1 || id > int64(len(h.written)) {
			return nil
		}
		return h.written[id-1]
	}
	childStarted := map[int64]int64{}
	childClosed := map[int64]bool{}
	signalDone := map[int64]bool{}
	cancelDone := map[int64]bool{}
	all := append(append([]*historypb.HistoryEvent{}, h.written...), s.BufferedEvents...)
	for _, e := range all {
		if id := ChildInitiatedID(e); id != 0 {
			init := byID(id)
			require.NotNil(t, init, "%v points at missing initiated event %d", e.EventType, id)
			require.Equal(t, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, init.EventType, "%v points at %v", e.EventType, init.EventType)
			require.False(t, childClosed[id], "child %d has an outcome after its close", id)
			switch e.EventType {
			case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
				_, dup := childStarted[id]
				require.False(t, dup, "child %d started twice", id)
				childStarted[id] = e.EventId
			case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
				_, started := childStarted[id]
				require.False(t, started, "child %d failed to start after it started", id)
				childClosed[id] = true
			default:
				startedID, started := childStarted[id]
				require.True(t, started, "child %d closed before it started", id)
				if e.EventId != BufferedEventID {
					require.Equal(t, startedID, childCloseStartedID(e), "child %d close event names the wrong started event", id)
				}
				childClosed[id] = true
			}
		}
		switch e.EventType {
		case enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
			id := e.GetExternalWorkflowExecutionSignaledEventAttributes().GetInitiatedEventId() + e.GetSignalExternalWorkflowExecutionFailedEventAttributes().GetInitiatedEventId()
			init := byID(id)
			require.NotNil(t, init, "%v points at missing initiated event %d", e.EventType, id)
			require.Equal(t, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, init.EventType)
			require.False(t, signalDone[id], "signal %d has two outcomes", id)
			signalDone[id] = true
		case enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
			id := e.GetExternalWorkflowExecutionCancelRequestedEventAttributes().GetInitiatedEventId() + e.GetRequestCancelExternalWorkflowExecutionFailedEventAttributes().GetInitiatedEventId()
			init := byID(id)
			require.NotNil(t, init, "%v points at missing initiated event %d", e.EventType, id)
			require.Equal(t, enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, init.EventType)
			require.False(t, cancelDone[id], "cancel request %d has two outcomes", id)
			cancelDone[id] = true
		}
	}
	for id, ci := range s.ChildExecutionInfos {
		require.Equal(t, id, ci.InitiatedEventId)
		init := byID(id)
		require.NotNil(t, init, "pending child %d has no initiated event", id)
		require.Equal(t, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, init.EventType)
		require.Equal(t, ci.WorkflowId, init.GetStartChildWorkflowExecutionInitiatedEventAttributes().GetWorkflowId())
		require.NotEqual(t, enumspb.PARENT_CLOSE_POLICY_UNSPECIFIED, ci.ParentClosePolicy)
		require.False(t, childClosed[id], "child %d is pending after its outcome", id)
		startedID, started := childStarted[id]
		require.Equal(t, started, ci.StartedEventId != 0, "child %d started event and pending info disagree", id)
		if started {
			require.Equal(t, startedID, ci.StartedEventId)
		}
	}
	for id := range childStarted {
		if !childClosed[id] {
			require.NotNil(t, s.ChildExecutionInfos[id], "started child %d has neither a close event nor a pending info", id)
		}
	}
	for id, si := range s.SignalInfos {
		init := byID(id)
		require.NotNil(t, init)
		require.Equal(t, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, init.EventType)
		require.Equal(t, si.SignalName, init.GetSignalExternalWorkflowExecutionInitiatedEventAttributes().GetSignalName())
		require.False(t, signalDone[id], "signal %d is pending after its outcome", id)
	}
	for id := range s.RequestCancelInfos {
		init := byID(id)
		require.NotNil(t, init)
		require.Equal(t, enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, init.EventType)
		require.False(t, cancelDone[id], "cancel request %d is pending after its outcome", id)
	}
}

func childCloseStartedID(e *historypb.HistoryEvent) int64 {
	switch e.EventType {
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
		return e.GetChildWorkflowExecutionCompletedEventAttributes().GetStartedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
		return e.GetChildWorkflowExecutionFailedEventAttributes().GetStartedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
		return e.GetChildWorkflowExecutionCanceledEventAttributes().GetStartedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
		return e.GetChildWorkflowExecutionTimedOutEventAttributes().GetStartedEventId()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
		return e.GetChildWorkflowExecutionTerminatedEventAttributes().GetStartedEventId()
	}
	return -1
}

// ---- command builders ----

func continueAsNew(input string, mod ...func(*commandpb.ContinueAsNewWorkflowExecutionCommandAttributes)) *commandpb.Command {
	a := &commandpb.ContinueAsNewWorkflowExecutionCommandAttributes{Input: payloads(input)}
	for _, f := range mod {
		f(a)
	}
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
		Attributes:  &commandpb.Command_ContinueAsNewWorkflowExecutionCommandAttributes{ContinueAsNewWorkflowExecutionCommandAttributes: a},
	}
}

func startChild(id, typ string, mod ...func(*commandpb.StartChildWorkflowExecutionCommandAttributes)) *commandpb.Command {
	a := &commandpb.StartChildWorkflowExecutionCommandAttributes{
		Namespace:    testNamespace, //nolint:staticcheck // the Go SDK still sets it
		WorkflowId:   id,
		WorkflowType: &commonpb.WorkflowType{Name: typ},
		TaskQueue:    &taskqueuepb.TaskQueue{Name: "children", Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:        payloads(`"child-in"`),
	}
	for _, f := range mod {
		f(a)
	}
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
		Attributes:  &commandpb.Command_StartChildWorkflowExecutionCommandAttributes{StartChildWorkflowExecutionCommandAttributes: a},
	}
}

func signalExternal(ns, workflowID, runID, name string, childOnly bool) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
		Attributes: &commandpb.Command_SignalExternalWorkflowExecutionCommandAttributes{SignalExternalWorkflowExecutionCommandAttributes: &commandpb.SignalExternalWorkflowExecutionCommandAttributes{
			Namespace: ns, Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID}, //nolint:staticcheck // the Go SDK still sets it
			SignalName: name, Input: payloads(`"ping"`), Control: "sig-" + name, ChildWorkflowOnly: childOnly, //nolint:staticcheck // as above
		}},
	}
}

func requestCancelExternal(ns, workflowID, runID string, childOnly bool) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
		Attributes: &commandpb.Command_RequestCancelExternalWorkflowExecutionCommandAttributes{RequestCancelExternalWorkflowExecutionCommandAttributes: &commandpb.RequestCancelExternalWorkflowExecutionCommandAttributes{
			Namespace: ns, WorkflowId: workflowID, RunId: runID, Control: "cancel-" + workflowID, ChildWorkflowOnly: childOnly, //nolint:staticcheck // the Go SDK still sets them
		}},
	}
}

// ---- steps the shell's executors take ----

func (h *harness) childStarted(initiatedID int64, runID string) {
	h.t.Helper()
	h.step(fmt.Sprintf("child of event %d started as %s", initiatedID, runID), func(m *MutableState) string {
		return fmt.Sprintf("recorded=%v", m.RecordChildStarted(initiatedID, runID, nil))
	})
}

func (h *harness) childStartFailed(initiatedID int64) {
	h.t.Helper()
	h.step(fmt.Sprintf("child of event %d: workflow ID in use", initiatedID), func(m *MutableState) string {
		return fmt.Sprintf("recorded=%v", m.RecordChildStartFailed(initiatedID, enumspb.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS))
	})
}

// childClosed plays the child's close task reporting close event e of run
// runID (the chain's first run is child-run-1).
func (h *harness) childClosed(initiatedID int64, workflowID, runID string, e *historypb.HistoryEvent) {
	h.t.Helper()
	h.step(fmt.Sprintf("child of event %d closes: %s", initiatedID, e.EventType.String()), func(m *MutableState) string {
		ok := m.RecordChildClosed(initiatedID, &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID}, "child-run-1", e)
		return fmt.Sprintf("recorded=%v", ok)
	})
}

func childCompletedEvent(result string) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{
			Result: payloads(result),
		}},
	}
}

func childFailedEvent(msg string) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{WorkflowExecutionFailedEventAttributes: &historypb.WorkflowExecutionFailedEventAttributes{
			Failure: appFailure(msg, "ChildError", false), RetryState: enumspb.RETRY_STATE_RETRY_POLICY_NOT_SET,
		}},
	}
}

func childCloseEvent(t enumspb.EventType) *historypb.HistoryEvent {
	e := &historypb.HistoryEvent{EventType: t}
	switch t {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionCanceledEventAttributes{WorkflowExecutionCanceledEventAttributes: &historypb.WorkflowExecutionCanceledEventAttributes{Details: payloads(`"bye"`)}}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionTimedOutEventAttributes{WorkflowExecutionTimedOutEventAttributes: &historypb.WorkflowExecutionTimedOutEventAttributes{RetryState: enumspb.RETRY_STATE_TIMEOUT}}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes{WorkflowExecutionTerminatedEventAttributes: &historypb.WorkflowExecutionTerminatedEventAttributes{Reason: "by parent close policy"}}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes{WorkflowExecutionContinuedAsNewEventAttributes: &historypb.WorkflowExecutionContinuedAsNewEventAttributes{NewExecutionRunId: "child-run-2"}}
	}
	return e
}

func (h *harness) fireRunTimeout() {
	h.t.Helper()
	h.step("run timeout timer fires", func(m *MutableState) string {
		require.False(h.t, m.Info().RunExpirationTime.AsTime().After(h.now), "run timeout not due")
		m.TimeoutRun()
		return ""
	})
}

// runWorkflowTask polls and completes one workflow task with cmds.
func (h *harness) runWorkflowTask(cmds ...*commandpb.Command) {
	h.t.Helper()
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(cmds...)
}
