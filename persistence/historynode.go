package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// This file holds what every HistoryStore backend does alike: checking and
// encoding an appended node, and choosing which stored nodes make up a
// ReadHistoryBranch page. Backends only store and scan nodes.

// HistoryNode is one batch of events as read: the newest transaction of the
// node (the batch keyed by its first event ID).
type HistoryNode struct {
	FirstEventID  int64
	TransactionID int64
	Events        []*historypb.HistoryEvent
	// Size is the encoded size of Events.
	Size int
}

// HistoryNodeWrite is a checked AppendHistoryNodesRequest, ready to store.
type HistoryNodeWrite struct {
	Branch       *persistencepb.HistoryBranch
	FirstEventID int64
	// Data is the node's encoding: a historypb.History of the events.
	Data []byte
}

// DecodeBranchToken decodes a branch token; a token without a tree or
// branch ID is an error.
func DecodeBranchToken(token []byte) (*persistencepb.HistoryBranch, error) {
	var br persistencepb.HistoryBranch
	if err := proto.Unmarshal(token, &br); err != nil {
		return nil, fmt.Errorf("persistence: invalid branch token: %w", err)
	}
	if br.TreeId == "" || br.BranchId == "" {
		return nil, errors.New("persistence: branch token without tree or branch ID")
	}
	return &br, nil
}

// PrepareHistoryNode checks req (a valid branch token; events present,
// contiguous and starting at a positive ID) and encodes its events.
func PrepareHistoryNode(req *AppendHistoryNodesRequest) (*HistoryNodeWrite, error) {
	if req == nil {
		return nil, errors.New("persistence: AppendHistoryNodes: nil request")
	}
	br, err := DecodeBranchToken(req.BranchToken)
	if err != nil {
		return nil, err
	}
	if len(req.Events) == 0 {
		return nil, errors.New("persistence: AppendHistoryNodes without events")
	}
	first := req.Events[0].GetEventId()
	if first <= 0 {
		return nil, fmt.Errorf("persistence: AppendHistoryNodes: invalid first event ID %d", first)
	}
	for i, e := range req.Events {
		if e.GetEventId() != first+int64(i) {
			return nil, fmt.Errorf("persistence: AppendHistoryNodes: event IDs not contiguous at %d", e.GetEventId())
		}
	}
	data, err := proto.Marshal(&historypb.History{Events: req.Events})
	if err != nil {
		return nil, fmt.Errorf("persistence: encode history: %w", err)
	}
	return &HistoryNodeWrite{Branch: br, FirstEventID: first, Data: data}, nil
}

// DecodeHistoryNode decodes a stored transaction of node first. A node
// whose events do not start at first is corrupt.
func DecodeHistoryNode(first, txn int64, data []byte) (*HistoryNode, error) {
	var h historypb.History
	if err := proto.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("persistence: decode history node %d: %w", first, err)
	}
	if len(h.Events) == 0 || h.Events[0].GetEventId() != first {
		return nil, fmt.Errorf("persistence: corrupt history node %d", first)
	}
	return &HistoryNode{FirstEventID: first, TransactionID: txn, Events: h.Events, Size: len(data)}, nil
}

// HistoryNodeReader is the storage ReadHistoryBranch reads nodes from. It
// does the I/O; ReadHistoryBranch decides which nodes make up the page.
// Errors are returned to the caller unchanged.
type HistoryNodeReader interface {
	// LastNode returns the newest transaction of the node of (treeID,
	// branchID) with the greatest first event ID in [begin, end), or nil
	// when there is none.
	LastNode(treeID, branchID string, begin, end int64) (*HistoryNode, error)
	// ScanNodes calls visit with every stored transaction of the nodes of
	// (treeID, branchID) whose first event ID is in [lo, hi): by first
	// event ID ascending, then transaction ID descending, until visit
	// returns false. data is only valid during the call.
	ScanNodes(treeID, branchID string, lo, hi int64, visit func(first, txn int64, data []byte) bool) error
}

// ReadHistoryBranch reads one page of req from r: whole batches (the newest
// transaction of each node) with events in [MinEventID, MaxEventID),
// following the branch's ancestors. A page holds batches while their event
// count stays within PageSize, and always at least one batch; PageSize <= 0
// means no limit. A batch cut by MinEventID or MaxEventID is trimmed to the
// range. On an error the events read so far may be returned with it.
func ReadHistoryBranch(req *ReadHistoryBranchRequest, r HistoryNodeReader) (*ReadHistoryBranchResponse, error) {
	if req == nil {
		return nil, errors.New("persistence: ReadHistoryBranch: nil request")
	}
	br, err := DecodeBranchToken(req.BranchToken)
	if err != nil {
		return nil, err
	}
	p := &historyPage{req: req, resp: &ReadHistoryBranchResponse{}, next: req.MinEventID}
	resume := len(req.NextPageToken) > 0
	if resume {
		if p.next, err = parseHistoryPageToken(req.NextPageToken); err != nil {
			return nil, err
		}
	}
	for _, seg := range branchSegments(br) {
		lo, hi := max(p.next, seg.begin), min(seg.end, req.MaxEventID)
		if lo >= hi {
			continue
		}
		if !resume && lo > seg.begin {
			// MinEventID may fall inside a batch that starts before it.
			n, err := r.LastNode(br.TreeId, seg.branchID, seg.begin, lo)
			if err != nil {
				return nil, err
			}
			if n != nil && n.Events[len(n.Events)-1].GetEventId() >= lo && p.add(n) {
				return p.resp, nil
			}
		}
		resume = true // Only the first segment read can start mid-batch.
		full, err := p.scan(r, br.TreeId, seg.branchID, lo, hi)
		if err != nil || full {
			return p.resp, err
		}
	}
	return p.resp, nil
}

// branchSegment is a part of a branch's history: events of branchID with
// begin <= first event ID of the batch < end.
type branchSegment struct {
	branchID   string
	begin, end int64
}

// branchSegments lists the ancestors' segments, oldest first, then the
// branch's own, which runs from the last ancestor's end.
func branchSegments(br *persistencepb.HistoryBranch) []branchSegment {
	segs := make([]branchSegment, 0, len(br.Ancestors)+1)
	begin := int64(math.MinInt64)
	for _, a := range br.Ancestors {
		segs = append(segs, branchSegment{a.BranchId, a.BeginEventId, a.EndEventId})
		begin = a.EndEventId
	}
	return append(segs, branchSegment{br.BranchId, begin, math.MaxInt64})
}

// The page token is the next event ID to return, as a varint.
func historyPageToken(next int64) []byte {
	return binary.AppendVarint(nil, next)
}

func parseHistoryPageToken(tok []byte) (int64, error) {
	next, n := binary.Varint(tok)
	if n <= 0 || n != len(tok) {
		return 0, errors.New("persistence: invalid history page token")
	}
	return next, nil
}

// historyPage is a ReadHistoryBranch page being filled.
type historyPage struct {
	req  *ReadHistoryBranchRequest
	resp *ReadHistoryBranchResponse
	// next is the next event ID to return. A node that starts below it
	// overlaps events already returned (a stale write, say a late append
	// from a fenced-out owner, that no newer transaction of the same node
	// replaced); it is skipped.
	next int64
}

// scan adds the nodes of a segment with lo <= first < hi, keeping the
// newest transaction of each. It reports true when the page filled up
// (resp.NextPageToken is then set).
func (p *historyPage) scan(r HistoryNodeReader, treeID, branchID string, lo, hi int64) (bool, error) {
	var (
		seen   = int64(math.MinInt64)
		full   bool
		decErr error
	)
	err := r.ScanNodes(treeID, branchID, lo, hi, func(first, txn int64, data []byte) bool {
		if first == seen {
			return true // an older transaction of the node just handled
		}
		seen = first
		if first < p.next {
			return true // overlaps events already returned
		}
		n, err := DecodeHistoryNode(first, txn, data)
		if err != nil {
			decErr = err
			return false
		}
		full = p.add(n)
		return !full
	})
	if err != nil {
		return false, err
	}
	return full, decErr
}

// add adds n's events in [MinEventID, MaxEventID) to the page, or, when the
// page is full, sets the token to resume at n and reports true.
func (p *historyPage) add(n *HistoryNode) bool {
	req, resp := p.req, p.resp
	events, size := n.Events, n.Size
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
		resp.NextPageToken = historyPageToken(n.FirstEventID)
		return true
	}
	resp.Events = append(resp.Events, events...)
	resp.Size += size
	p.next = events[len(events)-1].GetEventId() + 1
	return false
}
