package embedded

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble"

	"github.com/meridian-dev/meridian/persistence"
)

type historyStore struct{ d *db }

var _ persistence.HistoryStore = (*historyStore)(nil)

func (s *historyStore) AppendHistoryNodes(ctx context.Context, req *persistence.AppendHistoryNodesRequest) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	w, err := persistence.PrepareHistoryNode(req)
	if err != nil {
		return 0, err
	}
	br := w.Branch
	b := s.d.pebble.NewBatch()
	if err := b.Set(historyNodeKey(historyBranchPrefix(br.TreeId, br.BranchId), w.FirstEventID, req.TransactionID), w.Data, nil); err != nil {
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
	return len(w.Data), nil
}

// ReadHistoryBranch: see persistence.ReadHistoryBranch, which picks the
// nodes; historyReader reads them from one snapshot.
func (s *historyStore) ReadHistoryBranch(ctx context.Context, req *persistence.ReadHistoryBranchRequest) (_ *persistence.ReadHistoryBranchResponse, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	snap := s.d.pebble.NewSnapshot()
	defer closeInto(&err, snap, "snapshot")
	return persistence.ReadHistoryBranch(req, historyReader{snap})
}

// historyReader reads history nodes from r.
type historyReader struct{ r pebble.Reader }

var _ persistence.HistoryNodeReader = historyReader{}

func (h historyReader) LastNode(treeID, branchID string, begin, end int64) (_ *persistence.HistoryNode, err error) {
	prefix := historyBranchPrefix(treeID, branchID)
	it, err := h.r.NewIter(&pebble.IterOptions{
		LowerBound: historyNodeBound(prefix, begin),
		UpperBound: historyNodeBound(prefix, end),
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
	return persistence.DecodeHistoryNode(first, txn, it.Value())
}

func (h historyReader) ScanNodes(treeID, branchID string, lo, hi int64, visit func(first, txn int64, data []byte) bool) (err error) {
	prefix := historyBranchPrefix(treeID, branchID)
	it, err := h.r.NewIter(&pebble.IterOptions{
		LowerBound: historyNodeBound(prefix, lo),
		UpperBound: historyNodeBound(prefix, hi),
	})
	if err != nil {
		return fmt.Errorf("embedded: iterate history: %w", err)
	}
	defer closeInto(&err, it, "iterator")
	for ok := it.First(); ok; ok = it.Next() {
		first, txn := decodeHistoryNodeKey(it.Key())
		if !visit(first, txn, it.Value()) {
			return nil
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("embedded: iterate history: %w", err)
	}
	return nil
}

func (s *historyStore) DeleteHistoryBranch(ctx context.Context, shardID int32, branchToken []byte) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	br, err := persistence.DecodeBranchToken(branchToken)
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
