package cassandra

import (
	"context"
	"errors"

	"github.com/meridian-dev/meridian/persistence"
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

// AppendHistoryNodes writes the batch as one row (a plain, idempotent
// write: no LWT; the state write that follows is the fenced one). The first
// batch of a branch also records the branch in history_tree, first.
func (s *historyStore) AppendHistoryNodes(ctx context.Context, req *persistence.AppendHistoryNodesRequest) (int, error) {
	const op = "AppendHistoryNodes"
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	w, err := persistence.PrepareHistoryNode(req)
	if err != nil {
		return 0, err
	}
	br := w.Branch
	if req.IsNewBranch {
		if err := s.d.exec(ctx, op, stmtBranchInsert, br.TreeId, br.BranchId, req.BranchToken); err != nil {
			return 0, err
		}
	}
	if err := s.d.exec(ctx, op, stmtNodeInsert, br.TreeId, br.BranchId, w.FirstEventID, req.TransactionID, w.Data); err != nil {
		return 0, err
	}
	return len(w.Data), nil
}

// ReadHistoryBranch: see persistence.ReadHistoryBranch, which picks the
// nodes; historyReader reads them.
func (s *historyStore) ReadHistoryBranch(ctx context.Context, req *persistence.ReadHistoryBranchRequest) (*persistence.ReadHistoryBranchResponse, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	return persistence.ReadHistoryBranch(req, historyReader{ctx: ctx, d: s.d, op: "ReadHistoryBranch"})
}

// historyReader reads history nodes for one ReadHistoryBranch call.
type historyReader struct {
	ctx context.Context
	d   *db
	op  string
}

var _ persistence.HistoryNodeReader = historyReader{}

func (r historyReader) LastNode(treeID, branchID string, begin, end int64) (*persistence.HistoryNode, error) {
	var first int64
	err := r.d.scanOne(r.ctx, r.op, stmtNodeBefore, []any{treeID, branchID, begin, end}, &first)
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
	if err := r.d.scanOne(r.ctx, r.op, stmtNodeNewest, []any{treeID, branchID, first}, &first, &txnID, &data); err != nil {
		return nil, err
	}
	return persistence.DecodeHistoryNode(first, txnID, data)
}

func (r historyReader) ScanNodes(treeID, branchID string, lo, hi int64, visit func(first, txn int64, data []byte) bool) error {
	q := r.d.session.Query(stmtNodesRead, treeID, branchID, lo, hi).PageSize(historyReadPageRows)
	var (
		first, txnID int64
		data         []byte
	)
	return r.d.iterate(r.ctx, r.op, q, func(scan func(...any) bool) bool {
		return scan(&first, &txnID, &data) && visit(first, txnID, data)
	})
}

// DeleteHistoryBranch deletes the branch's partition (not its ancestors')
// and its history_tree row.
func (s *historyStore) DeleteHistoryBranch(ctx context.Context, shardID int32, branchToken []byte) error {
	const op = "DeleteHistoryBranch"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	br, err := persistence.DecodeBranchToken(branchToken)
	if err != nil {
		return err
	}
	if err := s.d.exec(ctx, op, stmtBranchDelete, br.TreeId, br.BranchId); err != nil {
		return err
	}
	return s.d.exec(ctx, op, stmtTreeDelete, br.TreeId, br.BranchId)
}
