package embedded_test

import (
	"testing"
	"time"

	"github.com/cockroachdb/pebble/vfs"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

const crashShard int32 = 3

var crashTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func crashState(version int64) *persistencepb.WorkflowMutableState {
	return &persistencepb.WorkflowMutableState{
		ExecutionInfo:   &persistencepb.WorkflowExecutionInfo{NamespaceId: "ns", WorkflowId: "wf", RunId: "run"},
		ExecutionState:  &persistencepb.ExecutionState{State: persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING},
		DbRecordVersion: version,
	}
}

func crashTasks() persistence.Tasks {
	return persistence.Tasks{persistencepb.TaskCategory_TASK_CATEGORY_TIMER: {{
		Category: persistencepb.TaskCategory_TASK_CATEGORY_TIMER, TaskId: 1, VisibilityTime: timestamppb.New(crashTime),
	}}}
}

func crashTimers(t *testing.T, s *persistence.Stores) int {
	t.Helper()
	tasks, _, err := s.Execution.GetHistoryTasks(t.Context(), &persistence.GetHistoryTasksRequest{
		ShardID: crashShard, Category: persistencepb.TaskCategory_TASK_CATEGORY_TIMER,
		MaxKey: persistence.TaskKey{FireTime: crashTime.Add(time.Hour)}, BatchSize: 10,
	})
	require.NoError(t, err)
	return len(tasks)
}

func crashBranch(t *testing.T) []byte {
	b, err := proto.Marshal(&persistencepb.HistoryBranch{TreeId: "tree", BranchId: "branch"})
	require.NoError(t, err)
	return b
}

func crashEvents(t *testing.T, s *persistence.Stores) int {
	t.Helper()
	resp, err := s.History.ReadHistoryBranch(t.Context(), &persistence.ReadHistoryBranchRequest{
		BranchToken: crashBranch(t), MinEventID: 1, MaxEventID: 100, PageSize: 100,
	})
	require.NoError(t, err)
	return len(resp.Events)
}

var crashQueue = persistence.TaskQueueKey{NamespaceID: "ns", Name: "tq", TaskType: 1}

func crashBacklog(t *testing.T, s *persistence.Stores) []*persistencepb.TaskQueueTask {
	t.Helper()
	tasks, err := s.Task.GetTasks(t.Context(), crashQueue, 0, 100, 100)
	require.NoError(t, err)
	return tasks
}

func crashQueueInfo(t *testing.T, s *persistence.Stores) *persistencepb.TaskQueueInfo {
	t.Helper()
	all, err := s.Task.ListTaskQueues(t.Context())
	require.NoError(t, err)
	require.Len(t, all, 1)
	return all[0]
}

func crashNamespace(version int64) *persistencepb.NamespaceDetail {
	return &persistencepb.NamespaceDetail{Info: &namespacepb.NamespaceInfo{Id: "ns", Name: "default"}, ConfigVersion: version}
}

func crashVisibility() *persistencepb.VisibilityRecord {
	return &persistencepb.VisibilityRecord{NamespaceId: "ns", Info: &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: "wf", RunId: "run"},
	}}
}

// TestCrashKeepsAcknowledgedWrites makes each kind of write the last one
// before a crash that drops everything not fsynced (kill -9 plus power
// loss), and checks the write survived.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	shard := func(t *testing.T, s *persistence.Stores) {
		_, err := s.Shard.GetOrCreateShard(t.Context(), &persistencepb.ShardInfo{ShardId: crashShard, RangeId: 1})
		require.NoError(t, err)
	}
	create := func(t *testing.T, s *persistence.Stores) {
		shard(t, s)
		require.NoError(t, s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: crashShard, RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: crashState(1), Tasks: crashTasks()},
		}))
	}
	appendHistory := func(t *testing.T, s *persistence.Stores) {
		_, err := s.History.AppendHistoryNodes(t.Context(), &persistence.AppendHistoryNodesRequest{
			BranchToken: crashBranch(t), Events: []*historypb.HistoryEvent{{EventId: 1}}, TransactionID: 1, IsNewBranch: true,
		})
		require.NoError(t, err)
	}
	lease := func(t *testing.T, s *persistence.Stores) {
		_, err := s.Task.LeaseTaskQueue(t.Context(), crashQueue, 0, -1)
		require.NoError(t, err)
	}
	createTasks := func(t *testing.T, s *persistence.Stores) {
		lease(t, s)
		require.NoError(t, s.Task.CreateTasks(t.Context(), crashQueue, 1, []*persistencepb.TaskQueueTask{{TaskId: 1}, {TaskId: 2}}))
	}
	createNamespace := func(t *testing.T, s *persistence.Stores) {
		require.NoError(t, s.Namespace.CreateNamespace(t.Context(), crashNamespace(1)))
	}
	enqueue := func(t *testing.T, s *persistence.Stores) {
		_, err := s.Queue.Enqueue(t.Context(), "q", []byte("a"))
		require.NoError(t, err)
		_, err = s.Queue.Enqueue(t.Context(), "q", []byte("b"))
		require.NoError(t, err)
	}
	upsert := func(t *testing.T, s *persistence.Stores) {
		require.NoError(t, s.Visibility.UpsertWorkflowExecution(t.Context(), crashVisibility()))
	}
	nothing := func(*testing.T, *persistence.Stores) {}

	for _, c := range []struct {
		name  string
		setup func(*testing.T, *persistence.Stores)
		write func(*testing.T, *persistence.Stores)
		check func(*testing.T, *persistence.Stores)
	}{
		{"GetOrCreateShard", nothing, shard, func(t *testing.T, s *persistence.Stores) {
			info, err := s.Shard.GetOrCreateShard(t.Context(), &persistencepb.ShardInfo{ShardId: crashShard, RangeId: 9})
			require.NoError(t, err)
			require.Equal(t, int64(1), info.RangeId)
		}},
		{"UpdateShard", shard, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: crashShard, RangeId: 2}, 1))
		}, func(t *testing.T, s *persistence.Stores) {
			err := s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: crashShard, RangeId: 2}, 1)
			require.True(t, persistence.IsShardOwnershipLost(err), "got %v", err)
		}},
		{"CreateWorkflowExecution", shard, create, func(t *testing.T, s *persistence.Stores) {
			_, err := s.Execution.GetCurrentExecution(t.Context(), crashShard, "ns", "wf")
			require.NoError(t, err)
			require.Equal(t, 1, crashTimers(t, s))
		}},
		{"UpdateWorkflowExecution", create, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.Execution.UpdateWorkflowExecution(t.Context(), &persistence.UpdateWorkflowExecutionRequest{
				ShardID: crashShard, RangeID: 1, Workflow: persistence.WorkflowSnapshot{State: crashState(2)},
			}))
		}, func(t *testing.T, s *persistence.Stores) {
			st, err := s.Execution.GetWorkflowExecution(t.Context(), crashShard, "ns", "wf", "run")
			require.NoError(t, err)
			require.Equal(t, int64(2), st.DbRecordVersion)
		}},
		{"DeleteWorkflowExecution", create, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.Execution.DeleteWorkflowExecution(t.Context(), crashShard, "ns", "wf", "run"))
		}, func(t *testing.T, s *persistence.Stores) {
			_, err := s.Execution.GetWorkflowExecution(t.Context(), crashShard, "ns", "wf", "run")
			require.ErrorIs(t, err, persistence.ErrNotFound)
		}},
		{"RangeCompleteHistoryTasks", create, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.Execution.RangeCompleteHistoryTasks(t.Context(), crashShard, persistencepb.TaskCategory_TASK_CATEGORY_TIMER,
				persistence.TaskKey{}, persistence.TaskKey{FireTime: crashTime.Add(time.Hour)}))
		}, func(t *testing.T, s *persistence.Stores) {
			require.Zero(t, crashTimers(t, s))
		}},
		{"AppendHistoryNodes", nothing, appendHistory, func(t *testing.T, s *persistence.Stores) {
			require.Equal(t, 1, crashEvents(t, s))
		}},
		{"DeleteHistoryBranch", appendHistory, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.History.DeleteHistoryBranch(t.Context(), 0, crashBranch(t)))
		}, func(t *testing.T, s *persistence.Stores) {
			require.Zero(t, crashEvents(t, s))
		}},
		{"LeaseTaskQueue", nothing, lease, func(t *testing.T, s *persistence.Stores) {
			require.Equal(t, int64(1), crashQueueInfo(t, s).RangeId)
		}},
		{"UpdateTaskQueue", lease, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.Task.UpdateTaskQueue(t.Context(), &persistencepb.TaskQueueInfo{NamespaceId: "ns", Name: "tq", TaskType: 1, RangeId: 1, AckLevel: 5}))
		}, func(t *testing.T, s *persistence.Stores) {
			require.Equal(t, int64(5), crashQueueInfo(t, s).AckLevel)
		}},
		{"CreateTasks", nothing, createTasks, func(t *testing.T, s *persistence.Stores) {
			require.Len(t, crashBacklog(t, s), 2)
		}},
		{"CompleteTasksLessThan", createTasks, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.Task.CompleteTasksLessThan(t.Context(), crashQueue, 2))
		}, func(t *testing.T, s *persistence.Stores) {
			require.Len(t, crashBacklog(t, s), 1)
		}},
		{"CreateNamespace", nothing, createNamespace, func(t *testing.T, s *persistence.Stores) {
			_, err := s.Namespace.GetNamespaceByName(t.Context(), "default")
			require.NoError(t, err)
		}},
		{"UpdateNamespace", createNamespace, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.Namespace.UpdateNamespace(t.Context(), crashNamespace(2)))
		}, func(t *testing.T, s *persistence.Stores) {
			ns, err := s.Namespace.GetNamespaceByID(t.Context(), "ns")
			require.NoError(t, err)
			require.Equal(t, int64(2), ns.ConfigVersion)
		}},
		{"SaveClusterMetadata", nothing, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.ClusterMetadata.SaveClusterMetadata(t.Context(), &persistencepb.ClusterMetadata{ClusterName: "c", Version: 1}))
		}, func(t *testing.T, s *persistence.Stores) {
			_, err := s.ClusterMetadata.GetClusterMetadata(t.Context(), "c")
			require.NoError(t, err)
		}},
		{"Enqueue", nothing, enqueue, func(t *testing.T, s *persistence.Stores) {
			msgs, err := s.Queue.Read(t.Context(), "q", -1, 10)
			require.NoError(t, err)
			require.Len(t, msgs, 2)
		}},
		{"DeleteBefore", enqueue, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.Queue.DeleteBefore(t.Context(), "q", 2))
		}, func(t *testing.T, s *persistence.Stores) {
			msgs, err := s.Queue.Read(t.Context(), "q", -1, 10)
			require.NoError(t, err)
			require.Len(t, msgs, 1)
		}},
		{"UpsertVisibility", nothing, upsert, func(t *testing.T, s *persistence.Stores) {
			_, err := s.Visibility.GetWorkflowExecution(t.Context(), "ns", "wf", "run")
			require.NoError(t, err)
		}},
		{"DeleteVisibility", upsert, func(t *testing.T, s *persistence.Stores) {
			require.NoError(t, s.Visibility.DeleteWorkflowExecution(t.Context(), "ns", "wf", "run"))
		}, func(t *testing.T, s *persistence.Stores) {
			_, err := s.Visibility.GetWorkflowExecution(t.Context(), "ns", "wf", "run")
			require.ErrorIs(t, err, persistence.ErrNotFound)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := vfs.NewStrictMem()
			s, err := embedded.Open("db", embedded.Options{FS: fs})
			require.NoError(t, err)
			c.setup(t, s)
			c.write(t, s)

			fs.SetIgnoreSyncs(true)
			require.NoError(t, s.Close())
			fs.ResetToSyncedState()
			fs.SetIgnoreSyncs(false)

			s = openT(t, "db", embedded.Options{FS: fs})
			c.check(t, s)
		})
	}
}

// A store created in a fresh nested directory survives a crash right after
// its first write: every directory level was made durable.
func TestCrashAfterFirstOpenInNewDir(t *testing.T) {
	fs := vfs.NewStrictMem()
	s, err := embedded.Open("x/y/db", embedded.Options{FS: fs})
	require.NoError(t, err)
	id, err := s.Queue.Enqueue(t.Context(), "q", []byte("a"))
	require.NoError(t, err)

	fs.SetIgnoreSyncs(true)
	require.NoError(t, s.Close())
	fs.ResetToSyncedState()
	fs.SetIgnoreSyncs(false)

	s = openT(t, "x/y/db", embedded.Options{FS: fs})
	msgs, err := s.Queue.Read(t.Context(), "q", -1, 10)
	require.NoError(t, err)
	require.Equal(t, []persistence.QueueMessage{{ID: id, Payload: []byte("a")}}, msgs)
}
