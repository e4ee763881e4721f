package cassandra

import (
	"context"
	"errors"
	"fmt"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

const (
	stmtClusterGet    = `SELECT data FROM cluster_metadata WHERE cluster_name = ?`
	stmtClusterCreate = `INSERT INTO cluster_metadata (cluster_name, version, data) VALUES (?, ?, ?) IF NOT EXISTS`
	stmtClusterUpdate = `UPDATE cluster_metadata SET version = ?, data = ? WHERE cluster_name = ? IF version = ?`
)

type clusterMetadataStore struct{ d *db }

var _ persistence.ClusterMetadataStore = (*clusterMetadataStore)(nil)

func (s *clusterMetadataStore) GetClusterMetadata(ctx context.Context, clusterName string) (*persistencepb.ClusterMetadata, error) {
	const op = "GetClusterMetadata"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var data []byte
	if err := s.d.scanOne(ctx, op, stmtClusterGet, []any{clusterName}, &data); err != nil {
		return nil, err
	}
	md := &persistencepb.ClusterMetadata{}
	if err := unmarshal(data, md); err != nil {
		return nil, fmt.Errorf("cassandra: cluster %q metadata: %w", clusterName, err)
	}
	return md, nil
}

// SaveClusterMetadata is one LWT: INSERT IF NOT EXISTS for version 1, else
// UPDATE IF version = md.Version-1.
func (s *clusterMetadataStore) SaveClusterMetadata(ctx context.Context, md *persistencepb.ClusterMetadata) error {
	const op = "SaveClusterMetadata"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if md.GetClusterName() == "" {
		return errors.New("cassandra: cluster metadata needs cluster_name")
	}
	if md.Version < 1 {
		return fmt.Errorf("%w: cluster %q metadata version %d, the first save is version 1", persistence.ErrConditionFailed, md.ClusterName, md.Version)
	}
	v, err := marshal(md)
	if err != nil {
		return err
	}
	var (
		applied bool
		prev    casRow
	)
	if md.Version == 1 {
		applied, prev, err = s.d.cas(ctx, op, stmtClusterCreate, md.ClusterName, md.Version, v)
	} else {
		applied, prev, err = s.d.cas(ctx, op, stmtClusterUpdate, md.Version, v, md.ClusterName, md.Version-1)
	}
	if err != nil || applied {
		return err
	}
	return fmt.Errorf("%w: cluster %q metadata version is %d, save expects %d", persistence.ErrConditionFailed, md.ClusterName, prev.int64("version"), md.Version-1)
}
