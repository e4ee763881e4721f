package workflow

import (
	"fmt"
	"strings"
	"time"

	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/common/cron"
)

// Chains of runs. A run that continues as new, or closes with a retry or a
// cron schedule pending, names its successor in its close event
// (new_execution_run_id) and the successor is built in the same
// transaction (NextRun): its WorkflowExecutionStarted carries
// continued_execution_run_id, the chain's first run ID, its own run ID as
// original_execution_run_id, the initiator, the last completion result or
// failure, the attempt, the chain's execution expiration and the parent.
// The shell writes both runs atomically and moves the workflow ID's current
// record to the successor.
//
// Which close starts a successor, as in Temporal:
//   - ContinueAsNewWorkflowExecution always (initiator WORKFLOW unless the
//     command says otherwise);
//   - a failure (FailWorkflowExecution, or a run timeout before the
//     execution expires) that the workflow's retry policy retries: RETRY,
//     attempt+1, after the policy's backoff;
//   - otherwise a completion, failure or run timeout of a run with a cron
//     schedule: CRON_SCHEDULE, after the wait for the next scheduled time.
//
// Cancellation and termination end a chain.

// chainRun is the successor a closing run starts.
type chainRun struct {
	initiator            enumspb.ContinueAsNewInitiator
	backoff              time.Duration
	workflowType         *commonpb.WorkflowType
	taskQueue            string
	input                *commonpb.Payloads
	runTimeout           time.Duration
	taskTimeout          time.Duration
	retryPolicy          *commonpb.RetryPolicy
	cronSchedule         string
	header               *commonpb.Header
	memo                 *commonpb.Memo
	searchAttributes     *commonpb.SearchAttributes
	lastCompletionResult *commonpb.Payloads
	failure              *failurepb.Failure
}

// newRunID is the successor's run ID; the shell must provide it.
func (m *MutableState) newRunID() string {
	if m.In.NewRunID == "" {
		panic("workflow: a run closing into a new run needs Inputs.NewRunID")
	}
	return m.In.NewRunID
}

func (m *MutableState) startAttributes() *historypb.WorkflowExecutionStartedEventAttributes {
	if m.In.Start == nil {
		panic("workflow: a retry or cron run needs Inputs.Start")
	}
	return m.In.Start
}

// startChainRun builds the successor; the close event naming it is written.
func (m *MutableState) startChainRun(c chainRun) {
	ei := m.S.ExecutionInfo
	attempt := int32(1)
	if c.initiator == enumspb.CONTINUE_AS_NEW_INITIATOR_RETRY {
		attempt = ei.Attempt + 1
	}
	runID := m.newRunID()
	req := &workflowservice.StartWorkflowExecutionRequest{
		Namespace:                m.In.Namespace,
		WorkflowId:               ei.WorkflowId,
		WorkflowType:             c.workflowType,
		TaskQueue:                &taskqueuepb.TaskQueue{Name: c.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:                    c.input,
		WorkflowExecutionTimeout: ei.WorkflowExecutionTimeout,
		WorkflowRunTimeout:       durationOrNil(c.runTimeout),
		WorkflowTaskTimeout:      durationOrNil(c.taskTimeout),
		RequestId:                runID,
		RetryPolicy:              c.retryPolicy,
		CronSchedule:             c.cronSchedule,
		Memo:                     c.memo,
		SearchAttributes:         c.searchAttributes,
		Header:                   c.header,
		LastCompletionResult:     c.lastCompletionResult,
		ContinuedFailure:         c.failure,
	}
	var expiration time.Time
	if ei.ExecutionExpirationTime != nil {
		expiration = ei.ExecutionExpirationTime.AsTime()
	}
	var parent *ParentInfo
	if ei.ParentExecution != nil {
		parent = &ParentInfo{
			NamespaceID: ei.ParentNamespaceId, Namespace: ei.ParentNamespace,
			Execution: ei.ParentExecution, InitiatedID: ei.ParentInitiatedEventId,
		}
	}
	next := NewRun(StartParams{
		NamespaceID:             ei.NamespaceId,
		RunID:                   runID,
		Request:                 req,
		FirstExecutionRunID:     ei.FirstExecutionRunId,
		Attempt:                 attempt,
		ExecutionExpiration:     expiration,
		ContinuedExecutionRunID: ei.RunId,
		Initiator:               c.initiator,
		Backoff:                 c.backoff,
		Parent:                  parent,
	}, m.now, m.version, m.retention)
	next.In = Inputs{Namespace: m.In.Namespace}
	m.next = next
}

// continueAsNew closes the run with WorkflowExecutionContinuedAsNew and
// starts its successor. What the command leaves unset is inherited as
// Temporal does: workflow type, task queue, run and task timeouts; memo and
// search attributes too (the Go SDK always sends them; other SDKs may not).
func (m *MutableState) continueAsNew(a *commandpb.ContinueAsNewWorkflowExecutionCommandAttributes, completedID int64) {
	ei := m.S.ExecutionInfo
	c := chainRun{
		initiator:            a.Initiator,
		backoff:              a.BackoffStartInterval.AsDuration(),
		workflowType:         a.WorkflowType,
		taskQueue:            a.TaskQueue.GetName(),
		input:                a.Input,
		runTimeout:           a.WorkflowRunTimeout.AsDuration(),
		taskTimeout:          a.WorkflowTaskTimeout.AsDuration(),
		retryPolicy:          a.RetryPolicy,
		cronSchedule:         a.CronSchedule,
		header:               a.Header,
		memo:                 a.Memo,
		searchAttributes:     a.SearchAttributes,
		lastCompletionResult: a.LastCompletionResult,
		failure:              a.Failure,
	}
	if c.initiator == enumspb.CONTINUE_AS_NEW_INITIATOR_UNSPECIFIED {
		c.initiator = enumspb.CONTINUE_AS_NEW_INITIATOR_WORKFLOW
	}
	if c.workflowType.GetName() == "" {
		c.workflowType = &commonpb.WorkflowType{Name: ei.WorkflowTypeName}
	}
	if c.taskQueue == "" {
		c.taskQueue = ei.TaskQueue
	}
	if c.runTimeout <= 0 {
		c.runTimeout = ei.WorkflowRunTimeout.AsDuration()
	}
	if c.taskTimeout <= 0 {
		c.taskTimeout = ei.DefaultWorkflowTaskTimeout.AsDuration()
	}
	_, c.runTimeout, c.taskTimeout = NormalizeTimeouts(ei.WorkflowExecutionTimeout.AsDuration(), c.runTimeout, c.taskTimeout)
	if c.memo == nil {
		c.memo = ei.Memo
	}
	if c.searchAttributes == nil {
		c.searchAttributes = ei.SearchAttributes
	}
	m.close(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes{WorkflowExecutionContinuedAsNewEventAttributes: &historypb.WorkflowExecutionContinuedAsNewEventAttributes{
			NewExecutionRunId:            m.newRunID(),
			WorkflowType:                 c.workflowType,
			TaskQueue:                    &taskqueuepb.TaskQueue{Name: c.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			Input:                        c.input,
			WorkflowRunTimeout:           durationOrNil(c.runTimeout),
			WorkflowTaskTimeout:          durationOrNil(c.taskTimeout),
			WorkflowTaskCompletedEventId: completedID,
			BackoffStartInterval:         a.BackoffStartInterval,
			Initiator:                    c.initiator,
			Failure:                      c.failure, //nolint:staticcheck // still how the SDKs read a continued failure
			LastCompletionResult:         c.lastCompletionResult,
			Header:                       c.header,
			Memo:                         c.memo,
			SearchAttributes:             c.searchAttributes,
		}},
	}, false)
	m.startChainRun(c)
}

// retryOrCron decides what follows a failed or timed-out run: a retry (its
// backoff), else a cron run, else nothing. state is the retry state the
// close event records.
func (m *MutableState) retryOrCron(f *failurepb.Failure) (next *chainRun, state enumspb.RetryState) {
	ei := m.S.ExecutionInfo
	var deadline time.Time
	if exp := ei.ExecutionExpirationTime; exp != nil {
		deadline = exp.AsTime()
	}
	dec := NextRetry(ei.RetryPolicy, ei.Attempt, f, m.now, deadline)
	if dec.State == enumspb.RETRY_STATE_IN_PROGRESS {
		c := m.repeatRun(enumspb.CONTINUE_AS_NEW_INITIATOR_RETRY, dec.Backoff)
		c.lastCompletionResult = m.startAttributes().GetLastCompletionResult()
		c.failure = f
		return &c, dec.State
	}
	if d, ok := m.cronBackoff(); ok {
		c := m.repeatRun(enumspb.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE, d)
		c.lastCompletionResult = m.startAttributes().GetLastCompletionResult()
		c.failure = f
		return &c, dec.State
	}
	return nil, dec.State
}

// repeatRun is a successor that runs the workflow again as it was started
// (retry, cron): same type, queue, timeouts, input, header, memo, search
// attributes, retry policy and cron schedule.
func (m *MutableState) repeatRun(initiator enumspb.ContinueAsNewInitiator, backoff time.Duration) chainRun {
	ei := m.S.ExecutionInfo
	start := m.startAttributes()
	return chainRun{
		initiator:        initiator,
		backoff:          backoff,
		workflowType:     &commonpb.WorkflowType{Name: ei.WorkflowTypeName},
		taskQueue:        ei.TaskQueue,
		input:            start.GetInput(),
		runTimeout:       ei.WorkflowRunTimeout.AsDuration(),
		taskTimeout:      ei.DefaultWorkflowTaskTimeout.AsDuration(),
		retryPolicy:      ei.RetryPolicy,
		cronSchedule:     ei.CronSchedule,
		header:           start.GetHeader(),
		memo:             start.GetMemo(),
		searchAttributes: start.GetSearchAttributes(),
	}
}

// cronBackoff is the wait from now for the cron schedule's next time after
// this run's scheduled (execution) time; ok is false without a schedule or
// when it never fires again.
func (m *MutableState) cronBackoff() (time.Duration, bool) {
	ei := m.S.ExecutionInfo
	if ei.CronSchedule == "" {
		return 0, false
	}
	s, err := cron.Parse(ei.CronSchedule)
	if err != nil {
		return 0, false
	}
	return s.Backoff(ei.ExecutionTime.AsTime(), m.now)
}

// completeRun closes the run as completed; a cron schedule starts the next run.
func (m *MutableState) completeRun(result *commonpb.Payloads, completedID int64) {
	a := &historypb.WorkflowExecutionCompletedEventAttributes{Result: result, WorkflowTaskCompletedEventId: completedID}
	var next *chainRun
	if d, ok := m.cronBackoff(); ok {
		c := m.repeatRun(enumspb.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE, d)
		c.lastCompletionResult = result
		next = &c
		a.NewExecutionRunId = m.newRunID()
	}
	m.close(&historypb.HistoryEvent{
		EventType:  enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{WorkflowExecutionCompletedEventAttributes: a},
	}, false)
	if next != nil {
		m.startChainRun(*next)
	}
}

// failRun closes the run as failed; the retry policy or a cron schedule
// may start the next run.
func (m *MutableState) failRun(f *failurepb.Failure, completedID int64) {
	next, state := m.retryOrCron(f)
	a := &historypb.WorkflowExecutionFailedEventAttributes{Failure: f, RetryState: state, WorkflowTaskCompletedEventId: completedID}
	if next != nil {
		a.NewExecutionRunId = m.newRunID()
	}
	m.close(&historypb.HistoryEvent{
		EventType:  enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{WorkflowExecutionFailedEventAttributes: a},
	}, false)
	if next != nil {
		m.startChainRun(*next)
	}
}

// TimeoutRun closes the run because its run or execution timeout passed.
// Before the execution expires, the retry policy (a run timeout counts as
// a start-to-close timeout) or a cron schedule may start the next run.
func (m *MutableState) TimeoutRun() {
	ei := m.S.ExecutionInfo
	f := &failurepb.Failure{
		Message: "workflow timeout",
		Source:  "Server",
		FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{
			TimeoutType: enumspb.TIMEOUT_TYPE_START_TO_CLOSE,
		}},
	}
	var next *chainRun
	state := enumspb.RETRY_STATE_TIMEOUT
	if exp := ei.ExecutionExpirationTime; exp == nil || m.now.Before(exp.AsTime()) {
		next, state = m.retryOrCron(f)
	}
	a := &historypb.WorkflowExecutionTimedOutEventAttributes{RetryState: state}
	if next != nil {
		a.NewExecutionRunId = m.newRunID()
	}
	m.close(&historypb.HistoryEvent{
		EventType:  enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionTimedOutEventAttributes{WorkflowExecutionTimedOutEventAttributes: a},
	}, true)
	if next != nil {
		m.startChainRun(*next)
	}
}

func (m *MutableState) validateContinueAsNew(a *commandpb.ContinueAsNewWorkflowExecutionCommandAttributes, limits Limits) *commandError {
	cause := enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES
	switch {
	case a == nil:
		return badCommand(cause, "ContinueAsNewWorkflowExecutionCommandAttributes is not set on command.")
	case a.WorkflowRunTimeout.AsDuration() < 0 || a.WorkflowTaskTimeout.AsDuration() < 0:
		return badCommand(cause, "A valid timeout may not be negative.")
	case a.BackoffStartInterval.AsDuration() < 0:
		return badCommand(cause, "BackoffStartInterval may not be negative.")
	case !validEnum(enumspb.ContinueAsNewInitiator_name, int32(a.Initiator)):
		return badCommand(cause, "Invalid Initiator %d.", a.Initiator)
	case limits.BlobSizeLimit > 0 && payloadsSize(a.Input) > limits.BlobSizeLimit:
		return badCommand(enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE, "ContinueAsNewWorkflowExecutionCommandAttributes.Input exceeds size limit.")
	}
	if err := validateRetryPolicy(a.RetryPolicy); err != "" {
		return badCommand(cause, "%s", err)
	}
	if err := validateCron(a.CronSchedule); err != "" {
		return badCommand(cause, "%s", err)
	}
	if a.SearchAttributes != nil {
		// The new run gets these instead of the current run's.
		if _, err := m.checkSearchAttributes(m.In.Namespace, a.SearchAttributes, nil, limits); err != nil {
			return err
		}
	}
	return nil
}

// validateRetryPolicy checks a command's retry policy as the frontend
// checks a start's; it returns a message, empty when valid.
func validateRetryPolicy(p *commonpb.RetryPolicy) string {
	if p == nil {
		return ""
	}
	initial, maxInterval := p.InitialInterval.AsDuration(), p.MaximumInterval.AsDuration()
	switch {
	case initial < 0:
		return "Invalid RetryPolicy.InitialInterval: it may not be negative."
	case maxInterval < 0:
		return "Invalid RetryPolicy.MaximumInterval: it may not be negative."
	case p.BackoffCoefficient != 0 && !(p.BackoffCoefficient >= 1):
		return fmt.Sprintf("Invalid RetryPolicy.BackoffCoefficient: %v; it must be at least 1.", p.BackoffCoefficient)
	case p.MaximumAttempts < 0:
		return fmt.Sprintf("Invalid RetryPolicy.MaximumAttempts: %d is negative.", p.MaximumAttempts)
	case maxInterval > 0 && maxInterval < initial:
		return fmt.Sprintf("Invalid RetryPolicy.MaximumInterval: %v is less than InitialInterval %v.", maxInterval, initial)
	}
	for _, t := range p.NonRetryableErrorTypes {
		if strings.TrimSpace(t) == "" {
			return "Invalid RetryPolicy.NonRetryableErrorTypes: blank error type."
		}
	}
	return ""
}

// validateCron returns a message when spec is set and does not parse.
func validateCron(spec string) string {
	if spec == "" {
		return ""
	}
	if err := cron.Validate(spec); err != nil {
		return "Invalid CronSchedule: " + err.Error()
	}
	return ""
}
