package workflow

import (
	"fmt"
	"sort"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Reset (ResetWorkflowExecution) makes a new run of a workflow whose
// history is a base run's events up to and including the started event of
// one of its workflow tasks (the reset point), followed by:
//
//   - WorkflowTaskFailed with cause RESET_WORKFLOW naming the base and new
//     run. Applying it restarts what the reset restarts: the next workflow
//     task is attempt 1, the run's timeouts count from the reset (as a
//     fresh start would) and activities pending at the reset point count
//     their schedule-to-close from it too;
//   - the signals the base run received after the reset point, re-applied
//     as new events unless the caller excluded them;
//   - a new WorkflowTaskScheduled: the worker replays the copied history
//     and carries on from the reset point.
//
// Activities pending at the reset point are dispatched again as attempt 1
// (a reset point never has an activity started by events: an attempt's
// ActivityTaskStarted is written with its close). Timers pending at the
// reset point keep the expiry their TimerStarted events give them and fire
// at once when it has passed. A reset point with pending child workflows,
// or signals or cancellation requests to other workflows, is refused (as
// Temporal's ResetPointInfo.resettable says): their outcomes would be
// reported to the base run.
//
// The state is built like any other: the copied events are applied in
// order, then the new ones, so the invariants of Apply hold for the new run.

// ResetParams is a validated reset request and the base run's history.
type ResetParams struct {
	NamespaceID string
	WorkflowID  string
	BaseRunID   string
	NewRunID    string
	// BaseEvents are the base run's events in order from event 1: at least
	// up to the reset point; the events after it are searched for signals
	// to re-apply.
	BaseEvents []*historypb.HistoryEvent
	// BaseBuffered are the events the base run holds in its buffer (a
	// running base run with a workflow task in flight); searched too.
	BaseBuffered []*historypb.HistoryEvent
	// FinishEventID names a WorkflowTaskCompleted, -Failed, -TimedOut or
	// -Started event of the base run.
	FinishEventID int64
	Reason        string
	Identity      string
	RequestID     string
	// ReapplySignals re-applies the base run's signals received after the
	// reset point.
	ReapplySignals bool
}

// ResetPointError is a reset point that cannot be reset to; its message
// names the request field.
type ResetPointError struct{ msg string }

func (e *ResetPointError) Error() string { return e.msg }

func resetPointErrorf(format string, args ...any) error {
	return &ResetPointError{msg: fmt.Sprintf(format, args...)}
}

// ResetPoint returns the started event ID of the workflow task that event
// finishEventID of events (a run's history from event 1) finishes or
// starts, or a *ResetPointError.
func ResetPoint(events []*historypb.HistoryEvent, finishEventID int64) (int64, error) {
	if finishEventID <= 1 || finishEventID > int64(len(events)) {
		return 0, resetPointErrorf("WorkflowTaskFinishEventId %d is not an event of the run (1 < id <= %d).", finishEventID, len(events))
	}
	e := events[finishEventID-1]
	var startedID int64
	switch e.EventType {
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
		startedID = e.EventId
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
		startedID = e.GetWorkflowTaskCompletedEventAttributes().GetStartedEventId()
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
		startedID = e.GetWorkflowTaskFailedEventAttributes().GetStartedEventId()
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
		startedID = e.GetWorkflowTaskTimedOutEventAttributes().GetStartedEventId()
	default:
		return 0, resetPointErrorf("WorkflowTaskFinishEventId %d is a %v event, not WorkflowTaskCompleted, WorkflowTaskFailed, WorkflowTaskTimedOut or WorkflowTaskStarted.", finishEventID, e.EventType)
	}
	if startedID <= 1 || startedID > finishEventID || events[startedID-1].EventType != enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED {
		return 0, resetPointErrorf("WorkflowTaskFinishEventId %d finishes a workflow task that never started.", finishEventID)
	}
	return startedID, nil
}

// Reset builds the new run (see the comment above ResetParams). Its
// NewEvents are the whole new history, copied events included; its tasks
// dispatch the workflow task and re-arm what was pending at the reset point.
// The base events are not modified.
func Reset(p ResetParams, now time.Time, version int64, retention time.Duration) (*MutableState, error) {
	startedID, err := ResetPoint(p.BaseEvents, p.FinishEventID)
	if err != nil {
		return nil, err
	}
	s := &persistencepb.WorkflowMutableState{
		NextEventId: 1,
		ExecutionInfo: &persistencepb.WorkflowExecutionInfo{
			NamespaceId:     p.NamespaceID,
			WorkflowId:      p.WorkflowID,
			RunId:           p.NewRunID,
			CreateRequestId: p.RequestID,
			RequestIds:      map[string]*persistencepb.RequestRecord{},
		},
		ExecutionState: &persistencepb.ExecutionState{},
	}
	m := Load(s, now, version, retention)
	for i, e := range p.BaseEvents[:startedID] {
		if e.EventId != int64(i+1) {
			return nil, fmt.Errorf("workflow: base history has event %d at position %d", e.EventId, i+1)
		}
		c := proto.Clone(e).(*historypb.HistoryEvent)
		c.TaskId = 0
		if err := Apply(s, c); err != nil {
			return nil, fmt.Errorf("workflow: rebuilding the base run to event %d: %w", startedID, err)
		}
		m.newEvents = append(m.newEvents, c)
	}
	wt := m.WorkflowTask()
	if !m.IsRunning() || wt == nil || wt.StartedEventId != startedID {
		return nil, fmt.Errorf("workflow: rebuilt base run has no workflow task started at event %d", startedID)
	}
	switch {
	case len(s.ChildExecutionInfos) > 0:
		return nil, resetPointErrorf("WorkflowTaskFinishEventId %d: the workflow has pending child workflows there; reset to an earlier or later workflow task.", p.FinishEventID)
	case len(s.SignalInfos) > 0:
		return nil, resetPointErrorf("WorkflowTaskFinishEventId %d: the workflow has pending signals to other workflows there; reset to an earlier or later workflow task.", p.FinishEventID)
	case len(s.RequestCancelInfos) > 0:
		return nil, resetPointErrorf("WorkflowTaskFinishEventId %d: the workflow has pending cancellation requests to other workflows there; reset to an earlier or later workflow task.", p.FinishEventID)
	}
	m.addEvent(&historypb.HistoryEvent{
		EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskFailedEventAttributes{WorkflowTaskFailedEventAttributes: &historypb.WorkflowTaskFailedEventAttributes{
			ScheduledEventId: wt.ScheduledEventId,
			StartedEventId:   startedID,
			Cause:            enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
			Failure: &failurepb.Failure{
				Message:     p.Reason,
				Source:      "history-service",
				FailureInfo: &failurepb.Failure_ResetWorkflowFailureInfo{ResetWorkflowFailureInfo: &failurepb.ResetWorkflowFailureInfo{}},
			},
			Identity:         p.Identity,
			BaseRunId:        p.BaseRunID,
			NewRunId:         p.NewRunID,
			ForkEventVersion: p.BaseEvents[startedID-1].Version,
		}},
	})
	if p.ReapplySignals {
		for _, e := range append(append([]*historypb.HistoryEvent(nil), p.BaseEvents[startedID:]...), p.BaseBuffered...) {
			if e.EventType != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED {
				continue
			}
			a := proto.Clone(e.GetWorkflowExecutionSignaledEventAttributes()).(*historypb.WorkflowExecutionSignaledEventAttributes)
			m.addSignal(a, false)
		}
	}
	m.ScheduleWorkflowTask()
	m.rearmPending()
	m.AddVisibilityTask()
	return m, nil
}

// rearmPending derives the tasks of what a reset run has pending from its
// copied history: activities (dispatched again), timers and the run
// timeout.
func (m *MutableState) rearmPending() {
	s := m.S
	ids := make([]int64, 0, len(s.ActivityInfos))
	for id := range s.ActivityInfos {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		ai := s.ActivityInfos[id]
		ai.ScheduledTime = timestamppb.New(m.now)
		m.activityAttemptTasks(ai, false)
		if d := ai.ScheduleToCloseTimeout.AsDuration(); d > 0 {
			m.addTimer(persistencepb.TaskType_TASK_TYPE_ACTIVITY_TIMEOUT, ai.FirstScheduledTime.AsTime().Add(d), &persistencepb.HistoryTask{
				EventId: ai.ScheduledEventId, TimeoutType: enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
			})
		}
	}
	timers := make([]*persistencepb.TimerInfo, 0, len(s.TimerInfos))
	for _, ti := range s.TimerInfos {
		timers = append(timers, ti)
	}
	sort.Slice(timers, func(i, j int) bool { return timers[i].StartedEventId < timers[j].StartedEventId })
	for _, ti := range timers {
		at := ti.ExpiryTime.AsTime()
		if at.Before(m.now) {
			at = m.now
		}
		m.addTimer(persistencepb.TaskType_TASK_TYPE_USER_TIMER, at, &persistencepb.HistoryTask{EventId: ti.StartedEventId})
	}
	if exp := s.ExecutionInfo.RunExpirationTime; exp != nil {
		m.addTimer(persistencepb.TaskType_TASK_TYPE_WORKFLOW_RUN_TIMEOUT, exp.AsTime(), &persistencepb.HistoryTask{})
	}
}

// applyResetPoint applies what the WorkflowTaskFailed event that starts a
// reset run restarts: the run's timeouts count from the reset, and so do
// the schedule-to-close timeouts of the activities pending there.
func applyResetPoint(s *persistencepb.WorkflowMutableState, e *historypb.HistoryEvent) {
	ei := s.ExecutionInfo
	at := e.EventTime.AsTime()
	if d := ei.WorkflowExecutionTimeout.AsDuration(); d > 0 {
		ei.ExecutionExpirationTime = timestamppb.New(at.Add(d))
	}
	ei.RunExpirationTime = nil
	if d := ei.WorkflowRunTimeout.AsDuration(); d > 0 {
		ei.RunExpirationTime = timestamppb.New(at.Add(d))
	}
	if exp := ei.ExecutionExpirationTime; exp != nil && (ei.RunExpirationTime == nil || exp.AsTime().Before(ei.RunExpirationTime.AsTime())) {
		ei.RunExpirationTime = exp
	}
	for _, ai := range s.ActivityInfos {
		ai.FirstScheduledTime = e.EventTime
		ai.ScheduledTime = e.EventTime
	}
}

// TerminateForReset terminates the run because a reset made next (built
// by Reset) to replace it. The shell writes both runs in this transaction
// and moves the workflow ID's current record to next.
func (m *MutableState) TerminateForReset(reason, identity string, next *MutableState) {
	m.Terminate(reason, nil, identity)
	m.next = next
}
