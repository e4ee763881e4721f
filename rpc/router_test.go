package rpc

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/ring"
)

// region is a few fake hosts and a router in front of them.
type region struct {
	hosts    []*fakeHost
	owners   *fakeOwners
	history  *HistoryRouter
	matching *MatchingRouter
	metrics  tally.TestScope
}

// newRegion starts one fake host per shard set: host i owns owned[i].
func newRegion(t testing.TB, cfg RouterConfig, clk clock.Clock, owned ...[]int32) *region {
	t.Helper()
	r := &region{owners: newFakeOwners(), metrics: tally.NewTestScope("", nil)}
	for i, ids := range owned {
		h := startFakeHost(t, string(rune('a'+i)), ServerDeps{}, ids...)
		r.hosts = append(r.hosts, h)
		for _, id := range ids {
			r.owners.set(id, h.addr)
		}
	}
	pool := newTestPool(t, ClientConfig{})
	var logger = zaptest.NewLogger(t)
	if _, ok := t.(*testing.B); ok {
		logger = nil
	}
	var err error
	r.history, err = NewHistoryRouter(cfg, HistoryRouterDeps{Owners: r.owners, ShardOf: testShardOf, Pool: pool,
		Clock: clk, Logger: logger, Metrics: r.metrics})
	require.NoError(t, err)
	r.matching, err = NewMatchingRouter(cfg, MatchingRouterDeps{Owners: r.owners, Pool: pool,
		Clock: clk, Logger: logger, Metrics: r.metrics})
	require.NoError(t, err)
	return r
}

// counter returns the value of a router counter of service.
func (r *region) counter(name, service string) int64 {
	for _, c := range r.metrics.Snapshot().Counters() {
		if c.Name() == name && c.Tags()[metricServiceTag] == service {
			return c.Value()
		}
	}
	return 0
}

// start calls StartWorkflowExecution for workflow wf through the router.
func (r *region) start(ctx context.Context, wf string) error {
	_, err := r.history.StartWorkflowExecution(ctx, historyRequests("ns", wf)["StartWorkflowExecution"].(*historyservice.StartWorkflowExecutionRequest))
	return err
}

// invoke calls the method called name of impl (a *Server interface
// implementation) by reflection.
func invoke(ctx context.Context, impl any, name string, req proto.Message) (any, error) {
	m := reflect.ValueOf(impl).MethodByName(name)
	if !m.IsValid() {
		panic("no method " + name)
	}
	out := m.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(req)})
	err, _ := out[1].Interface().(error)
	return out[0].Interface(), err
}

func methodNames(sd protoreflect.ServiceDescriptor) []string {
	var names []string
	for i := 0; i < sd.Methods().Len(); i++ {
		names = append(names, string(sd.Methods().Get(i).Name()))
	}
	return names
}

func serviceDescriptor(t *testing.T, name protoreflect.FullName) protoreflect.ServiceDescriptor {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	require.NoError(t, err)
	return d.(protoreflect.ServiceDescriptor)
}

// Every method's request type has a routing key, and the test tables
// cover every method.
func TestRoutingKeysCoverEveryMethod(t *testing.T) {
	for _, tc := range []struct {
		service protoreflect.FullName
		key     func(any) bool
		table   []string
	}{
		{"meridian.historyservice.v1.HistoryService", func(req any) bool { _, _, ok := historyKey(req); return ok },
			keys(historyRequests("ns", "1"))},
		{"meridian.matchingservice.v1.MatchingService", func(req any) bool { _, ok := matchingKey(req); return ok },
			keys(matchingRequests("ns", "tq"))},
	} {
		sd := serviceDescriptor(t, tc.service)
		require.ElementsMatch(t, methodNames(sd), tc.table, "test table of %s", tc.service)
		for i := 0; i < sd.Methods().Len(); i++ {
			in := sd.Methods().Get(i).Input()
			mt, err := protoregistry.GlobalTypes.FindMessageByName(in.FullName())
			require.NoError(t, err)
			require.True(t, tc.key(mt.New().Interface()), "no routing key for %s", in.FullName())
		}
	}
	_, _, ok := historyKey(&matchingservice.AddWorkflowTaskRequest{})
	require.False(t, ok)
	_, ok = matchingKey(&historyservice.StartWorkflowExecutionRequest{})
	require.False(t, ok)
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// Each history request reaches the host that owns its workflow's shard,
// unchanged, through every generated router method.
func TestHistoryRouterRoutesEveryMethod(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, []int32{1, 2, 3, 4}, []int32{5, 6, 7, 8}, []int32{9, 10, 11, 12})
	ctx := context.Background()
	for _, wf := range []string{"2", "6", "11"} {
		want := r.hosts[(testShardOf("", wf)-1)/4]
		for name, req := range historyRequests("ns", wf) {
			resp, err := invoke(ctx, r.history, name, req)
			require.NoError(t, err, "%s for workflow %s", name, wf)
			require.NotNil(t, resp)
			for _, h := range r.hosts {
				calls := h.takeCalls()
				if h != want {
					require.Empty(t, calls, "%s for workflow %s reached host %s", name, wf, h.name)
					continue
				}
				require.Len(t, calls, 1, "%s for workflow %s", name, wf)
				require.Equal(t, name, calls[0].method)
				require.True(t, proto.Equal(req, calls[0].req))
			}
		}
	}
	require.Zero(t, r.counter(metricRoutingRetries, "history"))
	require.Equal(t, int64(3*len(historyRequests("", ""))), r.counter(metricRoutedRequests, "history"))
}

// Each matching request reaches the owner of its task-queue partition:
// workflow partitions live on host a, activity partitions on host b.
func TestMatchingRouterRoutesEveryMethod(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, nil, nil)
	const ns, tq = "ns-id", "orders"
	wfKey := ring.TaskQueuePartitionKey(ns, tq, 1, 0)  // TASK_QUEUE_TYPE_WORKFLOW
	actKey := ring.TaskQueuePartitionKey(ns, tq, 2, 0) // TASK_QUEUE_TYPE_ACTIVITY
	r.owners.setPartition(wfKey, r.hosts[0].addr)
	r.owners.setPartition(actKey, r.hosts[1].addr)
	for name, mr := range matchingRequests(ns, tq) {
		_, err := invoke(context.Background(), r.matching, name, mr.req)
		require.NoError(t, err, name)
		want := r.hosts[int(mr.taskType)-1]
		for _, h := range r.hosts {
			calls := h.takeCalls()
			if h != want {
				require.Empty(t, calls, "%s reached host %s", name, h.name)
				continue
			}
			require.Len(t, calls, 1, name)
			require.True(t, proto.Equal(mr.req, calls[0].req))
		}
	}
}

// A shard moves from a to b. First the old owner refuses while the ring
// still names it; then the ring names b before b has acquired the shard.
// The caller sees success both times and the router counts its retries.
func TestHistoryRouterFollowsMovedShard(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, []int32{5}, nil)
	a, b := r.hosts[0], r.hosts[1]
	ctx := context.Background()
	require.NoError(t, r.start(ctx, "5"))
	require.Len(t, a.takeCalls(), 1)

	// a released shard 5; the ring catches up on the third lookup.
	a.setOwned()
	b.setOwned(5)
	r.owners.mu.Lock()
	base := r.owners.lookups[5]
	r.owners.onLookup = func(id int32, n int) {
		if id == 5 && n == base+3 {
			r.owners.set(5, b.addr)
		}
	}
	r.owners.mu.Unlock()
	require.NoError(t, r.start(ctx, "5"))
	require.Empty(t, a.takeCalls())
	require.Len(t, b.takeCalls(), 1)
	require.GreaterOrEqual(t, r.counter(metricRoutingRetries, "history"), int64(1))

	// The ring moves shard 5 back to a, which acquires it on the fourth
	// lookup; meanwhile a refuses and b has released it.
	r.owners.mu.Lock()
	base = r.owners.lookups[5]
	r.owners.onLookup = func(id int32, n int) {
		if id == 5 && n == base+4 {
			a.setOwned(5)
		}
	}
	r.owners.mu.Unlock()
	b.setOwned()
	r.owners.set(5, a.addr)
	require.NoError(t, r.start(ctx, "5"))
	require.Len(t, a.takeCalls(), 1)
	require.Empty(t, b.takeCalls())
	require.Zero(t, r.counter(metricRoutingFailures, "history"))
}

// When the ring already names the new owner, the retry goes there at once:
// the fake clock never advances, so any backoff wait would hang the call
// until its deadline.
func TestHistoryRouterRetriesNewOwnerWithoutWaiting(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	r := newRegion(t, RouterConfig{}, clk, nil, []int32{8})
	a, b := r.hosts[0], r.hosts[1]
	r.owners.set(8, a.addr)
	r.owners.mu.Lock()
	r.owners.onLookup = func(id int32, n int) {
		if n == 2 { // the lookup after a's refusal
			r.owners.set(8, b.addr)
		}
	}
	r.owners.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, r.start(ctx, "8"))
	require.Len(t, b.takeCalls(), 1)
	require.Equal(t, int64(1), r.counter(metricRoutingRetries, "history"))
}

// While a shard moves round three hosts, concurrent callers all succeed.
func TestHistoryRouterConcurrentMoves(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, []int32{7}, nil, nil)
	ctx := context.Background()
	const callers, moves = 8, 30
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := r.start(ctx, "7"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// Each move: the old owner releases, the ring changes, the new owner
	// acquires, the order a region goes through on a clean move.
	owner := 0
	for i := 0; i < moves; i++ {
		next := (owner + 1) % len(r.hosts)
		r.hosts[owner].setOwned()
		r.owners.set(7, r.hosts[next].addr)
		r.hosts[next].setOwned(7)
		owner = next
		// Let some calls through before the next move.
		for n := 0; n < 5; n++ {
			require.NoError(t, r.start(ctx, "7"))
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Zero(t, r.counter(metricRoutingFailures, "history"))
}

// When every host refuses, the router gives up after MaxRetryDuration
// (driven by a fake clock) with Unavailable.
func TestHistoryRouterGivesUpAfterBudget(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	r := newRegion(t, RouterConfig{MaxRetryDuration: 2 * time.Second}, clk, nil, nil)
	r.owners.set(3, r.hosts[0].addr)
	res := make(chan error, 1)
	go func() { res <- r.start(context.Background(), "3") }()
	start := clk.Now()
	var err error
	for done := false; !done; {
		select {
		case err = <-res:
			done = true
		default:
			// Fire whatever backoff timer the router waits on.
			clk.Advance(10 * time.Millisecond)
			runtime.Gosched()
		}
	}
	require.IsType(t, &serviceerror.Unavailable{}, err)
	require.Contains(t, err.Error(), "history shard 3")
	require.Contains(t, err.Error(), "shard not owned", "the last refusal is named")
	require.False(t, IsNotOwned(err), "the caller gets a plain Unavailable")
	require.GreaterOrEqual(t, clk.Now().Sub(start), 2*time.Second-DefaultRouterConfig().MaxBackoff)
	require.Equal(t, int64(1), r.counter(metricRoutingFailures, "history"))
	require.GreaterOrEqual(t, r.counter(metricRoutingRetries, "history"), int64(1))
}

// With no owner known yet (an empty ring), the router waits for one.
func TestHistoryRouterWaitsForAnOwner(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, []int32{2})
	r.owners.mu.Lock()
	delete(r.owners.shards, 2)
	r.owners.onLookup = func(id int32, n int) {
		if n == 3 {
			r.owners.set(2, r.hosts[0].addr)
		}
	}
	r.owners.mu.Unlock()
	require.NoError(t, r.start(context.Background(), "2"))
	require.Len(t, r.hosts[0].takeCalls(), 1)
}

// The caller's deadline bounds the retries: the router answers before it.
func TestHistoryRouterStopsRetryingAtCallerDeadline(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, nil)
	r.owners.set(4, r.hosts[0].addr)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := r.start(ctx, "4")
	require.IsType(t, &serviceerror.Unavailable{}, err)
	require.Contains(t, err.Error(), "deadline")
	require.NoError(t, ctx.Err(), "the router answered before the caller's deadline")
}

// Errors other than NotOwned come back at once, unchanged: the request may
// have run.
func TestHistoryRouterDoesNotRetryOtherErrors(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, []int32{1})
	r.hosts[0].setHandle(func(context.Context, string, any) (any, error, bool) {
		return nil, serviceerror.NewUnavailable("store overloaded"), true
	})
	err := r.start(context.Background(), "1")
	require.Equal(t, serviceerror.NewUnavailable("store overloaded").Error(), err.Error())
	require.IsType(t, &serviceerror.Unavailable{}, err)
	require.Len(t, r.hosts[0].takeCalls(), 1)

	// An unreachable owner.
	r.owners.set(9, "127.0.0.1:1")
	err = r.start(context.Background(), "9")
	require.IsType(t, &serviceerror.Unavailable{}, err)
	require.Zero(t, r.counter(metricRoutingRetries, "history"))
}

// Matching refusals (NotOwnedError) are retried like history's.
func TestMatchingRouterFollowsMovedPartition(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, nil, nil)
	a, b := r.hosts[0], r.hosts[1]
	key := ring.TaskQueuePartitionKey("ns", "tq", 1, 0)
	r.owners.setPartition(key, a.addr)
	a.setRejectMatching(true)
	// The ring names b on the third lookup.
	r.owners.mu.Lock()
	r.owners.onPartitionLookup = func(k string, n int) {
		if k == key && n == 3 {
			r.owners.setPartition(key, b.addr)
		}
	}
	r.owners.mu.Unlock()
	_, err := r.matching.AddWorkflowTask(context.Background(), matchingRequests("ns", "tq")["AddWorkflowTask"].req.(*matchingservice.AddWorkflowTaskRequest))
	require.NoError(t, err)
	require.Len(t, b.takeCalls(), 1)
	require.Empty(t, a.takeCalls())
	require.GreaterOrEqual(t, r.counter(metricRoutingRetries, "matching"), int64(1))
}

func TestNewRouterChecksDeps(t *testing.T) {
	pool := newTestPool(t, ClientConfig{})
	_, err := NewHistoryRouter(RouterConfig{}, HistoryRouterDeps{ShardOf: testShardOf, Pool: pool})
	require.ErrorContains(t, err, "Owners")
	_, err = NewHistoryRouter(RouterConfig{}, HistoryRouterDeps{Owners: newFakeOwners(), Pool: pool})
	require.ErrorContains(t, err, "ShardOf")
	_, err = NewHistoryRouter(RouterConfig{}, HistoryRouterDeps{Owners: newFakeOwners(), ShardOf: testShardOf})
	require.ErrorContains(t, err, "Pool")
	_, err = NewMatchingRouter(RouterConfig{InitialBackoff: time.Second, MaxBackoff: time.Millisecond}, MatchingRouterDeps{Owners: newFakeOwners(), Pool: pool})
	require.ErrorContains(t, err, "InitialBackoff")
}
