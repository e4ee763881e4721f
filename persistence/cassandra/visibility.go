package cassandra

import (
	"context"
	"fmt"

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
	id, err := persistence.VisibilityRunKey(rec)
	if err != nil {
		return err
	}
	v, err := marshal(rec)
	if err != nil {
		return err
	}
	return s.d.exec(ctx, op, stmtVisibilityUpsert, id.NamespaceID, id.WorkflowID, id.RunID, v)
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
	return persistence.ListVisibilityRecords(req, func(visit func(*persistencepb.VisibilityRecord)) error {
		return s.scan(ctx, op, req.NamespaceID, visit)
	})
}

func (s *visibilityStore) CountWorkflowExecutions(ctx context.Context, namespaceID string, filter persistence.VisibilityFilter) (int64, error) {
	const op = "CountVisibility"
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	return persistence.CountVisibilityRecords(filter, func(visit func(*persistencepb.VisibilityRecord)) error {
		return s.scan(ctx, op, namespaceID, visit)
	})
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
