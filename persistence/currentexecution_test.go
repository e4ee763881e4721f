package persistence

import (
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func versionedState(current int32, histories ...[]int64) *persistencepb.WorkflowMutableState {
	vh := &persistencepb.VersionHistories{CurrentIndex: current}
	for _, versions := range histories {
		h := &persistencepb.VersionHistory{}
		for i, v := range versions {
			h.Items = append(h.Items, &persistencepb.VersionHistoryItem{EventId: int64(i + 1), Version: v})
		}
		vh.Histories = append(vh.Histories, h)
	}
	return &persistencepb.WorkflowMutableState{ExecutionInfo: &persistencepb.WorkflowExecutionInfo{VersionHistories: vh}}
}

func TestLastWriteVersion(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   *persistencepb.WorkflowMutableState
		want int64
	}{
		{name: "NilState", st: nil, want: 0},
		{name: "NoHistories", st: versionedState(0), want: 0},
		{name: "EmptyCurrentHistory", st: versionedState(0, nil), want: 0},
		{name: "LastItemOfCurrent", st: versionedState(1, []int64{1, 7}, []int64{1, 3, 5}), want: 5},
		{name: "FirstHistoryCurrent", st: versionedState(0, []int64{1, 7}, []int64{1, 3, 5}), want: 7},
		{name: "IndexPastEnd", st: versionedState(2, []int64{1, 7}, []int64{1, 3, 5}), want: 0},
		{name: "NegativeIndex", st: versionedState(-1, []int64{1, 7}), want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, LastWriteVersion(tc.st))
		})
	}
}

func TestNewAndSyncCurrentExecution(t *testing.T) {
	st := versionedState(0, []int64{1, 4})
	st.ExecutionInfo.RunId = "r1"
	st.ExecutionInfo.CreateRequestId = "req"
	st.ExecutionInfo.StartTime = timestamppb.New(timestamppb.Now().AsTime())
	st.ExecutionState = &persistencepb.ExecutionState{
		State:  persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING,
		Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
	}
	cur := NewCurrentExecution(st)
	require.True(t, proto.Equal(&persistencepb.CurrentExecution{
		RunId:            "r1",
		CreateRequestId:  "req",
		State:            persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING,
		Status:           enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		LastWriteVersion: 4,
		StartTime:        st.ExecutionInfo.StartTime,
	}, cur), cur)

	// The run completes at a newer version: the record follows; what
	// identifies the run does not change.
	st.ExecutionInfo.VersionHistories.Histories[0].Items = append(st.ExecutionInfo.VersionHistories.Histories[0].Items, &persistencepb.VersionHistoryItem{EventId: 3, Version: 9})
	st.ExecutionState = &persistencepb.ExecutionState{
		State:  persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED,
		Status: enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED,
	}
	st.ExecutionInfo.CreateRequestId = "other"
	SyncCurrentExecution(cur, st)
	require.Equal(t, "r1", cur.RunId)
	require.Equal(t, "req", cur.CreateRequestId)
	require.Equal(t, persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED, cur.State)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, cur.Status)
	require.Equal(t, int64(9), cur.LastWriteVersion)
}

func TestCreateCurrentMatches(t *testing.T) {
	cur := &persistencepb.CurrentExecution{RunId: "r0", LastWriteVersion: 3}
	update := func(run string, version int64) *CreateWorkflowExecutionRequest {
		return &CreateWorkflowExecutionRequest{Mode: CreateModeUpdateCurrent, PreviousRunID: run, PreviousLastWriteVersion: version}
	}
	for _, tc := range []struct {
		name string
		req  *CreateWorkflowExecutionRequest
		cur  *persistencepb.CurrentExecution
		want bool
	}{
		{name: "BrandNewWithoutCurrent", req: &CreateWorkflowExecutionRequest{Mode: CreateModeBrandNew}, want: true},
		{name: "BrandNewWithCurrent", req: &CreateWorkflowExecutionRequest{Mode: CreateModeBrandNew}, cur: cur, want: false},
		{name: "UpdateCurrentMatches", req: update("r0", 3), cur: cur, want: true},
		{name: "UpdateCurrentWithoutCurrent", req: update("r0", 3), want: false},
		{name: "UpdateCurrentOtherRun", req: update("r9", 3), cur: cur, want: false},
		{name: "UpdateCurrentOtherVersion", req: update("r0", 2), cur: cur, want: false},
		{name: "BypassWithoutCurrent", req: &CreateWorkflowExecutionRequest{Mode: CreateModeBypassCurrent}, want: true},
		{name: "BypassWithCurrent", req: &CreateWorkflowExecutionRequest{Mode: CreateModeBypassCurrent}, cur: cur, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.req.CurrentMatches(tc.cur))
		})
	}
}

func TestNewCurrentWorkflowConditionFailedError(t *testing.T) {
	require.Equal(t, &CurrentWorkflowConditionFailedError{}, NewCurrentWorkflowConditionFailedError(nil))
	got := NewCurrentWorkflowConditionFailedError(&persistencepb.CurrentExecution{
		RunId:            "r0",
		CreateRequestId:  "req",
		State:            persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING,
		Status:           enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		LastWriteVersion: 3,
	})
	require.Equal(t, &CurrentWorkflowConditionFailedError{
		RunID:            "r0",
		CreateRequestID:  "req",
		State:            persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING,
		Status:           enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		LastWriteVersion: 3,
	}, got)
}
