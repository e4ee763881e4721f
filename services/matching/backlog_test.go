package matching

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/persistence"
)

func TestSyncMatchDoesNotWriteBacklog(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
		h := newHarness(t, open(t))
		s := h.newService()
		ctx := context.Background()
		tq := normalQueue("orders")

		polled := pollWorkflowAsync(ctx, s, tq, "poller-1", "worker-1")
		waitForPollers(t, s, wfKey("orders"), 1)
		require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-a", 2))

		r := receive(t, polled)
		require.NoError(t, r.err)
		require.Equal(t, tokenOf("wf-a", 2), r.token())
		require.Equal(t, "orders", r.resp.GetWorkflowExecutionTaskQueue().GetName(), "task-queue field filled in")
		require.Zero(t, h.store.created.Load(), "a sync-matched task must not be written")
		require.Empty(t, storedTasks(t, h.store, wfKey("orders")))
		require.EqualValues(t, 1, h.counter(metricSyncMatch, nil))

		calls := h.hist.workflowCalls()
		require.Len(t, calls, 1)
		require.Equal(t, "poller-1", calls[0].GetRequestId(), "request_id is the poller ID")
		require.Equal(t, int64(2), calls[0].GetScheduledEventId())
	})
}

func TestBacklogDeliveredInOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
		h := newHarness(t, open(t))
		s := h.newService()
		ctx := context.Background()
		tq := normalQueue("orders")

		for i, wf := range []string{"wf-a", "wf-b", "wf-c"} {
			require.NoError(t, addWorkflowTask(ctx, s, tq, wf, int64(i+2)))
		}
		require.EqualValues(t, 3, h.store.created.Load(), "no poller: every task is written before Add returns")
		require.Len(t, storedTasks(t, h.store, wfKey("orders")), 3)

		for i, wf := range []string{"wf-a", "wf-b", "wf-c"} {
			r := pollWorkflow(ctx, s, tq, "p", "worker")
			require.NoError(t, r.err)
			require.Equal(t, tokenOf(wf, int64(i+2)), r.token())
		}
		require.Zero(t, h.counter(metricSyncMatch, nil))
		require.EqualValues(t, 3, h.counter(metricBacklogWrites, nil))
	})
}

func TestBacklogSurvivesRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
		h := newHarness(t, open(t))
		ctx := context.Background()
		tq := normalQueue("orders")

		first := h.newService()
		require.NoError(t, addWorkflowTask(ctx, first, tq, "wf-a", 2))
		require.NoError(t, addWorkflowTask(ctx, first, tq, "wf-b", 2))
		first.Stop()

		second := h.newService()
		for _, wf := range []string{"wf-a", "wf-b"} {
			r := pollWorkflow(ctx, second, tq, "p", "worker")
			require.NoError(t, r.err)
			require.Equal(t, tokenOf(wf, 2), r.token())
		}
		ids := storedTasks(t, h.store, wfKey("orders"))
		require.Len(t, ids, 2)
		last := ids[1].GetTaskId()

		// A clean stop persists the ack level and deletes the done tasks.
		second.Stop()
		require.GreaterOrEqual(t, storedInfo(t, h.store, wfKey("orders")).GetAckLevel(), last)
		require.Empty(t, storedTasks(t, h.store, wfKey("orders")))

		// Nothing is delivered twice after another restart.
		third := h.newService()
		m, err := third.getManager(ctx, wfKey("orders"), tq.GetKind())
		require.NoError(t, err)
		require.Zero(t, m.backlogHint())
		m.release()
	})
}

func TestLeaseFencing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
		h := newHarness(t, open(t))
		ctx := context.Background()
		tq := normalQueue("orders")

		first := h.newService()
		require.NoError(t, addWorkflowTask(ctx, first, tq, "wf-a", 2))
		require.NotNil(t, first.loadedManager(wfKey("orders")))

		// A second owner takes the lease.
		second := h.newService()
		require.NoError(t, addWorkflowTask(ctx, second, tq, "wf-b", 2))

		// The first owner's next write is refused: retryable error, unload.
		err := addWorkflowTask(ctx, first, tq, "wf-c", 2)
		var unavailable *serviceerror.Unavailable
		require.ErrorAs(t, err, &unavailable)
		require.EqualValues(t, 1, h.store.rejected.Load())
		waitFor(t, func() bool { return first.loadedManager(wfKey("orders")) == nil }, "first owner unloads")
		require.EqualValues(t, 1, h.counter(metricLeaseLost, nil))

		// The new owner has every acknowledged task, in order, and nothing else.
		for _, wf := range []string{"wf-a", "wf-b"} {
			r := pollWorkflow(ctx, second, tq, "p", "worker")
			require.NoError(t, r.err)
			require.Equal(t, tokenOf(wf, 2), r.token())
		}
		require.Len(t, storedTasks(t, h.store, wfKey("orders")), 2)
	})
}

func TestAckLevelPersistedPeriodically(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
		h := newHarness(t, open(t))
		s := h.newService()
		ctx := context.Background()
		tq := normalQueue("orders")
		key := wfKey("orders")

		for _, wf := range []string{"wf-a", "wf-b", "wf-c"} {
			require.NoError(t, addWorkflowTask(ctx, s, tq, wf, 2))
		}
		tasks := storedTasks(t, h.store, key)
		require.Len(t, tasks, 3)

		// Finish the first two only: the ack level stops below the third.
		for i := 0; i < 2; i++ {
			require.NoError(t, pollWorkflow(ctx, s, tq, "p", "worker").err)
		}
		h.advanceUntil(h.cfg.withDefaults().AckFlushInterval, func() bool {
			return storedInfo(t, h.store, key).GetAckLevel() == tasks[1].GetTaskId() &&
				len(storedTasks(t, h.store, key)) == 1
		})
		require.Equal(t, tasks[2].GetTaskId(), storedTasks(t, h.store, key)[0].GetTaskId())

		require.NoError(t, pollWorkflow(ctx, s, tq, "p", "worker").err)
		h.advanceUntil(h.cfg.withDefaults().AckFlushInterval, func() bool {
			return storedInfo(t, h.store, key).GetAckLevel() >= tasks[2].GetTaskId() &&
				len(storedTasks(t, h.store, key)) == 0
		})
	})
}

func TestLeaseRenewedWhenIDBlockRunsOut(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
		h := newHarness(t, open(t))
		h.cfg.idBlockBits = 2 // four IDs per range
		s := h.newService()
		ctx := context.Background()
		tq := normalQueue("orders")

		const n = 10
		for i := 1; i <= n; i++ {
			require.NoError(t, addWorkflowTask(ctx, s, tq, "wf", int64(i)))
		}
		info := storedInfo(t, h.store, wfKey("orders"))
		require.GreaterOrEqual(t, info.GetRangeId(), int64(3), "the lease was renewed for new blocks")
		tasks := storedTasks(t, h.store, wfKey("orders"))
		require.Len(t, tasks, n)
		for _, task := range tasks {
			require.LessOrEqual(t, task.GetTaskId()>>2, info.GetRangeId(), "IDs come from the lease's blocks")
		}
		for i := 1; i <= n; i++ {
			r := pollWorkflow(ctx, s, tq, "p", "worker")
			require.NoError(t, r.err)
			require.Equal(t, tokenOf("wf", int64(i)), r.token())
		}
	})
}

func TestIdlePartitionUnloads(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	tq := normalQueue("orders")
	key := wfKey("orders")

	require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-a", 2))
	m := s.loadedManager(key)
	require.NotNil(t, m)

	// A partition with a call in progress is never idle.
	require.True(t, m.acquire())
	require.False(t, m.beginIdleStop(h.clock.Now().Add(time.Hour)))
	m.release()

	h.advanceUntil(time.Minute, func() bool { return s.loadedManager(key) == nil })
	require.EqualValues(t, 1, h.counter(metricTaskQueueUnloads, nil))

	// The backlog stays in the store; the next call loads the partition anew.
	r := pollWorkflow(ctx, s, tq, "p", "worker")
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-a", 2), r.token())
}

func TestBacklogSizeGauge(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	tq := normalQueue("orders")
	gauge := func() float64 {
		for _, g := range h.scope.Snapshot().Gauges() {
			if g.Name() == metricsSubScope+"."+metricBacklogSize && g.Tags()[tagTaskType] == "workflow" {
				return g.Value()
			}
		}
		return -1
	}

	require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-a", 2))
	require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-b", 2))
	waitFor(t, func() bool { return gauge() == 2 }, "two tasks in the backlog")
	require.NoError(t, pollWorkflow(ctx, s, tq, "p", "worker").err)
	require.NoError(t, pollWorkflow(ctx, s, tq, "p", "worker").err)
	require.Equal(t, float64(0), gauge())
}

// TestConcurrentAddsAndPollsLoseNothing runs producers and pollers at once:
// every added task is started exactly once, whether it was sync-matched or
// went through the backlog.
func TestConcurrentAddsAndPollsLoseNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
		h := newHarness(t, open(t))
		h.cfg.idBlockBits = 4 // renew the lease along the way
		s := h.newService()
		tq := normalQueue("orders")
		const producers, perProducer, pollers = 4, 50, 3

		var mu sync.Mutex
		started := map[string]int{}
		h.hist.setWorkflow(func(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error) {
			mu.Lock()
			defer mu.Unlock()
			tok := tokenOf(req.GetExecution().GetWorkflowId(), req.GetScheduledEventId())
			if started[tok] > 0 {
				return nil, serviceerror.NewAlreadyExists("already started")
			}
			started[tok]++
			return startedWorkflowTask(req), nil
		})
		startedCount := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(started)
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		for p := 0; p < pollers; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					r := pollWorkflow(ctx, s, tq, fmt.Sprintf("poller-%d", p), "worker")
					if r.err != nil && ctx.Err() == nil {
						t.Errorf("poll: %v", r.err)
						return
					}
				}
			}()
		}
		var adds sync.WaitGroup
		for p := 0; p < producers; p++ {
			adds.Add(1)
			go func() {
				defer adds.Done()
				for i := 1; i <= perProducer; i++ {
					if err := addWorkflowTask(context.Background(), s, tq, fmt.Sprintf("wf-%d", p), int64(i)); err != nil {
						t.Errorf("add: %v", err)
					}
				}
			}()
		}
		adds.Wait()
		waitFor(t, func() bool { return startedCount() == producers*perProducer }, "every task started")
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for tok, n := range started {
			require.Equal(t, 1, n, tok)
		}
	})
}
