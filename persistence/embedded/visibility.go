package embedded

import (
	"context"
	"fmt"

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
	id, err := persistence.VisibilityRunKey(rec)
	if err != nil {
		return err
	}
	b := s.d.pebble.NewBatch()
	if err := setProto(b, visibilityKey(id.NamespaceID, id.WorkflowID, id.RunID), rec); err != nil {
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
	return persistence.ListVisibilityRecords(req, func(visit func(*persistencepb.VisibilityRecord)) error {
		return s.scan(req.NamespaceID, visit)
	})
}

func (s *visibilityStore) CountWorkflowExecutions(ctx context.Context, namespaceID string, filter persistence.VisibilityFilter) (int64, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	return persistence.CountVisibilityRecords(filter, func(visit func(*persistencepb.VisibilityRecord)) error {
		return s.scan(namespaceID, visit)
	})
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
