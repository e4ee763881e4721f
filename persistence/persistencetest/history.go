package persistencetest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func branchToken(t *testing.T, treeID, branchID string, ancestors ...*persistencepb.HistoryBranchRange) []byte {
	t.Helper()
	b, err := proto.Marshal(&persistencepb.HistoryBranch{TreeId: treeID, BranchId: branchID, Ancestors: ancestors})
	require.NoError(t, err)
	return b
}

// events returns events first..last; TaskId carries marker so that rewrites
// of a batch can be told apart.
func events(first, last, marker int64) []*historypb.HistoryEvent {
	var out []*historypb.HistoryEvent
	for id := first; id <= last; id++ {
		out = append(out, &historypb.HistoryEvent{
			EventId:   id,
			EventTime: timestamppb.New(baseTime),
			EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
			Version:   1,
			TaskId:    marker,
		})
	}
	return out
}

type historyBatch struct {
	first, last, txn int64
}

// appendBatches appends each batch (marker = its txn) and returns the
// appended sizes by first event ID.
func appendBatches(t *testing.T, s *persistence.Stores, shardID int32, token []byte, batches []historyBatch) map[int64]int {
	t.Helper()
	sizes := map[int64]int{}
	for i, b := range batches {
		size, err := s.History.AppendHistoryNodes(t.Context(), &persistence.AppendHistoryNodesRequest{
			ShardID:       shardID,
			BranchToken:   token,
			Events:        events(b.first, b.last, b.txn),
			TransactionID: b.txn,
			IsNewBranch:   i == 0,
		})
		require.NoError(t, err)
		require.Positive(t, size)
		sizes[b.first] = size
	}
	return sizes
}

// readHistory reads [min, max) with pageSize and returns the pages.
func readHistory(t *testing.T, s *persistence.Stores, shardID int32, token []byte, min, max int64, pageSize int) ([][]*historypb.HistoryEvent, int) {
	t.Helper()
	var (
		pages [][]*historypb.HistoryEvent
		size  int
		next  []byte
	)
	for {
		require.Less(t, len(pages), 10000, "paging does not end")
		resp, err := s.History.ReadHistoryBranch(t.Context(), &persistence.ReadHistoryBranchRequest{
			ShardID: shardID, BranchToken: token, MinEventID: min, MaxEventID: max, PageSize: pageSize, NextPageToken: next,
		})
		if errors.Is(err, persistence.ErrNotFound) && len(pages) == 0 {
			return nil, 0 // an empty branch may read as not found
		}
		require.NoError(t, err)
		if len(resp.Events) > 0 {
			pages = append(pages, resp.Events)
		}
		size += resp.Size
		if len(resp.NextPageToken) == 0 {
			return pages, size
		}
		require.NotEmpty(t, resp.Events, "a page with a next-page token is empty")
		next = resp.NextPageToken
	}
}

// eventKeys flattens pages into "id/marker" pairs.
func eventKeys(pages [][]*historypb.HistoryEvent) [][2]int64 {
	var out [][2]int64
	for _, p := range pages {
		for _, e := range p {
			out = append(out, [2]int64{e.EventId, e.TaskId})
		}
	}
	return out
}

func keys(specs ...historyBatch) [][2]int64 {
	var out [][2]int64
	for _, b := range specs {
		for id := b.first; id <= b.last; id++ {
			out = append(out, [2]int64{id, b.txn})
		}
	}
	return out
}

func testHistory(t *testing.T, s *persistence.Stores) {
	shardID := newShardID()
	batches := []historyBatch{{1, 2, 10}, {3, 3, 11}, {4, 6, 12}, {7, 7, 13}}

	t.Run("AppendAndRead", func(t *testing.T) {
		token := branchToken(t, newID("tree"), newID("branch"))
		sizes := appendBatches(t, s, shardID, token, batches)

		resp, err := s.History.ReadHistoryBranch(t.Context(), &persistence.ReadHistoryBranchRequest{
			ShardID: shardID, BranchToken: token, MinEventID: 1, MaxEventID: 8, PageSize: 100,
		})
		require.NoError(t, err)
		require.Empty(t, resp.NextPageToken)
		require.Len(t, resp.Events, 7)
		for i, e := range resp.Events {
			b := batches[0]
			for _, c := range batches {
				if e.EventId >= c.first && e.EventId <= c.last {
					b = c
				}
			}
			requireProtoEqual(t, events(e.EventId, e.EventId, b.txn)[0], e, "event %d", i+1)
		}
		total := 0
		for _, sz := range sizes {
			total += sz
		}
		require.Equal(t, total, resp.Size)

		// Bounds at batch boundaries: [3, 7) is batches 2 and 3.
		pages, size := readHistory(t, s, shardID, token, 3, 7, 100)
		require.Equal(t, keys(batches[1], batches[2]), eventKeys(pages))
		require.Equal(t, sizes[3]+sizes[4], size)
		// next_event_id bounds the read: [1, 4) stops before batch 3.
		pages, _ = readHistory(t, s, shardID, token, 1, 4, 100)
		require.Equal(t, keys(batches[0], batches[1]), eventKeys(pages))
		pages, _ = readHistory(t, s, shardID, token, 8, 100, 100)
		require.Empty(t, pages)
	})

	t.Run("PagesNeverSplitBatches", func(t *testing.T) {
		token := branchToken(t, newID("tree"), newID("branch"))
		appendBatches(t, s, shardID, token, batches)
		for _, c := range []struct {
			pageSize int
			want     [][]historyBatch
		}{
			{1, [][]historyBatch{{batches[0]}, {batches[1]}, {batches[2]}, {batches[3]}}},
			{2, [][]historyBatch{{batches[0]}, {batches[1]}, {batches[2]}, {batches[3]}}},
			{3, [][]historyBatch{{batches[0], batches[1]}, {batches[2]}, {batches[3]}}},
			{4, [][]historyBatch{{batches[0], batches[1]}, {batches[2], batches[3]}}},
			{7, [][]historyBatch{batches}},
		} {
			pages, _ := readHistory(t, s, shardID, token, 1, 8, c.pageSize)
			require.Len(t, pages, len(c.want), "page size %d", c.pageSize)
			for i, p := range pages {
				require.Equal(t, keys(c.want[i]...), eventKeys([][]*historypb.HistoryEvent{p}), "page size %d, page %d", c.pageSize, i)
			}
		}
	})

	t.Run("HighestTransactionWins", func(t *testing.T) {
		token := branchToken(t, newID("tree"), newID("branch"))
		appendBatches(t, s, shardID, token, []historyBatch{{1, 2, 10}, {3, 5, 11}})
		// Batch 3 was orphaned (its state write lost); it is rewritten
		// shorter by a later transaction, then an older transaction's
		// straggler for the same node arrives.
		appendBatches(t, s, shardID, token, []historyBatch{{3, 3, 20}, {4, 4, 21}, {3, 4, 15}})
		want := keys(historyBatch{1, 2, 10}, historyBatch{3, 3, 20}, historyBatch{4, 4, 21})
		for _, pageSize := range []int{1, 2, 100} {
			pages, _ := readHistory(t, s, shardID, token, 1, 5, pageSize)
			require.Equal(t, want, eventKeys(pages), "page size %d", pageSize)
		}
	})

	t.Run("Ancestors", func(t *testing.T) {
		tree, base := newID("tree"), newID("branch")
		baseToken := branchToken(t, tree, base)
		appendBatches(t, s, shardID, baseToken, batches)

		// Fork at event 4: the fork reads 1..3 from base, then its own.
		fork := newID("branch")
		forkToken := branchToken(t, tree, fork, &persistencepb.HistoryBranchRange{BranchId: base, BeginEventId: 1, EndEventId: 4})
		appendBatches(t, s, shardID, forkToken, []historyBatch{{4, 5, 30}, {6, 6, 31}})
		wantFork := keys(batches[0], batches[1], historyBatch{4, 5, 30}, historyBatch{6, 6, 31})
		for _, pageSize := range []int{1, 3, 100} {
			pages, _ := readHistory(t, s, shardID, forkToken, 1, 7, pageSize)
			require.Equal(t, wantFork, eventKeys(pages), "page size %d", pageSize)
		}
		pages, _ := readHistory(t, s, shardID, forkToken, 3, 6, 100)
		require.Equal(t, keys(batches[1], historyBatch{4, 5, 30}), eventKeys(pages))
		// The base branch is unchanged.
		pages, _ = readHistory(t, s, shardID, baseToken, 1, 8, 100)
		require.Equal(t, keys(batches...), eventKeys(pages))

		// A fork of the fork: two ancestors.
		fork2 := newID("branch")
		fork2Token := branchToken(t, tree, fork2,
			&persistencepb.HistoryBranchRange{BranchId: base, BeginEventId: 1, EndEventId: 4},
			&persistencepb.HistoryBranchRange{BranchId: fork, BeginEventId: 4, EndEventId: 6})
		appendBatches(t, s, shardID, fork2Token, []historyBatch{{6, 7, 40}})
		pages, _ = readHistory(t, s, shardID, fork2Token, 1, 8, 2)
		require.Equal(t, keys(batches[0], batches[1], historyBatch{4, 5, 30}, historyBatch{6, 7, 40}), eventKeys(pages))

		// Deleting the fork keeps its ancestors' events.
		require.NoError(t, s.History.DeleteHistoryBranch(t.Context(), shardID, forkToken))
		pages, _ = readHistory(t, s, shardID, forkToken, 1, 7, 100)
		require.Equal(t, keys(batches[0], batches[1]), eventKeys(pages))
		pages, _ = readHistory(t, s, shardID, baseToken, 1, 8, 100)
		require.Equal(t, keys(batches...), eventKeys(pages))
	})

	t.Run("DeleteBranch", func(t *testing.T) {
		tree := newID("tree")
		token := branchToken(t, tree, newID("branch"))
		other := branchToken(t, tree, newID("branch"))
		appendBatches(t, s, shardID, token, batches)
		appendBatches(t, s, shardID, other, batches[:2])
		require.NoError(t, s.History.DeleteHistoryBranch(t.Context(), shardID, token))
		pages, _ := readHistory(t, s, shardID, token, 1, 8, 100)
		require.Empty(t, pages)
		pages, _ = readHistory(t, s, shardID, other, 1, 8, 100)
		require.Equal(t, keys(batches[:2]...), eventKeys(pages))
	})

	t.Run("BadInput", func(t *testing.T) {
		token := branchToken(t, newID("tree"), newID("branch"))
		for name, evs := range map[string][]*historypb.HistoryEvent{
			"NoEvents":      nil,
			"NotContiguous": {events(1, 1, 1)[0], events(3, 3, 1)[0]},
		} {
			_, err := s.History.AppendHistoryNodes(t.Context(), &persistence.AppendHistoryNodesRequest{
				ShardID: shardID, BranchToken: token, Events: evs, TransactionID: 1, IsNewBranch: true,
			})
			require.Error(t, err, name)
		}
		_, err := s.History.AppendHistoryNodes(t.Context(), &persistence.AppendHistoryNodesRequest{
			ShardID: shardID, BranchToken: []byte("not a branch token \xff\xff"), Events: events(1, 1, 1), TransactionID: 1,
		})
		require.Error(t, err)
		pages, _ := readHistory(t, s, shardID, token, 1, 8, 100)
		require.Empty(t, pages)
	})
}
