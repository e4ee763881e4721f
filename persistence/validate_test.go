package persistence

import (
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func runSnapshot(ns, wf, run string) WorkflowSnapshot {
	return WorkflowSnapshot{State: &persistencepb.WorkflowMutableState{
		ExecutionInfo: &persistencepb.WorkflowExecutionInfo{NamespaceId: ns, WorkflowId: wf, RunId: run},
	}}
}

func TestWorkflowSnapshotRunKey(t *testing.T) {
	valid := runSnapshot("ns", "wf", "r1")
	for _, tc := range []struct {
		name string
		snap *WorkflowSnapshot
		want RunKey
		ok   bool
	}{
		{name: "Valid", snap: &valid, want: RunKey{"ns", "wf", "r1"}, ok: true},
		{name: "Nil"},
		{name: "NoState", snap: &WorkflowSnapshot{}},
		{name: "NoExecutionInfo", snap: &WorkflowSnapshot{State: &persistencepb.WorkflowMutableState{}}},
		{name: "NoNamespace", snap: ptr(runSnapshot("", "wf", "r1"))},
		{name: "NoWorkflow", snap: ptr(runSnapshot("ns", "", "r1"))},
		{name: "NoRun", snap: ptr(runSnapshot("ns", "wf", ""))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.snap.RunKey()
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestCreateWorkflowExecutionRequestValidate(t *testing.T) {
	snap := runSnapshot("ns", "wf", "r1")
	for _, tc := range []struct {
		name string
		req  *CreateWorkflowExecutionRequest
		ok   bool
	}{
		{name: "BrandNew", req: &CreateWorkflowExecutionRequest{Mode: CreateModeBrandNew, NewWorkflow: snap}, ok: true},
		{name: "BypassCurrent", req: &CreateWorkflowExecutionRequest{Mode: CreateModeBypassCurrent, NewWorkflow: snap}, ok: true},
		{name: "UpdateCurrent", req: &CreateWorkflowExecutionRequest{Mode: CreateModeUpdateCurrent, PreviousRunID: "r0", NewWorkflow: snap}, ok: true},
		{name: "NilRequest"},
		{name: "NoRunID", req: &CreateWorkflowExecutionRequest{Mode: CreateModeBrandNew, NewWorkflow: runSnapshot("ns", "wf", "")}},
		{name: "UpdateCurrentWithoutPreviousRun", req: &CreateWorkflowExecutionRequest{Mode: CreateModeUpdateCurrent, NewWorkflow: snap}},
		{name: "UnknownMode", req: &CreateWorkflowExecutionRequest{Mode: CreateMode(42), NewWorkflow: snap}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := tc.req.Validate()
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, RunKey{"ns", "wf", "r1"}, id)
		})
	}
}

func TestUpdateWorkflowExecutionRequestValidate(t *testing.T) {
	for _, tc := range []struct {
		name        string
		req         *UpdateWorkflowExecutionRequest
		run, newRun RunKey
		ok          bool
	}{
		{name: "Update", req: &UpdateWorkflowExecutionRequest{Workflow: runSnapshot("ns", "wf", "r1")}, run: RunKey{"ns", "wf", "r1"}, ok: true},
		{name: "WithNewRun", req: &UpdateWorkflowExecutionRequest{Workflow: runSnapshot("ns", "wf", "r1"), NewWorkflow: ptr(runSnapshot("ns", "wf", "r2"))}, run: RunKey{"ns", "wf", "r1"}, newRun: RunKey{"ns", "wf", "r2"}, ok: true},
		{name: "NilRequest"},
		{name: "NoRunID", req: &UpdateWorkflowExecutionRequest{Workflow: runSnapshot("ns", "wf", "")}},
		{name: "NewRunWithoutRunID", req: &UpdateWorkflowExecutionRequest{Workflow: runSnapshot("ns", "wf", "r1"), NewWorkflow: ptr(runSnapshot("ns", "wf", ""))}},
		{name: "NewRunOfOtherNamespace", req: &UpdateWorkflowExecutionRequest{Workflow: runSnapshot("ns", "wf", "r1"), NewWorkflow: ptr(runSnapshot("ns2", "wf", "r2"))}},
		{name: "NewRunOfOtherWorkflow", req: &UpdateWorkflowExecutionRequest{Workflow: runSnapshot("ns", "wf", "r1"), NewWorkflow: ptr(runSnapshot("ns", "wf2", "r2"))}},
		{name: "NewRunIsTheSameRun", req: &UpdateWorkflowExecutionRequest{Workflow: runSnapshot("ns", "wf", "r1"), NewWorkflow: ptr(runSnapshot("ns", "wf", "r1"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, newRun, err := tc.req.Validate()
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.run, run)
			require.Equal(t, tc.newRun, newRun)
		})
	}
}

func TestCheckHistoryTasks(t *testing.T) {
	transfer := persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER
	timer := persistencepb.TaskCategory_TASK_CATEGORY_TIMER
	at := timestamppb.New(timestamppb.Now().AsTime())
	for _, tc := range []struct {
		name  string
		tasks Tasks
		ok    bool
	}{
		{name: "None", ok: true},
		{name: "Valid", tasks: Tasks{transfer: {{TaskId: 1}}, timer: {{TaskId: 2, VisibilityTime: at}}}, ok: true},
		{name: "NoCategory", tasks: Tasks{persistencepb.TaskCategory_TASK_CATEGORY_UNSPECIFIED: {{TaskId: 1}}}},
		{name: "NilTask", tasks: Tasks{transfer: {nil}}},
		{name: "TimerWithoutTime", tasks: Tasks{timer: {{TaskId: 2}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckHistoryTasks(tc.tasks)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestGetHistoryTasksRequestValidate(t *testing.T) {
	transfer := persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER
	for _, tc := range []struct {
		name string
		req  *GetHistoryTasksRequest
		ok   bool
	}{
		{name: "Valid", req: &GetHistoryTasksRequest{Category: transfer, BatchSize: 1}, ok: true},
		{name: "NilRequest"},
		{name: "NoCategory", req: &GetHistoryTasksRequest{BatchSize: 1}},
		{name: "ZeroBatchSize", req: &GetHistoryTasksRequest{Category: transfer}},
		{name: "NegativeBatchSize", req: &GetHistoryTasksRequest{Category: transfer, BatchSize: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestValidateShardUpdate(t *testing.T) {
	for _, tc := range []struct {
		name string
		info *persistencepb.ShardInfo
		prev int64
		ok   bool
	}{
		{name: "Acquire", info: &persistencepb.ShardInfo{RangeId: 6}, prev: 5, ok: true},
		{name: "SameRange", info: &persistencepb.ShardInfo{RangeId: 5}, prev: 5, ok: true},
		{name: "NilInfo", prev: 5},
		{name: "RangeBelowPrevious", info: &persistencepb.ShardInfo{RangeId: 4}, prev: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateShardUpdate(tc.info, tc.prev)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestNamespaceIDs(t *testing.T) {
	ns := func(id, name string) *persistencepb.NamespaceDetail {
		return &persistencepb.NamespaceDetail{Info: &namespacepb.NamespaceInfo{Id: id, Name: name}}
	}
	id, name, err := NamespaceIDs(ns("id1", "orders"))
	require.NoError(t, err)
	require.Equal(t, "id1", id)
	require.Equal(t, "orders", name)
	for name, bad := range map[string]*persistencepb.NamespaceDetail{
		"Nil":    nil,
		"NoInfo": {},
		"NoID":   ns("", "orders"),
		"NoName": ns("id1", ""),
	} {
		_, _, err := NamespaceIDs(bad)
		require.Error(t, err, name)
	}
}

func TestTaskQueueKeyValidate(t *testing.T) {
	require.NoError(t, TaskQueueKey{NamespaceID: "ns", Name: "q"}.Validate())
	require.Error(t, TaskQueueKey{Name: "q"}.Validate())
	require.Error(t, TaskQueueKey{NamespaceID: "ns"}.Validate())
}

func TestVisibilityRunKey(t *testing.T) {
	rec := func(ns, wf, run string) *persistencepb.VisibilityRecord {
		return &persistencepb.VisibilityRecord{NamespaceId: ns, Info: &workflowpb.WorkflowExecutionInfo{
			Execution: &commonpb.WorkflowExecution{WorkflowId: wf, RunId: run},
		}}
	}
	id, err := VisibilityRunKey(rec("ns", "wf", "r1"))
	require.NoError(t, err)
	require.Equal(t, RunKey{"ns", "wf", "r1"}, id)
	for name, bad := range map[string]*persistencepb.VisibilityRecord{
		"Nil":         nil,
		"NoInfo":      {NamespaceId: "ns"},
		"NoNamespace": rec("", "wf", "r1"),
		"NoWorkflow":  rec("ns", "", "r1"),
		"NoRun":       rec("ns", "wf", ""),
	} {
		_, err := VisibilityRunKey(bad)
		require.Error(t, err, name)
	}
}
