package embedded

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// namespaceStore keeps each namespace under its ID and a name -> ID index.
// Writes are rare; one mutex orders them.
type namespaceStore struct{ d *db }

var _ persistence.NamespaceStore = (*namespaceStore)(nil)

func (s *namespaceStore) CreateNamespace(ctx context.Context, ns *persistencepb.NamespaceDetail) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	id, name, err := persistence.NamespaceIDs(ns)
	if err != nil {
		return err
	}
	s.d.namespaceMu.Lock()
	defer s.d.namespaceMu.Unlock()
	for _, k := range [][]byte{namespaceByIDKey(id), namespaceByNameKey(name)} {
		if ok, err := exists(s.d.pebble, k); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%w: namespace %q (id %s)", persistence.ErrAlreadyExists, name, id)
		}
	}
	b := s.d.pebble.NewBatch()
	if err := setProto(b, namespaceByIDKey(id), ns); err != nil {
		return discard(b, err)
	}
	if err := b.Set(namespaceByNameKey(name), []byte(id), nil); err != nil {
		return discard(b, err)
	}
	return commit(b)
}

func (s *namespaceStore) GetNamespaceByID(ctx context.Context, id string) (*persistencepb.NamespaceDetail, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	ns := &persistencepb.NamespaceDetail{}
	if err := get(s.d.pebble, namespaceByIDKey(id), ns); err != nil {
		return nil, err
	}
	return ns, nil
}

func (s *namespaceStore) GetNamespaceByName(ctx context.Context, name string) (_ *persistencepb.NamespaceDetail, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	snap := s.d.pebble.NewSnapshot()
	defer closeInto(&err, snap, "snapshot")
	id, err := getRaw(snap, namespaceByNameKey(name))
	if err != nil {
		return nil, err
	}
	ns := &persistencepb.NamespaceDetail{}
	if err := get(snap, namespaceByIDKey(string(id)), ns); err != nil {
		return nil, err
	}
	return ns, nil
}

func (s *namespaceStore) UpdateNamespace(ctx context.Context, ns *persistencepb.NamespaceDetail) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	id, name, err := persistence.NamespaceIDs(ns)
	if err != nil {
		return err
	}
	s.d.namespaceMu.Lock()
	defer s.d.namespaceMu.Unlock()
	stored := &persistencepb.NamespaceDetail{}
	if err := get(s.d.pebble, namespaceByIDKey(id), stored); err != nil {
		return err
	}
	if stored.GetInfo().GetName() != name {
		return fmt.Errorf("embedded: namespace %s: rename from %q to %q is not supported", id, stored.GetInfo().GetName(), name)
	}
	if stored.ConfigVersion != ns.ConfigVersion-1 {
		return fmt.Errorf("%w: namespace %q config_version is %d, update expects %d", persistence.ErrConditionFailed, name, stored.ConfigVersion, ns.ConfigVersion-1)
	}
	b := s.d.pebble.NewBatch()
	if err := setProto(b, namespaceByIDKey(id), ns); err != nil {
		return discard(b, err)
	}
	return commit(b)
}

// ListNamespaces pages in name order; the page token is the last name
// returned. pageSize <= 0 means no limit.
func (s *namespaceStore) ListNamespaces(ctx context.Context, pageSize int, nextPageToken []byte) (_ []*persistencepb.NamespaceDetail, _ []byte, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, nil, err
	}
	lower := []byte{tableNamespaceByName}
	if len(nextPageToken) > 0 {
		lower = successor(namespaceByNameKey(string(nextPageToken)))
	}
	snap := s.d.pebble.NewSnapshot()
	defer closeInto(&err, snap, "snapshot")
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: []byte{tableNamespaceByName + 1}})
	if err != nil {
		return nil, nil, fmt.Errorf("embedded: iterate namespaces: %w", err)
	}
	defer closeInto(&err, it, "iterator")
	var out []*persistencepb.NamespaceDetail
	for ok := it.First(); ok; ok = it.Next() {
		if pageSize > 0 && len(out) == pageSize {
			return out, []byte(out[len(out)-1].GetInfo().GetName()), nil
		}
		ns := &persistencepb.NamespaceDetail{}
		if err := get(snap, namespaceByIDKey(string(it.Value())), ns); err != nil {
			return nil, nil, fmt.Errorf("embedded: namespace index points at missing %s: %w", it.Value(), err)
		}
		out = append(out, ns)
	}
	if err := it.Error(); err != nil {
		return nil, nil, fmt.Errorf("embedded: iterate namespaces: %w", err)
	}
	return out, nil, nil
}
