package history

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// gatedStore records how many writes each store call carried; the first
// call waits for gate, so that the writes submitted meanwhile queue.
// (testing/synctest cannot host it: pebble's commit pipeline shares
// WaitGroups with goroutines outside the bubble.)
type gatedStore struct {
	persistence.ExecutionStore
	gate chan struct{}

	mu    sync.Mutex
	calls []int
}

func (g *gatedStore) record(n int) {
	g.mu.Lock()
	first := len(g.calls) == 0
	g.calls = append(g.calls, n)
	g.mu.Unlock()
	if first {
		<-g.gate
	}
}

func (g *gatedStore) CreateWorkflowExecution(ctx context.Context, req *persistence.CreateWorkflowExecutionRequest) error {
	g.record(1)
	return g.ExecutionStore.CreateWorkflowExecution(ctx, req)
}

func (g *gatedStore) UpdateWorkflowExecution(ctx context.Context, req *persistence.UpdateWorkflowExecutionRequest) error {
	g.record(1)
	return g.ExecutionStore.UpdateWorkflowExecution(ctx, req)
}

func (g *gatedStore) WriteShardBatch(ctx context.Context, req *persistence.ShardBatchRequest) error {
	g.record(len(req.Writes))
	return g.ExecutionStore.WriteShardBatch(ctx, req)
}

func (g *gatedStore) recorded() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.calls...)
}

func (c *committer) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// yieldUntil yields until cond holds: the goroutines it waits for make
// progress without any clock.
func yieldUntil(cond func() bool) {
	for !cond() {
		runtime.Gosched()
	}
}

func commitTestState(wf, run string, version int64) *persistencepb.WorkflowMutableState {
	return &persistencepb.WorkflowMutableState{
		ExecutionInfo: &persistencepb.WorkflowExecutionInfo{
			NamespaceId: testNSID, WorkflowId: wf, RunId: run, CreateRequestId: "req-" + run,
			VersionHistories: &persistencepb.VersionHistories{Histories: []*persistencepb.VersionHistory{{
				Items: []*persistencepb.VersionHistoryItem{{EventId: 2, Version: 1}},
			}}},
		},
		ExecutionState: &persistencepb.ExecutionState{
			State:  persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING,
			Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		},
		NextEventId:     3,
		DbRecordVersion: version,
	}
}

// TestCommitterCoalesces submits transactions on one shard while a write
// is in flight: they are written together, and each gets its own outcome,
// including a stale update and a create whose workflow ID is taken.
func TestCommitterCoalesces(t *testing.T) {
	stores, err := embedded.Open(t.Name(), embedded.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = stores.Close() })
	ctx := context.Background()
	const shard = 1
	_, err = stores.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: shard, RangeId: 1})
	require.NoError(t, err)

	// Runs 0..7 exist at version 1; "taken" has a current run.
	const runs = 8
	states := make([]*persistencepb.WorkflowMutableState, runs)
	for i := range states {
		states[i] = commitTestState(fmt.Sprintf("wf-%d", i), fmt.Sprintf("run-%d", i), 1)
		require.NoError(t, stores.Execution.CreateWorkflowExecution(ctx, &persistence.CreateWorkflowExecutionRequest{
			ShardID: shard, RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: states[i]},
		}))
	}
	require.NoError(t, stores.Execution.CreateWorkflowExecution(ctx, &persistence.CreateWorkflowExecutionRequest{
		ShardID: shard, RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: commitTestState("taken", "taken-1", 1)},
	}))

	const stale = 3
	writes := make([]persistence.ShardWrite, 0, runs+2)
	for i, st := range states {
		next := proto.Clone(st).(*persistencepb.WorkflowMutableState)
		next.DbRecordVersion++
		if i == stale {
			next.DbRecordVersion++ // skips a version: its condition fails
		}
		next.ExecutionInfo.Identity = "committed"
		writes = append(writes, persistence.ShardWrite{Update: &persistence.UpdateWorkflowExecutionRequest{
			ShardID: shard, RangeID: 1, Workflow: persistence.WorkflowSnapshot{State: next},
		}})
	}
	const fresh, conflict = runs, runs + 1
	writes = append(writes,
		persistence.ShardWrite{Create: &persistence.CreateWorkflowExecutionRequest{
			ShardID: shard, RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: commitTestState("fresh", "fresh-1", 1)},
		}},
		persistence.ShardWrite{Create: &persistence.CreateWorkflowExecutionRequest{
			ShardID: shard, RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: commitTestState("taken", "taken-2", 1)},
		}},
	)

	scope := tally.NewTestScope("", nil)
	var (
		store *gatedStore
		errs  = make([]error, len(writes))
	)
	store = &gatedStore{ExecutionStore: stores.Execution, gate: make(chan struct{})}
	c := newCommitter(store, shard, CommitConfig{}, scope)
	var wg sync.WaitGroup
	submit := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.commit(ctx, 1, writes[i])
		}()
	}
	// The first write is in flight (held at the gate) ...
	submit(0)
	yieldUntil(func() bool { return len(store.recorded()) == 1 })
	// ... while the others queue behind it.
	for i := 1; i < len(writes); i++ {
		submit(i)
	}
	yieldUntil(func() bool { return c.queued() == len(writes)-1 })
	close(store.gate)
	wg.Wait()

	// One write alone, then the nine queued ones in one batch, which fails
	// on two writes' conditions, then the seven others again.
	require.Equal(t, []int{1, len(writes) - 1, len(writes) - 3}, store.recorded())
	require.Less(t, len(store.recorded()), len(writes))
	require.Equal(t, int64(len(store.recorded())), scope.Snapshot().Counters()[metricConditionalWrites+"+"].Value())

	for i, err := range errs {
		switch i {
		case stale:
			require.ErrorIs(t, err, persistence.ErrConditionFailed)
			require.Equal(t, states[i].DbRecordVersion, mustGetRun(t, stores, fmt.Sprintf("wf-%d", i), fmt.Sprintf("run-%d", i)).DbRecordVersion)
		case conflict:
			var cond *persistence.CurrentWorkflowConditionFailedError
			require.ErrorAs(t, err, &cond)
			require.Equal(t, "taken-1", cond.RunID)
		case fresh:
			require.NoError(t, err)
			mustGetRun(t, stores, "fresh", "fresh-1")
		default:
			require.NoError(t, err, "write %d", i)
			st := mustGetRun(t, stores, fmt.Sprintf("wf-%d", i), fmt.Sprintf("run-%d", i))
			require.Equal(t, int64(2), st.DbRecordVersion)
			require.Equal(t, "committed", st.ExecutionInfo.Identity)
		}
	}
}

func mustGetRun(t *testing.T, s *persistence.Stores, wf, run string) *persistencepb.WorkflowMutableState {
	t.Helper()
	st, err := s.Execution.GetWorkflowExecution(context.Background(), 1, testNSID, wf, run)
	require.NoError(t, err)
	return st
}

// TestCommitterOwnershipLost: a lost range fails every write of the batch
// with ShardOwnershipLost, and nothing lands.
func TestCommitterOwnershipLost(t *testing.T) {
	stores, err := embedded.Open(t.Name(), embedded.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = stores.Close() })
	ctx := context.Background()
	_, err = stores.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: 1, RangeId: 1})
	require.NoError(t, err)
	require.NoError(t, stores.Shard.UpdateShard(ctx, &persistencepb.ShardInfo{ShardId: 1, RangeId: 2}, 1))

	errs := make([]error, 5)
	store := &gatedStore{ExecutionStore: stores.Execution, gate: make(chan struct{})}
	c := newCommitter(store, 1, CommitConfig{}, tally.NoopScope)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.commit(ctx, 1, persistence.ShardWrite{Create: &persistence.CreateWorkflowExecutionRequest{
				ShardID: 1, RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: commitTestState(fmt.Sprintf("wf-%d", i), "r", 1)},
			}})
		}()
		if i == 0 {
			yieldUntil(func() bool { return len(store.recorded()) == 1 })
		}
	}
	yieldUntil(func() bool { return c.queued() == len(errs)-1 })
	close(store.gate)
	wg.Wait()
	require.Equal(t, []int{1, 4}, store.recorded())
	for i, err := range errs {
		require.True(t, persistence.IsShardOwnershipLost(err), "write %d: %v", i, err)
		_, gerr := stores.Execution.GetWorkflowExecution(ctx, 1, testNSID, fmt.Sprintf("wf-%d", i), "r")
		require.ErrorIs(t, gerr, persistence.ErrNotFound)
	}
}

// TestCommitterTake checks how a batch is cut from the queue.
func TestCommitterTake(t *testing.T) {
	req := func(wf string, rangeID int64, size int) *commitRequest {
		return &commitRequest{key: persistence.WorkflowKey{NamespaceID: "ns", WorkflowID: wf}, rangeID: rangeID, size: size}
	}
	names := func(rs []*commitRequest) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.key.WorkflowID)
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		cfg         CommitConfig
		queue       []*commitRequest
		batch, rest []string
	}{
		{name: "All", cfg: CommitConfig{MaxWrites: 10, MaxBytes: 100},
			queue: []*commitRequest{req("a", 1, 1), req("b", 1, 1), req("c", 1, 1)},
			batch: []string{"a", "b", "c"}},
		{name: "MaxWrites", cfg: CommitConfig{MaxWrites: 2, MaxBytes: 100},
			queue: []*commitRequest{req("a", 1, 1), req("b", 1, 1), req("c", 1, 1)},
			batch: []string{"a", "b"}, rest: []string{"c"}},
		{name: "GroupCommitOff", cfg: CommitConfig{MaxWrites: 1, MaxBytes: 100},
			queue: []*commitRequest{req("a", 1, 1), req("b", 1, 1)},
			batch: []string{"a"}, rest: []string{"b"}},
		// A workflow's second write waits, and so does every later write
		// of it, in order.
		{name: "SameWorkflowWaits", cfg: CommitConfig{MaxWrites: 10, MaxBytes: 100},
			queue: []*commitRequest{req("a", 1, 1), req("b", 1, 1), req("a", 1, 1), req("c", 1, 1)},
			batch: []string{"a", "b", "c"}, rest: []string{"a"}},
		{name: "SkippedWorkflowKeepsOrder", cfg: CommitConfig{MaxWrites: 10, MaxBytes: 10},
			queue: []*commitRequest{req("a", 1, 5), req("b", 1, 8), req("c", 1, 1), req("b", 1, 1)},
			batch: []string{"a", "c"}, rest: []string{"b", "b"}},
		{name: "MaxBytes", cfg: CommitConfig{MaxWrites: 10, MaxBytes: 10},
			queue: []*commitRequest{req("a", 1, 4), req("b", 1, 4), req("c", 1, 4)},
			batch: []string{"a", "b"}, rest: []string{"c"}},
		{name: "BigHeadAlone", cfg: CommitConfig{MaxWrites: 10, MaxBytes: 10},
			queue: []*commitRequest{req("a", 1, 50), req("b", 1, 1)},
			batch: []string{"a"}, rest: []string{"b"}},
		{name: "OtherRange", cfg: CommitConfig{MaxWrites: 10, MaxBytes: 100},
			queue: []*commitRequest{req("a", 1, 1), req("b", 2, 1), req("c", 1, 1)},
			batch: []string{"a", "c"}, rest: []string{"b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &committer{cfg: tc.cfg, queue: tc.queue}
			require.Equal(t, tc.batch, names(c.take()))
			require.Equal(t, tc.rest, names(c.queue))
		})
	}
}

func TestCommitConfigValidate(t *testing.T) {
	require.NoError(t, DefaultCommitConfig().Validate())
	require.NoError(t, CommitConfig{}.Validate())
	for _, bad := range []CommitConfig{
		{MaxWrites: -1}, {MaxWrites: persistence.MaxShardBatchWrites + 1},
		{MaxBytes: -1}, {MaxBytes: persistence.MaxShardBatchBytes + 1},
	} {
		err := bad.Validate()
		require.Error(t, err)
		require.Contains(t, err.Error(), "Commit.Max")
	}
}
