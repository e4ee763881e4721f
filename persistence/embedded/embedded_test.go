package embedded_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/persistence/persistencetest"
)

func openT(t *testing.T, dir string, opts embedded.Options) *persistence.Stores {
	t.Helper()
	s, err := embedded.Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformanceOnDisk(t *testing.T) {
	persistencetest.RunConformance(t, func(t *testing.T) *persistence.Stores {
		return openT(t, t.TempDir(), embedded.Options{})
	})
}

func TestConformanceInMemory(t *testing.T) {
	persistencetest.RunConformance(t, func(t *testing.T) *persistence.Stores {
		return openT(t, "", embedded.Options{InMemory: true})
	})
}

// TestConformanceSharedStore runs the suite twice against one store, as a
// shared Cassandra keyspace would: the cases must not depend on an empty
// store.
func TestConformanceSharedStore(t *testing.T) {
	s := openT(t, "", embedded.Options{InMemory: true})
	for range 2 {
		persistencetest.RunConformance(t, func(*testing.T) *persistence.Stores { return s })
	}
}

// fixture writes one of everything and checks it back.
type fixture struct {
	shardID     int32
	branchToken []byte
	namespace   *persistencepb.NamespaceDetail
	state       *persistencepb.WorkflowMutableState
	queueID     int64
}

func writeFixture(t *testing.T, s *persistence.Stores) fixture {
	t.Helper()
	ctx := t.Context()
	f := fixture{shardID: 7}
	_, err := s.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: f.shardID, RangeId: 1})
	require.NoError(t, err)
	require.NoError(t, s.Shard.UpdateShard(ctx, &persistencepb.ShardInfo{ShardId: f.shardID, RangeId: 2, Owner: "me"}, 1))

	f.state = &persistencepb.WorkflowMutableState{
		ExecutionInfo: &persistencepb.WorkflowExecutionInfo{NamespaceId: "ns-id", WorkflowId: "wf", RunId: "run", CreateRequestId: "req"},
		ExecutionState: &persistencepb.ExecutionState{
			State:  persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING,
			Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		},
		NextEventId:     3,
		DbRecordVersion: 1,
	}
	require.NoError(t, s.Execution.CreateWorkflowExecution(ctx, &persistence.CreateWorkflowExecutionRequest{
		ShardID: f.shardID, RangeID: 2,
		NewWorkflow: persistence.WorkflowSnapshot{State: f.state, Tasks: persistence.Tasks{
			persistencepb.TaskCategory_TASK_CATEGORY_TIMER: {{
				ShardId: f.shardID, Category: persistencepb.TaskCategory_TASK_CATEGORY_TIMER, TaskId: 9,
				VisibilityTime: timestamppb.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
			}},
		}},
	}))

	var err2 error
	f.branchToken, err2 = proto.Marshal(&persistencepb.HistoryBranch{TreeId: "tree", BranchId: "branch"})
	require.NoError(t, err2)
	_, err = s.History.AppendHistoryNodes(ctx, &persistence.AppendHistoryNodesRequest{
		ShardID: f.shardID, BranchToken: f.branchToken, TransactionID: 1, IsNewBranch: true,
		Events: []*historypb.HistoryEvent{{EventId: 1}, {EventId: 2}},
	})
	require.NoError(t, err)

	f.namespace = &persistencepb.NamespaceDetail{Info: &namespacepb.NamespaceInfo{Id: "ns-id", Name: "default"}, ConfigVersion: 1}
	require.NoError(t, s.Namespace.CreateNamespace(ctx, f.namespace))
	f.queueID, err = s.Queue.Enqueue(ctx, "dlq", []byte("msg"))
	require.NoError(t, err)
	return f
}

func checkFixture(t *testing.T, s *persistence.Stores, f fixture) {
	t.Helper()
	ctx := t.Context()
	st, err := s.Execution.GetWorkflowExecution(ctx, f.shardID, "ns-id", "wf", "run")
	require.NoError(t, err)
	require.True(t, proto.Equal(f.state, st))
	cur, err := s.Execution.GetCurrentExecution(ctx, f.shardID, "ns-id", "wf")
	require.NoError(t, err)
	require.Equal(t, "run", cur.RunId)

	tasks, _, err := s.Execution.GetHistoryTasks(ctx, &persistence.GetHistoryTasksRequest{
		ShardID: f.shardID, Category: persistencepb.TaskCategory_TASK_CATEGORY_TIMER,
		MaxKey: persistence.TaskKey{FireTime: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)}, BatchSize: 10,
	})
	require.NoError(t, err)
	require.Len(t, tasks, 1)

	h, err := s.History.ReadHistoryBranch(ctx, &persistence.ReadHistoryBranchRequest{
		ShardID: f.shardID, BranchToken: f.branchToken, MinEventID: 1, MaxEventID: 3, PageSize: 10,
	})
	require.NoError(t, err)
	require.Len(t, h.Events, 2)

	ns, err := s.Namespace.GetNamespaceByName(ctx, "default")
	require.NoError(t, err)
	require.True(t, proto.Equal(f.namespace, ns))
	msgs, err := s.Queue.Read(ctx, "dlq", -1, 10)
	require.NoError(t, err)
	require.Equal(t, []persistence.QueueMessage{{ID: f.queueID, Payload: []byte("msg")}}, msgs)

	// The range_id cache was rebuilt from disk: range 1 is fenced, 2 writes.
	next := proto.Clone(f.state).(*persistencepb.WorkflowMutableState)
	next.DbRecordVersion = 2
	err = s.Execution.UpdateWorkflowExecution(ctx, &persistence.UpdateWorkflowExecutionRequest{ShardID: f.shardID, RangeID: 1, Workflow: persistence.WorkflowSnapshot{State: next}})
	require.True(t, persistence.IsShardOwnershipLost(err), "got %v", err)
	require.NoError(t, s.Execution.UpdateWorkflowExecution(ctx, &persistence.UpdateWorkflowExecutionRequest{ShardID: f.shardID, RangeID: 2, Workflow: persistence.WorkflowSnapshot{State: next}}))

	// Queue IDs keep increasing across restarts.
	id, err := s.Queue.Enqueue(ctx, "dlq", []byte("after"))
	require.NoError(t, err)
	require.Greater(t, id, f.queueID)
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := embedded.Open(dir, embedded.Options{})
	require.NoError(t, err)
	f := writeFixture(t, s)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")

	s = openT(t, dir, embedded.Options{})
	checkFixture(t, s, f)
}

func TestOpenTwiceFails(t *testing.T) {
	dir := t.TempDir()
	openT(t, dir, embedded.Options{})
	_, err := embedded.Open(dir, embedded.Options{})
	require.Error(t, err)
}

func TestOptionsValidate(t *testing.T) {
	require.NoError(t, embedded.Options{}.Validate())
	require.NoError(t, embedded.DefaultOptions().Validate())
	require.ErrorContains(t, embedded.Options{CacheSizeBytes: -1}.Validate(), "CacheSizeBytes")
	require.ErrorContains(t, embedded.Options{MemTableSizeBytes: 10}.Validate(), "MemTableSizeBytes")
	_, err := embedded.Open("", embedded.Options{})
	require.Error(t, err)
}

func TestOpenCreatesNestedDir(t *testing.T) {
	dir := t.TempDir() + "/a/b/c"
	s := openT(t, dir, embedded.Options{})
	_, err := s.Queue.Enqueue(t.Context(), "q", nil)
	require.NoError(t, err)
}
