package workflow

import (
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/common/cron"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Workflow task timeout bounds, as in Temporal.
const (
	DefaultWorkflowTaskTimeout = 10 * time.Second
	MaxWorkflowTaskTimeout     = 120 * time.Second
)

// StartParams is a validated request to start a run.
type StartParams struct {
	NamespaceID string
	RunID       string
	Request     *workflowservice.StartWorkflowExecutionRequest
	// Signal to deliver right after start (SignalWithStart), or nil.
	Signal *historypb.WorkflowExecutionSignaledEventAttributes
	// First/original run IDs when this run continues a chain; empty for a new chain.
	FirstExecutionRunID string
	Attempt             int32
	// Absolute execution expiration inherited by a chain; zero for a new one.
	ExecutionExpiration time.Time
	// The run this one continues and why (continue-as-new, retry, cron);
	// empty for the first run of a chain.
	ContinuedExecutionRunID string
	Initiator               enumspb.ContinueAsNewInitiator
	// Backoff delays the first workflow task of a run that continues a
	// chain. A new chain waits for the request's start delay or, with a
	// cron schedule, for the schedule's first time.
	Backoff time.Duration
	// Parent names the parent of a child workflow; nil for none.
	Parent *ParentInfo
}

// ParentInfo names a child workflow's parent and the event that initiated
// the child.
type ParentInfo struct {
	NamespaceID      string
	Namespace        string
	Execution        *commonpb.WorkflowExecution
	InitiatedID      int64
	InitiatedVersion int64
}

// NormalizeTimeouts applies Temporal's timeout rules: the run timeout
// defaults to (and is capped by) the execution timeout; the task timeout
// defaults to 10 s, is capped at 120 s and by the run timeout.
func NormalizeTimeouts(execution, run, task time.Duration) (time.Duration, time.Duration, time.Duration) {
	if execution > 0 && (run <= 0 || run > execution) {
		run = execution
	}
	if task <= 0 {
		task = DefaultWorkflowTaskTimeout
	}
	if task > MaxWorkflowTaskTimeout {
		task = MaxWorkflowTaskTimeout
	}
	if run > 0 && task > run {
		task = run
	}
	return execution, run, task
}

// NewRun creates the state of a new run: WorkflowExecutionStarted, an
// optional signal, and the first workflow task (now, or after the start
// delay via a backoff timer).
func NewRun(p StartParams, now time.Time, version int64, retention time.Duration) *MutableState {
	req := p.Request
	s := &persistencepb.WorkflowMutableState{
		NextEventId: 1,
		ExecutionInfo: &persistencepb.WorkflowExecutionInfo{
			NamespaceId:     p.NamespaceID,
			WorkflowId:      req.WorkflowId,
			RunId:           p.RunID,
			CreateRequestId: req.RequestId,
			RequestIds:      map[string]*persistencepb.RequestRecord{},
		},
		ExecutionState: &persistencepb.ExecutionState{},
	}
	m := Load(s, now, version, retention)
	execT, runT, taskT := NormalizeTimeouts(req.WorkflowExecutionTimeout.AsDuration(), req.WorkflowRunTimeout.AsDuration(), req.WorkflowTaskTimeout.AsDuration())
	first := p.FirstExecutionRunID
	if first == "" {
		first = p.RunID
	}
	attempt := p.Attempt
	if attempt < 1 {
		attempt = 1
	}
	expiration := p.ExecutionExpiration
	if expiration.IsZero() && execT > 0 {
		expiration = now.Add(execT)
	}
	var expirationTS *timestamppb.Timestamp
	if !expiration.IsZero() {
		expirationTS = timestamppb.New(expiration)
	}
	delay := req.WorkflowStartDelay.AsDuration()
	switch {
	case p.ContinuedExecutionRunID != "":
		delay = p.Backoff
	case req.CronSchedule != "":
		// A cron chain's first run waits for the schedule's first time.
		if sched, err := cron.Parse(req.CronSchedule); err == nil {
			delay, _ = sched.Backoff(now, now)
		}
	}
	var retry *commonpb.RetryPolicy
	if req.RetryPolicy != nil {
		retry = NormalizeRetryPolicy(req.RetryPolicy)
	}
	var parentNS, parentNSID string
	var parentEx *commonpb.WorkflowExecution
	var parentInitiated, parentInitiatedVersion int64
	if pi := p.Parent; pi != nil {
		parentNS, parentNSID, parentEx, parentInitiated, parentInitiatedVersion = pi.Namespace, pi.NamespaceID, pi.Execution, pi.InitiatedID, pi.InitiatedVersion
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			WorkflowType:                    req.WorkflowType,
			TaskQueue:                       &taskqueuepb.TaskQueue{Name: req.TaskQueue.GetName(), Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			Input:                           req.Input,
			WorkflowExecutionTimeout:        durationOrNil(execT),
			WorkflowRunTimeout:              durationOrNil(runT),
			WorkflowTaskTimeout:             durationpb.New(taskT),
			ParentWorkflowNamespace:         parentNS,
			ParentWorkflowNamespaceId:       parentNSID,
			ParentWorkflowExecution:         parentEx,
			ParentInitiatedEventId:          parentInitiated,
			ParentInitiatedEventVersion:     parentInitiatedVersion,
			ContinuedExecutionRunId:         p.ContinuedExecutionRunID,
			Initiator:                       p.Initiator,
			ContinuedFailure:                req.ContinuedFailure,
			LastCompletionResult:            req.LastCompletionResult,
			OriginalExecutionRunId:          p.RunID,
			FirstExecutionRunId:             first,
			Identity:                        req.Identity,
			RetryPolicy:                     retry,
			Attempt:                         attempt,
			WorkflowExecutionExpirationTime: expirationTS,
			CronSchedule:                    req.CronSchedule,
			FirstWorkflowTaskBackoff:        durationOrNil(delay),
			Memo:                            req.Memo,
			SearchAttributes:                req.SearchAttributes,
			Header:                          req.Header,
			WorkflowId:                      req.WorkflowId,
			Priority:                        req.Priority,
		}},
	})
	if req.RequestId != "" {
		s.ExecutionInfo.RequestIds[req.RequestId] = &persistencepb.RequestRecord{EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, EventId: 1}
	}
	if p.Signal != nil {
		// With a start delay the signal waits for the first workflow task,
		// made by the backoff timer (SignalWithStartWorkflowExecutionRequest
		// workflow_start_delay).
		m.addSignal(p.Signal, delay <= 0)
	}
	if delay > 0 {
		m.addTimer(persistencepb.TaskType_TASK_TYPE_WORKFLOW_BACKOFF_TIMER, now.Add(delay), &persistencepb.HistoryTask{})
	} else {
		m.ScheduleWorkflowTask()
	}
	if ei := s.ExecutionInfo; ei.RunExpirationTime != nil {
		m.addTimer(persistencepb.TaskType_TASK_TYPE_WORKFLOW_RUN_TIMEOUT, ei.RunExpirationTime.AsTime(), &persistencepb.HistoryTask{})
	}
	m.AddVisibilityTask()
	return m
}

// AddSignal writes (or buffers) a signal and makes sure a workflow task will
// see it.
func (m *MutableState) AddSignal(a *historypb.WorkflowExecutionSignaledEventAttributes) {
	m.addSignal(a, true)
}

func (m *MutableState) addSignal(a *historypb.WorkflowExecutionSignaledEventAttributes, mayScheduleTask bool) {
	e := m.addEvent(&historypb.HistoryEvent{
		EventType:  enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: a},
	})
	if a.RequestId != "" {
		m.rememberRequest(a.RequestId, e)
	}
	if mayScheduleTask && !a.SkipGenerateWorkflowTask && !m.inChainBackoff() { //nolint:staticcheck // older SDKs still send it; Temporal still honors it
		m.ScheduleWorkflowTask()
	}
}

// inChainBackoff reports whether the run waits for its first workflow task
// as a cron, retry or continued run. Unlike a start delay, that wait is
// not cut short by a signal or a cancellation request (Temporal does not
// either): the backoff timer schedules the first task, which sees them.
func (m *MutableState) inChainBackoff() bool {
	ei := m.S.ExecutionInfo
	if ei.ContinuedExecutionRunId == "" && ei.CronSchedule == "" {
		return false
	}
	return ei.LastCompletedWorkflowTaskStartedEventId == 0 && ei.WorkflowTask == nil &&
		ei.ExecutionTime != nil && m.now.Before(ei.ExecutionTime.AsTime())
}

// AddCancelRequest records a cancellation request for the workflow to handle.
func (m *MutableState) AddCancelRequest(requestID, cause, identity string) {
	m.AddExternalCancelRequest(requestID, cause, identity, 0, nil)
}

// AddExternalCancelRequest records a cancellation request another workflow
// sent (its initiating event and execution; zero and nil for a client's).
func (m *MutableState) AddExternalCancelRequest(requestID, cause, identity string, externalInitiatedID int64, external *commonpb.WorkflowExecution) {
	e := m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionCancelRequestedEventAttributes{WorkflowExecutionCancelRequestedEventAttributes: &historypb.WorkflowExecutionCancelRequestedEventAttributes{
			Cause:                     cause,
			Identity:                  identity,
			ExternalInitiatedEventId:  externalInitiatedID,
			ExternalWorkflowExecution: external,
		}},
	})
	m.S.ExecutionInfo.CancelRequestId = requestID
	if requestID != "" {
		m.rememberRequest(requestID, e)
	}
	if !m.inChainBackoff() {
		m.ScheduleWorkflowTask()
	}
}

// Terminate closes the run at once.
func (m *MutableState) Terminate(reason string, details *commonpb.Payloads, identity string) {
	m.close(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes{WorkflowExecutionTerminatedEventAttributes: &historypb.WorkflowExecutionTerminatedEventAttributes{
			Reason:   reason,
			Details:  details,
			Identity: identity,
		}},
	}, true)
}

// RequestSeen returns the record of a request ID this run already applied.
func (m *MutableState) RequestSeen(requestID string) *persistencepb.RequestRecord {
	if requestID == "" {
		return nil
	}
	return m.S.ExecutionInfo.RequestIds[requestID]
}

// maxRememberedRequests bounds the request-ID map of a long-lived run.
const maxRememberedRequests = 1000

func (m *MutableState) rememberRequest(id string, e *historypb.HistoryEvent) {
	ids := m.S.ExecutionInfo.RequestIds
	if ids == nil {
		ids = map[string]*persistencepb.RequestRecord{}
		m.S.ExecutionInfo.RequestIds = ids
	}
	if len(ids) >= maxRememberedRequests {
		// Forget the oldest (lowest event ID) entry.
		var oldest string
		var oldestID int64 = -1
		for k, v := range ids {
			if v.EventId > 0 && (oldestID < 0 || v.EventId < oldestID) && v.EventType != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
				oldest, oldestID = k, v.EventId
			}
		}
		delete(ids, oldest)
	}
	ids[id] = &persistencepb.RequestRecord{EventType: e.EventType, EventId: e.EventId}
}
