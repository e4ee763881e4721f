package workflow

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func newTestRun(t *testing.T) *persistencepb.WorkflowMutableState {
	t.Helper()
	return NewRun(StartParams{NamespaceID: testNamespaceID, RunID: testRunID, Request: startRequest()}, t0, 1, testRetention).S
}

func signaledEvent(id, version int64) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{
		EventId: id, Version: version, EventTime: timestamppb.New(t0),
		EventType:  enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{SignalName: "s"}},
	}
}

func TestApplyRejects(t *testing.T) {
	tests := []struct {
		name  string
		state func(t *testing.T) *persistencepb.WorkflowMutableState
		event *historypb.HistoryEvent
		want  string
	}{
		{"event before WorkflowExecutionStarted", func(*testing.T) *persistencepb.WorkflowMutableState { return &persistencepb.WorkflowMutableState{} },
			signaledEvent(1, 1), "before WorkflowExecutionStarted"},
		{"workflow task started for an unknown task", newTestRun, &historypb.HistoryEvent{
			EventId: 3, Version: 1, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
			Attributes: &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: 99}},
		}, "unknown scheduled event 99"},
		{"unsupported event type", newTestRun, &historypb.HistoryEvent{
			EventId: 3, Version: 1, EventType: enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED,
		}, "not supported"},
		{"version going backwards", newTestRun, signaledEvent(3, 0), "below the history's 1"},
		{"event ID not after the last", newTestRun, signaledEvent(2, 1), "not after the last recorded event 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Apply(tc.state(t), tc.event)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestApplyVersionHistory(t *testing.T) {
	s := newTestRun(t) // events 1-2 at version 1
	require.NoError(t, Apply(s, signaledEvent(3, 1)))
	require.NoError(t, Apply(s, signaledEvent(4, 5)))
	require.NoError(t, Apply(s, signaledEvent(5, 5)))
	items := s.ExecutionInfo.VersionHistories.Histories[0].Items
	require.Len(t, items, 2)
	require.Equal(t, [2]int64{3, 1}, [2]int64{items[0].EventId, items[0].Version})
	require.Equal(t, [2]int64{5, 5}, [2]int64{items[1].EventId, items[1].Version})
	require.Equal(t, int64(6), s.NextEventId)

	// A buffered event changes state but neither the version history nor
	// the next event ID.
	buffered := signaledEvent(BufferedEventID, 9)
	require.NoError(t, Apply(s, buffered))
	require.Len(t, s.ExecutionInfo.VersionHistories.Histories[0].Items, 2)
	require.Equal(t, int64(6), s.NextEventId)
	require.Equal(t, int64(4), s.ExecutionInfo.SignalCount)
}

func TestLoadIsClean(t *testing.T) {
	s := newTestRun(t)
	m := Load(s, t0.Add(time.Second), 1, testRetention)
	require.False(t, m.Dirty())
	require.Empty(t, m.NewEvents())
	require.Empty(t, m.Tasks())
	require.Equal(t, t0.Add(time.Second), m.Now())
	require.True(t, m.IsRunning())
	require.Equal(t, &commonpb.WorkflowExecution{WorkflowId: testWorkflowID, RunId: testRunID}, m.Execution())

	m.ScheduleWorkflowTask() // a task is already pending: nothing to do
	require.False(t, m.Dirty())

	m = Load(s, t0, 1, testRetention)
	m.HeartbeatActivity(&persistencepb.ActivityInfo{}, nil)
	require.True(t, m.Dirty(), "a heartbeat changes state without an event")
}

func TestClosedRunIgnoresTaskOperations(t *testing.T) {
	s := newTestRun(t)
	m := Load(s, t0, 1, testRetention)
	m.Terminate("done", nil, "admin")
	require.False(t, m.IsRunning())

	m = Load(s, t0.Add(time.Second), 1, testRetention)
	m.ScheduleWorkflowTask()
	m.TimeoutWorkflowTask(enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
	m.FailWorkflowTask(enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED, nil, "")
	require.False(t, m.Dirty(), "a closed run must not change")
	require.Nil(t, m.WorkflowTask())
}

func TestRequestIDs(t *testing.T) {
	s := newTestRun(t)
	m := Load(s, t0, 1, testRetention)
	require.Nil(t, m.RequestSeen(""))
	require.Equal(t, int64(1), m.RequestSeen("start-req-1").EventId)

	for i := 0; i < maxRememberedRequests+5; i++ {
		m.AddSignal(&historypb.WorkflowExecutionSignaledEventAttributes{SignalName: "s", RequestId: fmt.Sprintf("sig-%d", i)})
	}
	ids := s.ExecutionInfo.RequestIds
	require.Len(t, ids, maxRememberedRequests, "the request-ID map is bounded")
	require.NotNil(t, m.RequestSeen("start-req-1"), "the start request is never forgotten")
	for i := 0; i < 6; i++ {
		require.Nil(t, m.RequestSeen(fmt.Sprintf("sig-%d", i)), "oldest signal requests are forgotten first")
	}
	last := m.RequestSeen(fmt.Sprintf("sig-%d", maxRememberedRequests+4))
	require.NotNil(t, last)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, last.EventType)
	require.Equal(t, s.NextEventId-1, last.EventId)

	m.AddCancelRequest("cancel-1", "", "client")
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, m.RequestSeen("cancel-1").EventType)
	require.Equal(t, "cancel-1", s.ExecutionInfo.CancelRequestId)
}

func TestHeartbeatDeadline(t *testing.T) {
	ai := &persistencepb.ActivityInfo{StartedTime: timestamppb.New(t0), HeartbeatTimeout: dur(10 * time.Second)}
	require.Equal(t, t0.Add(10*time.Second), HeartbeatDeadline(ai))
	ai.LastHeartbeatTime = timestamppb.New(t0.Add(4 * time.Second))
	require.Equal(t, t0.Add(14*time.Second), HeartbeatDeadline(ai))
	// A heartbeat stamped before the attempt started (an earlier attempt's)
	// does not count.
	ai.StartedTime = timestamppb.New(t0.Add(20 * time.Second))
	require.Equal(t, t0.Add(30*time.Second), HeartbeatDeadline(ai))
}

func TestCompletionStoresStickyQueue(t *testing.T) {
	s := newTestRun(t)
	m := Load(s, t0, 1, testRetention)
	m.StartWorkflowTask("poll", "w", 0)
	m.CompleteWorkflowTask(&workflowservice.RespondWorkflowTaskCompletedRequest{
		Identity: "w",
		StickyAttributes: &taskqueuepb.StickyExecutionAttributes{
			WorkerTaskQueue:        &taskqueuepb.TaskQueue{Name: "host:uuid", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: testTaskQueue},
			ScheduleToStartTimeout: dur(5 * time.Second),
		},
	}, Limits{})
	require.Equal(t, "host:uuid", s.ExecutionInfo.StickyTaskQueue)
	require.Equal(t, 5*time.Second, s.ExecutionInfo.StickyScheduleToStartTimeout.AsDuration())

	// A completion without sticky attributes makes the run non-sticky.
	m = Load(s, t0, 1, testRetention)
	m.ScheduleWorkflowTask()
	require.True(t, m.WorkflowTask().Sticky)
	m.StartWorkflowTask("poll-2", "other", 0)
	m.CompleteWorkflowTask(&workflowservice.RespondWorkflowTaskCompletedRequest{Identity: "other"}, Limits{})
	require.Empty(t, s.ExecutionInfo.StickyTaskQueue)
	require.Nil(t, s.ExecutionInfo.StickyScheduleToStartTimeout)
	m.ScheduleWorkflowTask()
	require.False(t, m.WorkflowTask().Sticky)
	require.Equal(t, testTaskQueue, m.WorkflowTask().TaskQueue)
}

func TestStickyScheduleToStartTimeoutKeepsAttempt(t *testing.T) {
	s := newTestRun(t)
	m := Load(s, t0, 1, testRetention)
	m.StartWorkflowTask("poll", "w", 0)
	m.CompleteWorkflowTask(&workflowservice.RespondWorkflowTaskCompletedRequest{
		Identity: "w",
		StickyAttributes: &taskqueuepb.StickyExecutionAttributes{
			WorkerTaskQueue:        &taskqueuepb.TaskQueue{Name: "host:uuid", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: testTaskQueue},
			ScheduleToStartTimeout: dur(5 * time.Second),
		},
	}, Limits{})
	m.ScheduleWorkflowTask()
	require.True(t, m.WorkflowTask().Sticky)
	require.Equal(t, int32(1), m.WorkflowTask().Attempt)

	// Nobody polls the sticky queue: the task moves to the normal queue as
	// the same attempt, since it never started.
	m.TimeoutWorkflowTask(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START)
	wt := m.WorkflowTask()
	require.False(t, wt.Sticky)
	require.Equal(t, int32(1), wt.Attempt)

	// A start-to-close timeout is a failed attempt.
	m.StartWorkflowTask("poll-2", "w2", 0)
	m.TimeoutWorkflowTask(enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
	require.Equal(t, int32(2), m.WorkflowTask().Attempt)
}

func TestMergeNoFieldsKeepsCurrent(t *testing.T) {
	cur := &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"k": payload(`1`)}}
	require.Same(t, cur, mergeSearchAttributes(cur, nil))
	memo := &commonpb.Memo{Fields: map[string]*commonpb.Payload{"k": payload(`1`)}}
	require.Same(t, memo, mergeMemo(memo, map[string]*commonpb.Payload{}))
	// Merging never modifies the current value (it may be shared with an
	// event that was already written).
	out := mergeSearchAttributes(cur, map[string]*commonpb.Payload{"k": payload(`null`), "j": payload(`2`)})
	require.Len(t, cur.IndexedFields, 1)
	require.Equal(t, map[string]string{"j": "2"}, map[string]string{"j": string(out.IndexedFields["j"].Data)})
	require.NotContains(t, out.IndexedFields, "k")
}

// TestScheduleActivityNormalizesTimeouts: the ActivityTaskScheduled event
// carries Temporal's normalised timeouts.
func TestScheduleActivityNormalizesTimeouts(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name                              string
		runTimeout                        time.Duration
		s2c, s2s, stc, hb                 time.Duration
		wantS2C, wantS2S, wantSTC, wantHB time.Duration
	}{
		{"start-to-close only", 0, 0, 0, 30 * s, 0, 0, 0, 30 * s, 0},
		{"schedule-to-close only fills the others", 0, 60 * s, 0, 0, 0, 60 * s, 60 * s, 60 * s, 0},
		{"schedule-to-close caps the others", 0, 10 * s, 20 * s, 30 * s, 0, 10 * s, 10 * s, 10 * s, 0},
		{"shorter ones are kept", 0, 60 * s, 5 * s, 30 * s, 0, 60 * s, 5 * s, 30 * s, 0},
		{"heartbeat capped by start-to-close", 0, 0, 0, 30 * s, 60 * s, 0, 0, 30 * s, 30 * s},
		{"run timeout bounds schedule-to-close", 100 * s, 0, 0, 30 * s, 0, 100 * s, 100 * s, 30 * s, 0},
		{"run timeout caps a longer schedule-to-close", 100 * s, 500 * s, 0, 0, 0, 100 * s, 100 * s, 100 * s, 0},
		{"shorter schedule-to-close than the run kept", 100 * s, 50 * s, 0, 0, 0, 50 * s, 50 * s, 50 * s, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
				if tc.runTimeout > 0 {
					r.WorkflowRunTimeout = dur(tc.runTimeout)
				}
			})
			st := NewRun(StartParams{NamespaceID: testNamespaceID, RunID: testRunID, Request: req}, t0, 1, testRetention).S
			m := Load(st, t0, 1, testRetention)
			m.StartWorkflowTask("poll", "w", 0)
			var opts []activityOpt
			for _, o := range []struct {
				d time.Duration
				f func(time.Duration) activityOpt
			}{{tc.s2c, withScheduleToClose}, {tc.s2s, withScheduleToStart}, {tc.stc, withStartToClose}, {tc.hb, withHeartbeat}} {
				if o.d != 0 {
					opts = append(opts, o.f(o.d))
				}
			}
			res := m.CompleteWorkflowTask(&workflowservice.RespondWorkflowTaskCompletedRequest{
				Commands: []*commandpb.Command{scheduleActivity("a1", "Charge", opts...)},
			}, Limits{})
			require.False(t, res.Failed, res.FailedMsg)
			a := m.NewEvents()[len(m.NewEvents())-1].GetActivityTaskScheduledEventAttributes()
			require.NotNil(t, a)
			got := [4]time.Duration{a.ScheduleToCloseTimeout.AsDuration(), a.ScheduleToStartTimeout.AsDuration(), a.StartToCloseTimeout.AsDuration(), a.HeartbeatTimeout.AsDuration()}
			require.Equal(t, [4]time.Duration{tc.wantS2C, tc.wantS2S, tc.wantSTC, tc.wantHB}, got, "schedule-to-close, schedule-to-start, start-to-close, heartbeat")
			require.Equal(t, testTaskQueue, a.TaskQueue.GetName(), "the workflow's queue by default")
		})
	}
}
