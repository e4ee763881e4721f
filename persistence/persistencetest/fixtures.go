package persistencetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// run names one workflow run on a shard.
type run struct {
	shardID                        int32
	namespaceID, workflowID, runID string
}

// newRun returns a fresh workflow ID and run on shardID.
func newRun(shardID int32) run {
	return run{shardID: shardID, namespaceID: newID("ns"), workflowID: newID("wf"), runID: newID("run")}
}

// nextRun is another run of the same workflow.
func (r run) nextRun() run {
	r.runID = newID("run")
	return r
}

// newState is a running run at db_record_version 1 whose last write
// version is lastWriteVersion.
func newState(r run, lastWriteVersion int64) *persistencepb.WorkflowMutableState {
	return &persistencepb.WorkflowMutableState{
		ExecutionInfo: &persistencepb.WorkflowExecutionInfo{
			NamespaceId:         r.namespaceID,
			WorkflowId:          r.workflowID,
			RunId:               r.runID,
			FirstExecutionRunId: r.runID,
			WorkflowTypeName:    "conformance-workflow",
			TaskQueue:           "conformance-queue",
			StartTime:           timestamppb.New(baseTime),
			CreateRequestId:     "request-" + r.runID,
			VersionHistories: &persistencepb.VersionHistories{
				Histories: []*persistencepb.VersionHistory{{
					BranchToken: []byte("branch-" + r.runID),
					Items:       []*persistencepb.VersionHistoryItem{{EventId: 3, Version: lastWriteVersion}},
				}},
			},
			RequestIds: map[string]*persistencepb.RequestRecord{
				"request-" + r.runID: {EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, EventId: 1},
			},
		},
		ExecutionState: &persistencepb.ExecutionState{
			State:  persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING,
			Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		},
		NextEventId: 4,
		ActivityInfos: map[int64]*persistencepb.ActivityInfo{
			3: {ScheduledEventId: 3, ActivityId: "a1", ActivityType: "act", TaskQueue: "conformance-queue", Attempt: 1},
		},
		TimerInfos: map[string]*persistencepb.TimerInfo{
			"t1": {TimerId: "t1", StartedEventId: 2, ExpiryTime: timestamppb.New(baseTime.Add(time.Minute))},
		},
		DbRecordVersion: 1,
	}
}

// nextVersion returns a copy of st one write later: db_record_version and
// next_event_id bumped.
func nextVersion(st *persistencepb.WorkflowMutableState) *persistencepb.WorkflowMutableState {
	n := proto.Clone(st).(*persistencepb.WorkflowMutableState)
	n.DbRecordVersion++
	n.NextEventId += 2
	n.ExecutionInfo.StateTransitionCount++
	return n
}

// closed returns a copy of st completed with status.
func closed(st *persistencepb.WorkflowMutableState, status enumspb.WorkflowExecutionStatus) *persistencepb.WorkflowMutableState {
	n := proto.Clone(st).(*persistencepb.WorkflowMutableState)
	n.ExecutionState = &persistencepb.ExecutionState{State: persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED, Status: status}
	n.ExecutionInfo.CloseTime = timestamppb.New(baseTime.Add(time.Hour))
	return n
}

func transferTask(r run, taskID int64) *persistencepb.HistoryTask {
	return &persistencepb.HistoryTask{
		ShardId:        r.shardID,
		Category:       persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER,
		Type:           persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK,
		TaskId:         taskID,
		VisibilityTime: timestamppb.New(baseTime),
		NamespaceId:    r.namespaceID,
		WorkflowId:     r.workflowID,
		RunId:          r.runID,
		EventId:        2,
		TaskQueue:      "conformance-queue",
	}
}

func timerTask(r run, fire time.Time, taskID int64) *persistencepb.HistoryTask {
	return &persistencepb.HistoryTask{
		ShardId:        r.shardID,
		Category:       persistencepb.TaskCategory_TASK_CATEGORY_TIMER,
		Type:           persistencepb.TaskType_TASK_TYPE_USER_TIMER,
		TaskId:         taskID,
		VisibilityTime: timestamppb.New(fire),
		NamespaceId:    r.namespaceID,
		WorkflowId:     r.workflowID,
		RunId:          r.runID,
		EventId:        5,
	}
}

func taskOf(r run, c persistencepb.TaskCategory, taskID int64) *persistencepb.HistoryTask {
	t := transferTask(r, taskID)
	t.Category = c
	return t
}

// createRun writes st as a brand-new workflow on r's shard at rangeID.
func createRun(t *testing.T, s *persistence.Stores, r run, rangeID int64, st *persistencepb.WorkflowMutableState, tasks persistence.Tasks) {
	t.Helper()
	require.NoError(t, s.Execution.CreateWorkflowExecution(t.Context(), &persistence.CreateWorkflowExecutionRequest{
		ShardID:     r.shardID,
		RangeID:     rangeID,
		Mode:        persistence.CreateModeBrandNew,
		NewWorkflow: persistence.WorkflowSnapshot{State: st, Tasks: tasks},
	}))
}

func updateReq(r run, rangeID int64, st *persistencepb.WorkflowMutableState, tasks persistence.Tasks) *persistence.UpdateWorkflowExecutionRequest {
	return &persistence.UpdateWorkflowExecutionRequest{
		ShardID:  r.shardID,
		RangeID:  rangeID,
		Workflow: persistence.WorkflowSnapshot{State: st, Tasks: tasks},
	}
}

func getRun(t *testing.T, s *persistence.Stores, r run) *persistencepb.WorkflowMutableState {
	t.Helper()
	st, err := s.Execution.GetWorkflowExecution(t.Context(), r.shardID, r.namespaceID, r.workflowID, r.runID)
	require.NoError(t, err)
	return st
}

func requireNoRun(t *testing.T, s *persistence.Stores, r run) {
	t.Helper()
	_, err := s.Execution.GetWorkflowExecution(t.Context(), r.shardID, r.namespaceID, r.workflowID, r.runID)
	require.ErrorIs(t, err, persistence.ErrNotFound)
}

func getCurrent(t *testing.T, s *persistence.Stores, r run) *persistencepb.CurrentExecution {
	t.Helper()
	cur, err := s.Execution.GetCurrentExecution(t.Context(), r.shardID, r.namespaceID, r.workflowID)
	require.NoError(t, err)
	return cur
}

func requireNoCurrent(t *testing.T, s *persistence.Stores, r run) {
	t.Helper()
	_, err := s.Execution.GetCurrentExecution(t.Context(), r.shardID, r.namespaceID, r.workflowID)
	require.ErrorIs(t, err, persistence.ErrNotFound)
}

// requireCurrent checks the current record points at st's run with st's
// state, status, create request ID and last write version.
func requireCurrent(t *testing.T, s *persistence.Stores, r run, st *persistencepb.WorkflowMutableState, lastWriteVersion int64) {
	t.Helper()
	cur := getCurrent(t, s, r)
	require.Equal(t, st.ExecutionInfo.RunId, cur.RunId)
	require.Equal(t, st.ExecutionInfo.CreateRequestId, cur.CreateRequestId)
	require.Equal(t, st.ExecutionState.State, cur.State)
	require.Equal(t, st.ExecutionState.Status, cur.Status)
	require.Equal(t, lastWriteVersion, cur.LastWriteVersion)
}
