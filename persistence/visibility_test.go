package persistence

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

type matchFunc func(*persistencepb.VisibilityRecord) bool

func (f matchFunc) Match(rec *persistencepb.VisibilityRecord) bool { return f(rec) }

func visRecord(run string, start int64) *persistencepb.VisibilityRecord {
	return &persistencepb.VisibilityRecord{NamespaceId: "ns", Info: &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: "wf-" + run, RunId: run},
		StartTime: timestamppb.New(time.Unix(start, 0)),
	}}
}

func scanOf(recs ...*persistencepb.VisibilityRecord) VisibilityScan {
	return func(visit func(*persistencepb.VisibilityRecord)) error {
		for _, r := range recs {
			visit(r)
		}
		return nil
	}
}

func runIDs(recs []*persistencepb.VisibilityRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.GetInfo().GetExecution().GetRunId())
	}
	return out
}

func TestListVisibilityRecords(t *testing.T) {
	// Scanned in no particular order; b and c started at the same time.
	scan := scanOf(visRecord("c", 20), visRecord("a", 10), visRecord("d", 30), visRecord("b", 20))
	odd := matchFunc(func(r *persistencepb.VisibilityRecord) bool {
		id := r.GetInfo().GetExecution().GetRunId()
		return id == "a" || id == "c"
	})
	byRunDesc := func(a, b *persistencepb.VisibilityRecord) bool {
		return a.GetInfo().GetExecution().GetRunId() > b.GetInfo().GetExecution().GetRunId()
	}
	for _, tc := range []struct {
		name     string
		req      ListWorkflowExecutionsRequest
		want     [][]string
		wantNext []uint64
	}{
		{name: "NewestFirstThenRunID", want: [][]string{{"d", "b", "c", "a"}}},
		{name: "Paged", req: ListWorkflowExecutionsRequest{PageSize: 3}, want: [][]string{{"d", "b", "c"}, {"a"}}, wantNext: []uint64{3}},
		{name: "PageSizeExact", req: ListWorkflowExecutionsRequest{PageSize: 4}, want: [][]string{{"d", "b", "c", "a"}}},
		{name: "PagedByOne", req: ListWorkflowExecutionsRequest{PageSize: 1}, want: [][]string{{"d"}, {"b"}, {"c"}, {"a"}}, wantNext: []uint64{1, 2, 3}},
		{name: "Filtered", req: ListWorkflowExecutionsRequest{Filter: odd}, want: [][]string{{"c", "a"}}},
		{name: "CustomOrder", req: ListWorkflowExecutionsRequest{Less: byRunDesc, PageSize: 2}, want: [][]string{{"d", "c"}, {"b", "a"}}, wantNext: []uint64{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			var got [][]string
			var nexts []uint64
			for {
				recs, next, err := ListVisibilityRecords(&req, scan)
				require.NoError(t, err)
				got = append(got, runIDs(recs))
				if next == nil {
					break
				}
				off, n := binary.Uvarint(next)
				require.Equal(t, len(next), n)
				nexts = append(nexts, off)
				req.NextPageToken = next
			}
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.wantNext, nexts)
		})
	}
}

func TestListVisibilityRecordsEdges(t *testing.T) {
	scan := scanOf(visRecord("a", 10), visRecord("b", 20))
	recs, next, err := ListVisibilityRecords(&ListWorkflowExecutionsRequest{NextPageToken: binary.AppendUvarint(nil, 2)}, scan)
	require.NoError(t, err)
	require.Nil(t, recs, "an offset at the end is an empty last page")
	require.Nil(t, next)

	_, _, err = ListVisibilityRecords(nil, scan)
	require.Error(t, err)
	_, _, err = ListVisibilityRecords(&ListWorkflowExecutionsRequest{NextPageToken: []byte{0x80}}, scan)
	require.Error(t, err)
	_, _, err = ListVisibilityRecords(&ListWorkflowExecutionsRequest{NextPageToken: []byte{1, 2}}, scan)
	require.Error(t, err)

	scanErr := errors.New("scan failed")
	failing := func(func(*persistencepb.VisibilityRecord)) error { return scanErr }
	_, _, err = ListVisibilityRecords(&ListWorkflowExecutionsRequest{}, failing)
	require.ErrorIs(t, err, scanErr)
	_, err = CountVisibilityRecords(nil, failing)
	require.ErrorIs(t, err, scanErr)
}

func TestCountVisibilityRecords(t *testing.T) {
	scan := scanOf(visRecord("a", 10), visRecord("b", 20), visRecord("c", 30))
	n, err := CountVisibilityRecords(nil, scan)
	require.NoError(t, err)
	require.Equal(t, int64(3), n)
	n, err = CountVisibilityRecords(matchFunc(func(r *persistencepb.VisibilityRecord) bool {
		return r.GetInfo().GetStartTime().AsTime().Unix() >= 20
	}), scan)
	require.NoError(t, err)
	require.Equal(t, int64(2), n)
}
