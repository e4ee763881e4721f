package workflow

import (
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/common/searchattribute"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// MutableState is one transaction over a run's state: the state itself, the
// events and tasks the transaction added, and its inputs (time, version).
// It is not safe for concurrent use; the shell serializes transactions per run.
type MutableState struct {
	S *persistencepb.WorkflowMutableState

	now     time.Time
	version int64
	// Retention of the namespace, for the delete-history timer at close.
	retention time.Duration

	// In is what the shell looked up for this transaction (see Inputs).
	In Inputs

	newEvents []*historypb.HistoryEvent
	tasks     []*persistencepb.HistoryTask
	dirty     bool
	// next is the run this transaction created (continue-as-new, retry,
	// cron), written in the same transaction.
	next *MutableState
}

// Inputs are what a transaction may need from outside the run besides the
// time and the failover version; the shell fills in what an operation needs.
type Inputs struct {
	// Namespace is the name of the run's namespace. Commands that name no
	// namespace target it, and events echo it.
	Namespace string
	// NamespaceIDs maps the other namespaces that commands name to their
	// IDs; a command naming a namespace missing here is rejected.
	NamespaceIDs map[string]string
	// NewRunID names the run that a continue-as-new, retry or cron creates.
	// Required when one may be created.
	NewRunID string
	// Start is the run's WorkflowExecutionStarted attributes: a retry or
	// cron run repeats its input. Required when NeedsStartAttributes.
	Start *historypb.WorkflowExecutionStartedEventAttributes
	// UndeliveredUpdates says that the shell holds admitted updates that
	// the in-flight workflow task did not carry: its completion schedules
	// the next task to carry them.
	UndeliveredUpdates bool
	// SearchAttributes holds the custom search attributes of the run's
	// namespace and of every namespace its commands name, by namespace
	// name: commands that set search attributes are checked against them.
	// A namespace missing here gets no name or type check (sizes are
	// still checked); the shell supplies all of them.
	SearchAttributes map[string]searchattribute.Types
}

// NeedsStartAttributes reports whether closing the run may start a retry
// or cron run, which needs Inputs.Start.
func NeedsStartAttributes(ei *persistencepb.WorkflowExecutionInfo) bool {
	return ei.GetRetryPolicy() != nil || ei.GetCronSchedule() != ""
}

// NextRun is the run this transaction created, or nil. The shell persists
// it with this one, atomically, and moves the current record to it.
func (m *MutableState) NextRun() *MutableState { return m.next }

// Load starts a transaction over an existing run's state.
func Load(s *persistencepb.WorkflowMutableState, now time.Time, version int64, retention time.Duration) *MutableState {
	return &MutableState{S: s, now: now, version: version, retention: retention}
}

// Now is the transaction's time.
func (m *MutableState) Now() time.Time { return m.now }

// NewEvents are the events this transaction wrote, in ID order.
func (m *MutableState) NewEvents() []*historypb.HistoryEvent { return m.newEvents }

// Tasks are the tasks this transaction derived (IDs unassigned).
func (m *MutableState) Tasks() []*persistencepb.HistoryTask { return m.tasks }

// Dirty reports whether the transaction changed anything.
func (m *MutableState) Dirty() bool {
	return m.dirty || len(m.newEvents) > 0 || len(m.tasks) > 0 || m.next != nil
}

// MarkDirty records a change that is neither an event nor a task.
func (m *MutableState) MarkDirty() { m.dirty = true }

// Info is the run's execution info.
func (m *MutableState) Info() *persistencepb.WorkflowExecutionInfo { return m.S.ExecutionInfo }

// IsRunning reports whether the run is open.
func (m *MutableState) IsRunning() bool {
	return m.S.ExecutionState.GetState() == persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING ||
		m.S.ExecutionState.GetState() == persistencepb.WorkflowState_WORKFLOW_STATE_CREATED
}

// Execution returns the run's workflow ID and run ID.
func (m *MutableState) Execution() *commonpb.WorkflowExecution {
	return &commonpb.WorkflowExecution{WorkflowId: m.S.ExecutionInfo.WorkflowId, RunId: m.S.ExecutionInfo.RunId}
}

// WorkflowTask returns the pending workflow task, or nil.
func (m *MutableState) WorkflowTask() *persistencepb.WorkflowTaskInfo {
	wt := m.S.ExecutionInfo.GetWorkflowTask()
	if wt == nil || wt.ScheduledEventId == 0 {
		return nil
	}
	return wt
}

// WorkflowTaskStarted reports whether a workflow task is in flight.
func (m *MutableState) WorkflowTaskStarted() bool {
	wt := m.WorkflowTask()
	return wt != nil && wt.StartedEventId > 0
}

func bufferable(t enumspb.EventType) bool {
	switch t {
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		return false
	}
	return !isCloseEvent(t)
}

func isCloseEvent(t enumspb.EventType) bool {
	switch t {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return true
	}
	return false
}

// addEvent stamps, numbers (or buffers) and applies a new event.
func (m *MutableState) addEvent(e *historypb.HistoryEvent) *historypb.HistoryEvent {
	e.EventTime = timestamppb.New(m.now)
	e.Version = m.version
	if bufferable(e.EventType) && m.WorkflowTaskStarted() {
		e.EventId = BufferedEventID
		m.S.BufferedEvents = append(m.S.BufferedEvents, e)
	} else {
		e.EventId = m.S.NextEventId
		m.newEvents = append(m.newEvents, e)
	}
	if err := Apply(m.S, e); err != nil {
		// Events built here are valid by construction.
		panic(fmt.Sprintf("workflow: applying a locally built event failed: %v", err))
	}
	return e
}

// HasBufferedEvents reports whether events wait for the in-flight task.
func (m *MutableState) HasBufferedEvents() bool { return len(m.S.BufferedEvents) > 0 }

// flushBufferedEvents writes buffered events with real IDs and the version
// current now, when they are written (a failover may have happened since
// they were buffered). Activity close events that follow their buffered
// started event get its ID.
func (m *MutableState) flushBufferedEvents() {
	if len(m.S.BufferedEvents) == 0 {
		return
	}
	startedIDs := map[int64]int64{}
	childStartedIDs := map[int64]int64{}
	for _, e := range m.S.BufferedEvents {
		e.EventId = m.S.NextEventId
		e.Version = m.version
		m.S.NextEventId++
		fixChildStartedID(e, childStartedIDs)
		switch e.EventType {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			startedIDs[e.GetActivityTaskStartedEventAttributes().GetScheduledEventId()] = e.EventId
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			a := e.GetActivityTaskCompletedEventAttributes()
			if id, ok := startedIDs[a.ScheduledEventId]; ok {
				a.StartedEventId = id
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			a := e.GetActivityTaskFailedEventAttributes()
			if id, ok := startedIDs[a.ScheduledEventId]; ok {
				a.StartedEventId = id
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			a := e.GetActivityTaskTimedOutEventAttributes()
			if id, ok := startedIDs[a.ScheduledEventId]; ok {
				a.StartedEventId = id
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			a := e.GetActivityTaskCanceledEventAttributes()
			if id, ok := startedIDs[a.ScheduledEventId]; ok {
				a.StartedEventId = id
			}
		}
		if err := recordVersion(m.S.ExecutionInfo, e.EventId, e.Version); err != nil {
			panic(fmt.Sprintf("workflow: flushing buffered events: %v", err))
		}
		applyFlushed(m.S, e)
		m.newEvents = append(m.newEvents, e)
	}
	m.S.BufferedEvents = nil
}

func (m *MutableState) addTask(t *persistencepb.HistoryTask) {
	ei := m.S.ExecutionInfo
	t.NamespaceId = ei.NamespaceId
	t.WorkflowId = ei.WorkflowId
	t.RunId = ei.RunId
	t.Version = m.version
	if t.VisibilityTime == nil {
		t.VisibilityTime = timestamppb.New(m.now)
	}
	m.tasks = append(m.tasks, t)
}

func (m *MutableState) addTimer(typ persistencepb.TaskType, at time.Time, t *persistencepb.HistoryTask) {
	t.Category = persistencepb.TaskCategory_TASK_CATEGORY_TIMER
	t.Type = typ
	t.VisibilityTime = timestamppb.New(at)
	m.addTask(t)
}

// AddVisibilityTask asks for the run's visibility record to be rewritten.
func (m *MutableState) AddVisibilityTask() {
	m.addTask(&persistencepb.HistoryTask{
		Category: persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY,
		Type:     persistencepb.TaskType_TASK_TYPE_UPSERT_VISIBILITY,
	})
}

// ScheduleWorkflowTask adds a WorkflowTaskScheduled event (and its dispatch
// task) unless a workflow task is already pending. The attempt continues
// from a failed or timed-out task.
func (m *MutableState) ScheduleWorkflowTask() {
	if !m.IsRunning() || m.WorkflowTask() != nil {
		return
	}
	ei := m.S.ExecutionInfo
	attempt := int32(1)
	if wt := ei.WorkflowTask; wt != nil && wt.Attempt > 0 {
		attempt = wt.Attempt + 1
	}
	// A worker that caches the run asked for its tasks on its sticky queue;
	// if none starts the task in time, it goes back to the normal queue.
	tq := &taskqueuepb.TaskQueue{Name: ei.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	var scheduleToStart *durationpb.Duration
	if ei.StickyTaskQueue != "" {
		tq = &taskqueuepb.TaskQueue{Name: ei.StickyTaskQueue, Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: ei.TaskQueue}
		scheduleToStart = ei.StickyScheduleToStartTimeout
	}
	e := m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
			TaskQueue:           tq,
			StartToCloseTimeout: ei.DefaultWorkflowTaskTimeout,
			Attempt:             attempt,
		}},
	})
	m.addTask(&persistencepb.HistoryTask{
		Category:               persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER,
		Type:                   persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK,
		EventId:                e.EventId,
		Attempt:                attempt,
		TaskQueue:              tq.Name,
		ScheduleToStartTimeout: scheduleToStart,
	})
	if d := scheduleToStart.AsDuration(); d > 0 {
		m.addTimer(persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK_TIMEOUT, m.now.Add(d), &persistencepb.HistoryTask{
			EventId:     e.EventId,
			Attempt:     attempt,
			TimeoutType: enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START,
		})
	}
}

// UnstickWorkflowTask moves a scheduled, not yet started task from the
// sticky queue to the normal one (its sticky worker is gone) and reports
// whether it did. No event: the task is the same, only its queue changes.
func (m *MutableState) UnstickWorkflowTask(scheduledEventID int64) bool {
	wt := m.WorkflowTask()
	if wt == nil || wt.ScheduledEventId != scheduledEventID || wt.StartedEventId != 0 || !wt.Sticky {
		return false
	}
	wt.Sticky = false
	wt.TaskQueue = m.S.ExecutionInfo.TaskQueue
	m.ClearSticky()
	m.MarkDirty()
	return true
}

// ClearSticky makes the next workflow task go to the normal queue.
func (m *MutableState) ClearSticky() {
	ei := m.S.ExecutionInfo
	if ei.StickyTaskQueue == "" {
		return
	}
	ei.StickyTaskQueue = ""
	ei.StickyScheduleToStartTimeout = nil
	m.MarkDirty()
}

// StartWorkflowTask records that a worker took the scheduled task.
func (m *MutableState) StartWorkflowTask(requestID, identity string, historySizeBytes int64) *historypb.HistoryEvent {
	wt := m.WorkflowTask()
	e := m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{
			ScheduledEventId: wt.ScheduledEventId,
			Identity:         identity,
			RequestId:        requestID,
			HistorySizeBytes: historySizeBytes,
		}},
	})
	m.addTimer(persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK_TIMEOUT, m.now.Add(wt.StartToCloseTimeout.AsDuration()), &persistencepb.HistoryTask{
		EventId:     wt.ScheduledEventId,
		Attempt:     wt.Attempt,
		TimeoutType: enumspb.TIMEOUT_TYPE_START_TO_CLOSE,
	})
	return e
}

// FailWorkflowTask closes the in-flight task as failed, writes what was
// buffered meanwhile and schedules the next attempt.
func (m *MutableState) FailWorkflowTask(cause enumspb.WorkflowTaskFailedCause, failure *failurepb.Failure, identity string) {
	wt := m.WorkflowTask()
	if wt == nil {
		return
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskFailedEventAttributes{WorkflowTaskFailedEventAttributes: &historypb.WorkflowTaskFailedEventAttributes{
			ScheduledEventId: wt.ScheduledEventId,
			StartedEventId:   wt.StartedEventId,
			Cause:            cause,
			Failure:          failure,
			Identity:         identity,
		}},
	})
	m.flushBufferedEvents()
	m.ClearSticky()
	if cause != enumspb.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND {
		m.ScheduleWorkflowTask()
	}
}

// TimeoutWorkflowTask closes the pending task as timed out and schedules
// the next attempt.
func (m *MutableState) TimeoutWorkflowTask(timeoutType enumspb.TimeoutType) {
	wt := m.WorkflowTask()
	if wt == nil {
		return
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
		Attributes: &historypb.HistoryEvent_WorkflowTaskTimedOutEventAttributes{WorkflowTaskTimedOutEventAttributes: &historypb.WorkflowTaskTimedOutEventAttributes{
			ScheduledEventId: wt.ScheduledEventId,
			StartedEventId:   wt.StartedEventId,
			TimeoutType:      timeoutType,
		}},
	})
	m.flushBufferedEvents()
	m.ClearSticky()
	m.ScheduleWorkflowTask()
}

// close finishes the run with event e (already built, not yet added): an
// in-flight workflow task is failed first and buffered events are written,
// then the close event; tasks for visibility and retention follow.
func (m *MutableState) close(e *historypb.HistoryEvent, failInflight bool) {
	if failInflight && m.WorkflowTaskStarted() {
		m.FailWorkflowTask(enumspb.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND, nil, "history-service")
	}
	m.flushBufferedEvents()
	m.addEvent(e)
	m.AddVisibilityTask()
	m.addTimer(persistencepb.TaskType_TASK_TYPE_DELETE_HISTORY, m.now.Add(m.retention), &persistencepb.HistoryTask{})
	if m.closeTaskNeeded() {
		m.addTask(&persistencepb.HistoryTask{
			Category: persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER,
			Type:     persistencepb.TaskType_TASK_TYPE_CLOSE_EXECUTION,
			EventId:  e.EventId,
		})
	}
}

// closeTaskNeeded reports whether a closed run has work for its close task:
// telling its parent (unless a new run continues the chain, which inherits
// the parent) or applying its parent close policy to started children.
func (m *MutableState) closeTaskNeeded() bool {
	ei := m.S.ExecutionInfo
	if ei.ParentExecution != nil && ei.NewExecutionRunId == "" {
		return true
	}
	return len(ChildrenToClose(m.S)) > 0
}

func durationOrNil(d time.Duration) *durationpb.Duration {
	if d <= 0 {
		return nil
	}
	return durationpb.New(d)
}
