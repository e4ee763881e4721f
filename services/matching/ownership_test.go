package matching

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/rpc"
)

// fakeOwnership is one host's view of partition placement: every key
// belongs to def unless moved. Tests move keys and notify watchers.
type fakeOwnership struct {
	self string
	mu   sync.Mutex
	def  string
	own  map[string]string
	subs []chan struct{}
}

func newFakeOwnership(self, def string) *fakeOwnership {
	return &fakeOwnership{self: self, def: def, own: map[string]string{}}
}

func (o *fakeOwnership) Owner(key string) (bool, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	owner, ok := o.own[key]
	if !ok {
		owner = o.def
	}
	return owner == o.self, owner
}

func (o *fakeOwnership) Watch() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	o.mu.Lock()
	o.subs = append(o.subs, c)
	o.mu.Unlock()
	return c, func() {}
}

// move places key on host and tells the watchers.
func (o *fakeOwnership) move(key partitionKey, host string) {
	o.mu.Lock()
	o.own[key.ringKey()] = host
	subs := o.subs
	o.mu.Unlock()
	for _, c := range subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// A partition the ring moves away unloads at once: its parked poll answers
// empty, later calls answer NotOwned, nothing more is written with its
// lease; when it moves back it loads again under a new lease.
func TestPartitionUnloadsWhenItMovesAway(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(*testing.T) persistence.TaskStore) {
		h := newHarness(t, open(t))
		own := newFakeOwnership("a", "a")
		s, err := NewService(h.cfg, Deps{TaskStore: h.store, History: h.hist, Clock: h.clock,
			Logger: zaptest.NewLogger(t), Metrics: h.scope, Ownership: own})
		require.NoError(t, err)
		require.NoError(t, s.Start())
		t.Cleanup(s.Stop)
		ctx := context.Background()
		tq := normalQueue("orders")
		key := wfKey("orders")

		require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-a", 2))
		rangeBefore := storedInfo(t, h.store, key).GetRangeId()
		c := pollWorkflowAsync(ctx, s, normalQueue("other"), "p", "worker")
		waitForPollers(t, s, wfKey("other"), 1)

		own.move(wfKey("other"), "b")
		r := receive(t, c)
		require.NoError(t, r.err)
		require.Empty(t, r.token(), "a parked poll answers empty when its partition moves")
		waitFor(t, func() bool { return s.loadedManager(wfKey("other")) == nil }, "moved partition unloads")
		require.EqualValues(t, 1, h.counter(metricOwnershipLost, nil))
		require.NotNil(t, s.loadedManager(key), "partitions that stay are kept")

		own.move(key, "b")
		waitFor(t, func() bool { return s.loadedManager(key) == nil }, "moved partition unloads")
		written := h.store.created.Load()
		err = addWorkflowTask(ctx, s, tq, "wf-b", 2)
		require.True(t, rpc.IsNotOwned(err), "got %v", err)
		require.True(t, rpc.IsNotOwned(pollWorkflow(ctx, s, tq, "p", "worker").err))
		require.Equal(t, written, h.store.created.Load(), "nothing written after the move")
		require.Len(t, storedTasks(t, h.store, key), 1, "the backlog stays durable")

		own.move(key, "a")
		r = pollWorkflow(ctx, s, tq, "p", "worker")
		require.NoError(t, r.err)
		require.Equal(t, tokenOf("wf-a", 2), r.token(), "the backlog is served again after moving back")
		require.Equal(t, rangeBefore+1, storedInfo(t, h.store, key).GetRangeId(), "loading again takes the lease")
	})
}

// testRouter is a region's matching router in one process: it sends each
// call to the host that the region's placement names, and retries NotOwned
// as rpc.MatchingRouter does.
type testRouter struct {
	matchingservice.UnimplementedMatchingServiceServer
	place *fakeOwnership // the region's placement (its self is unused)
	mu    sync.Mutex
	hosts map[string]*Service
}

func (r *testRouter) host(key partitionKey) *Service {
	_, owner := r.place.Owner(key.ringKey())
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hosts[owner]
}

func routeTo[Resp any](ctx context.Context, r *testRouter, key partitionKey, call func(*Service) (Resp, error)) (Resp, error) {
	for {
		resp, err := call(r.host(key))
		if !rpc.IsNotOwned(err) {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return resp, err
		case <-time.After(time.Millisecond):
		}
	}
}

func (r *testRouter) AddWorkflowTask(ctx context.Context, req *matchingservice.AddWorkflowTaskRequest) (*matchingservice.AddWorkflowTaskResponse, error) {
	key := wfPartition(req.GetTaskQueue().GetName(), req.GetPartition())
	return routeTo(ctx, r, key, func(s *Service) (*matchingservice.AddWorkflowTaskResponse, error) { return s.AddWorkflowTask(ctx, req) })
}

func (r *testRouter) PollWorkflowTaskQueue(ctx context.Context, req *matchingservice.PollWorkflowTaskQueueRequest) (*matchingservice.PollWorkflowTaskQueueResponse, error) {
	key := wfPartition(req.GetRequest().GetTaskQueue().GetName(), req.GetPartition())
	return routeTo(ctx, r, key, func(s *Service) (*matchingservice.PollWorkflowTaskQueueResponse, error) {
		return s.PollWorkflowTaskQueue(ctx, req)
	})
}

func (r *testRouter) DescribeTaskQueue(ctx context.Context, req *matchingservice.DescribeTaskQueueRequest) (*matchingservice.DescribeTaskQueueResponse, error) {
	key := wfPartition(req.GetRequest().GetTaskQueue().GetName(), req.GetPartition())
	return routeTo(ctx, r, key, func(s *Service) (*matchingservice.DescribeTaskQueueResponse, error) {
		return s.DescribeTaskQueue(ctx, req)
	})
}

// dedupHistory starts each workflow task once, like history: a second
// start of the same task is AlreadyExists (matching drops it as stale).
type dedupHistory struct {
	historyservice.HistoryServiceServer
	mu      sync.Mutex
	started map[string]int
}

func (d *dedupHistory) RecordWorkflowTaskStarted(_ context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error) {
	tok := tokenOf(req.GetExecution().GetWorkflowId(), req.GetScheduledEventId())
	d.mu.Lock()
	defer d.mu.Unlock()
	d.started[tok]++
	if d.started[tok] > 1 {
		return nil, serviceerror.NewAlreadyExists("workflow task already started")
	}
	return startedWorkflowTask(req), nil
}

// twoHostStores are the stores the two-host tests run on: the embedded
// store on disk, and a fresh Cassandra keyspace when MERIDIAN_CASSANDRA is
// set (cassandra_test.go).
var twoHostStores = []storeBackend{
	{name: "embedded", open: func(t *testing.T) persistence.TaskStore { return openEmbedded(t, t.TempDir(), embedded.Options{}) }},
}

// Two matching hosts share one store. A queue's partitions, with backlogs
// written while nobody polled, move from host a to host b; b's pollers
// receive every task exactly once, from the durable backlog.
func TestMovedPartitionsContinueFromBacklogOnNewHost(t *testing.T) {
	for _, backend := range twoHostStores {
		t.Run(backend.name, func(t *testing.T) {
			store := backend.open(t)
			hist := &dedupHistory{started: map[string]int{}}
			place := newFakeOwnership("", "a")
			router := &testRouter{place: place, hosts: map[string]*Service{}}
			views := map[string]*fakeOwnership{"a": newFakeOwnership("a", "a"), "b": newFakeOwnership("b", "a")}
			// Empty polls end within a second.
			cfg := Config{TaskQueuePartitions: map[string]int{"orders": 3}, MaxPollWait: 2 * time.Second}
			for _, name := range []string{"a", "b"} {
				s, err := NewService(cfg, Deps{TaskStore: store, History: hist, Clock: clock.Real(),
					Logger: zaptest.NewLogger(t).Named(name), Ownership: views[name], Forward: router})
				require.NoError(t, err)
				require.NoError(t, s.Start())
				t.Cleanup(s.Stop)
				router.hosts[name] = s
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tq := normalQueue("orders")

			const n = 30
			want := map[string]bool{}
			for i := range n {
				wf := fmt.Sprintf("wf-%d", i)
				want[tokenOf(wf, 2)] = true
				require.NoError(t, addWorkflowTaskTo(ctx, router, tq, int32(i%3), wf, 2))
			}
			for p := range int32(3) {
				require.Len(t, storedTasks(t, store, wfPartition("orders", p)), n/3, "partition %d's backlog", p)
			}

			// Every partition moves to b: the region's placement first, then
			// each host's view (a hears of it last).
			for p := range int32(3) {
				place.move(wfPartition("orders", p), "b")
				views["b"].move(wfPartition("orders", p), "b")
			}
			for p := range int32(3) {
				views["a"].move(wfPartition("orders", p), "b")
			}

			got := map[string]bool{}
			for i := 0; len(got) < n; i++ {
				r := pollWorkflowAt(ctx, router, tq, int32(i%3), fmt.Sprintf("poll-%d", i), "worker")
				require.NoError(t, r.err)
				if r.token() == "" {
					continue
				}
				require.False(t, got[r.token()], "task %s delivered twice", r.token())
				got[r.token()] = true
			}
			require.Equal(t, want, got)
			hist.mu.Lock()
			for tok, times := range hist.started {
				require.Equal(t, 1, times, "task %s started %d times", tok, times)
			}
			hist.mu.Unlock()
			for p := range int32(3) {
				waitFor(t, func() bool { return router.hosts["a"].loadedManager(wfPartition("orders", p)) == nil }, "a lets the partition go")
			}
		})
	}
}

// Two hosts both believe they own a partition (their rings disagree): the
// later lease wins, and the stale owner's backlog write is refused by the
// lease condition, so its Add fails (NotOwned) instead of being lost.
func TestStaleOwnerBacklogWriteRejected(t *testing.T) {
	for _, backend := range twoHostStores {
		t.Run(backend.name, func(t *testing.T) {
			store := &countingStore{TaskStore: backend.open(t)}
			hist := &fakeHistory{}
			hosts := map[string]*Service{}
			for _, name := range []string{"a", "b"} {
				s, err := NewService(Config{}, Deps{TaskStore: store, History: hist, Clock: clock.Real(),
					Logger: zaptest.NewLogger(t).Named(name), Ownership: newFakeOwnership(name, name)})
				require.NoError(t, err)
				require.NoError(t, s.Start())
				t.Cleanup(s.Stop)
				hosts[name] = s
			}
			ctx := context.Background()
			tq := normalQueue("orders")
			key := wfKey("orders")

			require.NoError(t, addWorkflowTask(ctx, hosts["a"], tq, "wf-a", 2))
			require.NoError(t, addWorkflowTask(ctx, hosts["b"], tq, "wf-b", 2))
			err := addWorkflowTask(ctx, hosts["a"], tq, "wf-c", 2)
			require.True(t, rpc.IsNotOwned(err), "a stale owner's write must fail retryably, got %v", err)
			require.EqualValues(t, 1, store.rejected.Load(), "the lease condition refused the write")
			waitFor(t, func() bool { return hosts["a"].loadedManager(key) == nil }, "the stale owner unloads")
			require.True(t, rpc.IsNotOwned(addWorkflowTask(ctx, hosts["a"], tq, "wf-c", 2)),
				"the stale owner does not take the lease back at once")

			var tokens []string
			for range 2 {
				r := pollWorkflow(ctx, hosts["b"], tq, "p", "worker")
				require.NoError(t, r.err)
				tokens = append(tokens, r.token())
			}
			require.Equal(t, []string{tokenOf("wf-a", 2), tokenOf("wf-b", 2)}, tokens)
			require.Len(t, storedTasks(t, store, key), 2, "only acknowledged tasks are stored")
		})
	}
}
