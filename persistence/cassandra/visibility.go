package cassandra

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

const (
	stmtVisibilityUpsert = `INSERT INTO visibility (namespace_id, workflow_id, run_id, data) VALUES (?, ?, ?, ?)`
	stmtVisibilityDelete = `DELETE FROM visibility WHERE namespace_id = ? AND workflow_id = ? AND run_id = ?`
	stmtVisibilityGet    = `SELECT data FROM visibility WHERE namespace_id = ? AND workflow_id = ? AND run_id = ?`
	stmtVisibilityScan   = `SELECT data FROM visibility WHERE namespace_id = ?`
)

// visibilityScanPageRows is how many records the driver fetches per round
// trip while scanning a namespace.
const visibilityScanPageRows = 1000

// visibilityStore keeps one record per run in its namespace's partition.
// List and Count read the whole partition: bounded by the namespace's size
// (see doc.go), not an index.
type visibilityStore struct{ d *db }

var _ persistence.VisibilityStore = (*visibilityStore)(nil)

func (s *visibilityStore) UpsertWorkflowExecution(ctx context.Context, rec *persistencepb.VisibilityRecord) error {
	const op = "UpsertVisibility"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	ex := rec.GetInfo().GetExecution()
	if rec.GetNamespaceId() == "" || ex.GetWorkflowId() == "" || ex.GetRunId() == "" {
		return errors.New("cassandra: visibility record needs namespace_id and info.execution")
	}
	v, err := marshal(rec)
	if err != nil {
		return err
	}
	return s.d.exec(ctx, op, stmtVisibilityUpsert, rec.NamespaceId, ex.WorkflowId, ex.RunId, v)
}

func (s *visibilityStore) DeleteWorkflowExecution(ctx context.Context, namespaceID, workflowID, runID string) error {
	const op = "DeleteVisibility"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	return s.d.exec(ctx, op, stmtVisibilityDelete, namespaceID, workflowID, runID)
}

func (s *visibilityStore) GetWorkflowExecution(ctx context.Context, namespaceID, workflowID, runID string) (*persistencepb.VisibilityRecord, error) {
	const op = "GetVisibility"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var data []byte
	if err := s.d.scanOne(ctx, op, stmtVisibilityGet, []any{namespaceID, workflowID, runID}, &data); err != nil {
		return nil, err
	}
	rec := &persistencepb.VisibilityRecord{}
	if err := unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("cassandra: visibility record of run %s: %w", runID, err)
	}
	return rec, nil
}

// ListWorkflowExecutions filters and sorts the whole namespace, then returns
// one page; the page token is the offset of the next record.
func (s *visibilityStore) ListWorkflowExecutions(ctx context.Context, req *persistence.ListWorkflowExecutionsRequest) ([]*persistencepb.VisibilityRecord, []byte, error) {
	const op = "ListVisibility"
	if err := ctxErr(ctx); err != nil {
		return nil, nil, err
	}
	if req == nil {
		return nil, nil, errors.New("cassandra: ListWorkflowExecutions: nil request")
	}
	var offset uint64
	if len(req.NextPageToken) > 0 {
		var n int
		if offset, n = binary.Uvarint(req.NextPageToken); n != len(req.NextPageToken) {
			return nil, nil, errors.New("cassandra: invalid visibility page token")
		}
	}
	var recs []*persistencepb.VisibilityRecord
	err := s.scan(ctx, op, req.NamespaceID, func(rec *persistencepb.VisibilityRecord) {
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
	const op = "CountVisibility"
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := s.scan(ctx, op, namespaceID, func(rec *persistencepb.VisibilityRecord) {
		if filter == nil || filter.Match(rec) {
			n++
		}
	})
	return n, err
}

// scan calls f with every record of the namespace.
func (s *visibilityStore) scan(ctx context.Context, op, namespaceID string, f func(*persistencepb.VisibilityRecord)) error {
	var decErr error
	q := s.d.session.Query(stmtVisibilityScan, namespaceID).PageSize(visibilityScanPageRows)
	err := s.d.iterate(ctx, op, q, func(scan func(...any) bool) bool {
		var data []byte
		if !scan(&data) {
			return false
		}
		rec := &persistencepb.VisibilityRecord{}
		if decErr = unmarshal(data, rec); decErr != nil {
			decErr = fmt.Errorf("cassandra: visibility record in namespace %s: %w", namespaceID, decErr)
			return false
		}
		f(rec)
		return true
	})
	if err != nil {
		return err
	}
	return decErr
}

// newestFirst is the default order: start time descending, then run ID.
func newestFirst(a, b *persistencepb.VisibilityRecord) bool {
	ta, tb := a.GetInfo().GetStartTime().AsTime(), b.GetInfo().GetStartTime().AsTime()
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.GetInfo().GetExecution().GetRunId() < b.GetInfo().GetExecution().GetRunId()
}
