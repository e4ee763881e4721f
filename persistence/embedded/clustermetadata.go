package embedded

import (
	"context"
	"errors"
	"fmt"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

type clusterMetadataStore struct{ d *db }

var _ persistence.ClusterMetadataStore = (*clusterMetadataStore)(nil)

func (s *clusterMetadataStore) GetClusterMetadata(ctx context.Context, clusterName string) (*persistencepb.ClusterMetadata, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	md := &persistencepb.ClusterMetadata{}
	if err := get(s.d.pebble, clusterMetadataKey(clusterName), md); err != nil {
		return nil, err
	}
	return md, nil
}

func (s *clusterMetadataStore) SaveClusterMetadata(ctx context.Context, md *persistencepb.ClusterMetadata) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if md.GetClusterName() == "" {
		return errors.New("embedded: cluster metadata needs cluster_name")
	}
	s.d.clusterMu.Lock()
	defer s.d.clusterMu.Unlock()
	key := clusterMetadataKey(md.ClusterName)
	stored := &persistencepb.ClusterMetadata{}
	var storedVersion int64 // 0: none stored
	switch err := get(s.d.pebble, key, stored); {
	case errors.Is(err, persistence.ErrNotFound):
	case err != nil:
		return err
	default:
		storedVersion = stored.Version
	}
	if storedVersion != md.Version-1 {
		return fmt.Errorf("%w: cluster %q metadata version is %d, save expects %d", persistence.ErrConditionFailed, md.ClusterName, storedVersion, md.Version-1)
	}
	b := s.d.pebble.NewBatch()
	if err := setProto(b, key, md); err != nil {
		return discard(b, err)
	}
	return commit(b)
}
