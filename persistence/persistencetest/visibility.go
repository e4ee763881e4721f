package persistencetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// typeFilter matches records of one workflow type.
type typeFilter string

func (f typeFilter) Match(rec *persistencepb.VisibilityRecord) bool {
	return rec.GetInfo().GetType().GetName() == string(f)
}

func visibilityRecord(namespaceID, workflowID, runID, typeName string, start time.Time) *persistencepb.VisibilityRecord {
	return &persistencepb.VisibilityRecord{
		NamespaceId: namespaceID,
		Info: &workflowpb.WorkflowExecutionInfo{
			Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID},
			Type:      &commonpb.WorkflowType{Name: typeName},
			StartTime: timestamppb.New(start),
			Status:    enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
			TaskQueue: "conformance-queue",
		},
	}
}

func runIDs(recs []*persistencepb.VisibilityRecord) []string {
	ids := []string{}
	for _, r := range recs {
		ids = append(ids, r.Info.Execution.RunId)
	}
	return ids
}

// listAll pages through req and returns every record.
func listAll(t *testing.T, s *persistence.Stores, req persistence.ListWorkflowExecutionsRequest) []*persistencepb.VisibilityRecord {
	t.Helper()
	var all []*persistencepb.VisibilityRecord
	for page := 0; ; page++ {
		require.Less(t, page, 10000, "paging does not end")
		recs, next, err := s.Visibility.ListWorkflowExecutions(t.Context(), &req)
		require.NoError(t, err)
		if req.PageSize > 0 {
			require.LessOrEqual(t, len(recs), req.PageSize)
		}
		all = append(all, recs...)
		if len(next) == 0 {
			return all
		}
		require.NotEmpty(t, recs, "a page with a next-page token is empty")
		req.NextPageToken = next
	}
}

func testVisibility(t *testing.T, s *persistence.Stores) {
	t.Run("UpsertGetDelete", func(t *testing.T) {
		ns := newID("ns")
		rec := visibilityRecord(ns, "wf", newID("run"), "type-a", baseTime)
		require.NoError(t, s.Visibility.UpsertWorkflowExecution(t.Context(), rec))
		got, err := s.Visibility.GetWorkflowExecution(t.Context(), ns, "wf", rec.Info.Execution.RunId)
		require.NoError(t, err)
		requireProtoEqual(t, rec, got)

		closed := proto.Clone(rec).(*persistencepb.VisibilityRecord)
		closed.Info.Status = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
		closed.Info.CloseTime = timestamppb.New(baseTime.Add(time.Minute))
		require.NoError(t, s.Visibility.UpsertWorkflowExecution(t.Context(), closed))
		got, err = s.Visibility.GetWorkflowExecution(t.Context(), ns, "wf", rec.Info.Execution.RunId)
		require.NoError(t, err)
		requireProtoEqual(t, closed, got)
		n, err := s.Visibility.CountWorkflowExecutions(t.Context(), ns, nil)
		require.NoError(t, err)
		require.Equal(t, int64(1), n, "upsert replaces")

		require.NoError(t, s.Visibility.DeleteWorkflowExecution(t.Context(), ns, "wf", rec.Info.Execution.RunId))
		_, err = s.Visibility.GetWorkflowExecution(t.Context(), ns, "wf", rec.Info.Execution.RunId)
		require.ErrorIs(t, err, persistence.ErrNotFound)
		require.NoError(t, s.Visibility.DeleteWorkflowExecution(t.Context(), ns, "wf", rec.Info.Execution.RunId))
		require.Empty(t, listAll(t, s, persistence.ListWorkflowExecutionsRequest{NamespaceID: ns, PageSize: 10}))
	})

	t.Run("ListFilterOrderPage", func(t *testing.T) {
		ns, otherNS := newID("ns"), newID("ns")
		at := func(m int) time.Time { return baseTime.Add(time.Duration(m) * time.Minute) }
		recs := []*persistencepb.VisibilityRecord{
			visibilityRecord(ns, "wf-1", "run-b", "type-a", at(1)),
			visibilityRecord(ns, "wf-2", "run-e", "type-b", at(5)),
			// A start-time tie, stored (by workflow ID) in the opposite of
			// run ID order.
			visibilityRecord(ns, "wf-3", "run-d", "type-a", at(3)),
			visibilityRecord(ns, "wf-4", "run-c", "type-a", at(3)),
			visibilityRecord(ns, "wf-5", "run-a", "type-b", at(2)),
			visibilityRecord(ns, "wf-6", "run-f", "type-a", at(4)),
			visibilityRecord(otherNS, "wf-1", "run-x", "type-a", at(9)),
		}
		for _, r := range recs {
			require.NoError(t, s.Visibility.UpsertWorkflowExecution(t.Context(), r))
		}
		// Default order: start time newest first, ties by run ID.
		want := []string{"run-e", "run-f", "run-c", "run-d", "run-a", "run-b"}
		for _, pageSize := range []int{1, 2, 4, 6, 100} {
			got := listAll(t, s, persistence.ListWorkflowExecutionsRequest{NamespaceID: ns, PageSize: pageSize})
			require.Equal(t, want, runIDs(got), "page size %d", pageSize)
		}
		got := listAll(t, s, persistence.ListWorkflowExecutionsRequest{NamespaceID: ns, PageSize: 2})
		requireProtoEqual(t, recs[1], got[0])

		// Filter.
		for _, pageSize := range []int{1, 3, 100} {
			got := listAll(t, s, persistence.ListWorkflowExecutionsRequest{NamespaceID: ns, Filter: typeFilter("type-a"), PageSize: pageSize})
			require.Equal(t, []string{"run-f", "run-c", "run-d", "run-b"}, runIDs(got), "page size %d", pageSize)
		}
		require.Empty(t, listAll(t, s, persistence.ListWorkflowExecutionsRequest{NamespaceID: ns, Filter: typeFilter("type-z"), PageSize: 10}))

		// Caller's order.
		byWorkflowID := func(a, b *persistencepb.VisibilityRecord) bool {
			return a.Info.Execution.WorkflowId < b.Info.Execution.WorkflowId
		}
		got = listAll(t, s, persistence.ListWorkflowExecutionsRequest{NamespaceID: ns, Less: byWorkflowID, PageSize: 4})
		require.Equal(t, []string{"run-b", "run-e", "run-d", "run-c", "run-a", "run-f"}, runIDs(got))

		// Count.
		n, err := s.Visibility.CountWorkflowExecutions(t.Context(), ns, nil)
		require.NoError(t, err)
		require.Equal(t, int64(6), n)
		n, err = s.Visibility.CountWorkflowExecutions(t.Context(), ns, typeFilter("type-b"))
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		n, err = s.Visibility.CountWorkflowExecutions(t.Context(), otherNS, nil)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		n, err = s.Visibility.CountWorkflowExecutions(t.Context(), newID("ns"), nil)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}
