package workflow

import (
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// testingT is what the checks need of a *testing.T (a fake in
// TestInvariantCheckerCatches).
type testingT interface {
	require.TestingT
	Helper()
}

// checkStep verifies one transaction's output before it joins the history:
// its events continue the history without a gap and its tasks are well
// formed and point at events that exist.
func checkStep(t testingT, h *harness, m *MutableState, prevNext int64) {
	t.Helper()
	evs := m.NewEvents()
	all := map[int64]*historypb.HistoryEvent{}
	for _, e := range h.written {
		all[e.EventId] = e
	}
	for i, e := range evs {
		require.Equal(t, prevNext+int64(i), e.EventId, "step %d: event %d (%v) breaks the contiguous ID sequence", h.steps, i, e.EventType)
		require.NotEqual(t, BufferedEventID, e.EventId)
		require.LessOrEqual(t, e.Version, h.version, "event %d written with a version above the transaction's", e.EventId)
		require.NotNil(t, e.EventTime, "event %d has no time", e.EventId)
		require.False(t, e.EventTime.AsTime().After(h.now), "event %d is from the future", e.EventId)
		all[e.EventId] = e
	}
	ei := m.S.ExecutionInfo
	for _, tk := range m.Tasks() {
		require.Equal(t, ei.NamespaceId, tk.NamespaceId)
		require.Equal(t, ei.WorkflowId, tk.WorkflowId)
		require.Equal(t, ei.RunId, tk.RunId)
		require.Equal(t, h.version, tk.Version, "task %v carries a stale version", tk.Type)
		require.Zero(t, tk.TaskId, "the shell assigns task IDs")
		require.NotNil(t, tk.VisibilityTime)
		switch tk.Category {
		case persistencepb.TaskCategory_TASK_CATEGORY_TIMER:
			require.False(t, tk.VisibilityTime.AsTime().Before(h.now), "timer task %v fires in the past", tk.Type)
		default:
			require.True(t, tk.VisibilityTime.AsTime().Equal(h.now), "immediate task %v not stamped with the transaction time", tk.Type)
		}
		wantCat, wantEvent := taskShape(tk.Type)
		require.Equal(t, wantCat, tk.Category, "task %v in the wrong category", tk.Type)
		if wantEvent == enumspb.EVENT_TYPE_UNSPECIFIED {
			continue
		}
		e := all[tk.EventId]
		require.NotNil(t, e, "task %v points at event %d which was not written", tk.Type, tk.EventId)
		if wantEvent == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED {
			require.True(t, isCloseEvent(e.EventType), "close task points at %v", e.EventType)
		} else {
			require.Equal(t, wantEvent, e.EventType, "task %v points at the wrong event", tk.Type)
		}
	}
}

// taskShape is the category of a task type and the type of the event it
// refers to (UNSPECIFIED: none; WORKFLOW_EXECUTION_COMPLETED: any close event).
func taskShape(tt persistencepb.TaskType) (persistencepb.TaskCategory, enumspb.EventType) {
	const (
		transfer = persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER
		timer    = persistencepb.TaskCategory_TASK_CATEGORY_TIMER
		vis      = persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY
	)
	switch tt {
	case persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK:
		return transfer, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
	case persistencepb.TaskType_TASK_TYPE_ACTIVITY_TASK:
		return transfer, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
	case persistencepb.TaskType_TASK_TYPE_CLOSE_EXECUTION:
		return transfer, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
	case persistencepb.TaskType_TASK_TYPE_UPSERT_VISIBILITY:
		return vis, enumspb.EVENT_TYPE_UNSPECIFIED
	case persistencepb.TaskType_TASK_TYPE_USER_TIMER:
		return timer, enumspb.EVENT_TYPE_TIMER_STARTED
	case persistencepb.TaskType_TASK_TYPE_ACTIVITY_TIMEOUT, persistencepb.TaskType_TASK_TYPE_ACTIVITY_RETRY_TIMER:
		return timer, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
	case persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK_TIMEOUT:
		return timer, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
	case persistencepb.TaskType_TASK_TYPE_START_CHILD_EXECUTION:
		return transfer, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
	case persistencepb.TaskType_TASK_TYPE_SIGNAL_EXECUTION:
		return transfer, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
	case persistencepb.TaskType_TASK_TYPE_CANCEL_EXECUTION:
		return transfer, enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
	case persistencepb.TaskType_TASK_TYPE_WORKFLOW_RUN_TIMEOUT, persistencepb.TaskType_TASK_TYPE_WORKFLOW_BACKOFF_TIMER,
		persistencepb.TaskType_TASK_TYPE_DELETE_HISTORY:
		return timer, enumspb.EVENT_TYPE_UNSPECIFIED
	}
	return persistencepb.TaskCategory_TASK_CATEGORY_UNSPECIFIED, enumspb.EVENT_TYPE_UNSPECIFIED
}

// checkInvariants verifies the run after a step: the package's documented
// invariants, the SDK's view of history, and that the events written so far
// (plus the buffer) rebuild the transactional state.
func checkInvariants(t testingT, h *harness) {
	t.Helper()
	s := h.s
	ei := s.ExecutionInfo
	n := int64(len(h.written))

	// Event IDs are contiguous from 1 and NextEventId is the next one.
	for i, e := range h.written {
		require.Equal(t, int64(i+1), e.EventId, "history has a gap or reordering at position %d", i)
	}
	require.Equal(t, n+1, s.NextEventId, "next_event_id does not follow the last written event")
	if n > 0 {
		require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, h.written[0].EventType, "history must start with WorkflowExecutionStarted")
	}

	// Written events never change afterwards (no aliasing into state).
	for i, e := range h.written {
		require.True(t, proto.Equal(h.frozen[i], e), "event %d (%v) changed after it was written:\nwas %v\nnow %v", e.EventId, e.EventType, h.frozen[i], e)
	}

	// Every event's version is recorded in the version history, whose last
	// item ends at the last written event.
	vhs := ei.GetVersionHistories()
	require.NotNil(t, vhs)
	require.Less(t, int(vhs.CurrentIndex), len(vhs.Histories))
	items := vhs.Histories[vhs.CurrentIndex].Items
	require.NotEmpty(t, items)
	require.Equal(t, n, items[len(items)-1].EventId, "version history does not end at the last event")
	for i := 1; i < len(items); i++ {
		require.Greater(t, items[i].EventId, items[i-1].EventId, "version history items not increasing in event ID")
		require.Greater(t, items[i].Version, items[i-1].Version, "version history items not increasing in version")
	}
	for _, e := range h.written {
		var v int64 = -1
		for _, it := range items {
			if e.EventId <= it.EventId {
				v = it.Version
				break
			}
		}
		require.Equal(t, v, e.Version, "event %d version not what the version history records", e.EventId)
	}

	// Buffered events wait only for a started workflow task.
	for _, e := range s.BufferedEvents {
		require.Equal(t, BufferedEventID, e.EventId, "buffered event %v has a real ID", e.EventType)
		require.True(t, bufferable(e.EventType), "%v must never be buffered", e.EventType)
	}
	wt := ei.GetWorkflowTask()
	started := wt != nil && wt.ScheduledEventId != 0 && wt.StartedEventId != 0
	if !started {
		require.Empty(t, s.BufferedEvents, "events buffered with no workflow task started")
	}

	// A started task's history ends exactly at its started event: nothing
	// but the completion may write after it.
	if wt != nil && wt.ScheduledEventId != 0 {
		sched := h.written[wt.ScheduledEventId-1]
		require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, sched.EventType, "pending workflow task's scheduled event")
		require.Equal(t, wt.Attempt, sched.GetWorkflowTaskScheduledEventAttributes().GetAttempt())
		for _, e := range h.written[wt.ScheduledEventId:] {
			switch e.EventType {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
				enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
				require.Failf(t, "pending workflow task", "event %d %v follows pending task %d", e.EventId, e.EventType, wt.ScheduledEventId)
			}
		}
		if started {
			last := h.written[n-1]
			require.Equal(t, wt.StartedEventId, last.EventId, "history continues past the in-flight task's started event")
			require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, last.EventType)
			require.Equal(t, wt.ScheduledEventId, last.GetWorkflowTaskStartedEventAttributes().GetScheduledEventId())
		}
	}

	// previous_started_event_id names a started event.
	if p := ei.LastCompletedWorkflowTaskStartedEventId; p != 0 {
		require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, h.written[p-1].EventType)
	}

	// A closed run ends with its close event; a running one has none.
	closed := s.ExecutionState.GetState() == persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED
	for _, e := range h.written[:max(n-1, 0)] {
		require.False(t, isCloseEvent(e.EventType), "close event %d is not the last event", e.EventId)
	}
	if closed {
		last := h.written[n-1]
		require.True(t, isCloseEvent(last.EventType), "closed run's last event is %v", last.EventType)
		require.Equal(t, last.EventId, ei.CompletionEventId)
		require.Nil(t, ei.WorkflowTask)
		require.Empty(t, s.BufferedEvents)
	} else if n > 0 {
		require.False(t, isCloseEvent(h.written[n-1].EventType))
	}

	// Pending activities and timers point at their scheduling events.
	for id, ai := range s.ActivityInfos {
		require.Equal(t, id, ai.ScheduledEventId)
		e := h.written[id-1]
		require.Equal(t, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, e.EventType)
		require.Equal(t, ai.ActivityId, e.GetActivityTaskScheduledEventAttributes().GetActivityId())
		require.GreaterOrEqual(t, ai.Attempt, int32(1))
	}
	for id, ti := range s.TimerInfos {
		e := h.written[ti.StartedEventId-1]
		require.Equal(t, enumspb.EVENT_TYPE_TIMER_STARTED, e.EventType)
		require.Equal(t, id, e.GetTimerStartedEventAttributes().GetTimerId())
	}

	checkChainInvariants(t, h)
	checkExternalInvariants(t, h)
	checkUpdateInvariants(t, h)

	// Events are the truth: applying the written events (and then the
	// buffered ones, as the buffer is part of the persisted state) to a
	// fresh state reproduces the transactional state.
	rebuilt := &persistencepb.WorkflowMutableState{}
	for _, e := range h.written {
		require.NoError(t, Apply(rebuilt, proto.Clone(e).(*historypb.HistoryEvent)), "rebuild: applying event %d", e.EventId)
	}
	for _, e := range s.BufferedEvents {
		require.NoError(t, Apply(rebuilt, proto.Clone(e).(*historypb.HistoryEvent)), "rebuild: applying buffered %v", e.EventType)
	}
	want := prototext.MarshalOptions{Multiline: true}.Format(eventDerived(s))
	got := prototext.MarshalOptions{Multiline: true}.Format(eventDerived(rebuilt))
	require.Equal(t, want, got, "step %d: state rebuilt from events differs from the transactional state", h.steps)
}

// eventDerived keeps the parts of a run's state that events determine,
// clearing what only the transactions know: identity and request
// bookkeeping, stickiness, and an activity's current attempt (attempt
// counter, stamps, retry schedule, started/heartbeat data of attempts that
// have not closed).
func eventDerived(s *persistencepb.WorkflowMutableState) *persistencepb.WorkflowMutableState {
	c := proto.Clone(s).(*persistencepb.WorkflowMutableState)
	c.BufferedEvents = nil
	c.DbRecordVersion = 0
	ei := c.ExecutionInfo
	ei.NamespaceId, ei.WorkflowId, ei.RunId = "", "", ""
	ei.CreateRequestId = ""
	ei.RequestIds = nil
	ei.CancelRequestId = ""
	ei.StickyTaskQueue = ""
	ei.StickyScheduleToStartTimeout = nil
	ei.HistorySizeBytes = 0
	ei.StateTransitionCount = 0
	ei.LastFirstEventId = 0
	for _, ai := range c.ActivityInfos {
		ai.ScheduledTime = nil
		ai.StartedTime = nil
		ai.StartedIdentity = ""
		ai.RequestId = ""
		ai.Attempt = 0
		ai.Stamp = 0
		ai.Started = false
		ai.LastHeartbeatDetails = nil
		ai.LastHeartbeatTime = nil
		ai.RetryLastFailure = nil
		ai.RetryLastWorkerIdentity = ""
	}
	if len(c.ActivityInfos) == 0 {
		c.ActivityInfos = nil
	}
	if len(c.TimerInfos) == 0 {
		c.TimerInfos = nil
	}
	if len(c.ChildExecutionInfos) == 0 {
		c.ChildExecutionInfos = nil
	}
	if len(c.RequestCancelInfos) == 0 {
		c.RequestCancelInfos = nil
	}
	if len(c.SignalInfos) == 0 {
		c.SignalInfos = nil
	}
	if len(c.UpdateInfos) == 0 {
		c.UpdateInfos = nil
	}
	return c
}
