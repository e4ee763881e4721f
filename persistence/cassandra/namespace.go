package cassandra

import (
	"context"
	"fmt"
	"math"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Every namespace is two rows of one partition (partition_id 0) of the
// namespaces table, each with the whole record: (row_type 1, key = name)
// and (row_type 2, key = ID). Creates and updates write both in one
// conditional batch.
const (
	nsPartition = 0
	nsByName    = 1
	nsByID      = 2

	stmtNamespaceGet    = `SELECT data FROM namespaces WHERE partition_id = ? AND row_type = ? AND key = ?`
	stmtNamespaceCreate = `INSERT INTO namespaces (partition_id, row_type, key, namespace_id, config_version, data) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS`
	stmtNamespaceUpdate = `UPDATE namespaces SET config_version = ?, data = ? WHERE partition_id = ? AND row_type = ? AND key = ? IF namespace_id = ? AND config_version = ?`
	stmtNamespaceList   = `SELECT data FROM namespaces WHERE partition_id = ? AND row_type = ? AND key > ?`
)

// namespaceStore keeps namespaces. Writes are rare; every one is an LWT.
type namespaceStore struct{ d *db }

var _ persistence.NamespaceStore = (*namespaceStore)(nil)

// CreateNamespace is one conditional batch: both rows IF NOT EXISTS.
func (s *namespaceStore) CreateNamespace(ctx context.Context, ns *persistencepb.NamespaceDetail) error {
	const op = "CreateNamespace"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	id, name, err := persistence.NamespaceIDs(ns)
	if err != nil {
		return err
	}
	v, err := marshal(ns)
	if err != nil {
		return err
	}
	b := s.d.newBatch()
	b.Query(stmtNamespaceCreate, nsPartition, nsByName, name, id, ns.ConfigVersion, v)
	b.Query(stmtNamespaceCreate, nsPartition, nsByID, id, id, ns.ConfigVersion, v)
	applied, rows, err := s.d.casBatch(ctx, op, b)
	if err != nil {
		return err
	}
	if applied {
		return nil
	}
	for _, r := range rows {
		if r.int64("row_type") == nsByID {
			return fmt.Errorf("%w: namespace ID %s (name %q)", persistence.ErrAlreadyExists, id, name)
		}
	}
	return fmt.Errorf("%w: namespace %q (id %s)", persistence.ErrAlreadyExists, name, id)
}

func (s *namespaceStore) get(ctx context.Context, op string, rowType int, key string) (*persistencepb.NamespaceDetail, error) {
	var data []byte
	if err := s.d.scanOne(ctx, op, stmtNamespaceGet, []any{nsPartition, rowType, key}, &data); err != nil {
		return nil, err
	}
	ns := &persistencepb.NamespaceDetail{}
	if err := unmarshal(data, ns); err != nil {
		return nil, fmt.Errorf("cassandra: namespace %q: %w", key, err)
	}
	return ns, nil
}

func (s *namespaceStore) GetNamespaceByID(ctx context.Context, id string) (*persistencepb.NamespaceDetail, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	return s.get(ctx, "GetNamespaceByID", nsByID, id)
}

func (s *namespaceStore) GetNamespaceByName(ctx context.Context, name string) (*persistencepb.NamespaceDetail, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	return s.get(ctx, "GetNamespaceByName", nsByName, name)
}

// UpdateNamespace is one conditional batch: both rows IF namespace_id AND
// config_version = ns.ConfigVersion-1. The name row's namespace_id check
// refuses renames.
func (s *namespaceStore) UpdateNamespace(ctx context.Context, ns *persistencepb.NamespaceDetail) error {
	const op = "UpdateNamespace"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	id, name, err := persistence.NamespaceIDs(ns)
	if err != nil {
		return err
	}
	v, err := marshal(ns)
	if err != nil {
		return err
	}
	want := ns.ConfigVersion - 1
	b := s.d.newBatch()
	b.Query(stmtNamespaceUpdate, ns.ConfigVersion, v, nsPartition, nsByName, name, id, want)
	b.Query(stmtNamespaceUpdate, ns.ConfigVersion, v, nsPartition, nsByID, id, id, want)
	applied, rows, err := s.d.casBatch(ctx, op, b)
	if err != nil {
		return err
	}
	if applied {
		return nil
	}
	var byName, byID casRow
	for _, r := range rows {
		switch r.int64("row_type") {
		case nsByName:
			byName = r
		case nsByID:
			byID = r
		}
	}
	switch {
	case byID == nil:
		return fmt.Errorf("cassandra: update namespace %q: ID %s: %w", name, id, persistence.ErrNotFound)
	case byName == nil || byName.string("namespace_id") != id:
		return fmt.Errorf("cassandra: namespace %s: rename to %q is not supported", id, name)
	}
	return fmt.Errorf("%w: namespace %q config_version is %d, update expects %d", persistence.ErrConditionFailed, name, byID.int64("config_version"), want)
}

// ListNamespaces pages in name order (the clustering order of name rows);
// the page token is the last name returned. pageSize <= 0 means no limit.
func (s *namespaceStore) ListNamespaces(ctx context.Context, pageSize int, nextPageToken []byte) ([]*persistencepb.NamespaceDetail, []byte, error) {
	const op = "ListNamespaces"
	if err := ctxErr(ctx); err != nil {
		return nil, nil, err
	}
	var (
		out    []*persistencepb.NamespaceDetail
		more   bool
		decErr error
	)
	q := s.d.session.Query(stmtNamespaceList, nsPartition, nsByName, string(nextPageToken))
	if pageSize > 0 {
		// One more row than the page tells whether another page exists.
		q = s.d.session.Query(stmtNamespaceList+` LIMIT ?`, nsPartition, nsByName, string(nextPageToken), int32(min(int64(pageSize)+1, math.MaxInt32)))
	}
	err := s.d.iterate(ctx, op, q, func(scan func(...any) bool) bool {
		var data []byte
		if !scan(&data) {
			return false
		}
		if pageSize > 0 && len(out) == pageSize {
			more = true
			return false
		}
		ns := &persistencepb.NamespaceDetail{}
		if decErr = unmarshal(data, ns); decErr != nil {
			return false
		}
		out = append(out, ns)
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	if decErr != nil {
		return nil, nil, decErr
	}
	if more {
		return out, []byte(out[len(out)-1].GetInfo().GetName()), nil
	}
	return out, nil, nil
}
