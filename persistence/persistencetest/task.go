package persistencetest

import (
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func newTaskQueueKey() persistence.TaskQueueKey {
	return persistence.TaskQueueKey{
		NamespaceID: newID("ns"),
		Name:        newID("tq"),
		TaskType:    int32(enumspb.TASK_QUEUE_TYPE_WORKFLOW),
	}
}

func backlogTask(k persistence.TaskQueueKey, id int64) *persistencepb.TaskQueueTask {
	return &persistencepb.TaskQueueTask{
		TaskId:           id,
		NamespaceId:      k.NamespaceID,
		Execution:        &commonpb.WorkflowExecution{WorkflowId: "wf", RunId: "run"},
		ScheduledEventId: id * 10,
		CreateTime:       timestamppb.New(baseTime),
		Attempt:          1,
	}
}

// findTaskQueue returns k's record from ListTaskQueues, or nil.
func findTaskQueue(t *testing.T, s *persistence.Stores, k persistence.TaskQueueKey) *persistencepb.TaskQueueInfo {
	t.Helper()
	all, err := s.Task.ListTaskQueues(t.Context())
	require.NoError(t, err)
	var found *persistencepb.TaskQueueInfo
	for _, info := range all {
		if info.NamespaceId == k.NamespaceID && info.Name == k.Name && int32(info.TaskType) == k.TaskType {
			require.Nil(t, found, "task queue listed twice")
			found = info
		}
	}
	return found
}

func taskIDs(tasks []*persistencepb.TaskQueueTask) []int64 {
	ids := []int64{}
	for _, task := range tasks {
		ids = append(ids, task.TaskId)
	}
	return ids
}

func testTask(t *testing.T, s *persistence.Stores) {
	sticky := int32(enumspb.TASK_QUEUE_KIND_STICKY)
	normal := int32(enumspb.TASK_QUEUE_KIND_NORMAL)

	t.Run("Lease", func(t *testing.T) {
		k := newTaskQueueKey()
		require.Nil(t, findTaskQueue(t, s, k))

		info, err := s.Task.LeaseTaskQueue(t.Context(), k, normal, 0)
		require.NoError(t, err)
		require.Equal(t, k.NamespaceID, info.NamespaceId)
		require.Equal(t, k.Name, info.Name)
		require.Equal(t, k.TaskType, int32(info.TaskType))
		require.Equal(t, enumspb.TASK_QUEUE_KIND_NORMAL, info.Kind)
		require.Equal(t, int64(1), info.RangeId)

		info, err = s.Task.LeaseTaskQueue(t.Context(), k, normal, 1)
		require.NoError(t, err)
		require.Equal(t, int64(2), info.RangeId)

		// The holder of range 1 lost the lease.
		_, err = s.Task.LeaseTaskQueue(t.Context(), k, normal, 1)
		require.ErrorIs(t, err, persistence.ErrConditionFailed)
		_, err = s.Task.LeaseTaskQueue(t.Context(), k, normal, 5)
		require.ErrorIs(t, err, persistence.ErrConditionFailed)
		require.Equal(t, int64(2), findTaskQueue(t, s, k).RangeId)

		// prevRangeID < 0 takes it whatever the range.
		info, err = s.Task.LeaseTaskQueue(t.Context(), k, normal, -1)
		require.NoError(t, err)
		require.Equal(t, int64(3), info.RangeId)
		requireProtoEqual(t, info, findTaskQueue(t, s, k))

		// Queues differ by task type.
		act := k
		act.TaskType = int32(enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		info, err = s.Task.LeaseTaskQueue(t.Context(), act, normal, -1)
		require.NoError(t, err)
		require.Equal(t, int64(1), info.RangeId)
	})

	t.Run("UpdateFencedByRangeID", func(t *testing.T) {
		k := newTaskQueueKey()
		info, err := s.Task.LeaseTaskQueue(t.Context(), k, sticky, -1)
		require.NoError(t, err)
		require.Equal(t, enumspb.TASK_QUEUE_KIND_STICKY, info.Kind)

		upd := proto.Clone(info).(*persistencepb.TaskQueueInfo)
		upd.AckLevel = 42
		upd.LastUpdateTime = timestamppb.New(baseTime)
		upd.ExpiryTime = timestamppb.New(baseTime.Add(3600e9))
		require.NoError(t, s.Task.UpdateTaskQueue(t.Context(), upd))
		requireProtoEqual(t, upd, findTaskQueue(t, s, k))

		// A new lease keeps the ack level.
		leased, err := s.Task.LeaseTaskQueue(t.Context(), k, sticky, info.RangeId)
		require.NoError(t, err)
		require.Equal(t, int64(42), leased.AckLevel)

		stale := proto.Clone(upd).(*persistencepb.TaskQueueInfo)
		stale.AckLevel = 99
		require.ErrorIs(t, s.Task.UpdateTaskQueue(t.Context(), stale), persistence.ErrConditionFailed)
		require.Equal(t, int64(42), findTaskQueue(t, s, k).AckLevel)

		// No lease, no update.
		missing := &persistencepb.TaskQueueInfo{NamespaceId: newID("ns"), Name: newID("tq"), TaskType: enumspb.TASK_QUEUE_TYPE_WORKFLOW, RangeId: 1}
		require.Error(t, s.Task.UpdateTaskQueue(t.Context(), missing))
	})

	t.Run("Tasks", func(t *testing.T) {
		k := newTaskQueueKey()
		info, err := s.Task.LeaseTaskQueue(t.Context(), k, normal, -1)
		require.NoError(t, err)
		written := map[int64]*persistencepb.TaskQueueTask{}
		var batch []*persistencepb.TaskQueueTask
		for _, id := range []int64{3, 1, 2, 5, 4} {
			written[id] = backlogTask(k, id)
			batch = append(batch, written[id])
		}
		require.NoError(t, s.Task.CreateTasks(t.Context(), k, info.RangeId, batch[:3]))
		require.NoError(t, s.Task.CreateTasks(t.Context(), k, info.RangeId, batch[3:]))

		got, err := s.Task.GetTasks(t.Context(), k, 0, 100, 100)
		require.NoError(t, err)
		require.Equal(t, []int64{1, 2, 3, 4, 5}, taskIDs(got))
		for _, task := range got {
			requireProtoEqual(t, written[task.TaskId], task)
		}
		// (min, max] and batch size.
		got, err = s.Task.GetTasks(t.Context(), k, 1, 4, 100)
		require.NoError(t, err)
		require.Equal(t, []int64{2, 3, 4}, taskIDs(got))
		got, err = s.Task.GetTasks(t.Context(), k, 1, 100, 2)
		require.NoError(t, err)
		require.Equal(t, []int64{2, 3}, taskIDs(got))

		// Another task type of the same name sees none.
		other := k
		other.TaskType = int32(enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		got, err = s.Task.GetTasks(t.Context(), other, 0, 100, 100)
		require.NoError(t, err)
		require.Empty(t, got)

		require.NoError(t, s.Task.CompleteTasksLessThan(t.Context(), k, 3))
		got, err = s.Task.GetTasks(t.Context(), k, 0, 100, 100)
		require.NoError(t, err)
		require.Equal(t, []int64{3, 4, 5}, taskIDs(got))
	})

	t.Run("CreateTasksFencedByRangeID", func(t *testing.T) {
		k := newTaskQueueKey()
		// Without a lease nothing is written.
		require.Error(t, s.Task.CreateTasks(t.Context(), k, 1, []*persistencepb.TaskQueueTask{backlogTask(k, 1)}))
		first, err := s.Task.LeaseTaskQueue(t.Context(), k, normal, -1)
		require.NoError(t, err)
		_, err = s.Task.LeaseTaskQueue(t.Context(), k, normal, first.RangeId)
		require.NoError(t, err)
		err = s.Task.CreateTasks(t.Context(), k, first.RangeId, []*persistencepb.TaskQueueTask{backlogTask(k, 7), backlogTask(k, 8)})
		require.ErrorIs(t, err, persistence.ErrConditionFailed)
		got, err := s.Task.GetTasks(t.Context(), k, 0, 100, 100)
		require.NoError(t, err)
		require.Empty(t, got)
	})
}
