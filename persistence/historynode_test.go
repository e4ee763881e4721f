package persistence

import (
	"cmp"
	"errors"
	"math/rand"
	"slices"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// memNode is one stored transaction of a node.
type memNode struct {
	branch      string
	first, txn  int64
	last        int64
	corruptData bool
}

// memHistory is an in-memory HistoryNodeReader over one tree.
type memHistory struct {
	nodes []memNode
	err   error
}

func newMemHistory(nodes ...memNode) *memHistory {
	nodes = slices.Clone(nodes)
	slices.SortFunc(nodes, func(a, b memNode) int {
		return cmp.Or(cmp.Compare(a.branch, b.branch), cmp.Compare(a.first, b.first), cmp.Compare(b.txn, a.txn))
	})
	return &memHistory{nodes: nodes}
}

func (n memNode) data() []byte {
	if n.corruptData {
		return []byte{0xff}
	}
	var evs []*historypb.HistoryEvent
	for id := n.first; id <= n.last; id++ {
		evs = append(evs, &historypb.HistoryEvent{EventId: id, TaskId: n.txn})
	}
	v, err := proto.Marshal(&historypb.History{Events: evs})
	if err != nil {
		panic(err)
	}
	return v
}

func (m *memHistory) LastNode(treeID, branchID string, begin, end int64) (*HistoryNode, error) {
	if m.err != nil {
		return nil, m.err
	}
	var last *memNode
	for i := range m.nodes {
		// Nodes are sorted by transaction descending: the first one seen
		// of the greatest first event ID is its newest.
		if n := &m.nodes[i]; n.branch == branchID && n.first >= begin && n.first < end && (last == nil || n.first > last.first) {
			last = n
		}
	}
	if last == nil {
		return nil, nil
	}
	return DecodeHistoryNode(last.first, last.txn, last.data())
}

func (m *memHistory) ScanNodes(treeID, branchID string, lo, hi int64, visit func(first, txn int64, data []byte) bool) error {
	if m.err != nil {
		return m.err
	}
	for _, n := range m.nodes {
		if n.branch == branchID && n.first >= lo && n.first < hi && !visit(n.first, n.txn, n.data()) {
			return nil
		}
	}
	return nil
}

func branchToken(t testing.TB, br *persistencepb.HistoryBranch) []byte {
	t.Helper()
	v, err := proto.Marshal(br)
	require.NoError(t, err)
	return v
}

// readPages reads every page of [min, max) and returns each page's
// (event ID, transaction) pairs.
func readPages(t testing.TB, r HistoryNodeReader, token []byte, min, max int64, pageSize int) [][][2]int64 {
	t.Helper()
	var (
		pages [][][2]int64
		next  []byte
	)
	for {
		resp, err := ReadHistoryBranch(&ReadHistoryBranchRequest{
			BranchToken: token, MinEventID: min, MaxEventID: max, PageSize: pageSize, NextPageToken: next,
		}, r)
		require.NoError(t, err)
		require.Equal(t, proto.Size(&historypb.History{Events: resp.Events}), resp.Size)
		var page [][2]int64
		for _, e := range resp.Events {
			page = append(page, [2]int64{e.EventId, e.TaskId})
		}
		pages = append(pages, page)
		if next = resp.NextPageToken; next == nil {
			return pages
		}
		require.NotEmpty(t, page, "a page with a token holds at least one batch")
	}
}

func TestReadHistoryBranch(t *testing.T) {
	plain := &persistencepb.HistoryBranch{TreeId: "t", BranchId: "b"}
	// Branch c forks from b after event 4: events 1-4 come from b, the
	// rest from c.
	forked := &persistencepb.HistoryBranch{TreeId: "t", BranchId: "c", Ancestors: []*persistencepb.HistoryBranchRange{
		{BranchId: "b", BeginEventId: 1, EndEventId: 5},
	}}
	for _, tc := range []struct {
		name     string
		branch   *persistencepb.HistoryBranch
		nodes    []memNode
		min, max int64
		pageSize int
		want     [][][2]int64
	}{{
		name:   "Empty",
		branch: plain, min: 1, max: 100,
		want: [][][2]int64{nil},
	}, {
		name:   "NewestTransactionOfEachNode",
		branch: plain, min: 1, max: 100,
		nodes: []memNode{{"b", 1, 1, 2, false}, {"b", 1, 3, 2, false}, {"b", 1, 2, 2, false}, {"b", 3, 5, 3, false}},
		want:  [][][2]int64{{{1, 3}, {2, 3}, {3, 5}}},
	}, {
		name:   "PagesDoNotSplitBatches",
		branch: plain, min: 1, max: 100, pageSize: 2,
		nodes: []memNode{{"b", 1, 1, 3, false}, {"b", 4, 2, 4, false}, {"b", 5, 3, 7, false}},
		want:  [][][2]int64{{{1, 1}, {2, 1}, {3, 1}}, {{4, 2}}, {{5, 3}, {6, 3}, {7, 3}}},
	}, {
		name:   "PageSizeFillsWithWholeBatches",
		branch: plain, min: 1, max: 100, pageSize: 3,
		nodes: []memNode{{"b", 1, 1, 1, false}, {"b", 2, 2, 3, false}, {"b", 4, 3, 5, false}},
		want:  [][][2]int64{{{1, 1}, {2, 2}, {3, 2}}, {{4, 3}, {5, 3}}},
	}, {
		name:   "NoPageSizeMeansNoLimit",
		branch: plain, min: 1, max: 100, pageSize: 0,
		nodes: []memNode{{"b", 1, 1, 1, false}, {"b", 2, 2, 3, false}, {"b", 4, 3, 5, false}},
		want:  [][][2]int64{{{1, 1}, {2, 2}, {3, 2}, {4, 3}, {5, 3}}},
	}, {
		name:   "BoundsInsideBatches",
		branch: plain, min: 2, max: 5, pageSize: 100,
		nodes: []memNode{{"b", 1, 1, 3, false}, {"b", 4, 2, 6, false}},
		want:  [][][2]int64{{{2, 1}, {3, 1}, {4, 2}}},
	}, {
		name:   "BoundsInsideOneBatch",
		branch: plain, min: 5, max: 6, pageSize: 100,
		nodes: []memNode{{"b", 1, 1, 3, false}, {"b", 4, 2, 6, false}},
		want:  [][][2]int64{{{5, 2}}},
	}, {
		name:   "MinInsideBatchPaged",
		branch: plain, min: 3, max: 7, pageSize: 1,
		nodes: []memNode{{"b", 1, 1, 3, false}, {"b", 4, 2, 6, false}},
		want:  [][][2]int64{{{3, 1}}, {{4, 2}, {5, 2}, {6, 2}}},
	}, {
		name:   "MinPastTheBatchBelowIt",
		branch: plain, min: 4, max: 100,
		nodes: []memNode{{"b", 1, 1, 2, false}, {"b", 5, 2, 6, false}},
		want:  [][][2]int64{{{5, 2}, {6, 2}}},
	}, {
		// A late append from a fenced-out owner for a node that no newer
		// write replaced overlaps events already read; it is skipped.
		name:   "SkipsOverlappingStaleNode",
		branch: plain, min: 1, max: 6, pageSize: 2,
		nodes: []memNode{{"b", 1, 10, 2, false}, {"b", 3, 20, 4, false}, {"b", 5, 21, 5, false}, {"b", 4, 15, 5, false}},
		want:  [][][2]int64{{{1, 10}, {2, 10}}, {{3, 20}, {4, 20}}, {{5, 21}}},
	}, {
		name:   "FollowsAncestors",
		branch: forked, min: 1, max: 100, pageSize: 100,
		nodes: []memNode{
			{"b", 1, 1, 2, false}, {"b", 3, 1, 4, false}, {"b", 5, 1, 6, false}, // b's 5-6 are not c's
			{"c", 5, 2, 5, false}, {"c", 6, 2, 7, false},
		},
		want: [][][2]int64{{{1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 2}, {6, 2}, {7, 2}}},
	}, {
		name:   "FollowsAncestorsPaged",
		branch: forked, min: 1, max: 100, pageSize: 2,
		nodes: []memNode{
			{"b", 1, 1, 2, false}, {"b", 3, 1, 4, false}, {"b", 5, 1, 6, false},
			{"c", 5, 2, 5, false}, {"c", 6, 2, 7, false},
		},
		want: [][][2]int64{{{1, 1}, {2, 1}}, {{3, 1}, {4, 1}}, {{5, 2}}, {{6, 2}, {7, 2}}},
	}, {
		name:   "MinInsideAncestorBatch",
		branch: forked, min: 4, max: 6,
		nodes: []memNode{
			{"b", 1, 1, 2, false}, {"b", 3, 1, 4, false},
			{"c", 5, 2, 5, false}, {"c", 6, 2, 7, false},
		},
		want: [][][2]int64{{{4, 1}, {5, 2}}},
	}, {
		name:   "MinInsideOwnBatchAfterAncestors",
		branch: forked, min: 7, max: 100,
		nodes: []memNode{
			{"b", 1, 1, 2, false}, {"b", 3, 1, 4, false},
			{"c", 5, 2, 5, false}, {"c", 6, 2, 7, false},
		},
		want: [][][2]int64{{{7, 2}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := readPages(t, newMemHistory(tc.nodes...), branchToken(t, tc.branch), tc.min, tc.max, tc.pageSize)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestReadHistoryBranchErrors(t *testing.T) {
	token := branchToken(t, &persistencepb.HistoryBranch{TreeId: "t", BranchId: "b"})
	good := []memNode{{"b", 1, 1, 2, false}}
	readErr := errors.New("read failed")
	for _, tc := range []struct {
		name  string
		req   *ReadHistoryBranchRequest
		nodes []memNode
		err   error
	}{
		{name: "NilRequest"},
		{name: "BadBranchToken", req: &ReadHistoryBranchRequest{BranchToken: []byte{0xff}, MaxEventID: 10}},
		{name: "BranchTokenWithoutIDs", req: &ReadHistoryBranchRequest{BranchToken: branchToken(t, &persistencepb.HistoryBranch{TreeId: "t"}), MaxEventID: 10}},
		{name: "BadPageToken", req: &ReadHistoryBranchRequest{BranchToken: token, MaxEventID: 10, NextPageToken: []byte{0x80}}, nodes: good},
		{name: "PageTokenWithTrailingBytes", req: &ReadHistoryBranchRequest{BranchToken: token, MaxEventID: 10, NextPageToken: []byte{2, 0}}, nodes: good},
		{name: "CorruptNode", req: &ReadHistoryBranchRequest{BranchToken: token, MinEventID: 1, MaxEventID: 10}, nodes: []memNode{{"b", 1, 1, 2, true}}},
		{name: "CorruptNodeBeforeMin", req: &ReadHistoryBranchRequest{BranchToken: token, MinEventID: 2, MaxEventID: 10}, nodes: []memNode{{"b", 1, 1, 2, true}}},
		{name: "NodeNotStartingAtItsKey", req: &ReadHistoryBranchRequest{BranchToken: token, MinEventID: 1, MaxEventID: 10}, nodes: []memNode{{"b", 1, 1, 0, false}}},
		{name: "ReaderError", req: &ReadHistoryBranchRequest{BranchToken: token, MinEventID: 1, MaxEventID: 10}, nodes: good, err: readErr},
		{name: "ReaderErrorBeforeMin", req: &ReadHistoryBranchRequest{BranchToken: token, MinEventID: 2, MaxEventID: 10}, nodes: good, err: readErr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newMemHistory(tc.nodes...)
			r.err = tc.err
			_, err := ReadHistoryBranch(tc.req, r)
			require.Error(t, err)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			}
		})
	}
}

// Paging never changes what is read: the pages, joined, are the events of
// one unlimited read, and a page exceeds PageSize only when it is a single
// batch. Read from the first event, stale writes (older transactions of a
// node, stragglers starting inside a node) are never read.
func TestReadHistoryBranchPagingQuick(t *testing.T) {
	token := branchToken(t, &persistencepb.HistoryBranch{TreeId: "t", BranchId: "b"})
	check := func(seed int64) bool {
		rnd := rand.New(rand.NewSource(seed))
		var nodes []memNode
		for first, txn := int64(1), int64(1); first < 40; txn++ {
			n := memNode{branch: "b", first: first, txn: txn, last: first + rnd.Int63n(4)}
			nodes = append(nodes, n)
			switch rnd.Intn(4) {
			case 0: // an older transaction of the node
				nodes = append(nodes, memNode{branch: "b", first: first, txn: txn - 1000, last: first + rnd.Int63n(6)})
			case 1: // a straggler starting inside the node
				if n.last > first {
					nodes = append(nodes, memNode{branch: "b", first: first + 1 + rnd.Int63n(n.last-first), txn: txn + 1000, last: n.last + rnd.Int63n(3)})
				}
			}
			first = n.last + 1
		}
		r := newMemHistory(nodes...)
		minID, maxID := int64(1), 30+rnd.Int63n(20)
		if rnd.Intn(2) == 0 {
			minID += rnd.Int63n(10)
		}
		whole := readPages(t, r, token, minID, maxID, 0)
		require.Len(t, whole, 1)
		for i, e := range whole[0] {
			if minID == 1 && (e[0] != minID+int64(i) || e[1] < 0 || e[1] > 1000) {
				t.Logf("seed %d: read %v of [%d, %d)", seed, whole[0], minID, maxID)
				return false
			}
		}
		pageSize := 1 + rnd.Intn(8)
		var joined [][2]int64
		for _, page := range readPages(t, r, token, minID, maxID, pageSize) {
			if len(page) > pageSize && page[0][1] != page[len(page)-1][1] {
				t.Logf("seed %d: page %v of several batches exceeds page size %d", seed, page, pageSize)
				return false
			}
			joined = append(joined, page...)
		}
		if !slices.Equal(whole[0], joined) {
			t.Logf("seed %d: paged read %v, unlimited read %v", seed, joined, whole[0])
			return false
		}
		return true
	}
	require.NoError(t, quick.Check(check, &quick.Config{MaxCount: 300}))
}

func TestPrepareHistoryNode(t *testing.T) {
	token := branchToken(t, &persistencepb.HistoryBranch{TreeId: "t", BranchId: "b"})
	events := func(ids ...int64) []*historypb.HistoryEvent {
		var evs []*historypb.HistoryEvent
		for _, id := range ids {
			evs = append(evs, &historypb.HistoryEvent{EventId: id})
		}
		return evs
	}
	for _, tc := range []struct {
		name string
		req  *AppendHistoryNodesRequest
		ok   bool
	}{
		{name: "Valid", req: &AppendHistoryNodesRequest{BranchToken: token, Events: events(3, 4, 5)}, ok: true},
		{name: "NilRequest"},
		{name: "BadBranchToken", req: &AppendHistoryNodesRequest{BranchToken: []byte{0xff}, Events: events(1)}},
		{name: "NoBranchID", req: &AppendHistoryNodesRequest{BranchToken: branchToken(t, &persistencepb.HistoryBranch{TreeId: "t"}), Events: events(1)}},
		{name: "NoTreeID", req: &AppendHistoryNodesRequest{BranchToken: branchToken(t, &persistencepb.HistoryBranch{BranchId: "b"}), Events: events(1)}},
		{name: "NoEvents", req: &AppendHistoryNodesRequest{BranchToken: token}},
		{name: "ZeroFirstEventID", req: &AppendHistoryNodesRequest{BranchToken: token, Events: events(0, 1)}},
		{name: "NegativeFirstEventID", req: &AppendHistoryNodesRequest{BranchToken: token, Events: events(-1)}},
		{name: "Gap", req: &AppendHistoryNodesRequest{BranchToken: token, Events: events(1, 3)}},
		{name: "Repeat", req: &AppendHistoryNodesRequest{BranchToken: token, Events: events(1, 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := PrepareHistoryNode(tc.req)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "t", w.Branch.TreeId)
			require.Equal(t, "b", w.Branch.BranchId)
			require.Equal(t, int64(3), w.FirstEventID)
			n, err := DecodeHistoryNode(w.FirstEventID, 7, w.Data)
			require.NoError(t, err)
			require.Equal(t, int64(7), n.TransactionID)
			require.Equal(t, len(w.Data), n.Size)
			require.Len(t, n.Events, 3)
		})
	}
}

func TestDecodeHistoryNode(t *testing.T) {
	enc := func(ids ...int64) []byte {
		var evs []*historypb.HistoryEvent
		for _, id := range ids {
			evs = append(evs, &historypb.HistoryEvent{EventId: id})
		}
		v, err := proto.Marshal(&historypb.History{Events: evs})
		require.NoError(t, err)
		return v
	}
	for _, tc := range []struct {
		name  string
		first int64
		data  []byte
		ok    bool
	}{
		{name: "Valid", first: 4, data: enc(4, 5), ok: true},
		{name: "Garbage", first: 4, data: []byte{0xff}},
		{name: "NoEvents", first: 4, data: nil},
		{name: "StartsElsewhere", first: 4, data: enc(5, 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := DecodeHistoryNode(tc.first, 1, tc.data)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.first, n.FirstEventID)
			require.Equal(t, len(tc.data), n.Size)
		})
	}
}
