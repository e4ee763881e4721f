package persistencetest

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Bounds that cover every task the suite writes.
var (
	allTransfer    = persistence.TaskKey{TaskID: 0}
	allTransferMax = persistence.TaskKey{TaskID: math.MaxInt64}
	allTimers      = persistence.TaskKey{FireTime: time.Unix(0, 0).UTC(), TaskID: 0}
	allTimersMax   = persistence.TaskKey{FireTime: baseTime.Add(24 * time.Hour), TaskID: 0}
)

// readTasks pages through [min, max) with batchSize and checks the paging
// contract on the way: no page is larger than batchSize, a page that has a
// token is not empty, and the last page has none.
func readTasks(t *testing.T, s *persistence.Stores, shardID int32, c persistencepb.TaskCategory, min, max persistence.TaskKey, batchSize int) []*persistencepb.HistoryTask {
	t.Helper()
	var (
		all   []*persistencepb.HistoryTask
		token []byte
	)
	for page := 0; ; page++ {
		require.Less(t, page, 10000, "paging does not end")
		tasks, next, err := s.Execution.GetHistoryTasks(t.Context(), &persistence.GetHistoryTasksRequest{
			ShardID: shardID, Category: c, MinKey: min, MaxKey: max, BatchSize: batchSize, NextPageToken: token,
		})
		require.NoError(t, err)
		require.LessOrEqual(t, len(tasks), batchSize)
		all = append(all, tasks...)
		if len(next) == 0 {
			return all
		}
		require.NotEmpty(t, tasks, "a page with a next-page token is empty")
		token = next
	}
}

func requireTaskIDs(t *testing.T, want []int64, tasks []*persistencepb.HistoryTask) {
	t.Helper()
	got := make([]int64, 0, len(tasks))
	for _, task := range tasks {
		got = append(got, task.TaskId)
	}
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	require.Equal(t, want, got)
}

func testHistoryTasks(t *testing.T, s *persistence.Stores) {
	transfer := persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER
	timer := persistencepb.TaskCategory_TASK_CATEGORY_TIMER

	t.Run("TransferInTaskIDOrder", func(t *testing.T) {
		r := newRun(createShard(t, s))
		written := map[int64]*persistencepb.HistoryTask{}
		var createTasks []*persistencepb.HistoryTask
		for _, id := range []int64{5, 1, 3} {
			task := transferTask(r, id)
			written[id] = task
			createTasks = append(createTasks, task)
		}
		v1 := newState(r, 1)
		createRun(t, s, r, 1, v1, persistence.Tasks{transfer: createTasks})
		var updateTasks []*persistencepb.HistoryTask
		for _, id := range []int64{4, 2, 6} {
			task := transferTask(r, id)
			task.Type = persistencepb.TaskType_TASK_TYPE_ACTIVITY_TASK
			written[id] = task
			updateTasks = append(updateTasks, task)
		}
		require.NoError(t, s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(r, 1, nextVersion(v1), persistence.Tasks{transfer: updateTasks})))

		for _, batch := range []int{1, 2, 4, 6, 100} {
			got := readTasks(t, s, r.shardID, transfer, allTransfer, allTransferMax, batch)
			requireTaskIDs(t, []int64{1, 2, 3, 4, 5, 6}, got)
			for _, task := range got {
				requireProtoEqual(t, written[task.TaskId], task)
			}
		}
		// Bounds: min inclusive, max exclusive.
		requireTaskIDs(t, []int64{2, 3, 4}, readTasks(t, s, r.shardID, transfer, persistence.TaskKey{TaskID: 2}, persistence.TaskKey{TaskID: 5}, 100))
		requireTaskIDs(t, nil, readTasks(t, s, r.shardID, transfer, persistence.TaskKey{TaskID: 7}, allTransferMax, 100))

		// Exact pages: 6 tasks in pages of 4 are 4 then 2.
		page, token, err := s.Execution.GetHistoryTasks(t.Context(), &persistence.GetHistoryTasksRequest{
			ShardID: r.shardID, Category: transfer, MinKey: allTransfer, MaxKey: allTransferMax, BatchSize: 4,
		})
		require.NoError(t, err)
		requireTaskIDs(t, []int64{1, 2, 3, 4}, page)
		require.NotEmpty(t, token)
		page, token, err = s.Execution.GetHistoryTasks(t.Context(), &persistence.GetHistoryTasksRequest{
			ShardID: r.shardID, Category: transfer, MinKey: allTransfer, MaxKey: allTransferMax, BatchSize: 4, NextPageToken: token,
		})
		require.NoError(t, err)
		requireTaskIDs(t, []int64{5, 6}, page)
		require.Empty(t, token)
	})

	t.Run("TimersInFireTimeOrder", func(t *testing.T) {
		r := newRun(createShard(t, s))
		at := baseTime.Add
		tasks := []*persistencepb.HistoryTask{
			timerTask(r, at(10*time.Second), 9),
			timerTask(r, at(5*time.Second), 7),
			timerTask(r, at(5*time.Second), 2),
			timerTask(r, at(time.Hour), 1),
			timerTask(r, at(-time.Hour), 100),
		}
		createRun(t, s, r, 1, newState(r, 1), persistence.Tasks{timer: tasks})

		for _, batch := range []int{1, 2, 5, 100} {
			got := readTasks(t, s, r.shardID, timer, allTimers, allTimersMax, batch)
			requireTaskIDs(t, []int64{100, 2, 7, 9, 1}, got)
			requireProtoEqual(t, tasks[0], got[3])
		}
		// (fire time, task ID) bounds.
		requireTaskIDs(t, []int64{2, 7}, readTasks(t, s, r.shardID, timer,
			persistence.TaskKey{FireTime: at(5 * time.Second)}, persistence.TaskKey{FireTime: at(10 * time.Second), TaskID: 9}, 100))
		requireTaskIDs(t, []int64{7, 9}, readTasks(t, s, r.shardID, timer,
			persistence.TaskKey{FireTime: at(5 * time.Second), TaskID: 3}, persistence.TaskKey{FireTime: at(10 * time.Second), TaskID: 10}, 100))
		requireTaskIDs(t, []int64{100}, readTasks(t, s, r.shardID, timer, allTimers, persistence.TaskKey{FireTime: baseTime}, 100))
		// Timers are not transfer tasks.
		requireTaskIDs(t, nil, readTasks(t, s, r.shardID, transfer, allTransfer, allTransferMax, 100))
	})

	t.Run("CategoriesAndShardsAreSeparate", func(t *testing.T) {
		r := newRun(createShard(t, s))
		other := newRun(createShard(t, s))
		vis := persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY
		repl := persistencepb.TaskCategory_TASK_CATEGORY_REPLICATION
		createRun(t, s, r, 1, newState(r, 1), persistence.Tasks{
			transfer: {transferTask(r, 1)},
			vis:      {taskOf(r, vis, 2), taskOf(r, vis, 1)},
			repl:     {taskOf(r, repl, 3)},
		})
		createRun(t, s, other, 1, newState(other, 1), persistence.Tasks{transfer: {transferTask(other, 4)}})
		requireTaskIDs(t, []int64{1}, readTasks(t, s, r.shardID, transfer, allTransfer, allTransferMax, 10))
		requireTaskIDs(t, []int64{1, 2}, readTasks(t, s, r.shardID, vis, allTransfer, allTransferMax, 10))
		requireTaskIDs(t, []int64{3}, readTasks(t, s, r.shardID, repl, allTransfer, allTransferMax, 10))
		requireTaskIDs(t, []int64{4}, readTasks(t, s, other.shardID, transfer, allTransfer, allTransferMax, 10))
	})

	t.Run("RangeComplete", func(t *testing.T) {
		r := newRun(createShard(t, s))
		var tasks []*persistencepb.HistoryTask
		for id := int64(1); id <= 10; id++ {
			tasks = append(tasks, transferTask(r, id))
		}
		at := baseTime.Add
		createRun(t, s, r, 1, newState(r, 1), persistence.Tasks{
			transfer: tasks,
			timer: {
				timerTask(r, at(5*time.Second), 2),
				timerTask(r, at(5*time.Second), 7),
				timerTask(r, at(10*time.Second), 9),
				timerTask(r, at(10*time.Second), 10),
			},
		})

		require.NoError(t, s.Execution.RangeCompleteHistoryTasks(t.Context(), r.shardID, transfer, persistence.TaskKey{TaskID: 3}, persistence.TaskKey{TaskID: 7}))
		requireTaskIDs(t, []int64{1, 2, 7, 8, 9, 10}, readTasks(t, s, r.shardID, transfer, allTransfer, allTransferMax, 100))
		require.NoError(t, s.Execution.RangeCompleteHistoryTasks(t.Context(), r.shardID, transfer, allTransfer, persistence.TaskKey{TaskID: 2}))
		requireTaskIDs(t, []int64{2, 7, 8, 9, 10}, readTasks(t, s, r.shardID, transfer, allTransfer, allTransferMax, 100))

		// Timers: (fire time, task ID) keys, max exclusive.
		require.NoError(t, s.Execution.RangeCompleteHistoryTasks(t.Context(), r.shardID, timer,
			persistence.TaskKey{FireTime: at(5 * time.Second), TaskID: 3}, persistence.TaskKey{FireTime: at(10 * time.Second), TaskID: 10}))
		requireTaskIDs(t, []int64{2, 10}, readTasks(t, s, r.shardID, timer, allTimers, allTimersMax, 100))
		// Other categories are untouched by timer completion and vice versa.
		requireTaskIDs(t, []int64{2, 7, 8, 9, 10}, readTasks(t, s, r.shardID, transfer, allTransfer, allTransferMax, 100))

		require.NoError(t, s.Execution.RangeCompleteHistoryTasks(t.Context(), r.shardID, timer, allTimers, allTimersMax))
		requireTaskIDs(t, nil, readTasks(t, s, r.shardID, timer, allTimers, allTimersMax, 100))
	})
}
