package cassandra

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

const (
	stmtNodeInsert   = `INSERT INTO history_node (tree_id, branch_id, node_id, txn_id, data) VALUES (?, ?, ?, ?, ?)`
	stmtBranchInsert = `INSERT INTO history_tree (tree_id, branch_id, branch) VALUES (?, ?, ?)`
	// Rows come in (node_id ASC, txn_id DESC) order: the first row of a
	// node is its newest transaction.
	stmtNodesRead = `SELECT node_id, txn_id, data FROM history_node WHERE tree_id = ? AND branch_id = ? AND node_id >= ? AND node_id < ?`
	// stmtNodeBefore finds the last node below an event ID.
	stmtNodeBefore   = `SELECT node_id FROM history_node WHERE tree_id = ? AND branch_id = ? AND node_id >= ? AND node_id < ? ORDER BY node_id DESC LIMIT 1`
	stmtNodeNewest   = `SELECT node_id, txn_id, data FROM history_node WHERE tree_id = ? AND branch_id = ? AND node_id = ? LIMIT 1`
	stmtBranchDelete = `DELETE FROM history_node WHERE tree_id = ? AND branch_id = ?`
	stmtTreeDelete   = `DELETE FROM history_tree WHERE tree_id = ? AND branch_id = ?`
)

// historyReadPageRows bounds the rows (batches) the driver fetches per
// round trip while reading a branch.
const historyReadPageRows = 100

type historyStore struct{ d *db }

var _ persistence.HistoryStore = (*historyStore)(nil)

func decodeBranchToken(token []byte) (*persistencepb.HistoryBranch, error) {
	var br persistencepb.HistoryBranch
	if err := proto.Unmarshal(token, &br); err != nil {
		return nil, fmt.Errorf("cassandra: invalid branch token: %w", err)
	}
	if br.TreeId == "" || br.BranchId == "" {
		return nil, errors.New("cassandra: branch token without tree or branch ID")
	}
	return &br, nil
}

// AppendHistoryNodes writes the batch as one row (a plain, idempotent
// write: no LWT; the state write that follows is the fenced one). The first
// batch of a branch also records the branch in history_tree, first.
func (s *historyStore) AppendHistoryNodes(ctx context.Context, req *persistence.AppendHistoryNodesRequest) (int, error) {
	const op = "AppendHistoryNodes"
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	if req == nil {
		return 0, errors.New("cassandra: AppendHistoryNodes: nil request")
	}
	br, err := decodeBranchToken(req.BranchToken)
	if err != nil {
		return 0, err
	}
	if len(req.Events) == 0 {
		return 0, errors.New("cassandra: AppendHistoryNodes without events")
	}
	first := req.Events[0].GetEventId()
	if first <= 0 {
		return 0, fmt.Errorf("cassandra: AppendHistoryNodes: invalid first event ID %d", first)
	}
	for i, e := range req.Events {
		if e.GetEventId() != first+int64(i) {
			return 0, fmt.Errorf("cassandra: AppendHistoryNodes: event IDs not contiguous at %d", e.GetEventId())
		}
	}
	v, err := proto.Marshal(&historypb.History{Events: req.Events})
	if err != nil {
		return 0, fmt.Errorf("cassandra: encode history: %w", err)
	}
	if req.IsNewBranch {
		if err := s.d.exec(ctx, op, stmtBranchInsert, br.TreeId, br.BranchId, req.BranchToken); err != nil {
			return 0, err
		}
	}
	if err := s.d.exec(ctx, op, stmtNodeInsert, br.TreeId, br.BranchId, first, req.TransactionID, v); err != nil {
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
// returned (a late append from a fenced-out owner that no newer
// transaction of the same node replaced); it is skipped.
type historyCursor struct {
	next int64
}

func (c historyCursor) token() []byte {
	return binary.AppendVarint(nil, c.next)
}

func parseHistoryToken(tok []byte) (historyCursor, error) {
	next, n := binary.Varint(tok)
	if n <= 0 || n != len(tok) {
		return historyCursor{}, errors.New("cassandra: invalid history page token")
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
// events in [MinEventID, MaxEventID), following the branch's ancestors. A
// page holds batches while their event count stays within PageSize, and
// always at least one batch; PageSize <= 0 means no limit.
func (s *historyStore) ReadHistoryBranch(ctx context.Context, req *persistence.ReadHistoryBranchRequest) (*persistence.ReadHistoryBranchResponse, error) {
	const op = "ReadHistoryBranch"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, errors.New("cassandra: ReadHistoryBranch: nil request")
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
	for _, seg := range segments(br) {
		lo, hi := max(cur.next, seg.begin), min(seg.end, req.MaxEventID)
		if lo >= hi {
			continue
		}
		if !resume && lo > seg.begin {
			// MinEventID may fall inside a batch that starts before it.
			n, err := s.nodeBefore(ctx, op, br.TreeId, seg.branchID, seg.begin, lo)
			if err != nil {
				return nil, err
			}
			if n != nil && n.events[len(n.events)-1].GetEventId() >= lo {
				if full := addNode(resp, &cur, n, req); full {
					return resp, nil
				}
			}
		}
		resume = true // Only the first segment read can start mid-batch.
		full, err := s.readSegment(ctx, op, br.TreeId, seg.branchID, lo, hi, &cur, resp, req)
		if err != nil || full {
			return resp, err
		}
	}
	return resp, nil
}

// readSegment appends nodes with lo <= first < hi. It reports true when the
// page filled up (resp.NextPageToken is then set).
func (s *historyStore) readSegment(ctx context.Context, op, treeID, branchID string, lo, hi int64, cur *historyCursor, resp *persistence.ReadHistoryBranchResponse, req *persistence.ReadHistoryBranchRequest) (bool, error) {
	q := s.d.session.Query(stmtNodesRead, treeID, branchID, lo, hi).PageSize(historyReadPageRows)
	var (
		seen         = int64(math.MinInt64)
		full         bool
		decErr       error
		first, txnID int64
		data         []byte
	)
	err := s.d.iterate(ctx, op, q, func(scan func(...any) bool) bool {
		if !scan(&first, &txnID, &data) {
			return false
		}
		if first == seen {
			return true // an older transaction of the node just handled
		}
		seen = first
		if first < cur.next {
			return true // overlaps events already returned
		}
		n, err := decodeNode(first, txnID, data)
		if err != nil {
			decErr = err
			return false
		}
		full = addNode(resp, cur, n, req)
		return !full
	})
	if err != nil {
		return false, err
	}
	return full, decErr
}

// addNode adds n to the page, or, when the page is full, sets the token to
// resume at n and reports true.
func addNode(resp *persistence.ReadHistoryBranchResponse, cur *historyCursor, n *historyNode, req *persistence.ReadHistoryBranchRequest) bool {
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
func (s *historyStore) nodeBefore(ctx context.Context, op, treeID, branchID string, begin, id int64) (*historyNode, error) {
	var first int64
	err := s.d.scanOne(ctx, op, stmtNodeBefore, []any{treeID, branchID, begin, id}, &first)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var (
		txnID int64
		data  []byte
	)
	if err := s.d.scanOne(ctx, op, stmtNodeNewest, []any{treeID, branchID, first}, &first, &txnID, &data); err != nil {
		return nil, err
	}
	return decodeNode(first, txnID, data)
}

func decodeNode(first, txn int64, v []byte) (*historyNode, error) {
	var h historypb.History
	if err := proto.Unmarshal(v, &h); err != nil {
		return nil, fmt.Errorf("cassandra: decode history node %d: %w", first, err)
	}
	if len(h.Events) == 0 || h.Events[0].GetEventId() != first {
		return nil, fmt.Errorf("cassandra: corrupt history node %d", first)
	}
	return &historyNode{first: first, txn: txn, events: h.Events, size: len(v)}, nil
}

// DeleteHistoryBranch deletes the branch's partition (not its ancestors')
// and its history_tree row.
func (s *historyStore) DeleteHistoryBranch(ctx context.Context, shardID int32, branchToken []byte) error {
	const op = "DeleteHistoryBranch"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	br, err := decodeBranchToken(branchToken)
	if err != nil {
		return err
	}
	if err := s.d.exec(ctx, op, stmtBranchDelete, br.TreeId, br.BranchId); err != nil {
		return err
	}
	return s.d.exec(ctx, op, stmtTreeDelete, br.TreeId, br.BranchId)
}
