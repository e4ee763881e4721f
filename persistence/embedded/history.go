package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

type historyStore struct{ d *db }

var _ persistence.HistoryStore = (*historyStore)(nil)

func decodeBranchToken(token []byte) (*persistencepb.HistoryBranch, error) {
	var br persistencepb.HistoryBranch
	if err := proto.Unmarshal(token, &br); err != nil {
		return nil, fmt.Errorf("embedded: invalid branch token: %w", err)
	}
	if br.TreeId == "" || br.BranchId == "" {
		return nil, errors.New("embedded: branch token without tree or branch ID")
	}
	return &br, nil
}

func (s *historyStore) AppendHistoryNodes(ctx context.Context, req *persistence.AppendHistoryNodesRequest) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	br, err := decodeBranchToken(req.BranchToken)
	if err != nil {
		return 0, err
	}
	if len(req.Events) == 0 {
		return 0, errors.New("embedded: AppendHistoryNodes without events")
	}
	first := req.Events[0].GetEventId()
	if first <= 0 {
		return 0, fmt.Errorf("embedded: AppendHistoryNodes: invalid first event ID %d", first)
	}
	for i, e := range req.Events {
		if e.GetEventId() != first+int64(i) {
			return 0, fmt.Errorf("embedded: AppendHistoryNodes: event IDs not contiguous at %d", e.GetEventId())
		}
	}
	v, err := proto.Marshal(&historypb.History{Events: req.Events})
	if err != nil {
		return 0, fmt.Errorf("embedded: encode history: %w", err)
	}
	b := s.d.pebble.NewBatch()
	if err := b.Set(historyNodeKey(historyBranchPrefix(br.TreeId, br.BranchId), first, req.TransactionID), v, nil); err != nil {
		return 0, discard(b, err)
	}
	if req.IsNewBranch {
		if err := b.Set(historyBranchKey(br.TreeId, br.BranchId), req.BranchToken, nil); err != nil {
			return 0, discard(b, err)
		}
	}
	if err := commit(b); err != nil {
		return 0, err
	}
	return len(v), nil
}

// branchSegment is a part of a branch's history: events of branchID with
// begin <= first event ID of the batch < end.
type branchSegment struct {
	branchID   string
	begin, end int64
}

func segments(br *persistencepb.HistoryBranch) []branchSegment {
	segs := make([]branchSegment, 0, len(br.Ancestors)+1)
	begin := int64(math.MinInt64)
	for _, a := range br.Ancestors {
		segs = append(segs, branchSegment{a.BranchId, a.BeginEventId, a.EndEventId})
		begin = a.EndEventId
	}
	return append(segs, branchSegment{br.BranchId, begin, math.MaxInt64})
}

// historyCursor is the read position carried by a page token: the next
// event ID to return. A node that starts below it overlaps events already
// returned: a stale write (say, a late append from a fenced-out owner) that
// no newer transaction of the same node replaced; it is skipped.
type historyCursor struct {
	next int64
}

func (c historyCursor) token() []byte {
	return binary.AppendVarint(nil, c.next)
}

func parseHistoryToken(tok []byte) (historyCursor, error) {
	next, n := binary.Varint(tok)
	if n <= 0 || n != len(tok) {
		return historyCursor{}, errors.New("embedded: invalid history page token")
	}
	return historyCursor{next}, nil
}

// historyNode is one batch as read: the newest transaction of its first
// event ID.
type historyNode struct {
	first, txn int64
	events     []*historypb.HistoryEvent
	size       int
}

// ReadHistoryBranch returns whole batches (newest transaction of each) with
// events in [MinEventID, MaxEventID). A page holds batches while their event
// count stays within PageSize, and always at least one batch; PageSize <= 0
// means no limit.
func (s *historyStore) ReadHistoryBranch(ctx context.Context, req *persistence.ReadHistoryBranchRequest) (_ *persistence.ReadHistoryBranchResponse, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	br, err := decodeBranchToken(req.BranchToken)
	if err != nil {
		return nil, err
	}
	cur := historyCursor{next: req.MinEventID}
	resume := len(req.NextPageToken) > 0
	if resume {
		if cur, err = parseHistoryToken(req.NextPageToken); err != nil {
			return nil, err
		}
	}
	resp := &persistence.ReadHistoryBranchResponse{}
	snap := s.d.pebble.NewSnapshot()
	defer closeInto(&err, snap, "snapshot")
	for _, seg := range segments(br) {
		lo, hi := max(cur.next, seg.begin), min(seg.end, req.MaxEventID)
		if lo >= hi {
			continue
		}
		prefix := historyBranchPrefix(br.TreeId, seg.branchID)
		if !resume && lo > seg.begin {
			// MinEventID may fall inside a batch that starts before it.
			n, err := nodeBefore(snap, prefix, seg.begin, lo)
			if err != nil {
				return nil, err
			}
			if n != nil && n.events[len(n.events)-1].GetEventId() >= lo {
				if full := s.addNode(resp, &cur, n, req); full {
					return resp, nil
				}
			}
		}
		resume = true // Only the first segment read can start mid-batch.
		full, err := s.readSegment(snap, prefix, lo, hi, &cur, resp, req)
		if err != nil || full {
			return resp, err
		}
	}
	return resp, nil
}

// readSegment appends nodes with lo <= first < hi. It reports true when the
// page filled up (resp.NextPageToken is then set).
func (s *historyStore) readSegment(r pebble.Reader, prefix []byte, lo, hi int64, cur *historyCursor, resp *persistence.ReadHistoryBranchResponse, req *persistence.ReadHistoryBranchRequest) (_ bool, err error) {
	it, err := r.NewIter(&pebble.IterOptions{
		LowerBound: historyNodeBound(prefix, lo),
		UpperBound: historyNodeBound(prefix, hi),
	})
	if err != nil {
		return false, fmt.Errorf("embedded: iterate history: %w", err)
	}
	defer closeInto(&err, it, "iterator")
	seen := int64(math.MinInt64)
	for ok := it.First(); ok; ok = it.Next() {
		first, txn := decodeHistoryNodeKey(it.Key())
		if first == seen {
			continue // an older transaction of the node just handled
		}
		seen = first
		if first < cur.next {
			continue // overlaps events already returned
		}
		n, err := decodeNode(first, txn, it.Value())
		if err != nil {
			return false, err
		}
		if s.addNode(resp, cur, n, req) {
			return true, nil
		}
	}
	if err := it.Error(); err != nil {
		return false, fmt.Errorf("embedded: iterate history: %w", err)
	}
	return false, nil
}

// addNode adds n to the page, or, when the page is full, sets the token to
// resume at n and reports true.
func (s *historyStore) addNode(resp *persistence.ReadHistoryBranchResponse, cur *historyCursor, n *historyNode, req *persistence.ReadHistoryBranchRequest) bool {
	events := n.events
	size := n.size
	if lo, hi := events[0].GetEventId(), events[len(events)-1].GetEventId(); lo < req.MinEventID || hi >= req.MaxEventID {
		var kept []*historypb.HistoryEvent
		for _, e := range events {
			if id := e.GetEventId(); id >= req.MinEventID && id < req.MaxEventID {
				kept = append(kept, e)
			}
		}
		events = kept
		size = proto.Size(&historypb.History{Events: events})
	}
	if len(events) == 0 {
		return false
	}
	if req.PageSize > 0 && len(resp.Events) > 0 && len(resp.Events)+len(events) > req.PageSize {
		resp.NextPageToken = historyCursor{next: n.first}.token()
		return true
	}
	resp.Events = append(resp.Events, events...)
	resp.Size += size
	cur.next = events[len(events)-1].GetEventId() + 1
	return false
}

// nodeBefore returns the newest transaction of the last node with
// begin <= first < id, or nil.
func nodeBefore(r pebble.Reader, prefix []byte, begin, id int64) (_ *historyNode, err error) {
	it, err := r.NewIter(&pebble.IterOptions{
		LowerBound: historyNodeBound(prefix, begin),
		UpperBound: historyNodeBound(prefix, id),
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: iterate history: %w", err)
	}
	defer closeInto(&err, it, "iterator")
	if !it.Last() {
		return nil, it.Error()
	}
	first, _ := decodeHistoryNodeKey(it.Key())
	// it.Last is the oldest transaction of that node; seek to its newest.
	if !it.SeekGE(historyNodeBound(prefix, first)) {
		return nil, it.Error()
	}
	first, txn := decodeHistoryNodeKey(it.Key())
	return decodeNode(first, txn, it.Value())
}

func decodeNode(first, txn int64, v []byte) (*historyNode, error) {
	var h historypb.History
	if err := proto.Unmarshal(v, &h); err != nil {
		return nil, fmt.Errorf("embedded: decode history node %d: %w", first, err)
	}
	if len(h.Events) == 0 || h.Events[0].GetEventId() != first {
		return nil, fmt.Errorf("embedded: corrupt history node %d", first)
	}
	return &historyNode{first: first, txn: txn, events: h.Events, size: len(v)}, nil
}

func (s *historyStore) DeleteHistoryBranch(ctx context.Context, shardID int32, branchToken []byte) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	br, err := decodeBranchToken(branchToken)
	if err != nil {
		return err
	}
	prefix := historyBranchPrefix(br.TreeId, br.BranchId)
	b := s.d.pebble.NewBatch()
	if err := b.DeleteRange(prefix, prefixEnd(prefix), nil); err != nil {
		return discard(b, err)
	}
	if err := b.Delete(historyBranchKey(br.TreeId, br.BranchId), nil); err != nil {
		return discard(b, err)
	}
	return commit(b)
}
