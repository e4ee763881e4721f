package matching

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/persistence"
)

func TestPollWait(t *testing.T) {
	cfg := DefaultConfig()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		deadline    time.Duration
		hasDeadline bool
		want        time.Duration
	}{
		{"no deadline waits MaxPollWait", 0, false, 60 * time.Second},
		{"SDK deadline of 70s is capped at 60s", 70 * time.Second, true, 60 * time.Second},
		{"short deadline ends a margin early", 10 * time.Second, true, 9 * time.Second},
		{"deadline inside the margin does not wait", 500 * time.Millisecond, true, -500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, pollWait(&cfg, now, now.Add(tt.deadline), tt.hasDeadline))
		})
	}
}

func TestPollTimeoutReturnsEmpty(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	tq := normalQueue("orders")

	polled := pollWorkflowAsync(context.Background(), s, tq, "p", "worker")
	waitForPollers(t, s, wfKey("orders"), 1)
	h.clock.Advance(DefaultConfig().MaxPollWait)

	r := receive(t, polled)
	require.NoError(t, r.err)
	require.NotNil(t, r.resp)
	require.Empty(t, r.resp.GetTaskToken())
	require.EqualValues(t, 1, h.counter(metricPollTimeouts, nil))

	// A poll whose caller deadline is already within the margin answers at
	// once without waiting.
	ctx, cancel := context.WithDeadline(context.Background(), h.clock.Now().Add(DefaultConfig().PollDeadlineMargin/2))
	defer cancel()
	r = pollWorkflow(ctx, s, tq, "p", "worker")
	require.NoError(t, r.err)
	require.Empty(t, r.token())
}

func TestStopAnswersPendingPolls(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	polled := pollWorkflowAsync(context.Background(), s, normalQueue("orders"), "p", "worker")
	waitForPollers(t, s, wfKey("orders"), 1)
	s.Stop()
	r := receive(t, polled)
	require.NoError(t, r.err)
	require.Empty(t, r.token())

	var unavailable *serviceerror.Unavailable
	require.ErrorAs(t, addWorkflowTask(context.Background(), s, normalQueue("orders"), "wf", 2), &unavailable)
}

func TestStaleTaskDroppedAndPollContinues(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		reason string
	}{
		{"not found", serviceerror.NewNotFound("workflow task not found"), dropReasonNotFound},
		{"already started", serviceerror.NewAlreadyExists("workflow task already started"), dropReasonAlreadyStarted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
				h := newHarness(t, open(t))
				s := h.newService()
				ctx := context.Background()
				tq := normalQueue("orders")
				h.hist.setWorkflow(func(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error) {
					if req.GetExecution().GetWorkflowId() == "stale" {
						return nil, tt.err
					}
					return startedWorkflowTask(req), nil
				})

				// Backlog: the stale task is dropped, the next one delivered
				// by the same poll.
				require.NoError(t, addWorkflowTask(ctx, s, tq, "stale", 2))
				require.NoError(t, addWorkflowTask(ctx, s, tq, "live", 2))
				r := pollWorkflow(ctx, s, tq, "p", "worker")
				require.NoError(t, r.err)
				require.Equal(t, tokenOf("live", 2), r.token())
				require.Len(t, h.hist.workflowCalls(), 2)
				require.EqualValues(t, 1, h.counter(metricTasksDropped, map[string]string{tagReason: tt.reason}))

				// Sync match: Add of a stale task returns nil (it is done)
				// and the poll keeps waiting for the next one.
				polled := pollWorkflowAsync(ctx, s, tq, "p2", "worker")
				waitForPollers(t, s, wfKey("orders"), 1)
				require.NoError(t, addWorkflowTask(ctx, s, tq, "stale", 3))
				waitForPollers(t, s, wfKey("orders"), 1)
				require.NoError(t, addWorkflowTask(ctx, s, tq, "live", 3))
				r = receive(t, polled)
				require.NoError(t, r.err)
				require.Equal(t, tokenOf("live", 3), r.token())
				require.EqualValues(t, 2, h.store.created.Load(), "only the first two tasks were written")
			})
		})
	}
}

// blockOnce makes the first RecordWorkflowTaskStarted block until its
// context ends (reporting entry on entered); later calls start the task.
func blockOnce(h *harness) <-chan struct{} {
	entered := make(chan struct{}, 1)
	var blocked bool
	h.hist.setWorkflow(func(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error) {
		h.hist.mu.Lock()
		first := !blocked
		blocked = true
		h.hist.mu.Unlock()
		if first {
			entered <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return startedWorkflowTask(req), nil
	})
	return entered
}

func TestTaskGivenBackWhenPollerGoesAway(t *testing.T) {
	t.Run("backlog task", func(t *testing.T) {
		forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
			h := newHarness(t, open(t))
			s := h.newService()
			tq := normalQueue("orders")
			entered := blockOnce(h)
			require.NoError(t, addWorkflowTask(context.Background(), s, tq, "wf-a", 2))
			require.NoError(t, addWorkflowTask(context.Background(), s, tq, "wf-b", 2))

			ctx, cancel := context.WithCancel(context.Background())
			polled := pollWorkflowAsync(ctx, s, tq, "p1", "worker")
			receive(t, entered)
			cancel()
			r := receive(t, polled)
			require.NoError(t, r.err)
			require.Empty(t, r.token())

			// The task goes back ahead of the others.
			r = pollWorkflow(context.Background(), s, tq, "p2", "worker")
			require.NoError(t, r.err)
			require.Equal(t, tokenOf("wf-a", 2), r.token())
			require.EqualValues(t, 1, h.counter(metricTasksReturned, nil))
		})
	})
	t.Run("sync-matched task", func(t *testing.T) {
		h := newHarness(t, newMemTaskStore())
		s := h.newService()
		tq := normalQueue("orders")
		entered := blockOnce(h)

		ctx, cancel := context.WithCancel(context.Background())
		polled := pollWorkflowAsync(ctx, s, tq, "p1", "worker")
		waitForPollers(t, s, wfKey("orders"), 1)
		added := make(chan error, 1)
		go func() { added <- addWorkflowTask(context.Background(), s, tq, "wf-a", 2) }()
		receive(t, entered)
		cancel()
		require.Empty(t, receive(t, polled).token())

		// Add keeps the task durably before returning.
		require.NoError(t, receive(t, added))
		require.EqualValues(t, 1, h.store.created.Load())
		require.Zero(t, h.counter(metricSyncMatch, nil))

		r := pollWorkflow(context.Background(), s, tq, "p2", "worker")
		require.NoError(t, r.err)
		require.Equal(t, tokenOf("wf-a", 2), r.token())
	})
}

func TestHistoryFailureKeepsTask(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	tq := normalQueue("orders")
	failures := 1
	h.hist.setWorkflow(func(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error) {
		h.hist.mu.Lock()
		fail := failures > 0
		failures--
		h.hist.mu.Unlock()
		if fail {
			return nil, serviceerror.NewInvalidArgument("history hiccup")
		}
		return startedWorkflowTask(req), nil
	})
	require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-a", 2))

	// The poller gets a retryable error (never one that stops an SDK worker).
	r := pollWorkflow(ctx, s, tq, "p", "worker")
	var unavailable *serviceerror.Unavailable
	require.ErrorAs(t, r.err, &unavailable)

	r = pollWorkflow(ctx, s, tq, "p", "worker")
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-a", 2), r.token())
}

func TestExpiredBacklogTaskDropped(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	tq := normalQueue("orders")

	_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{
		NamespaceId:            testNamespaceID,
		Execution:              &commonpb.WorkflowExecution{WorkflowId: "wf-old", RunId: "r"},
		TaskQueue:              tq,
		ScheduledEventId:       2,
		ScheduleToStartTimeout: durationpb.New(5 * time.Second),
	})
	require.NoError(t, err)
	h.clock.Advance(5 * time.Second)
	require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-new", 2))

	r := pollWorkflow(ctx, s, tq, "p", "worker")
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-new", 2), r.token())
	require.EqualValues(t, 1, h.counter(metricTasksDropped, map[string]string{tagReason: dropReasonExpired}))
	require.Len(t, h.hist.workflowCalls(), 1, "history never saw the expired task")
}

func TestStickyQueueIsItsOwnPartition(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	normal := normalQueue("orders")
	sticky := &taskqueuepb.TaskQueue{Name: "host-1:5b0d", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: "orders"}

	normalPoll := pollWorkflowAsync(ctx, s, normal, "p-normal", "worker")
	stickyPoll := pollWorkflowAsync(ctx, s, sticky, "p-sticky", "worker")
	waitForPollers(t, s, wfKey("orders"), 1)
	waitForPollers(t, s, wfKey("host-1:5b0d"), 1)

	require.NoError(t, addWorkflowTask(ctx, s, sticky, "wf-a", 5))
	r := receive(t, stickyPoll)
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-a", 5), r.token())
	require.Equal(t, "orders", r.resp.GetWorkflowExecutionTaskQueue().GetName())
	require.Equal(t, 1, s.loadedManager(wfKey("orders")).waitingPollers(), "the normal poller still waits")
	require.Equal(t, enumspb.TASK_QUEUE_KIND_STICKY, s.loadedManager(wfKey("host-1:5b0d")).kind)

	require.NoError(t, addWorkflowTask(ctx, s, normal, "wf-b", 2))
	require.Equal(t, tokenOf("wf-b", 2), receive(t, normalPoll).token())
}

func TestSyncMatchWait(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	h.cfg.SyncMatchWait = 200 * time.Millisecond
	s := h.newService()
	ctx := context.Background()
	tq := normalQueue("orders")
	// Load the partition first so the Add below waits in the matcher.
	m, err := s.getManager(ctx, wfKey("orders"), enumspb.TASK_QUEUE_KIND_NORMAL)
	require.NoError(t, err)
	m.release()
	syncWaiting := func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.syncWait.Len() == 1
	}

	// A poller arriving within the wait takes the task: nothing written.
	added := make(chan error, 1)
	go func() { added <- addWorkflowTask(ctx, s, tq, "wf-a", 2) }()
	waitFor(t, syncWaiting, "Add waits for a poller")
	r := pollWorkflow(ctx, s, tq, "p", "worker")
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-a", 2), r.token())
	require.NoError(t, receive(t, added))
	require.Zero(t, h.store.created.Load())

	// No poller within the wait: written to the backlog.
	go func() { added <- addWorkflowTask(ctx, s, tq, "wf-b", 2) }()
	waitFor(t, syncWaiting, "Add waits for a poller")
	h.clock.Advance(200 * time.Millisecond)
	require.NoError(t, receive(t, added))
	require.EqualValues(t, 1, h.store.created.Load())
}

func TestActivityTaskRoundTrip(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	tq := normalQueue("orders")

	_, err := s.AddActivityTask(ctx, &matchingservice.AddActivityTaskRequest{
		NamespaceId:      testNamespaceID,
		Execution:        &commonpb.WorkflowExecution{WorkflowId: "wf-a", RunId: "r"},
		TaskQueue:        tq,
		ScheduledEventId: 7,
		Attempt:          1,
	})
	require.NoError(t, err)
	// Workflow pollers do not see activity tasks.
	require.Nil(t, s.loadedManager(wfKey("orders")))

	resp, err := s.PollActivityTaskQueue(ctx, &matchingservice.PollActivityTaskQueueRequest{
		NamespaceId: testNamespaceID,
		PollerId:    "p-act",
		Request: &workflowservice.PollActivityTaskQueueRequest{
			TaskQueue:         tq,
			Identity:          "worker",
			TaskQueueMetadata: &taskqueuepb.TaskQueueMetadata{MaxTasksPerSecond: wrapperspb.Double(50)},
		},
	})
	require.NoError(t, err)
	require.Equal(t, tokenOf("wf-a", 7), string(resp.GetResponse().GetTaskToken()))
	h.hist.mu.Lock()
	require.Len(t, h.hist.actCalls, 1)
	require.Equal(t, "p-act", h.hist.actCalls[0].GetRequestId())
	h.hist.mu.Unlock()
}
