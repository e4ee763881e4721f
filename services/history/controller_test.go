package history

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/queues"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

// These tests run several history hosts in one process over ONE set of
// stores, with a fake ring (fakeRing) whose changes the test delivers to
// the hosts it names: a host left out keeps its stale view, as a host does
// until gossip reaches it. They wait for outcomes (require.Eventually with
// generous bounds that only catch hangs); nothing asserts on timing.

const (
	ctlShards = 8
	settle    = 10 * time.Second
	pollEvery = 5 * time.Millisecond
)

func TestPlan(t *testing.T) {
	for _, c := range []struct {
		name             string
		states           map[int32]shardState
		assigned         []int32
		blocked          map[int32]bool
		acquire, release []int32
	}{
		{name: "nothing held, all assigned", assigned: []int32{3, 1, 2}, acquire: []int32{1, 2, 3}},
		{name: "all held", states: map[int32]shardState{1: shardOwned, 2: shardOwned}, assigned: []int32{1, 2}},
		{
			name:     "moves",
			states:   map[int32]shardState{1: shardOwned, 2: shardOwned, 3: shardOwned},
			assigned: []int32{2, 3, 4},
			acquire:  []int32{4}, release: []int32{1},
		},
		{
			name:     "transitions in progress are left alone",
			states:   map[int32]shardState{1: shardAcquiring, 2: shardReleasing, 3: shardAcquiring},
			assigned: []int32{1, 2},
		},
		{
			name:     "backoff delays acquisition only",
			states:   map[int32]shardState{5: shardOwned},
			assigned: []int32{1, 2}, blocked: map[int32]bool{1: true, 5: true},
			acquire: []int32{2}, release: []int32{5},
		},
		{name: "duplicates", assigned: []int32{2, 2}, acquire: []int32{2}},
		{name: "nothing assigned", states: map[int32]shardState{7: shardOwned, 8: shardAcquiring}, release: []int32{7}},
	} {
		t.Run(c.name, func(t *testing.T) {
			acquire, release := plan(c.states, c.assigned, c.blocked)
			require.Equal(t, c.acquire, acquire)
			require.Equal(t, c.release, release)
		})
	}
}

// fakeRing is a shard placement the test changes by hand.
type fakeRing struct {
	mu       sync.Mutex
	owners   map[int32]string
	dead     map[string]bool
	watchers map[string]chan ShardAssignment
}

func newFakeRing(owner string) *fakeRing {
	r := &fakeRing{owners: map[int32]string{}, dead: map[string]bool{}, watchers: map[string]chan ShardAssignment{}}
	for id := int32(1); id <= ctlShards; id++ {
		r.owners[id] = owner
	}
	return r
}

type fakeSource struct {
	r    *fakeRing
	self string
}

func (r *fakeRing) source(self string) ShardOwnership { return fakeSource{r, self} }

func (s fakeSource) Watch(int32) (<-chan ShardAssignment, func()) {
	ch := make(chan ShardAssignment, 1)
	s.r.mu.Lock()
	s.r.watchers[s.self] = ch
	ch <- s.r.assignmentLocked(s.self)
	s.r.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.r.mu.Lock()
			defer s.r.mu.Unlock()
			if s.r.watchers[s.self] == ch {
				delete(s.r.watchers, s.self)
			}
			close(ch)
		})
	}
}

func (r *fakeRing) assignmentLocked(self string) ShardAssignment {
	owners := maps.Clone(r.owners)
	var owned []int32
	for id, o := range owners {
		if o == self {
			owned = append(owned, id)
		}
	}
	slices.Sort(owned)
	dead := maps.Clone(r.dead)
	return ShardAssignment{
		Owned: owned,
		Owner: func(id int32) string { return owners[id] },
		Live:  func(host string) bool { return !dead[host] },
	}
}

// kill removes host from the ring as failure detection would (it is not
// told).
func (r *fakeRing) kill(host string) {
	r.mu.Lock()
	r.dead[host] = true
	r.mu.Unlock()
}

// move gives shards ids to owner, then tells the hosts in notify.
func (r *fakeRing) move(owner string, ids []int32, notify ...string) {
	r.mu.Lock()
	for _, id := range ids {
		r.owners[id] = owner
	}
	r.mu.Unlock()
	r.notify(notify...)
}

// notify delivers the current placement to hosts (replacing any
// assignment they have not read yet).
func (r *fakeRing) notify(hosts ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range hosts {
		ch := r.watchers[h]
		if ch == nil {
			continue
		}
		select {
		case <-ch:
		default:
		}
		ch <- r.assignmentLocked(h)
	}
}

func newSharedStores(t *testing.T) *persistence.Stores {
	t.Helper()
	stores, err := embedded.Open(t.Name(), embedded.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = stores.Close() })
	require.NoError(t, stores.Namespace.CreateNamespace(context.Background(), &persistencepb.NamespaceDetail{
		Info:   &namespacepb.NamespaceInfo{Id: testNSID, Name: testNS, State: enumspb.NAMESPACE_STATE_REGISTERED},
		Config: &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(24 * time.Hour)},
	}))
	return stores
}

type hostOptions struct {
	ctl    ControllerConfig
	scope  tally.Scope
	stores *persistence.Stores // overrides the shared stores (crash wrapper)
}

// newHost starts a history host named name over stores.
func newHost(t *testing.T, stores *persistence.Stores, name string, src ShardOwnership, o hostOptions) *Service {
	t.Helper()
	if o.stores != nil {
		stores = o.stores
	}
	c := clock.Real()
	s, err := NewService(Config{NumShards: ctlShards, Controller: o.ctl}, Deps{
		Stores: stores, Namespaces: namespace.NewRegistry(stores.Namespace, c, 0), Matching: nopMatching{},
		Clock: c, HostID: name, Ownership: src, Metrics: o.scope, Logger: zaptest.NewLogger(t).Named(name),
	})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(s.Stop)
	return s
}

func heldIDs(s *Service) []int32 {
	var ids []int32
	for _, st := range s.Shards() {
		ids = append(ids, st.ID)
	}
	return ids
}

func rangeIDs(s *Service) map[int32]int64 {
	out := map[int32]int64{}
	for _, st := range s.Shards() {
		out[st.ID] = st.RangeID
	}
	return out
}

func requireHeld(t *testing.T, s *Service, want []int32) {
	t.Helper()
	require.Eventually(t, func() bool { return slices.Equal(heldIDs(s), want) }, settle, pollEvery,
		"want shards %v held", want)
}

func shardRange(lo, hi int32) []int32 {
	var ids []int32
	for id := lo; id <= hi; id++ {
		ids = append(ids, id)
	}
	return ids
}

// workflowIDs returns perShard workflow IDs on each of shards 1..ctlShards.
func workflowIDs(prefix string, perShard int) map[int32][]string {
	out := map[int32][]string{}
	for i, full := 0, 0; full < ctlShards; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		sh := ShardID(testNSID, id, ctlShards)
		if len(out[sh]) < perShard {
			out[sh] = append(out[sh], id)
			if len(out[sh]) == perShard {
				full++
			}
		}
	}
	return out
}

func signal(s *Service, ex *commonpb.WorkflowExecution, requestID string) error {
	_, err := s.SignalWorkflowExecution(context.Background(), &historyservice.SignalWorkflowExecutionRequest{
		NamespaceId: testNSID,
		Request: &workflowservice.SignalWorkflowExecutionRequest{
			Namespace: testNS, WorkflowExecution: ex, SignalName: "ping", RequestId: requestID,
		},
	})
	return err
}

func describeRun(s *Service, ex *commonpb.WorkflowExecution) error {
	_, err := s.DescribeWorkflowExecution(context.Background(), &historyservice.DescribeWorkflowExecutionRequest{
		NamespaceId: testNSID, Request: &workflowservice.DescribeWorkflowExecutionRequest{Namespace: testNS, Execution: ex},
	})
	return err
}

var completeCmd = &commandpb.Command{
	CommandType: enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
	Attributes:  &commandpb.Command_CompleteWorkflowExecutionCommandAttributes{CompleteWorkflowExecutionCommandAttributes: &commandpb.CompleteWorkflowExecutionCommandAttributes{}},
}

func requireCompleted(t *testing.T, s *Service, ex *commonpb.WorkflowExecution) {
	t.Helper()
	events := history(t, s, ex)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, events[len(events)-1].EventType, "workflow %s", ex.WorkflowId)
}

func requireNotOwned(t *testing.T, err error, owner string) {
	t.Helper()
	require.Error(t, err)
	got, ok := historyservice.AsShardNotOwned(err)
	require.True(t, ok, "want ShardNotOwnedError, got %v", err)
	require.Equal(t, owner, got, "owner named by %v", err)
}

func counter(scope tally.TestScope, name string) int64 {
	var n int64
	for _, c := range scope.Snapshot().Counters() {
		if c.Name() == "history."+name {
			n += c.Value()
		}
	}
	return n
}

// Host A owns all 8 shards; the ring moves shards 1-4 to host B. B
// acquires them (bumping their range), A releases them, and workflows
// started on A continue on B.
func TestControllerMovesShards(t *testing.T) {
	stores := newSharedStores(t)
	r := newFakeRing("A")
	scopeA, scopeB := tally.NewTestScope("", nil), tally.NewTestScope("", nil)
	a := newHost(t, stores, "A", r.source("A"), hostOptions{scope: scopeA})
	b := newHost(t, stores, "B", r.source("B"), hostOptions{scope: scopeB})
	requireHeld(t, a, shardRange(1, 8))
	require.Empty(t, heldIDs(b))
	before := rangeIDs(a)

	ids := workflowIDs("move", 1)
	runs := map[int32]*commonpb.WorkflowExecution{}
	for sh := int32(1); sh <= ctlShards; sh++ {
		ex := start(t, a, ids[sh][0])
		completeTask(t, a, ex) // no commands: the run waits for a signal
		runs[sh] = ex
	}

	r.move("B", shardRange(1, 4), "A", "B")
	requireHeld(t, b, shardRange(1, 4))
	requireHeld(t, a, shardRange(5, 8))
	after := rangeIDs(b)
	for id := int32(1); id <= 4; id++ {
		require.Equal(t, before[id]+1, after[id], "shard %d range", id)
		info, err := stores.Shard.GetOrCreateShard(context.Background(), &persistencepb.ShardInfo{ShardId: id})
		require.NoError(t, err)
		require.Equal(t, "B", info.Owner)
		require.Equal(t, after[id], info.RangeId)
	}
	require.Equal(t, int64(4), counter(scopeA, metricShardReleased))
	require.Equal(t, int64(4), counter(scopeB, metricShardAcquired))
	// The handoff was graceful: B waited for A's release, so A's last
	// ack levels were persisted and nothing of A's was fenced.
	require.Zero(t, counter(scopeA, queues.MetricAckPersistErrors))
	require.Zero(t, counter(scopeA, metricShardOwnershipLost))
	require.Zero(t, counter(scopeB, metricShardHandoffTimeouts))

	for sh, ex := range runs {
		owner, other, otherName := a, b, "A"
		if sh <= 4 {
			owner, other, otherName = b, a, "B"
		}
		// The host that does not own the shard names the one that does.
		requireNotOwned(t, signal(other, ex, "wrong-host"), otherName)
		requireNotOwned(t, describeRun(other, ex), otherName)
		require.NoError(t, signal(owner, ex, "sig"))
		completeTask(t, owner, ex, completeCmd)
		requireCompleted(t, owner, ex)
		require.Equal(t, 1, count(history(t, owner, ex), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))
	}
	require.Positive(t, counter(scopeA, metricShardNotOwned))

	// And back: A takes shards 1-4 again.
	r.move("A", shardRange(1, 4), "A", "B")
	requireHeld(t, a, shardRange(1, 8))
	requireHeld(t, b, nil)
	for id, rid := range rangeIDs(a) {
		if id <= 4 {
			require.Equal(t, after[id]+1, rid, "shard %d range", id)
		}
	}
}

// After B acquired a shard, A (not told yet) still holds it with the old
// range: every write A attempts there is rejected by the store, A drops
// the shard, and none of those writes is visible.
func TestControllerFencesStaleOwner(t *testing.T) {
	ctx := context.Background()
	stores := newSharedStores(t)
	r := newFakeRing("A")
	// A long retry interval: A must not take the shard back on its own
	// while its view is stale.
	// B waits for A's release only briefly: A, not told, never releases.
	ctl := ControllerConfig{RetryInterval: time.Hour, HandoffTimeout: time.Millisecond}
	scopeA, scopeB := tally.NewTestScope("", nil), tally.NewTestScope("", nil)
	a := newHost(t, stores, "A", r.source("A"), hostOptions{ctl: ctl, scope: scopeA})
	b := newHost(t, stores, "B", r.source("B"), hostOptions{ctl: ctl, scope: scopeB})
	const moved = int32(3)
	ids := workflowIDs("fence", 6)[moved]
	var runs []*commonpb.WorkflowExecution
	snapshots := map[string]*persistencepb.WorkflowMutableState{}
	for _, id := range ids {
		ex := start(t, a, id)
		completeTask(t, a, ex)
		runs = append(runs, ex)
	}
	oldRange := rangeIDs(a)[moved]

	r.move("B", []int32{moved}, "B") // A is not told
	requireHeld(t, b, []int32{moved})
	require.Equal(t, int64(1), counter(scopeB, metricShardHandoffTimeouts))
	require.Contains(t, heldIDs(a), moved, "A's view is stale: it still holds the shard")
	newRange := rangeIDs(b)[moved]
	require.Equal(t, oldRange+1, newRange)
	for _, ex := range runs {
		st, err := stores.Execution.GetWorkflowExecution(ctx, moved, testNSID, ex.WorkflowId, ex.RunId)
		require.NoError(t, err)
		snapshots[ex.WorkflowId] = st
	}

	// A writes to every run at once, through its API.
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, ex := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = signal(a, ex, "stale")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.Error(t, err, "A's write to %s was accepted", runs[i].WorkflowId)
		_, ok := historyservice.AsShardNotOwned(err)
		require.True(t, ok, "want ShardNotOwnedError, got %v", err)
	}
	require.Eventually(t, func() bool { return !slices.Contains(heldIDs(a), moved) }, settle, pollEvery, "A did not drop the shard")
	require.Equal(t, int64(1), counter(scopeA, metricShardOwnershipLost))
	// Still stale and in retry backoff, A does not steal the shard back.
	requireNotOwned(t, signal(a, runs[0], "stale-again"), "")

	// Nothing A wrote after B's acquisition is visible: the runs' states
	// are unchanged, no signal is in any history, and the shard record is
	// B's.
	applied := 0
	for _, ex := range runs {
		st, err := stores.Execution.GetWorkflowExecution(ctx, moved, testNSID, ex.WorkflowId, ex.RunId)
		require.NoError(t, err)
		before := snapshots[ex.WorkflowId]
		if st.DbRecordVersion != before.DbRecordVersion || st.NextEventId != before.NextEventId {
			applied++
		}
		applied += count(history(t, b, ex), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
	}
	require.Zero(t, applied, "writes by the fenced host that were applied")
	info, err := stores.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: moved})
	require.NoError(t, err)
	require.Equal(t, "B", info.Owner)
	require.Equal(t, newRange, info.RangeId)

	// Once told, A names B; B serves the runs.
	r.notify("A")
	require.Eventually(t, func() bool {
		owner, ok := historyservice.AsShardNotOwned(signal(a, runs[0], "told"))
		return ok && owner == "B"
	}, settle, pollEvery)
	for _, ex := range runs {
		require.NoError(t, signal(b, ex, "sig"))
		completeTask(t, b, ex, completeCmd)
		requireCompleted(t, b, ex)
	}
}

// A host asked about a shard it was never assigned answers
// ShardNotOwnedError naming the owner; one with no assignment at all (a
// ring without it) names nobody.
func TestControllerNotOwnedNamesOwner(t *testing.T) {
	stores := newSharedStores(t)
	r := newFakeRing("A")
	r.move("B", shardRange(5, 8))
	a := newHost(t, stores, "A", r.source("A"), hostOptions{})
	b := newHost(t, stores, "B", r.source("B"), hostOptions{})
	requireHeld(t, a, shardRange(1, 4))
	requireHeld(t, b, shardRange(5, 8))
	ids := workflowIDs("owner", 1)
	for sh := int32(1); sh <= ctlShards; sh++ {
		req := &historyservice.StartWorkflowExecutionRequest{NamespaceId: testNSID, Request: startRequest(ids[sh][0])}
		wrong, want := b, "A"
		if sh > 4 {
			wrong, want = a, "B"
		}
		_, err := wrong.StartWorkflowExecution(context.Background(), req)
		requireNotOwned(t, err, want)
		var sno *historyservice.ShardNotOwnedError
		require.ErrorAs(t, err, &sno)
		require.Equal(t, sh, sno.ShardID)
	}
}

func startRequest(workflowID string) *workflowservice.StartWorkflowExecutionRequest {
	return &workflowservice.StartWorkflowExecutionRequest{
		Namespace: testNS, WorkflowId: workflowID, WorkflowType: &commonpb.WorkflowType{Name: "W"},
		TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}, RequestId: "start-" + workflowID,
	}
}

// gatedShardStore holds acquisitions (UpdateShard) until the test opens
// the gate.
type gatedShardStore struct {
	persistence.ShardStore
	entered chan int32
	gate    chan struct{}
}

func (g *gatedShardStore) UpdateShard(ctx context.Context, info *persistencepb.ShardInfo, prev int64) error {
	select {
	case g.entered <- info.ShardId:
	default:
	}
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.ShardStore.UpdateShard(ctx, info, prev)
}

// A request for a shard being acquired waits for the acquisition (up to
// AcquireWait), then proceeds; past AcquireWait it gets Unavailable.
func TestControllerRequestsWaitForAcquisition(t *testing.T) {
	for _, c := range []struct {
		name  string
		wait  time.Duration
		waits bool
	}{
		{name: "waits", wait: time.Hour, waits: true},
		{name: "bounded", wait: time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			stores := newSharedStores(t)
			gated := *stores
			g := &gatedShardStore{ShardStore: stores.Shard, entered: make(chan int32, ctlShards), gate: make(chan struct{})}
			gated.Shard = g
			r := newFakeRing("A")
			a := newHost(t, stores, "A", r.source("A"), hostOptions{})
			b := newHost(t, stores, "B", r.source("B"), hostOptions{stores: &gated, ctl: ControllerConfig{AcquireWait: c.wait}})
			ex := start(t, a, workflowIDs("wait", 1)[1][0])

			r.move("B", []int32{1}, "A", "B")
			require.Equal(t, int32(1), <-g.entered) // B is acquiring shard 1
			done := make(chan error, 1)
			go func() { done <- describeRun(b, ex) }()
			if !c.waits {
				err := <-done
				require.Error(t, err)
				_, notOwned := historyservice.AsShardNotOwned(err)
				require.False(t, notOwned, "a shard being acquired is not another host's: %v", err)
				require.Contains(t, err.Error(), "being acquired")
				close(g.gate)
				requireHeld(t, b, []int32{1})
				require.NoError(t, describeRun(b, ex))
				return
			}
			close(g.gate)
			require.NoError(t, <-done)
		})
	}
}

// crashStores makes every write of one host fail once it "crashes": its
// process is gone, nothing it would write lands, and it releases nothing.
type crashStores struct {
	dead atomic.Bool
}

var errCrashed = fmt.Errorf("host crashed: %w", persistence.ErrUnavailable)

func (c *crashStores) wrap(s *persistence.Stores) *persistence.Stores {
	cp := *s
	cp.Shard = crashShardStore{s.Shard, c}
	cp.Execution = crashExecutionStore{s.Execution, c}
	cp.History = crashHistoryStore{s.History, c}
	return &cp
}

type crashShardStore struct {
	persistence.ShardStore
	c *crashStores
}

func (s crashShardStore) GetOrCreateShard(ctx context.Context, i *persistencepb.ShardInfo) (*persistencepb.ShardInfo, error) {
	if s.c.dead.Load() {
		return nil, errCrashed
	}
	return s.ShardStore.GetOrCreateShard(ctx, i)
}

func (s crashShardStore) UpdateShard(ctx context.Context, i *persistencepb.ShardInfo, prev int64) error {
	if s.c.dead.Load() {
		return errCrashed
	}
	return s.ShardStore.UpdateShard(ctx, i, prev)
}

type crashExecutionStore struct {
	persistence.ExecutionStore
	c *crashStores
}

func (s crashExecutionStore) CreateWorkflowExecution(ctx context.Context, req *persistence.CreateWorkflowExecutionRequest) error {
	if s.c.dead.Load() {
		return errCrashed
	}
	return s.ExecutionStore.CreateWorkflowExecution(ctx, req)
}

func (s crashExecutionStore) UpdateWorkflowExecution(ctx context.Context, req *persistence.UpdateWorkflowExecutionRequest) error {
	if s.c.dead.Load() {
		return errCrashed
	}
	return s.ExecutionStore.UpdateWorkflowExecution(ctx, req)
}

func (s crashExecutionStore) WriteShardBatch(ctx context.Context, req *persistence.ShardBatchRequest) error {
	if s.c.dead.Load() {
		return errCrashed
	}
	return s.ExecutionStore.WriteShardBatch(ctx, req)
}

func (s crashExecutionStore) DeleteWorkflowExecution(ctx context.Context, shardID int32, nsID, wfID, runID string) error {
	if s.c.dead.Load() {
		return errCrashed
	}
	return s.ExecutionStore.DeleteWorkflowExecution(ctx, shardID, nsID, wfID, runID)
}

func (s crashExecutionStore) RangeCompleteHistoryTasks(ctx context.Context, shardID int32, cat persistencepb.TaskCategory, lo, hi persistence.TaskKey) error {
	if s.c.dead.Load() {
		return errCrashed
	}
	return s.ExecutionStore.RangeCompleteHistoryTasks(ctx, shardID, cat, lo, hi)
}

type crashHistoryStore struct {
	persistence.HistoryStore
	c *crashStores
}

func (s crashHistoryStore) AppendHistoryNodes(ctx context.Context, req *persistence.AppendHistoryNodesRequest) (int, error) {
	if s.c.dead.Load() {
		return 0, errCrashed
	}
	return s.HistoryStore.AppendHistoryNodes(ctx, req)
}

func (s crashHistoryStore) DeleteHistoryBranch(ctx context.Context, shardID int32, branch []byte) error {
	if s.c.dead.Load() {
		return errCrashed
	}
	return s.HistoryStore.DeleteHistoryBranch(ctx, shardID, branch)
}

// Host A crashes holding every shard (no release, nothing written after
// the crash); when the ring drops it, B acquires every shard and every
// workflow completes, timers set on A firing on B.
func TestControllerCrashedOwner(t *testing.T) {
	stores := newSharedStores(t)
	crash := &crashStores{}
	r := newFakeRing("A")
	a := newHost(t, stores, "A", r.source("A"), hostOptions{stores: crash.wrap(stores)})
	b := newHost(t, stores, "B", r.source("B"), hostOptions{})
	requireHeld(t, a, shardRange(1, 8))

	var runs, timed []*commonpb.WorkflowExecution
	for sh, ids := range workflowIDs("crash", 2) {
		for i, id := range ids {
			ex := start(t, a, id)
			runs = append(runs, ex)
			if i == 0 {
				// One run per shard waits on a timer that fires after
				// the crash, on the new owner.
				completeTask(t, a, ex, &commandpb.Command{
					CommandType: enumspb.COMMAND_TYPE_START_TIMER,
					Attributes: &commandpb.Command_StartTimerCommandAttributes{StartTimerCommandAttributes: &commandpb.StartTimerCommandAttributes{
						TimerId: fmt.Sprintf("t%d", sh), StartToFireTimeout: durationpb.New(time.Second),
					}},
				})
				timed = append(timed, ex)
			}
		}
	}

	crash.dead.Store(true)
	r.kill("A")
	r.move("B", shardRange(1, 8), "B") // the ring drops A; A hears nothing
	requireHeld(t, b, shardRange(1, 8))
	for _, ex := range runs {
		completeTask(t, b, ex, completeCmd)
		requireCompleted(t, b, ex)
	}
	for _, ex := range timed {
		require.Equal(t, 1, count(history(t, b, ex), enumspb.EVENT_TYPE_TIMER_FIRED), "workflow %s", ex.WorkflowId)
	}
	// Whatever the zombie A still tries is fenced or lost with it.
	for _, ex := range runs[:2] {
		require.Error(t, signal(a, ex, "zombie"))
	}
}

// Releasing a shard drains it: new transactions are refused at once, a
// running one finishes and commits, the queues stop; the new owner
// acquires the shard only then.
func TestControllerReleaseDrainsInFlight(t *testing.T) {
	stores := newSharedStores(t)
	r := newFakeRing("A")
	scopeA := tally.NewTestScope("", nil)
	// Drain for as long as it takes: the test decides when the
	// transaction ends.
	a := newHost(t, stores, "A", r.source("A"), hostOptions{scope: scopeA, ctl: ControllerConfig{DrainTimeout: time.Hour}})
	b := newHost(t, stores, "B", r.source("B"), hostOptions{ctl: ControllerConfig{HandoffTimeout: time.Hour}})
	ids := workflowIDs("drain", 2)[2]
	ex, probe := start(t, a, ids[0]), start(t, a, ids[1])
	completeTask(t, a, ex)
	sh, err := a.shardFor(context.Background(), testNSID, ex.WorkflowId)
	require.NoError(t, err)

	// Hold a transaction open on the run while the shard moves.
	inTxn := make(chan struct{})
	finish := make(chan struct{})
	txnErr := make(chan error, 1)
	go func() {
		txnErr <- sh.updateRun(context.Background(), runKey{testNSID, ex.WorkflowId, ex.RunId}, func(ms *workflow.MutableState) error {
			close(inTxn)
			<-finish
			ms.AddSignal(&historypb.WorkflowExecutionSignaledEventAttributes{SignalName: "ping", RequestId: "in-flight"})
			return nil
		})
	}()
	<-inTxn
	r.move("B", []int32{2}, "A", "B")
	// A refuses new transactions on the shard at once (naming B) while the
	// running one keeps its lock...
	require.Eventually(t, func() bool {
		owner, ok := historyservice.AsShardNotOwned(describeRun(a, probe))
		return ok && owner == "B"
	}, settle, pollEvery)
	requireNotOwned(t, signal(a, ex, "new"), "B")
	require.Zero(t, counter(scopeA, metricShardReleased), "released before the transaction drained")
	require.Empty(t, heldIDs(b), "B acquired the shard before A released it")
	// ...which then commits: B acquires only after A's release.
	close(finish)
	require.NoError(t, <-txnErr)
	requireHeld(t, a, []int32{1, 3, 4, 5, 6, 7, 8})
	requireHeld(t, b, []int32{2})
	require.Equal(t, 1, count(history(t, b, ex), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))
	require.Zero(t, counter(scopeA, metricShardOwnershipLost))
}

// A host whose idle shard another host acquired (and released again)
// learns it from the periodic record check, without a write: it drops the
// shard and, since the ring still gives it the shard, acquires it again
// with a newer range.
func TestControllerVerifiesIdleShards(t *testing.T) {
	ctx := context.Background()
	stores := newSharedStores(t)
	r := newFakeRing("A")
	scope := tally.NewTestScope("", nil)
	a := newHost(t, stores, "A", r.source("A"), hostOptions{scope: scope, ctl: ControllerConfig{
		RetryInterval: 20 * time.Millisecond, VerifyInterval: 50 * time.Millisecond,
	}})
	requireHeld(t, a, shardRange(1, 8))
	held := rangeIDs(a)[3]

	// Another host takes shard 3 behind A's back and lets it go.
	info, err := stores.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: 3})
	require.NoError(t, err)
	stolen := cloneShardInfo(info)
	stolen.RangeId, stolen.Owner = info.RangeId+1, ""
	require.NoError(t, stores.Shard.UpdateShard(ctx, stolen, info.RangeId))

	require.Eventually(t, func() bool { return rangeIDs(a)[3] > stolen.RangeId }, settle, pollEvery,
		"A should notice the lost shard and acquire it again (range %d, stolen at %d)", held, stolen.RangeId)
	require.Equal(t, int64(1), counter(scope, metricShardOwnershipLost))
	info, err = stores.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: 3})
	require.NoError(t, err)
	require.Equal(t, "A", info.Owner)
}
