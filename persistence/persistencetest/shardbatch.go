package persistencetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func createWrite(r run, rangeID int64, mode persistence.CreateMode, prev run, prevVersion int64, st *persistencepb.WorkflowMutableState, tasks persistence.Tasks) persistence.ShardWrite {
	req := &persistence.CreateWorkflowExecutionRequest{
		ShardID: r.shardID, RangeID: rangeID, Mode: mode,
		NewWorkflow: persistence.WorkflowSnapshot{State: st, Tasks: tasks},
	}
	if mode == persistence.CreateModeUpdateCurrent {
		req.PreviousRunID, req.PreviousLastWriteVersion = prev.runID, prevVersion
	}
	return persistence.ShardWrite{Create: req}
}

func updateWrite(r run, rangeID int64, st *persistencepb.WorkflowMutableState, tasks persistence.Tasks) persistence.ShardWrite {
	return persistence.ShardWrite{Update: updateReq(r, rangeID, st, tasks)}
}

func transfers(ts ...*persistencepb.HistoryTask) persistence.Tasks {
	return persistence.Tasks{persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: ts}
}

// requireBatchErrs checks err is a *ShardBatchError whose outcomes satisfy
// want, one check per write.
func requireBatchErrs(t *testing.T, err error, want []func(error) bool) []error {
	t.Helper()
	var be *persistence.ShardBatchError
	require.ErrorAs(t, err, &be)
	require.Len(t, be.Errs, len(want))
	for i, ok := range want {
		require.True(t, ok(be.Errs[i]), "write %d: unexpected outcome %v", i, be.Errs[i])
	}
	return be.Errs
}

func isAborted(err error) bool { return errors.Is(err, persistence.ErrShardBatchAborted) }

func isCurrentConditionFailed(err error) bool {
	var cond *persistence.CurrentWorkflowConditionFailedError
	return errors.As(err, &cond)
}

func testShardBatch(t *testing.T, s *persistence.Stores) {
	t.Run("MixedCreatesAndUpdates", func(t *testing.T) {
		shard := createShard(t, s)
		// a: a current run, updated and closed.
		a := newRun(shard)
		a1 := newState(a, 1)
		createRun(t, s, a, 1, a1, nil)
		// b: continued as new in the batch (update with NewWorkflow).
		b := newRun(shard)
		b1 := newState(b, 1)
		createRun(t, s, b, 1, b1, nil)
		bNext := b.nextRun()
		// c: a zombie run (not current) of a workflow whose current run is c0.
		c0 := newRun(shard)
		c0st := newState(c0, 1)
		createRun(t, s, c0, 1, c0st, nil)
		c := c0.nextRun()
		c1 := newState(c, 2)
		c1.ExecutionState.State = persistencepb.WorkflowState_WORKFLOW_STATE_ZOMBIE
		require.NoError(t, s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: shard, RangeID: 1, Mode: persistence.CreateModeBypassCurrent,
			NewWorkflow: persistence.WorkflowSnapshot{State: c1},
		}))
		// d: brand new; e: a new run after a closed one.
		d := newRun(shard)
		e0 := newRun(shard)
		e0st := closed(newState(e0, 4), enumspb.WORKFLOW_EXECUTION_STATUS_FAILED)
		createRun(t, s, e0, 1, e0st, nil)
		e := e0.nextRun()

		a2 := closed(nextVersion(a1), enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED)
		b2 := closed(nextVersion(b1), enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
		b2.ExecutionInfo.NewExecutionRunId = bNext.runID
		bn := newState(bNext, 3)
		c2 := nextVersion(c1)
		dst := newState(d, 5)
		est := newState(e, 6)
		bw := updateWrite(b, 1, b2, transfers(transferTask(b, 11)))
		bw.Update.NewWorkflow = &persistence.WorkflowSnapshot{State: bn, Tasks: persistence.Tasks{
			persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {transferTask(bNext, 12)},
			persistencepb.TaskCategory_TASK_CATEGORY_TIMER:    {timerTask(bNext, baseTime.Add(30), 13)},
		}}
		require.NoError(t, s.Execution.WriteShardBatch(t.Context(), &persistence.ShardBatchRequest{
			ShardID: shard, RangeID: 1,
			Writes: []persistence.ShardWrite{
				updateWrite(a, 1, a2, transfers(transferTask(a, 10))),
				bw,
				updateWrite(c, 1, c2, nil),
				createWrite(d, 1, persistence.CreateModeBrandNew, run{}, 0, dst, transfers(transferTask(d, 14))),
				createWrite(e, 1, persistence.CreateModeUpdateCurrent, e0, 4, est, transfers(transferTask(e, 15))),
			},
		}))
		requireProtoEqual(t, a2, getRun(t, s, a))
		requireCurrent(t, s, a, a2, 1)
		requireProtoEqual(t, b2, getRun(t, s, b))
		requireProtoEqual(t, bn, getRun(t, s, bNext))
		requireCurrent(t, s, b, bn, 3)
		requireProtoEqual(t, c2, getRun(t, s, c))
		requireCurrent(t, s, c, c0st, 1)
		requireProtoEqual(t, dst, getRun(t, s, d))
		requireCurrent(t, s, d, dst, 5)
		requireProtoEqual(t, est, getRun(t, s, e))
		requireCurrent(t, s, e, est, 6)
		requireTaskIDs(t, []int64{10, 11, 12, 14, 15}, readTasks(t, s, shard, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
		requireTaskIDs(t, []int64{13}, readTasks(t, s, shard, persistencepb.TaskCategory_TASK_CATEGORY_TIMER, allTimers, allTimersMax, 100))
	})

	t.Run("OneConditionFailsNothingApplies", func(t *testing.T) {
		shard := createShard(t, s)
		a := newRun(shard)
		a1 := newState(a, 1)
		createRun(t, s, a, 1, a1, nil)
		b := newRun(shard)
		b1 := newState(b, 1)
		createRun(t, s, b, 1, b1, nil)
		c := newRun(shard)
		cst := newState(c, 1)
		// taken: its workflow ID already has a current run.
		taken := newRun(shard)
		takenSt := newState(taken, 8)
		createRun(t, s, taken, 1, takenSt, nil)
		again := taken.nextRun()

		a2 := nextVersion(a1)
		stale := nextVersion(nextVersion(b1)) // skips version 2
		writes := []persistence.ShardWrite{
			updateWrite(a, 1, a2, transfers(transferTask(a, 20))),
			updateWrite(b, 1, stale, transfers(transferTask(b, 21))),
			createWrite(c, 1, persistence.CreateModeBrandNew, run{}, 0, cst, transfers(transferTask(c, 22))),
			createWrite(again, 1, persistence.CreateModeBrandNew, run{}, 0, newState(again, 9), transfers(transferTask(again, 23))),
		}
		err := s.Execution.WriteShardBatch(t.Context(), &persistence.ShardBatchRequest{ShardID: shard, RangeID: 1, Writes: writes})
		errs := requireBatchErrs(t, err, []func(error) bool{isAborted, isConditionFailed, isAborted, isCurrentConditionFailed})
		var cond *persistence.CurrentWorkflowConditionFailedError
		require.ErrorAs(t, errs[3], &cond)
		require.Equal(t, taken.runID, cond.RunID)
		require.Equal(t, takenSt.ExecutionInfo.CreateRequestId, cond.CreateRequestID)
		require.Equal(t, int64(8), cond.LastWriteVersion)
		require.False(t, persistence.IsShardOwnershipLost(err))

		// All or nothing: no write of the batch landed.
		requireProtoEqual(t, a1, getRun(t, s, a))
		requireProtoEqual(t, b1, getRun(t, s, b))
		requireNoRun(t, s, c)
		requireNoCurrent(t, s, c)
		requireNoRun(t, s, again)
		requireCurrent(t, s, taken, takenSt, 8)
		require.Empty(t, readTasks(t, s, shard, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))

		// The aborted writes, resubmitted alone, apply.
		require.NoError(t, s.Execution.WriteShardBatch(t.Context(), &persistence.ShardBatchRequest{
			ShardID: shard, RangeID: 1, Writes: []persistence.ShardWrite{writes[0], writes[2]},
		}))
		requireProtoEqual(t, a2, getRun(t, s, a))
		requireProtoEqual(t, cst, getRun(t, s, c))
		requireCurrent(t, s, c, cst, 1)
		requireTaskIDs(t, []int64{20, 22}, readTasks(t, s, shard, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
	})

	t.Run("ExistingRunAndMissingRun", func(t *testing.T) {
		shard := createShard(t, s)
		a := newRun(shard)
		a1 := newState(a, 1)
		createRun(t, s, a, 1, a1, nil)
		missing := newRun(shard)
		ms := newState(missing, 1)
		ms.DbRecordVersion = 2
		err := s.Execution.WriteShardBatch(t.Context(), &persistence.ShardBatchRequest{
			ShardID: shard, RangeID: 1, Writes: []persistence.ShardWrite{
				// a exists already: a bypass create of it fails.
				createWrite(a, 1, persistence.CreateModeBypassCurrent, run{}, 0, nextVersion(a1), nil),
				updateWrite(missing, 1, ms, nil),
			},
		})
		requireBatchErrs(t, err, []func(error) bool{
			func(err error) bool { return errors.Is(err, persistence.ErrAlreadyExists) },
			func(err error) bool { return isConditionFailed(err) || errors.Is(err, persistence.ErrNotFound) },
		})
		requireProtoEqual(t, a1, getRun(t, s, a))
		requireNoRun(t, s, missing)
	})

	t.Run("FencedByRangeID", func(t *testing.T) {
		shard := createShard(t, s)
		a := newRun(shard)
		a1 := newState(a, 1)
		createRun(t, s, a, 1, a1, nil)
		require.NoError(t, s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: shard, RangeId: 2, Owner: "thief"}, 1))
		d := newRun(shard)
		err := s.Execution.WriteShardBatch(t.Context(), &persistence.ShardBatchRequest{
			ShardID: shard, RangeID: 1, Writes: []persistence.ShardWrite{
				updateWrite(a, 1, nextVersion(a1), transfers(transferTask(a, 30))),
				createWrite(d, 1, persistence.CreateModeBrandNew, run{}, 0, newState(d, 1), transfers(transferTask(d, 31))),
			},
		})
		requireShardOwnershipLost(t, err, shard, 1, 2)
		requireProtoEqual(t, a1, getRun(t, s, a))
		requireNoRun(t, s, d)
		requireNoCurrent(t, s, d)
		require.Empty(t, readTasks(t, s, shard, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
	})

	t.Run("InvalidBatches", func(t *testing.T) {
		shard := createShard(t, s)
		a := newRun(shard)
		a1 := newState(a, 1)
		createRun(t, s, a, 1, a1, nil)
		sibling := a.nextRun() // same workflow ID
		d := newRun(shard)
		bad := map[string]*persistence.ShardBatchRequest{
			"Empty": {ShardID: shard, RangeID: 1},
			"SameWorkflowTwice": {ShardID: shard, RangeID: 1, Writes: []persistence.ShardWrite{
				updateWrite(a, 1, nextVersion(a1), nil),
				createWrite(sibling, 1, persistence.CreateModeBypassCurrent, run{}, 0, newState(sibling, 1), nil),
			}},
			"OtherRange": {ShardID: shard, RangeID: 1, Writes: []persistence.ShardWrite{
				createWrite(d, 2, persistence.CreateModeBrandNew, run{}, 0, newState(d, 1), nil),
			}},
			"NeitherCreateNorUpdate": {ShardID: shard, RangeID: 1, Writes: []persistence.ShardWrite{{}}},
		}
		for name, req := range bad {
			err := s.Execution.WriteShardBatch(t.Context(), req)
			require.Error(t, err, name)
			var be *persistence.ShardBatchError
			require.False(t, errors.As(err, &be), "%s: %v", name, err)
		}
		requireProtoEqual(t, a1, getRun(t, s, a))
		requireNoRun(t, s, sibling)
		requireNoRun(t, s, d)
	})

	t.Run("LargeBatch", func(t *testing.T) {
		// Well past Cassandra's default batch_size_fail_threshold (50 KiB),
		// which single-partition batches are exempt from.
		shard := createShard(t, s)
		var (
			writes []persistence.ShardWrite
			runs   []run
			states []*persistencepb.WorkflowMutableState
		)
		for i := range 24 {
			r := newRun(shard)
			st := newState(r, 1)
			st.ExecutionInfo.WorkflowTypeName = strings.Repeat("x", 8<<10)
			runs, states = append(runs, r), append(states, st)
			writes = append(writes, createWrite(r, 1, persistence.CreateModeBrandNew, run{}, 0, st, transfers(transferTask(r, int64(100+i)))))
		}
		require.NoError(t, s.Execution.WriteShardBatch(t.Context(), &persistence.ShardBatchRequest{ShardID: shard, RangeID: 1, Writes: writes}))
		for i, r := range runs {
			requireProtoEqual(t, states[i], getRun(t, s, r))
		}
		require.Len(t, readTasks(t, s, shard, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100), 24)
	})

	t.Run("AtomicUnderRace", func(t *testing.T) {
		// Writers race batches updating the same two runs: exactly one
		// batch applies, and both runs carry its writes.
		for range raceRounds {
			shard := createShard(t, s)
			a, b := newRun(shard), newRun(shard)
			a1, b1 := newState(a, 1), newState(b, 1)
			createRun(t, s, a, 1, a1, nil)
			createRun(t, s, b, 1, b1, nil)
			errs := race(raceWriters, func(i int) error {
				a2, b2 := nextVersion(a1), nextVersion(b1)
				a2.ExecutionInfo.Identity = fmt.Sprintf("writer-%d", i)
				b2.ExecutionInfo.Identity = fmt.Sprintf("writer-%d", i)
				return s.Execution.WriteShardBatch(t.Context(), &persistence.ShardBatchRequest{
					ShardID: shard, RangeID: 1, Writes: []persistence.ShardWrite{
						updateWrite(a, 1, a2, transfers(transferTask(a, int64(100+2*i)))),
						updateWrite(b, 1, b2, transfers(transferTask(b, int64(101+2*i)))),
					},
				})
			})
			winner := requireOneWinner(t, errs, func(err error) bool {
				var be *persistence.ShardBatchError
				if !errors.As(err, &be) {
					return false
				}
				for _, e := range be.Errs {
					if !isConditionFailed(e) && !isAborted(e) {
						return false
					}
				}
				return true
			})
			want := fmt.Sprintf("writer-%d", winner)
			require.Equal(t, want, getRun(t, s, a).ExecutionInfo.Identity)
			require.Equal(t, want, getRun(t, s, b).ExecutionInfo.Identity)
			requireTaskIDs(t, []int64{int64(100 + 2*winner), int64(101 + 2*winner)},
				readTasks(t, s, shard, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
		}
	})
}
