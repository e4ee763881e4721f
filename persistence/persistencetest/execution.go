package persistencetest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func testExecution(t *testing.T, s *persistence.Stores) {
	t.Run("CreateBrandNew", func(t *testing.T) {
		r := newRun(createShard(t, s))
		st := newState(r, 7)
		createRun(t, s, r, 1, st, nil)
		requireProtoEqual(t, st, getRun(t, s, r))
		requireCurrent(t, s, r, st, 7)
	})

	t.Run("CreateBrandNewFindsCurrent", func(t *testing.T) {
		r := newRun(createShard(t, s))
		st := closed(newState(r, 7), enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED)
		createRun(t, s, r, 1, st, nil)

		second := r.nextRun()
		err := s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: r.shardID, RangeID: 1, Mode: persistence.CreateModeBrandNew,
			NewWorkflow: persistence.WorkflowSnapshot{
				State: newState(second, 8),
				Tasks: persistence.Tasks{persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {transferTask(second, 1)}},
			},
		})
		var cond *persistence.CurrentWorkflowConditionFailedError
		require.ErrorAs(t, err, &cond)
		require.Equal(t, r.runID, cond.RunID)
		require.Equal(t, st.ExecutionInfo.CreateRequestId, cond.CreateRequestID)
		require.Equal(t, persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED, cond.State)
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, cond.Status)
		require.Equal(t, int64(7), cond.LastWriteVersion)

		requireNoRun(t, s, second)
		requireCurrent(t, s, r, st, 7)
		require.Empty(t, readTasks(t, s, r.shardID, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
	})

	t.Run("CreateUpdateCurrent", func(t *testing.T) {
		r := newRun(createShard(t, s))
		first := closed(newState(r, 7), enumspb.WORKFLOW_EXECUTION_STATUS_FAILED)
		createRun(t, s, r, 1, first, nil)

		second := r.nextRun()
		st := newState(second, 9)
		bad := []struct {
			name        string
			prevRunID   string
			prevVersion int64
		}{
			{"WrongRun", newID("run"), 7},
			{"WrongVersion", r.runID, 6},
			{"NoPreviousRunID", "", 7},
		}
		for _, c := range bad {
			err := s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
				ShardID: r.shardID, RangeID: 1, Mode: persistence.CreateModeUpdateCurrent,
				PreviousRunID: c.prevRunID, PreviousLastWriteVersion: c.prevVersion,
				NewWorkflow: persistence.WorkflowSnapshot{State: st},
			})
			require.Error(t, err, c.name)
			if c.prevRunID != "" {
				var cond *persistence.CurrentWorkflowConditionFailedError
				require.ErrorAs(t, err, &cond, c.name)
				require.Equal(t, r.runID, cond.RunID, c.name)
				require.Equal(t, int64(7), cond.LastWriteVersion, c.name)
			}
			requireNoRun(t, s, second)
			requireCurrent(t, s, r, first, 7)
		}

		require.NoError(t, s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: r.shardID, RangeID: 1, Mode: persistence.CreateModeUpdateCurrent,
			PreviousRunID: r.runID, PreviousLastWriteVersion: 7,
			NewWorkflow: persistence.WorkflowSnapshot{State: st},
		}))
		requireProtoEqual(t, st, getRun(t, s, second))
		requireProtoEqual(t, first, getRun(t, s, r))
		requireCurrent(t, s, r, st, 9)
	})

	t.Run("CreateUpdateCurrentWithoutCurrent", func(t *testing.T) {
		r := newRun(createShard(t, s))
		err := s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: r.shardID, RangeID: 1, Mode: persistence.CreateModeUpdateCurrent,
			PreviousRunID: newID("run"), NewWorkflow: persistence.WorkflowSnapshot{State: newState(r, 1)},
		})
		var cond *persistence.CurrentWorkflowConditionFailedError
		require.ErrorAs(t, err, &cond)
		requireNoRun(t, s, r)
		requireNoCurrent(t, s, r)
	})

	t.Run("CreateBypassCurrent", func(t *testing.T) {
		r := newRun(createShard(t, s))
		// Without a current record: none is made.
		zombie := newState(r, 3)
		zombie.ExecutionState.State = persistencepb.WorkflowState_WORKFLOW_STATE_ZOMBIE
		require.NoError(t, s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: r.shardID, RangeID: 1, Mode: persistence.CreateModeBypassCurrent,
			NewWorkflow: persistence.WorkflowSnapshot{State: zombie},
		}))
		requireProtoEqual(t, zombie, getRun(t, s, r))
		requireNoCurrent(t, s, r)

		// With one: it is left alone.
		current := r.nextRun()
		cst := newState(current, 4)
		createRun(t, s, current, 1, cst, nil)
		other := r.nextRun()
		ost := newState(other, 5)
		ost.ExecutionState.State = persistencepb.WorkflowState_WORKFLOW_STATE_ZOMBIE
		require.NoError(t, s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: r.shardID, RangeID: 1, Mode: persistence.CreateModeBypassCurrent,
			NewWorkflow: persistence.WorkflowSnapshot{State: ost},
		}))
		requireProtoEqual(t, ost, getRun(t, s, other))
		requireCurrent(t, s, r, cst, 4)
	})

	t.Run("CreateExistingRunFails", func(t *testing.T) {
		r := newRun(createShard(t, s))
		st := newState(r, 1)
		createRun(t, s, r, 1, st, nil)
		again := nextVersion(st)
		err := s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: r.shardID, RangeID: 1, Mode: persistence.CreateModeBypassCurrent,
			NewWorkflow: persistence.WorkflowSnapshot{State: again},
		})
		require.Error(t, err)
		requireProtoEqual(t, st, getRun(t, s, r))
	})

	t.Run("CreateFencedByRangeID", func(t *testing.T) {
		shard := createShard(t, s)
		require.NoError(t, s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: shard, RangeId: 2}, 1))
		r := newRun(shard)
		for _, mode := range []persistence.CreateMode{persistence.CreateModeBrandNew, persistence.CreateModeBypassCurrent} {
			err := s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
				ShardID: shard, RangeID: 1, Mode: mode,
				NewWorkflow: persistence.WorkflowSnapshot{
					State: newState(r, 1),
					Tasks: persistence.Tasks{persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {transferTask(r, 1)}},
				},
			})
			requireShardOwnershipLost(t, err, shard, 1, 2)
			requireNoRun(t, s, r)
			requireNoCurrent(t, s, r)
			require.Empty(t, readTasks(t, s, shard, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
		}
		// A shard that was never created fences everyone.
		lost := newRun(newShardID())
		err := s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: lost.shardID, RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: newState(lost, 1)},
		})
		require.True(t, persistence.IsShardOwnershipLost(err), "got %v", err)
		requireNoRun(t, s, lost)
	})

	t.Run("UpdateConditionalOnDBRecordVersion", func(t *testing.T) {
		r := newRun(createShard(t, s))
		v1 := newState(r, 1)
		createRun(t, s, r, 1, v1, nil)

		v2 := nextVersion(v1)
		require.NoError(t, s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(r, 1, v2, nil)))
		requireProtoEqual(t, v2, getRun(t, s, r))

		// Replaying version 2, and skipping to version 4, both lose.
		replay := nextVersion(v1)
		replay.ExecutionInfo.Identity = "replayed"
		skip := nextVersion(nextVersion(v2))
		for _, st := range []*persistencepb.WorkflowMutableState{replay, skip} {
			err := s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(r, 1, st, persistence.Tasks{
				persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {transferTask(r, 50)},
			}))
			require.ErrorIs(t, err, persistence.ErrConditionFailed)
			require.False(t, persistence.IsShardOwnershipLost(err))
			requireProtoEqual(t, v2, getRun(t, s, r))
		}
		require.Empty(t, readTasks(t, s, r.shardID, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))

		v3 := nextVersion(v2)
		require.NoError(t, s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(r, 1, v3, nil)))
		requireProtoEqual(t, v3, getRun(t, s, r))
	})

	t.Run("UpdateMissingRun", func(t *testing.T) {
		r := newRun(createShard(t, s))
		st := newState(r, 1)
		st.DbRecordVersion = 2
		err := s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(r, 1, st, nil))
		require.Error(t, err)
		require.True(t, errors.Is(err, persistence.ErrConditionFailed) || errors.Is(err, persistence.ErrNotFound), "got %v", err)
		requireNoRun(t, s, r)
	})

	t.Run("UpdateFencedByRangeID", func(t *testing.T) {
		r := newRun(createShard(t, s))
		v1 := newState(r, 1)
		createRun(t, s, r, 1, v1, nil)
		// Another host takes the shard.
		require.NoError(t, s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: r.shardID, RangeId: 2, Owner: "thief"}, 1))

		v2 := nextVersion(v1)
		err := s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(r, 1, v2, persistence.Tasks{
			persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {transferTask(r, 11)},
			persistencepb.TaskCategory_TASK_CATEGORY_TIMER:    {timerTask(r, baseTime, 12)},
		}))
		requireShardOwnershipLost(t, err, r.shardID, 1, 2)
		requireProtoEqual(t, v1, getRun(t, s, r))
		require.Empty(t, readTasks(t, s, r.shardID, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
		require.Empty(t, readTasks(t, s, r.shardID, persistencepb.TaskCategory_TASK_CATEGORY_TIMER, allTimers, allTimersMax, 100))

		// The new owner writes the same update.
		require.NoError(t, s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(r, 2, v2, nil)))
		requireProtoEqual(t, v2, getRun(t, s, r))
	})

	t.Run("UpdateMovesCurrentState", func(t *testing.T) {
		r := newRun(createShard(t, s))
		v1 := newState(r, 1)
		createRun(t, s, r, 1, v1, nil)
		v2 := closed(nextVersion(v1), enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
		require.NoError(t, s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(r, 1, v2, nil)))
		requireCurrent(t, s, r, v2, 1)

		// A run that is not current leaves the current record alone.
		zr := r.nextRun()
		z1 := newState(zr, 2)
		z1.ExecutionState.State = persistencepb.WorkflowState_WORKFLOW_STATE_ZOMBIE
		require.NoError(t, s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: r.shardID, RangeID: 1, Mode: persistence.CreateModeBypassCurrent,
			NewWorkflow: persistence.WorkflowSnapshot{State: z1},
		}))
		z2 := closed(nextVersion(z1), enumspb.WORKFLOW_EXECUTION_STATUS_FAILED)
		require.NoError(t, s.Execution.UpdateWorkflowExecution(t.Context(), updateReq(zr, 1, z2, nil)))
		requireProtoEqual(t, z2, getRun(t, s, zr))
		requireCurrent(t, s, r, v2, 1)
	})

	t.Run("UpdateWithNewWorkflow", func(t *testing.T) {
		r := newRun(createShard(t, s))
		v1 := newState(r, 1)
		createRun(t, s, r, 1, v1, nil)

		next := r.nextRun()
		n1 := newState(next, 2)
		v2 := closed(nextVersion(v1), enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
		v2.ExecutionInfo.NewExecutionRunId = next.runID
		req := updateReq(r, 1, v2, persistence.Tasks{
			persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {taskOf(r, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, 20)},
		})
		req.NewWorkflow = &persistence.WorkflowSnapshot{State: n1, Tasks: persistence.Tasks{
			persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {transferTask(next, 21)},
			persistencepb.TaskCategory_TASK_CATEGORY_TIMER:    {timerTask(next, baseTime.Add(30), 22)},
		}}
		require.NoError(t, s.Execution.UpdateWorkflowExecution(t.Context(), req))
		requireProtoEqual(t, v2, getRun(t, s, r))
		requireProtoEqual(t, n1, getRun(t, s, next))
		requireCurrent(t, s, r, n1, 2)
		requireTaskIDs(t, []int64{20, 21}, readTasks(t, s, r.shardID, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
		requireTaskIDs(t, []int64{22}, readTasks(t, s, r.shardID, persistencepb.TaskCategory_TASK_CATEGORY_TIMER, allTimers, allTimersMax, 100))

		// A failed condition on the updated run writes neither run.
		third := r.nextRun()
		stale := closed(nextVersion(nextVersion(n1)), enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
		req = updateReq(next, 1, stale, nil)
		req.NewWorkflow = &persistence.WorkflowSnapshot{State: newState(third, 3), Tasks: persistence.Tasks{
			persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {transferTask(third, 30)},
		}}
		require.ErrorIs(t, s.Execution.UpdateWorkflowExecution(t.Context(), req), persistence.ErrConditionFailed)
		requireNoRun(t, s, third)
		requireProtoEqual(t, n1, getRun(t, s, next))
		requireCurrent(t, s, r, n1, 2)
		requireTaskIDs(t, []int64{20, 21}, readTasks(t, s, r.shardID, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, allTransfer, allTransferMax, 100))
	})

	t.Run("Delete", func(t *testing.T) {
		r := newRun(createShard(t, s))
		v1 := closed(newState(r, 1), enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED)
		createRun(t, s, r, 1, v1, nil)
		next := r.nextRun()
		n1 := newState(next, 1)
		require.NoError(t, s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
			ShardID: r.shardID, RangeID: 1, Mode: persistence.CreateModeUpdateCurrent,
			PreviousRunID: r.runID, PreviousLastWriteVersion: 1,
			NewWorkflow: persistence.WorkflowSnapshot{State: n1},
		}))

		// Deleting a run that is not current keeps the current record.
		require.NoError(t, s.Execution.DeleteWorkflowExecution(t.Context(), r.shardID, r.namespaceID, r.workflowID, r.runID))
		requireNoRun(t, s, r)
		requireCurrent(t, s, r, n1, 1)

		// Deleting the current run removes its current record too.
		require.NoError(t, s.Execution.DeleteWorkflowExecution(t.Context(), r.shardID, r.namespaceID, r.workflowID, next.runID))
		requireNoRun(t, s, next)
		requireNoCurrent(t, s, r)

		// Missing is not an error.
		require.NoError(t, s.Execution.DeleteWorkflowExecution(t.Context(), r.shardID, r.namespaceID, r.workflowID, next.runID))

		// The workflow ID is free again.
		third := r.nextRun()
		createRun(t, s, third, 1, newState(third, 1), nil)
	})

	t.Run("GetMissing", func(t *testing.T) {
		r := newRun(createShard(t, s))
		requireNoRun(t, s, r)
		requireNoCurrent(t, s, r)
	})

	t.Run("RunsAreScopedByShardAndNamespace", func(t *testing.T) {
		r := newRun(createShard(t, s))
		createRun(t, s, r, 1, newState(r, 1), nil)
		otherShard := r
		otherShard.shardID = createShard(t, s)
		requireNoRun(t, s, otherShard)
		requireNoCurrent(t, s, otherShard)
		otherNS := r
		otherNS.namespaceID = newID("ns")
		requireNoRun(t, s, otherNS)
		requireNoCurrent(t, s, otherNS)
		// The same workflow ID may start in another namespace.
		createRun(t, s, otherNS, 1, newState(otherNS, 1), nil)
	})
}
