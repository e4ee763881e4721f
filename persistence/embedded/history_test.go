package embedded

import (
	"testing"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func marshalState(st *persistencepb.WorkflowMutableState) ([]byte, error) { return proto.Marshal(st) }

func openMem(t *testing.T) *persistence.Stores {
	t.Helper()
	s, err := Open("", Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func appendNode(t *testing.T, s *persistence.Stores, token []byte, first, last, txn int64) {
	t.Helper()
	var evs []*historypb.HistoryEvent
	for id := first; id <= last; id++ {
		evs = append(evs, &historypb.HistoryEvent{EventId: id, TaskId: txn})
	}
	_, err := s.History.AppendHistoryNodes(t.Context(), &persistence.AppendHistoryNodesRequest{BranchToken: token, Events: evs, TransactionID: txn})
	require.NoError(t, err)
}

func readIDs(t *testing.T, s *persistence.Stores, token []byte, min, max int64, pageSize int) [][2]int64 {
	t.Helper()
	var out [][2]int64
	var next []byte
	for {
		resp, err := s.History.ReadHistoryBranch(t.Context(), &persistence.ReadHistoryBranchRequest{
			BranchToken: token, MinEventID: min, MaxEventID: max, PageSize: pageSize, NextPageToken: next,
		})
		require.NoError(t, err)
		require.Equal(t, proto.Size(&historypb.History{Events: resp.Events}), resp.Size)
		for _, e := range resp.Events {
			out = append(out, [2]int64{e.EventId, e.TaskId})
		}
		if next = resp.NextPageToken; next == nil {
			return out
		}
	}
}

// Bounds that fall inside a batch return exactly the events in
// [MinEventID, MaxEventID).
func TestReadHistoryBoundsInsideBatches(t *testing.T) {
	s := openMem(t)
	token, err := proto.Marshal(&persistencepb.HistoryBranch{TreeId: "t", BranchId: "b"})
	require.NoError(t, err)
	appendNode(t, s, token, 1, 3, 1)
	appendNode(t, s, token, 4, 6, 2)
	require.Equal(t, [][2]int64{{2, 1}, {3, 1}, {4, 2}}, readIDs(t, s, token, 2, 5, 100))
	require.Equal(t, [][2]int64{{5, 2}}, readIDs(t, s, token, 5, 6, 100))
	require.Equal(t, [][2]int64{{3, 1}, {4, 2}, {5, 2}, {6, 2}}, readIDs(t, s, token, 3, 7, 1))
}

// A late append from a fenced-out owner for a node that no newer write
// replaced overlaps events already read; it is skipped.
func TestReadHistorySkipsOverlappingStaleNode(t *testing.T) {
	s := openMem(t)
	token, err := proto.Marshal(&persistencepb.HistoryBranch{TreeId: "t", BranchId: "b"})
	require.NoError(t, err)
	appendNode(t, s, token, 1, 2, 10)
	appendNode(t, s, token, 3, 4, 20)
	appendNode(t, s, token, 5, 5, 21)
	appendNode(t, s, token, 4, 5, 15) // straggler
	want := [][2]int64{{1, 10}, {2, 10}, {3, 20}, {4, 20}, {5, 21}}
	for _, pageSize := range []int{1, 2, 100} {
		require.Equal(t, want, readIDs(t, s, token, 1, 6, pageSize), "page size %d", pageSize)
	}
}
