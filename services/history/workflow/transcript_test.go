package workflow

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/common/searchattribute"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Golden transcripts: a scenario is a sequence of steps, each one
// transaction over the run (workflow.Load at an explicit time and failover
// version). Every step's events, tasks and the resulting key state are
// rendered into testdata/<scenario>.golden; `go test -update` rewrites them.
// After every step the invariants of invariants_test.go are checked.

var update = flag.Bool("update", false, "rewrite testdata/*.golden transcripts")

// t0 is the fixed start time of every scenario.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	testNamespaceID = "ns-1"
	testWorkflowID  = "wf-1"
	testRunID       = "run-1"
	testTaskQueue   = "orders"
	testRetention   = 72 * time.Hour
	wftWorker       = "wf-worker"
	actWorker       = "act-worker"
)

const transcriptLegend = `# Legend: "@Xs" is a time X after the scenario's start; "+Xs" is a delay
# after the step's own time (timer tasks fire then). [vN] is the event's
# failover version. Buffered events are listed under state, not events.
`

type harness struct {
	t    *testing.T
	name string

	now     time.Time
	version int64

	s *persistencepb.WorkflowMutableState
	// written are the events of every step as the transactions returned
	// them; frozen are clones taken when they were written, to catch later
	// mutation through aliasing.
	written []*historypb.HistoryEvent
	frozen  []*historypb.HistoryEvent

	out   strings.Builder
	steps int
	polls int

	// runs counts the runs of the chain so far (run-1, run-2, ...); next is
	// the run the last step created, until continueChain moves to it.
	runs int
	next *MutableState

	// undeliveredUpdates plays the shell's registry: admitted updates wait
	// that the in-flight task does not carry (Inputs.UndeliveredUpdates).
	undeliveredUpdates bool
}

// inputs are what the shell would look up for a transaction.
func (h *harness) inputs() Inputs {
	in := Inputs{
		Namespace:    testNamespace,
		NamespaceIDs: map[string]string{otherNamespace: otherNamespaceID},
		NewRunID:     fmt.Sprintf("run-%d", h.runs+1),
	}
	if len(h.written) > 0 {
		in.Start = h.written[0].GetWorkflowExecutionStartedEventAttributes()
	}
	in.UndeliveredUpdates = h.undeliveredUpdates
	in.SearchAttributes = map[string]searchattribute.Types{
		testNamespace: {
			"CustomKeywordField": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			"CustomIntField":     enumspb.INDEXED_VALUE_TYPE_INT,
			"CustomBoolField":    enumspb.INDEXED_VALUE_TYPE_BOOL,
		},
		otherNamespace: {"BillingKeyword": enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	}
	return in
}

func newHarness(t *testing.T, name string) *harness {
	h := &harness{t: t, name: name, now: t0, version: 1}
	h.out.WriteString("# scenario: " + name + "\n")
	h.out.WriteString(transcriptLegend)
	return h
}

// advance moves the clock; the next step runs at the new time.
func (h *harness) advance(d time.Duration) { h.now = h.now.Add(d) }

// failover changes the failover version the next transactions write with.
func (h *harness) failover(v int64) {
	h.version = v
	fmt.Fprintf(&h.out, "\n-- failover version is now %d\n", v)
}

// start runs NewRun as the first step.
func (h *harness) start(title string, p StartParams) {
	h.t.Helper()
	h.startWith(title, p, nil)
}

// startWith is start with fn run in the same transaction after NewRun.
func (h *harness) startWith(title string, p StartParams, fn func(m *MutableState) string) {
	h.t.Helper()
	require.Nil(h.t, h.s, "start must be the first step")
	if p.NamespaceID == "" {
		p.NamespaceID = testNamespaceID
	}
	if p.RunID == "" {
		p.RunID = testRunID
	}
	m := NewRun(p, h.now, h.version, testRetention)
	result := ""
	if fn != nil {
		result = fn(m)
	}
	h.s = m.S
	h.runs = 1
	h.record(title, m, result)
}

// startRequest is a minimal StartWorkflowExecution request.
func startRequest(mod ...func(*workflowservice.StartWorkflowExecutionRequest)) *workflowservice.StartWorkflowExecutionRequest {
	r := &workflowservice.StartWorkflowExecutionRequest{
		Namespace:    "default",
		WorkflowId:   testWorkflowID,
		WorkflowType: &commonpb.WorkflowType{Name: "OrderWorkflow"},
		TaskQueue:    &taskqueuepb.TaskQueue{Name: testTaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:        payloads(`"order-42"`),
		Identity:     "client",
		RequestId:    "start-req-1",
	}
	for _, f := range mod {
		f(r)
	}
	return r
}

// step runs fn as one transaction at the current time and version. fn may
// return a short description of its result.
func (h *harness) step(title string, fn func(m *MutableState) string) {
	h.t.Helper()
	require.NotNil(h.t, h.s, "no run: start first")
	m := Load(h.s, h.now, h.version, testRetention)
	m.In = h.inputs()
	result := fn(m)
	h.record(title, m, result)
}

func (h *harness) record(title string, m *MutableState, result string) {
	h.t.Helper()
	h.steps++
	prevNext := int64(1)
	if n := len(h.written); n > 0 {
		prevNext = h.written[n-1].EventId + 1
	}
	fmt.Fprintf(&h.out, "\n## %d. %s  @%s\n", h.steps, title, h.now.Sub(t0))
	if result != "" {
		fmt.Fprintf(&h.out, "result: %s\n", result)
	}
	evs := m.NewEvents()
	if len(evs) == 0 {
		h.out.WriteString("events: none\n")
	} else {
		h.out.WriteString("events:\n")
		for _, e := range evs {
			fmt.Fprintf(&h.out, "  %s\n", h.renderEvent(e))
		}
	}
	if len(m.Tasks()) == 0 {
		h.out.WriteString("tasks: none\n")
	} else {
		h.out.WriteString("tasks:\n")
		for _, tk := range m.Tasks() {
			fmt.Fprintf(&h.out, "  %s\n", h.renderTask(tk))
		}
	}
	h.out.WriteString(h.renderState(m))

	checkStep(h.t, h, m, prevNext)
	for _, e := range evs {
		h.written = append(h.written, e)
		h.frozen = append(h.frozen, proto.Clone(e).(*historypb.HistoryEvent))
	}
	checkInvariants(h.t, h)
	h.recordNextRun(m)
}

// goldenCompare compares the transcript with testdata/<name>.golden, or
// rewrites it under -update.
func (h *harness) goldenCompare() {
	h.t.Helper()
	path := filepath.Join("testdata", h.name+".golden")
	got := h.out.String()
	if *update {
		require.NoError(h.t, os.MkdirAll("testdata", 0o755))
		require.NoError(h.t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(h.t, err, "missing golden file; run go test -update")
	require.Equal(h.t, string(want), got, "transcript differs from %s; rerun with -update and review the diff", path)
}

// ---- common steps ----

func (h *harness) pollWorkflowTask() {
	h.t.Helper()
	h.polls++
	reqID := fmt.Sprintf("wft-poll-%d", h.polls)
	h.step("worker polls workflow task", func(m *MutableState) string {
		require.NotNil(h.t, m.WorkflowTask(), "no workflow task to start")
		require.False(h.t, m.WorkflowTaskStarted(), "workflow task already started")
		m.StartWorkflowTask(reqID, wftWorker, 0)
		return ""
	})
}

func (h *harness) completeWorkflowTask(cmds ...*commandpb.Command) {
	h.t.Helper()
	h.completeWorkflowTaskReq(&workflowservice.RespondWorkflowTaskCompletedRequest{Commands: cmds, Identity: wftWorker}, Limits{})
}

func (h *harness) completeWorkflowTaskReq(req *workflowservice.RespondWorkflowTaskCompletedRequest, limits Limits) {
	h.t.Helper()
	title := "worker completes workflow task: " + describeCommands(req.Commands)
	if len(req.Messages) > 0 {
		title += " messages " + describeMessages(req.Messages)
	}
	if req.ForceCreateNewWorkflowTask {
		title += " force_create_new_workflow_task"
	}
	h.step(title, func(m *MutableState) string {
		require.True(h.t, m.WorkflowTaskStarted(), "no started workflow task to complete")
		r := m.CompleteWorkflowTask(req, limits)
		if r.Failed {
			return fmt.Sprintf("rejected cause=%s msg=%q new_workflow_task=%v", r.FailedCause.String(), r.FailedMsg, r.NewWorkflowTask)
		}
		return fmt.Sprintf("accepted new_workflow_task=%v", r.NewWorkflowTask) + renderRejections(r.Rejections)
	})
}

func (h *harness) failWorkflowTask(cause enumspb.WorkflowTaskFailedCause, msg string) {
	h.t.Helper()
	h.step("worker fails workflow task: "+cause.String(), func(m *MutableState) string {
		require.True(h.t, m.WorkflowTaskStarted())
		m.FailWorkflowTask(cause, appFailure(msg, "PanicError", false), wftWorker)
		return ""
	})
}

func (h *harness) timeoutWorkflowTask() {
	h.t.Helper()
	h.step("workflow task start-to-close timer fires", func(m *MutableState) string {
		wt := m.WorkflowTask()
		require.NotNil(h.t, wt)
		require.True(h.t, m.WorkflowTaskStarted())
		require.False(h.t, h.now.Before(wt.StartedTime.AsTime().Add(wt.StartToCloseTimeout.AsDuration())), "timer not due")
		m.TimeoutWorkflowTask(enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
		return ""
	})
}

func (h *harness) signal(name, input string) {
	h.t.Helper()
	h.step(fmt.Sprintf("signal %q arrives", name), func(m *MutableState) string {
		m.AddSignal(&historypb.WorkflowExecutionSignaledEventAttributes{SignalName: name, Input: payloads(input), Identity: "client"})
		return ""
	})
}

func (h *harness) activity(m *MutableState, id string) *persistencepb.ActivityInfo {
	h.t.Helper()
	ai := m.ActivityByID(id)
	require.NotNil(h.t, ai, "activity %q is not pending", id)
	return ai
}

// startActivity is RecordActivityTaskStarted for the current attempt.
func (h *harness) startActivity(id string) {
	h.t.Helper()
	h.polls++
	reqID := fmt.Sprintf("act-poll-%d", h.polls)
	h.step(fmt.Sprintf("activity %q attempt taken by worker", id), func(m *MutableState) string {
		ai := h.activity(m, id)
		require.False(h.t, ai.Started)
		require.False(h.t, ai.ScheduledTime.AsTime().After(h.now), "attempt not yet due (retry backoff)")
		m.StartActivity(ai, reqID, actWorker)
		return fmt.Sprintf("attempt=%d", ai.Attempt)
	})
}

func (h *harness) heartbeat(id, details string) {
	h.t.Helper()
	h.step(fmt.Sprintf("activity %q heartbeats %s", id, details), func(m *MutableState) string {
		ai := h.activity(m, id)
		require.True(h.t, ai.Started)
		var d *commonpb.Payloads
		if details != "" {
			d = payloads(details)
		}
		m.HeartbeatActivity(ai, d)
		return fmt.Sprintf("cancel_requested=%v", ai.CancelRequested)
	})
}

func (h *harness) completeActivity(id, result string) {
	h.t.Helper()
	h.step(fmt.Sprintf("activity %q completes", id), func(m *MutableState) string {
		ai := h.activity(m, id)
		require.True(h.t, ai.Started)
		m.CompleteActivity(ai, payloads(result), actWorker)
		return ""
	})
}

func (h *harness) failActivity(id string, f *failurepb.Failure, details string) {
	h.t.Helper()
	h.step(fmt.Sprintf("activity %q fails: %s", id, renderFailure(f)), func(m *MutableState) string {
		ai := h.activity(m, id)
		require.True(h.t, ai.Started)
		var d *commonpb.Payloads
		if details != "" {
			d = payloads(details)
		}
		return fmt.Sprintf("retrying=%v", m.FailActivity(ai, f, d, actWorker))
	})
}

func (h *harness) cancelActivity(id, details string) {
	h.t.Helper()
	h.step(fmt.Sprintf("activity %q reports canceled", id), func(m *MutableState) string {
		ai := h.activity(m, id)
		require.True(h.t, ai.Started)
		m.CancelActivity(ai, payloads(details), actWorker)
		return ""
	})
}

// fireActivityTimeout plays the activity timeout timer of the given type,
// with the staleness checks and heartbeat re-arming of the executor
// (services/history/executor.go activityTimeout).
func (h *harness) fireActivityTimeout(id string, tt enumspb.TimeoutType) {
	h.t.Helper()
	h.step(fmt.Sprintf("activity %q %s timer fires", id, tt.String()), func(m *MutableState) string {
		ai := h.activity(m, id)
		switch tt {
		case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START:
			require.False(h.t, ai.Started)
		case enumspb.TIMEOUT_TYPE_START_TO_CLOSE:
			require.True(h.t, ai.Started)
		case enumspb.TIMEOUT_TYPE_HEARTBEAT:
			require.True(h.t, ai.Started)
			if HeartbeatDeadline(ai).After(h.now) {
				m.RescheduleHeartbeatTimer(ai)
				return "heartbeat deadline moved; timer re-armed"
			}
		}
		return fmt.Sprintf("retrying=%v", m.TimeoutActivity(ai, tt))
	})
}

func (h *harness) fireTimer(id string) {
	h.t.Helper()
	h.step(fmt.Sprintf("user timer %q fires", id), func(m *MutableState) string {
		ti := m.S.TimerInfos[id]
		require.NotNil(h.t, ti, "timer %q is not pending", id)
		require.False(h.t, ti.ExpiryTime.AsTime().After(h.now), "timer not due")
		m.FireTimer(ti)
		return ""
	})
}

// ---- builders ----

func payloads(data ...string) *commonpb.Payloads {
	p := &commonpb.Payloads{}
	for _, d := range data {
		p.Payloads = append(p.Payloads, payload(d))
	}
	return p
}

func payload(data string) *commonpb.Payload {
	return &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(data)}
}

func appFailure(msg, typ string, nonRetryable bool) *failurepb.Failure {
	return &failurepb.Failure{
		Message: msg,
		Source:  "GoSDK",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: typ, NonRetryable: nonRetryable,
		}},
	}
}

func timeoutFailure(tt enumspb.TimeoutType) *failurepb.Failure {
	return &failurepb.Failure{
		Message:     "timeout",
		FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{TimeoutType: tt}},
	}
}

func dur(d time.Duration) *durationpb.Duration { return durationpb.New(d) }

type activityOpt func(*commandpb.ScheduleActivityTaskCommandAttributes)

func withStartToClose(d time.Duration) activityOpt {
	return func(a *commandpb.ScheduleActivityTaskCommandAttributes) { a.StartToCloseTimeout = dur(d) }
}

func withScheduleToClose(d time.Duration) activityOpt {
	return func(a *commandpb.ScheduleActivityTaskCommandAttributes) { a.ScheduleToCloseTimeout = dur(d) }
}

func withScheduleToStart(d time.Duration) activityOpt {
	return func(a *commandpb.ScheduleActivityTaskCommandAttributes) { a.ScheduleToStartTimeout = dur(d) }
}

func withHeartbeat(d time.Duration) activityOpt {
	return func(a *commandpb.ScheduleActivityTaskCommandAttributes) { a.HeartbeatTimeout = dur(d) }
}

func withRetry(p *commonpb.RetryPolicy) activityOpt {
	return func(a *commandpb.ScheduleActivityTaskCommandAttributes) { a.RetryPolicy = p }
}

func scheduleActivity(id, typ string, opts ...activityOpt) *commandpb.Command {
	a := &commandpb.ScheduleActivityTaskCommandAttributes{
		ActivityId:   id,
		ActivityType: &commonpb.ActivityType{Name: typ},
		Input:        payloads(`"in"`),
	}
	for _, o := range opts {
		o(a)
	}
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
		Attributes:  &commandpb.Command_ScheduleActivityTaskCommandAttributes{ScheduleActivityTaskCommandAttributes: a},
	}
}

func requestCancelActivity(scheduledID int64) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
		Attributes: &commandpb.Command_RequestCancelActivityTaskCommandAttributes{RequestCancelActivityTaskCommandAttributes: &commandpb.RequestCancelActivityTaskCommandAttributes{
			ScheduledEventId: scheduledID,
		}},
	}
}

func startTimer(id string, d time.Duration) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_START_TIMER,
		Attributes: &commandpb.Command_StartTimerCommandAttributes{StartTimerCommandAttributes: &commandpb.StartTimerCommandAttributes{
			TimerId: id, StartToFireTimeout: dur(d),
		}},
	}
}

func cancelTimer(id string) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_CANCEL_TIMER,
		Attributes:  &commandpb.Command_CancelTimerCommandAttributes{CancelTimerCommandAttributes: &commandpb.CancelTimerCommandAttributes{TimerId: id}},
	}
}

func completeWorkflow(result string) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
		Attributes: &commandpb.Command_CompleteWorkflowExecutionCommandAttributes{CompleteWorkflowExecutionCommandAttributes: &commandpb.CompleteWorkflowExecutionCommandAttributes{
			Result: payloads(result),
		}},
	}
}

func failWorkflow(msg string) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
		Attributes: &commandpb.Command_FailWorkflowExecutionCommandAttributes{FailWorkflowExecutionCommandAttributes: &commandpb.FailWorkflowExecutionCommandAttributes{
			Failure: appFailure(msg, "OrderError", false),
		}},
	}
}

func cancelWorkflow(details string) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
		Attributes: &commandpb.Command_CancelWorkflowExecutionCommandAttributes{CancelWorkflowExecutionCommandAttributes: &commandpb.CancelWorkflowExecutionCommandAttributes{
			Details: payloads(details),
		}},
	}
}

func recordMarker(name, details string) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_RECORD_MARKER,
		Attributes: &commandpb.Command_RecordMarkerCommandAttributes{RecordMarkerCommandAttributes: &commandpb.RecordMarkerCommandAttributes{
			MarkerName: name, Details: map[string]*commonpb.Payloads{"data": payloads(details)},
		}},
	}
}

func upsertSearchAttributes(fields map[string]*commonpb.Payload) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
		Attributes: &commandpb.Command_UpsertWorkflowSearchAttributesCommandAttributes{UpsertWorkflowSearchAttributesCommandAttributes: &commandpb.UpsertWorkflowSearchAttributesCommandAttributes{
			SearchAttributes: &commonpb.SearchAttributes{IndexedFields: fields},
		}},
	}
}

func modifyMemo(fields map[string]*commonpb.Payload) *commandpb.Command {
	return &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
		Attributes: &commandpb.Command_ModifyWorkflowPropertiesCommandAttributes{ModifyWorkflowPropertiesCommandAttributes: &commandpb.ModifyWorkflowPropertiesCommandAttributes{
			UpsertedMemo: &commonpb.Memo{Fields: fields},
		}},
	}
}

// ---- rendering ----

func (h *harness) at(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return "@" + ts.AsTime().Sub(t0).String()
}

func shortEnum(s, prefix string) string { return strings.TrimPrefix(s, prefix) }

// eventName is the event type as Temporal prints it (ActivityTaskScheduled).
func eventName(t enumspb.EventType) string { return t.String() }

func durStr(d *durationpb.Duration) string {
	if d == nil {
		return "-"
	}
	return d.AsDuration().String()
}

func renderPayloads(p *commonpb.Payloads) string {
	if p == nil {
		return "-"
	}
	var parts []string
	for _, x := range p.Payloads {
		parts = append(parts, renderPayload(x))
	}
	return strings.Join(parts, ",")
}

func renderPayload(p *commonpb.Payload) string {
	if p == nil {
		return "<nil>"
	}
	if len(p.Data) == 0 {
		return "<empty>"
	}
	return string(p.Data)
}

func renderPayloadMap(m map[string]*commonpb.Payload) string {
	if len(m) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+renderPayload(m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func renderFailure(f *failurepb.Failure) string {
	if f == nil {
		return "-"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q", f.Message)
	switch {
	case f.GetApplicationFailureInfo() != nil:
		a := f.GetApplicationFailureInfo()
		fmt.Fprintf(&b, " app(type=%s", a.Type)
		if a.NonRetryable {
			b.WriteString(" non_retryable")
		}
		if a.NextRetryDelay != nil {
			b.WriteString(" next_retry_delay=" + durStr(a.NextRetryDelay))
		}
		b.WriteString(")")
	case f.GetTimeoutFailureInfo() != nil:
		ti := f.GetTimeoutFailureInfo()
		fmt.Fprintf(&b, " timeout(%s", ti.TimeoutType.String())
		if ti.LastHeartbeatDetails != nil {
			b.WriteString(" hb_details=" + renderPayloads(ti.LastHeartbeatDetails))
		}
		b.WriteString(")")
	case f.GetServerFailureInfo() != nil:
		b.WriteString(" server")
	}
	if f.Cause != nil {
		b.WriteString(" cause=[" + renderFailure(f.Cause) + "]")
	}
	return b.String()
}

func renderRetryPolicy(p *commonpb.RetryPolicy) string {
	if p == nil {
		return "-"
	}
	attempts := "unlimited"
	if p.MaximumAttempts > 0 {
		attempts = fmt.Sprint(p.MaximumAttempts)
	}
	s := fmt.Sprintf("{initial=%s coef=%g max=%s attempts=%s", durStr(p.InitialInterval), p.BackoffCoefficient, durStr(p.MaximumInterval), attempts)
	if len(p.NonRetryableErrorTypes) > 0 {
		s += " non_retryable=" + strings.Join(p.NonRetryableErrorTypes, ",")
	}
	return s + "}"
}

func retryState(s enumspb.RetryState) string { return s.String() }

func (h *harness) renderEvent(e *historypb.HistoryEvent) string {
	head := fmt.Sprintf("%d [v%d] %s", e.EventId, e.Version, eventName(e.EventType))
	var f []string
	add := func(format string, args ...any) { f = append(f, fmt.Sprintf(format, args...)) }
	switch e.EventType {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		a := e.GetWorkflowExecutionStartedEventAttributes()
		add("type=%s queue=%s input=%s", a.WorkflowType.GetName(), a.TaskQueue.GetName(), renderPayloads(a.Input))
		add("execution_timeout=%s run_timeout=%s task_timeout=%s", durStr(a.WorkflowExecutionTimeout), durStr(a.WorkflowRunTimeout), durStr(a.WorkflowTaskTimeout))
		add("attempt=%d first_run=%s original_run=%s", a.Attempt, a.FirstExecutionRunId, a.OriginalExecutionRunId)
		if a.WorkflowExecutionExpirationTime != nil {
			add("execution_expiration=%s", h.at(a.WorkflowExecutionExpirationTime))
		}
		if a.FirstWorkflowTaskBackoff != nil {
			add("first_workflow_task_backoff=%s", durStr(a.FirstWorkflowTaskBackoff))
		}
		if a.Memo != nil {
			add("memo=%s", renderPayloadMap(a.Memo.Fields))
		}
		if a.SearchAttributes != nil {
			add("search_attributes=%s", renderPayloadMap(a.SearchAttributes.IndexedFields))
		}
		renderStartedChain(a, add)
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
		a := e.GetWorkflowTaskScheduledEventAttributes()
		add("queue=%s start_to_close=%s attempt=%d", a.TaskQueue.GetName(), durStr(a.StartToCloseTimeout), a.Attempt)
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
		a := e.GetWorkflowTaskStartedEventAttributes()
		add("scheduled=%d identity=%s request=%s", a.ScheduledEventId, a.Identity, a.RequestId)
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
		a := e.GetWorkflowTaskCompletedEventAttributes()
		add("scheduled=%d started=%d identity=%s", a.ScheduledEventId, a.StartedEventId, a.Identity)
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
		a := e.GetWorkflowTaskFailedEventAttributes()
		add("scheduled=%d started=%d cause=%s identity=%s failure=%s", a.ScheduledEventId, a.StartedEventId,
			a.Cause.String(), a.Identity, renderFailure(a.Failure))
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
		a := e.GetWorkflowTaskTimedOutEventAttributes()
		add("scheduled=%d started=%d timeout=%s", a.ScheduledEventId, a.StartedEventId, a.TimeoutType.String())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		a := e.GetActivityTaskScheduledEventAttributes()
		add("id=%s type=%s queue=%s", a.ActivityId, a.ActivityType.GetName(), a.TaskQueue.GetName())
		add("schedule_to_close=%s schedule_to_start=%s start_to_close=%s heartbeat=%s", durStr(a.ScheduleToCloseTimeout),
			durStr(a.ScheduleToStartTimeout), durStr(a.StartToCloseTimeout), durStr(a.HeartbeatTimeout))
		add("retry=%s wft_completed=%d", renderRetryPolicy(a.RetryPolicy), a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
		a := e.GetActivityTaskStartedEventAttributes()
		add("scheduled=%d attempt=%d identity=%s request=%s last_failure=%s", a.ScheduledEventId, a.Attempt, a.Identity, a.RequestId, renderFailure(a.LastFailure))
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		a := e.GetActivityTaskCompletedEventAttributes()
		add("scheduled=%d started=%d result=%s identity=%s", a.ScheduledEventId, a.StartedEventId, renderPayloads(a.Result), a.Identity)
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		a := e.GetActivityTaskFailedEventAttributes()
		add("scheduled=%d started=%d retry_state=%s identity=%s failure=%s", a.ScheduledEventId, a.StartedEventId, retryState(a.RetryState), a.Identity, renderFailure(a.Failure))
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		a := e.GetActivityTaskTimedOutEventAttributes()
		add("scheduled=%d started=%d retry_state=%s failure=%s", a.ScheduledEventId, a.StartedEventId, retryState(a.RetryState), renderFailure(a.Failure))
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
		a := e.GetActivityTaskCancelRequestedEventAttributes()
		add("scheduled=%d wft_completed=%d", a.ScheduledEventId, a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		a := e.GetActivityTaskCanceledEventAttributes()
		add("scheduled=%d started=%d latest_cancel_requested=%d details=%s identity=%s", a.ScheduledEventId, a.StartedEventId,
			a.LatestCancelRequestedEventId, renderPayloads(a.Details), a.Identity)
	case enumspb.EVENT_TYPE_TIMER_STARTED:
		a := e.GetTimerStartedEventAttributes()
		add("id=%s start_to_fire=%s wft_completed=%d", a.TimerId, durStr(a.StartToFireTimeout), a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_TIMER_FIRED:
		a := e.GetTimerFiredEventAttributes()
		add("id=%s started=%d", a.TimerId, a.StartedEventId)
	case enumspb.EVENT_TYPE_TIMER_CANCELED:
		a := e.GetTimerCanceledEventAttributes()
		add("id=%s started=%d wft_completed=%d", a.TimerId, a.StartedEventId, a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		a := e.GetWorkflowExecutionSignaledEventAttributes()
		add("name=%s input=%s", a.SignalName, renderPayloads(a.Input))
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
		a := e.GetWorkflowExecutionCancelRequestedEventAttributes()
		add("cause=%q identity=%s", a.Cause, a.Identity)
		if a.ExternalWorkflowExecution != nil {
			add("from=%s/%s initiated=%d", a.ExternalWorkflowExecution.GetWorkflowId(), a.ExternalWorkflowExecution.GetRunId(), a.ExternalInitiatedEventId)
		}
	case enumspb.EVENT_TYPE_MARKER_RECORDED:
		a := e.GetMarkerRecordedEventAttributes()
		keys := make([]string, 0, len(a.Details))
		for k := range a.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var d []string
		for _, k := range keys {
			d = append(d, k+"="+renderPayloads(a.Details[k]))
		}
		add("name=%s details={%s} wft_completed=%d", a.MarkerName, strings.Join(d, " "), a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
		a := e.GetUpsertWorkflowSearchAttributesEventAttributes()
		add("fields=%s wft_completed=%d", renderPayloadMap(a.SearchAttributes.GetIndexedFields()), a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
		a := e.GetWorkflowPropertiesModifiedEventAttributes()
		add("memo=%s wft_completed=%d", renderPayloadMap(a.UpsertedMemo.GetFields()), a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		a := e.GetWorkflowExecutionCompletedEventAttributes()
		add("result=%s wft_completed=%d", renderPayloads(a.Result), a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		a := e.GetWorkflowExecutionFailedEventAttributes()
		add("failure=%s retry_state=%s wft_completed=%d", renderFailure(a.Failure), retryState(a.RetryState), a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		a := e.GetWorkflowExecutionCanceledEventAttributes()
		add("details=%s wft_completed=%d", renderPayloads(a.Details), a.WorkflowTaskCompletedEventId)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		a := e.GetWorkflowExecutionTerminatedEventAttributes()
		add("reason=%q details=%s identity=%s", a.Reason, renderPayloads(a.Details), a.Identity)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		a := e.GetWorkflowExecutionTimedOutEventAttributes()
		add("retry_state=%s", retryState(a.RetryState))
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
		renderUpdateEvent(e, add)
	default:
		h.renderChainEvent(e, add)
	}
	h.renderNewRunID(e, add)
	if len(f) == 0 {
		return head
	}
	return head + " " + strings.Join(f, " ")
}

func (h *harness) renderTask(tk *persistencepb.HistoryTask) string {
	cat := strings.ToLower(shortEnum(tk.Category.String(), "TASK_CATEGORY_"))
	s := fmt.Sprintf("%s %s", cat, shortEnum(tk.Type.String(), "TASK_TYPE_"))
	if tk.EventId != 0 {
		s += fmt.Sprintf(" event=%d", tk.EventId)
	}
	if tk.Attempt != 0 {
		s += fmt.Sprintf(" attempt=%d", tk.Attempt)
	}
	if tk.Stamp != 0 {
		s += fmt.Sprintf(" stamp=%d", tk.Stamp)
	}
	if tk.TimeoutType != enumspb.TIMEOUT_TYPE_UNSPECIFIED {
		s += " timeout=" + tk.TimeoutType.String()
	}
	if tk.TaskQueue != "" {
		s += " queue=" + tk.TaskQueue
	}
	if tk.ScheduleToStartTimeout != nil {
		s += " schedule_to_start=" + durStr(tk.ScheduleToStartTimeout)
	}
	if tk.Category == persistencepb.TaskCategory_TASK_CATEGORY_TIMER {
		s += " fire=+" + tk.VisibilityTime.AsTime().Sub(h.now).String()
	}
	return s
}

func (h *harness) renderState(m *MutableState) string {
	var b strings.Builder
	s := m.S
	ei := s.ExecutionInfo
	b.WriteString("state:\n")
	fmt.Fprintf(&b, "  status=%s next_event_id=%d previous_started=%d signals=%d", s.ExecutionState.Status.String(),
		s.NextEventId, ei.LastCompletedWorkflowTaskStartedEventId, ei.SignalCount)
	if ei.CancelRequested {
		b.WriteString(" cancel_requested")
	}
	if ei.CompletionEventId != 0 {
		fmt.Fprintf(&b, " completion_event=%d", ei.CompletionEventId)
	}
	b.WriteString("\n")
	switch wt := m.WorkflowTask(); {
	case wt == nil:
		b.WriteString("  wft: none\n")
	case wt.StartedEventId == 0:
		fmt.Fprintf(&b, "  wft: scheduled=%d attempt=%d queue=%s start_to_close=%s\n", wt.ScheduledEventId, wt.Attempt, wt.TaskQueue, durStr(wt.StartToCloseTimeout))
	default:
		fmt.Fprintf(&b, "  wft: scheduled=%d started=%d attempt=%d started_at=%s\n", wt.ScheduledEventId, wt.StartedEventId, wt.Attempt, h.at(wt.StartedTime))
	}
	if len(s.ActivityInfos) == 0 {
		b.WriteString("  activities: none\n")
	} else {
		b.WriteString("  activities:\n")
		ids := make([]int64, 0, len(s.ActivityInfos))
		for id := range s.ActivityInfos {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			ai := s.ActivityInfos[id]
			fmt.Fprintf(&b, "    %d id=%s attempt=%d stamp=%d scheduled=%s", id, ai.ActivityId, ai.Attempt, ai.Stamp, h.at(ai.ScheduledTime))
			if ai.Started {
				fmt.Fprintf(&b, " started=%s by=%s", h.at(ai.StartedTime), ai.StartedIdentity)
			} else {
				b.WriteString(" not-started")
			}
			if ai.LastHeartbeatTime != nil {
				fmt.Fprintf(&b, " last_heartbeat=%s", h.at(ai.LastHeartbeatTime))
			}
			if ai.LastHeartbeatDetails != nil {
				fmt.Fprintf(&b, " hb_details=%s", renderPayloads(ai.LastHeartbeatDetails))
			}
			if ai.RetryLastFailure != nil {
				fmt.Fprintf(&b, " last_failure=[%s]", renderFailure(ai.RetryLastFailure))
			}
			if ai.CancelRequested {
				fmt.Fprintf(&b, " cancel_requested(event=%d)", ai.CancelRequestEventId)
			}
			b.WriteString("\n")
		}
	}
	if len(s.TimerInfos) == 0 {
		b.WriteString("  timers: none\n")
	} else {
		b.WriteString("  timers:\n")
		ids := make([]string, 0, len(s.TimerInfos))
		for id := range s.TimerInfos {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			ti := s.TimerInfos[id]
			fmt.Fprintf(&b, "    %s started=%d expiry=%s\n", id, ti.StartedEventId, h.at(ti.ExpiryTime))
		}
	}
	if len(s.BufferedEvents) == 0 {
		b.WriteString("  buffered: none\n")
	} else {
		fmt.Fprintf(&b, "  buffered: %d\n", len(s.BufferedEvents))
		for _, e := range s.BufferedEvents {
			fmt.Fprintf(&b, "    %s\n", h.renderEvent(e))
		}
	}
	if vh := ei.GetVersionHistories().GetHistories(); len(vh) > 0 && len(vh[0].Items) > 1 {
		var parts []string
		for _, it := range vh[ei.VersionHistories.CurrentIndex].Items {
			parts = append(parts, fmt.Sprintf("..%d:v%d", it.EventId, it.Version))
		}
		fmt.Fprintf(&b, "  version_history=[%s]\n", strings.Join(parts, " "))
	}
	b.WriteString(h.renderExternalState(s))
	b.WriteString(renderUpdateState(s))
	if ei.Memo != nil {
		fmt.Fprintf(&b, "  memo=%s\n", renderPayloadMap(ei.Memo.Fields))
	}
	if ei.SearchAttributes != nil {
		fmt.Fprintf(&b, "  search_attributes=%s\n", renderPayloadMap(ei.SearchAttributes.IndexedFields))
	}
	return b.String()
}

func describeCommands(cmds []*commandpb.Command) string {
	var parts []string
	for _, c := range cmds {
		parts = append(parts, describeCommand(c))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func describeCommand(c *commandpb.Command) string {
	if c == nil {
		return "nil"
	}
	name := c.CommandType.String()
	switch c.CommandType {
	case enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
		a := c.GetScheduleActivityTaskCommandAttributes()
		return fmt.Sprintf("%s(id=%q type=%q)", name, a.GetActivityId(), a.GetActivityType().GetName())
	case enumspb.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
		return fmt.Sprintf("%s(scheduled=%d)", name, c.GetRequestCancelActivityTaskCommandAttributes().GetScheduledEventId())
	case enumspb.COMMAND_TYPE_START_TIMER:
		a := c.GetStartTimerCommandAttributes()
		return fmt.Sprintf("%s(%s, %s)", name, a.GetTimerId(), durStr(a.GetStartToFireTimeout()))
	case enumspb.COMMAND_TYPE_CANCEL_TIMER:
		return fmt.Sprintf("%s(%s)", name, c.GetCancelTimerCommandAttributes().GetTimerId())
	case enumspb.COMMAND_TYPE_RECORD_MARKER:
		return fmt.Sprintf("%s(%s)", name, c.GetRecordMarkerCommandAttributes().GetMarkerName())
	case enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE:
		return fmt.Sprintf("%s(%s)", name, c.GetProtocolMessageCommandAttributes().GetMessageId())
	}
	return name
}
