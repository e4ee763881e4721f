package matching

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
)

// markPolled records a poll on tq without waiting (the deadline is inside
// the poll margin), so that a sticky queue counts as having a worker.
func markPolled(t *testing.T, h *harness, s *Service, tq *taskqueuepb.TaskQueue) {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), h.clock.Now())
	defer cancel()
	r := pollWorkflow(ctx, s, tq, "p-mark", "worker")
	require.NoError(t, r.err)
	require.Empty(t, r.token())
}

// TestBacklogHintCountsOnlyWaitingTasks: a poll response's
// backlog_count_hint counts the tasks a poller could still take, not the ones
// other pollers hold while history records their start. The Go SDK sends all
// its workflow pollers to a sticky queue whose last hint was positive, so
// counting a held task once sent every poller to an empty sticky queue while
// the normal queue's tasks waited out a whole long poll.
func TestBacklogHintCountsOnlyWaitingTasks(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	sticky := &taskqueuepb.TaskQueue{Name: "host-1:5b0d", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: "orders"}
	markPolled(t, h, s, sticky)

	held := make(chan struct{})
	release := make(chan struct{})
	h.hist.setWorkflow(func(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error) {
		if req.GetExecution().GetWorkflowId() == "wf-1" {
			close(held)
			<-release
		}
		return startedWorkflowTask(req), nil
	})
	for _, wf := range []string{"wf-1", "wf-2", "wf-3"} {
		require.NoError(t, addWorkflowTask(ctx, s, sticky, wf, 5))
	}

	// One poller takes wf-1 and is still starting it.
	holder := pollWorkflowAsync(ctx, s, sticky, "p-1", "worker")
	receive(t, held)

	r := pollWorkflow(ctx, s, sticky, "p-2", "worker")
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-2", 5), r.token())
	require.EqualValues(t, 1, r.resp.GetBacklogCountHint(), "only wf-3 waits; wf-1 is taken")

	r = pollWorkflow(ctx, s, sticky, "p-3", "worker")
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-3", 5), r.token())
	require.Zero(t, r.resp.GetBacklogCountHint(), "nothing waits; wf-1 is taken")

	close(release)
	r = receive(t, holder)
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-1", 5), r.token())
	require.Zero(t, r.resp.GetBacklogCountHint())
}

// TestPollAfterPositiveHintWaitsBriefly: a poll that starts on a sticky queue
// shortly after a positive backlog hint (which may have sent it there after
// its sibling pollers took the hinted tasks) is answered empty after
// hintedPollWait, so the SDK drops the hint; other polls wait as long as
// ever.
func TestPollAfterPositiveHintWaitsBriefly(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	sticky := &taskqueuepb.TaskQueue{Name: "host-1:5b0d", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: "orders"}
	normal := normalQueue("orders")
	markPolled(t, h, s, sticky)

	// stillWaits checks that a poll on tq outlives hintedPollWait: a task
	// added afterwards reaches it.
	stillWaits := func(tq *taskqueuepb.TaskQueue, key partitionKey, wf string) {
		t.Helper()
		polled := pollWorkflowAsync(ctx, s, tq, "p-wait", "worker")
		waitForPollers(t, s, key, 1)
		h.clock.Advance(hintedPollWait)
		require.NoError(t, addWorkflowTask(ctx, s, tq, wf, 5))
		r := receive(t, polled)
		require.NoError(t, r.err)
		require.Equal(t, tokenOf(wf, 5), r.token())
	}
	hint := func(tq *taskqueuepb.TaskQueue) {
		t.Helper()
		require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-1", 5))
		require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-2", 5))
		r := pollWorkflow(ctx, s, tq, "p-1", "worker")
		require.EqualValues(t, 1, r.resp.GetBacklogCountHint())
		r = pollWorkflow(ctx, s, tq, "p-2", "worker")
		require.Zero(t, r.resp.GetBacklogCountHint())
	}

	hint(sticky)
	polled := pollWorkflowAsync(ctx, s, sticky, "p-3", "worker")
	waitForPollers(t, s, wfKey("host-1:5b0d"), 1)
	h.clock.Advance(hintedPollWait)
	r := receive(t, polled)
	require.NoError(t, r.err)
	require.Empty(t, r.token(), "the hinted tasks are gone: answered empty")

	h.clock.Advance(hintedPollWindow)
	stillWaits(sticky, wfKey("host-1:5b0d"), "wf-3")

	// Only sticky queues: the SDK ignores the normal queue's hint.
	hint(normal)
	stillWaits(normal, wfKey("orders"), "wf-4")
}

// sdkPollerBalance models how the Go SDK (v1.50, the default "simple
// maximum" poller behavior) spreads its workflow pollers over a worker's
// normal and sticky queues (internal_task_pollers.go, getNextPollRequest):
// a poll goes to the sticky queue when the sticky queue's last
// backlog_count_hint was positive or when no more polls are pending there
// than on the normal queue; an empty sticky poll resets the hint.
type sdkPollerBalance struct {
	mu            sync.Mutex
	stickyHint    int64
	pendingSticky int
	pendingNormal int
}

func (b *sdkPollerBalance) next() enumspb.TaskQueueKind {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stickyHint > 0 || b.pendingSticky <= b.pendingNormal {
		b.pendingSticky++
		return enumspb.TASK_QUEUE_KIND_STICKY
	}
	b.pendingNormal++
	return enumspb.TASK_QUEUE_KIND_NORMAL
}

func (b *sdkPollerBalance) done(kind enumspb.TaskQueueKind, r pollResult) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if kind == enumspb.TASK_QUEUE_KIND_STICKY {
		b.stickyHint = r.resp.GetBacklogCountHint()
		b.pendingSticky--
	} else {
		b.pendingNormal--
	}
}

// TestSDKPollersKeepDrainingBothQueues runs the benchmark's closed loop
// against the matching service: workflows whose first task goes to the
// normal queue and whose second goes to the worker's sticky queue, polled by
// two pollers balanced as the Go SDK does, with scheduling jitter where the
// SDK hands responses between goroutines (so hints are processed late and
// out of order, as in the real SDK). Time moves only when nothing else does,
// so pollers left on an empty sticky queue while the normal queue holds
// every workflow in flight show up as a stall rather than a 60 s pause.
func TestSDKPollersKeepDrainingBothQueues(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	var rngMu sync.Mutex
	jitter := func(upTo int) {
		rngMu.Lock()
		n := rng.Intn(upTo)
		rngMu.Unlock()
		for range n {
			runtime.Gosched()
		}
	}

	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	normal := normalQueue("orders")
	sticky := &taskqueuepb.TaskQueue{Name: "host-1:5b0d", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: "orders"}
	h.hist.setWorkflow(func(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error) {
		jitter(200) // history's transaction
		return startedWorkflowTask(req), nil
	})

	const inFlight, total = 50, 20000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var started, completed atomic.Int64
	finished := make(chan struct{})
	add := func(tq *taskqueuepb.TaskQueue, wf string, eventID int64) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jitter(20) // history's transfer task
			err := addWorkflowTask(ctx, s, tq, wf, eventID)
			if matchingservice.IsStickyWorkerUnavailable(err) {
				err = addWorkflowTask(ctx, s, normal, wf, eventID)
			}
			if err != nil && ctx.Err() == nil {
				t.Errorf("add %s: %v", wf, err)
			}
		}()
	}
	startWorkflow := func() {
		if n := started.Add(1); n <= total {
			add(normal, fmt.Sprintf("wf-%d", n), 2)
		}
	}
	// process is the worker completing a task: the first task schedules the
	// second on the sticky queue, the second completes the workflow.
	process := func(wf string, eventID int64) {
		if eventID == 2 {
			add(sticky, wf, 6)
			return
		}
		if completed.Add(1) == total {
			close(finished)
		}
		startWorkflow()
	}

	var balance sdkPollerBalance
	for p := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				kind := balance.next()
				tq := normal
				if kind == enumspb.TASK_QUEUE_KIND_STICKY {
					tq = sticky
				}
				r := pollWorkflow(ctx, s, tq, fmt.Sprintf("poller-%d", p), "worker")
				jitter(50) // the response on its way to the worker
				balance.done(kind, r)
				jitter(50) // handing the task over, reserving a slot
				if r.err != nil || r.token() == "" {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					process(r.resp.GetWorkflowExecution().GetWorkflowId(), r.resp.GetStartedEventId()-1)
				}()
			}
		}()
	}
	for range inFlight {
		startWorkflow()
	}

	// The fake clock stands still while workflows complete. When a check
	// finds no progress it moves on by hintedPollWait, so that polls parked
	// by a stale hint can expire; needing stallAfter of fake time (far less
	// than MaxPollWait) without progress is a stall.
	const stallAfter = 20 * hintedPollWait
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last, idle := int64(-1), time.Duration(0)
	for {
		select {
		case <-finished:
			cancel()
			wg.Wait()
			return
		case <-tick.C:
		}
		if n := completed.Load(); n != last {
			last, idle = n, 0
			continue
		}
		if idle < stallAfter {
			h.clock.Advance(hintedPollWait)
			idle += hintedPollWait
			continue
		}
		state := func(key partitionKey) string {
			m := s.loadedManager(key)
			if m == nil {
				return "not loaded"
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			return fmt.Sprintf("%d pollers waiting, %d tasks buffered", m.waiters.Len(), len(m.buffer))
		}
		balance.mu.Lock()
		hint := balance.stickyHint
		balance.mu.Unlock()
		msg := fmt.Sprintf("seed %d: %d of %d workflows completed, none for %v of fake time; normal queue: %s; sticky queue: %s; last sticky hint %d",
			seed, completed.Load(), total, idle, state(wfKey("orders")), state(wfKey("host-1:5b0d")), hint)
		cancel()
		wg.Wait()
		require.FailNow(t, "workflow tasks stopped flowing", msg)
	}
}
