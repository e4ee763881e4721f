package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// visibilityStore keeps one record per run under its namespace. List and
// Count scan the whole namespace: fine at dev scale, not an index.
type visibilityStore struct{ d *db }

var _ persistence.VisibilityStore = (*visibilityStore)(nil)

func (s *visibilityStore) UpsertWorkflowExecution(ctx context.Context, rec *persistencepb.VisibilityRecord) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	ex := rec.GetInfo().GetExecution()
	if rec.GetNamespaceId() == "" || ex.GetWorkflowId() == "" || ex.GetRunId() == "" {
		return errors.New("embedded: visibility record needs namespace_id and info.execution")
	}
	b := s.d.pebble.NewBatch()
	if err := setProto(b, visibilityKey(rec.NamespaceId, ex.WorkflowId, ex.RunId), rec); err != nil {
		return discard(b, err)
	}
	return commit(b)
}

func (s *visibilityStore) DeleteWorkflowExecution(ctx context.Context, namespaceID, workflowID, runID string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	b := s.d.pebble.NewBatch()
	if err := b.Delete(visibilityKey(namespaceID, workflowID, runID), nil); err != nil {
		return discard(b, err)
	}
	return commit(b)
}

func (s *visibilityStore) GetWorkflowExecution(ctx context.Context, namespaceID, workflowID, runID string) (*persistencepb.VisibilityRecord, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	rec := &persistencepb.VisibilityRecord{}
	if err := get(s.d.pebble, visibilityKey(namespaceID, workflowID, runID), rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// ListWorkflowExecutions filters and sorts the whole namespace, then returns
// one page; the page token is the offset of the next record.
func (s *visibilityStore) ListWorkflowExecutions(ctx context.Context, req *persistence.ListWorkflowExecutionsRequest) ([]*persistencepb.VisibilityRecord, []byte, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, nil, err
	}
	var offset uint64
	if len(req.NextPageToken) > 0 {
		var n int
		if offset, n = binary.Uvarint(req.NextPageToken); n != len(req.NextPageToken) {
			return nil, nil, errors.New("embedded: invalid visibility page token")
		}
	}
	var recs []*persistencepb.VisibilityRecord
	err := s.scan(req.NamespaceID, func(rec *persistencepb.VisibilityRecord) {
		if req.Filter == nil || req.Filter.Match(rec) {
			recs = append(recs, rec)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	less := req.Less
	if less == nil {
		less = newestFirst
	}
	slices.SortStableFunc(recs, func(a, b *persistencepb.VisibilityRecord) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
	if offset >= uint64(len(recs)) {
		return nil, nil, nil
	}
	recs = recs[offset:]
	if req.PageSize > 0 && len(recs) > req.PageSize {
		return recs[:req.PageSize], binary.AppendUvarint(nil, offset+uint64(req.PageSize)), nil
	}
	return recs, nil, nil
}

func (s *visibilityStore) CountWorkflowExecutions(ctx context.Context, namespaceID string, filter persistence.VisibilityFilter) (int64, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := s.scan(namespaceID, func(rec *persistencepb.VisibilityRecord) {
		if filter == nil || filter.Match(rec) {
			n++
		}
	})
	return n, err
}

// scan calls f with every record of the namespace.
func (s *visibilityStore) scan(namespaceID string, f func(*persistencepb.VisibilityRecord)) (err error) {
	prefix := visibilityPrefix(namespaceID)
	it, err := s.d.pebble.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return fmt.Errorf("embedded: iterate visibility: %w", err)
	}
	defer closeInto(&err, it, "iterator")
	for ok := it.First(); ok; ok = it.Next() {
		rec := &persistencepb.VisibilityRecord{}
		if err := proto.Unmarshal(it.Value(), rec); err != nil {
			return fmt.Errorf("embedded: decode visibility record: %w", err)
		}
		f(rec)
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("embedded: iterate visibility: %w", err)
	}
	return nil
}

// newestFirst is the default order: start time descending, then run ID.
func newestFirst(a, b *persistencepb.VisibilityRecord) bool {
	ta, tb := a.GetInfo().GetStartTime().AsTime(), b.GetInfo().GetStartTime().AsTime()
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.GetInfo().GetExecution().GetRunId() < b.GetInfo().GetExecution().GetRunId()
}
