package persistencetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// maxWritesPerWriter bounds the takeover race, so that a backend that never
// fences fails instead of hanging.
const maxWritesPerWriter = 10000

func testRaces(t *testing.T, s *persistence.Stores) {
	t.Run("UpdateShard", func(t *testing.T) {
		for range raceRounds {
			id := createShard(t, s)
			errs := race(raceWriters, func(i int) error {
				return s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: id, RangeId: 2, Owner: fmt.Sprintf("host-%d", i)}, 1)
			})
			winner := requireOneWinner(t, errs, persistence.IsShardOwnershipLost)
			info := readShard(t, s, id)
			require.Equal(t, int64(2), info.RangeId)
			require.Equal(t, fmt.Sprintf("host-%d", winner), info.Owner)
		}
	})

	t.Run("UpdateWorkflowExecution", func(t *testing.T) {
		for range raceRounds {
			r := newRun(createShard(t, s))
			v1 := newState(r, 1)
			createRun(t, s, r, 1, v1, nil)
			errs := race(raceWriters, func(i int) error {
				v2 := nextVersion(v1)
				v2.ExecutionInfo.Identity = fmt.Sprintf("writer-%d", i)
				return s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(r, 1, v2, persistence.Tasks{
					persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {transferTask(r, int64(100+i))},
				}))
			})
			winner := requireOneWinner(t, errs, isConditionFailed)
			st := getRun(t, s, r)
			require.Equal(t, fmt.Sprintf("writer-%d", winner), st.ExecutionInfo.Identity)
			require.Equal(t, int64(2), st.DbRecordVersion)
			// Only the winner's task was written.
			requireTaskIDs(t, []int64{int64(100 + winner)}, readTasks(t, s, r.shardID, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
		}
	})

	t.Run("CreateBrandNew", func(t *testing.T) {
		for range raceRounds {
			shard := createShard(t, s)
			r := newRun(shard)
			runs := make([]run, raceWriters)
			for i := range runs {
				runs[i] = r.nextRun()
			}
			errs := race(raceWriters, func(i int) error {
				return s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
					ShardID: shard, RangeID: 1, Mode: persistence.CreateModeBrandNew,
					NewWorkflow: persistence.WorkflowSnapshot{State: newState(runs[i], 1)},
				})
			})
			winner := requireOneWinner(t, errs, func(err error) bool {
				var cond *persistence.CurrentWorkflowConditionFailedError
				return errors.As(err, &cond)
			})
			for i, err := range errs {
				if i == winner {
					continue
				}
				var cond *persistence.CurrentWorkflowConditionFailedError
				require.ErrorAs(t, err, &cond)
				require.Equal(t, runs[winner].runID, cond.RunID, "loser %d names the winner", i)
				requireNoRun(t, s, runs[i])
			}
			require.Equal(t, runs[winner].runID, getCurrent(t, s, r).RunId)
			getRun(t, s, runs[winner])
		}
	})

	t.Run("LeaseTaskQueue", func(t *testing.T) {
		for range raceRounds {
			k := newTaskQueueKey()
			first, err := s.Task.LeaseTaskQueue(t.Context(), k, int32(enumspb.TASK_QUEUE_KIND_NORMAL), -1)
			require.NoError(t, err)
			leases := make([]*persistencepb.TaskQueueInfo, raceWriters)
			errs := race(raceWriters, func(i int) error {
				var err error
				leases[i], err = s.Task.LeaseTaskQueue(t.Context(), k, int32(enumspb.TASK_QUEUE_KIND_NORMAL), first.RangeId)
				return err
			})
			winner := requireOneWinner(t, errs, isConditionFailed)
			require.Equal(t, first.RangeId+1, leases[winner].RangeId)

			// Unconditional leases all succeed, each with its own range.
			errs = race(raceWriters, func(i int) error {
				var err error
				leases[i], err = s.Task.LeaseTaskQueue(t.Context(), k, int32(enumspb.TASK_QUEUE_KIND_NORMAL), -1)
				return err
			})
			seen := map[int64]bool{}
			for i, err := range errs {
				require.NoError(t, err)
				require.False(t, seen[leases[i].RangeId], "range %d handed out twice", leases[i].RangeId)
				seen[leases[i].RangeId] = true
				require.Greater(t, leases[i].RangeId, first.RangeId+1)
				require.LessOrEqual(t, leases[i].RangeId, first.RangeId+1+raceWriters)
			}
		}
	})

	t.Run("CreateNamespace", func(t *testing.T) {
		for range raceRounds {
			name := newID("name")
			errs := race(raceWriters, func(int) error {
				return s.Namespace.CreateNamespace(t.Context(), newNamespace(name))
			})
			requireOneWinner(t, errs, func(err error) bool { return errors.Is(err, persistence.ErrAlreadyExists) })
		}
	})

	// Writers keep updating their own runs while another host takes the
	// shard. Every acknowledged update must be stored, and no update that
	// started after the takeover returned may succeed.
	t.Run("ShardTakeoverFencesInFlightWriters", func(t *testing.T) {
		for range raceRounds {
			shardTakeoverRound(t, s)
		}
	})
}

// shardTakeoverRound is one round of ShardTakeoverFencesInFlightWriters.
func shardTakeoverRound(t *testing.T, s *persistence.Stores) {
	shard := createShard(t, s)
	runs := make([]run, raceWriters)
	states := make([]*persistencepb.WorkflowMutableState, raceWriters)
	for i := range runs {
		runs[i] = newRun(shard)
		states[i] = newState(runs[i], 1)
		createRun(t, s, runs[i], 1, states[i], nil)
	}
	var (
		taken   atomic.Bool
		warm    sync.WaitGroup
		done    sync.WaitGroup
		acked   = make([]int, raceWriters)
		late    = make([]int, raceWriters)
		lastErr = make([]error, raceWriters)
	)
	warm.Add(raceWriters)
	done.Add(raceWriters)
	for i := range runs {
		go func() {
			defer done.Done()
			st := states[i]
			for {
				if acked[i] == maxWritesPerWriter {
					lastErr[i] = errors.New("the takeover never fenced this writer out")
					return
				}
				afterTakeover := taken.Load()
				next := nextVersion(st)
				err := s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(runs[i], 1, next, nil))
				if err != nil {
					lastErr[i] = err
					if acked[i] < 2 {
						warm.Done()
					}
					return
				}
				if afterTakeover {
					late[i]++
				}
				st = next
				acked[i]++
				if acked[i] == 2 {
					warm.Done()
				}
			}
		}()
	}
	defer done.Wait() // on failure too: the writers must stop before the stores close
	warm.Wait()
	require.NoError(t, s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: shard, RangeId: 2, Owner: "new-owner"}, 1))
	taken.Store(true)
	// What the new owner sees once it holds the shard must not change
	// under it.
	seen := make([]int64, raceWriters)
	for i := range runs {
		seen[i] = getRun(t, s, runs[i]).DbRecordVersion
	}
	done.Wait()
	for i := range runs {
		requireShardOwnershipLost(t, lastErr[i], shard, 1, 2)
		require.Zero(t, late[i], "writer %d: update after takeover succeeded", i)
		stored := getRun(t, s, runs[i]).DbRecordVersion
		require.Equal(t, int64(1+acked[i]), stored, "writer %d: acknowledged updates lost", i)
		require.Equal(t, seen[i], stored, "writer %d: the old owner wrote after the takeover", i)
	}
}
