package cassandra

import (
	"context"
	"errors"
	"fmt"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// ReadShard reads shard shardID's record from st, which must come from
// Open, without creating it: persistence.ErrNotFound when no host has
// acquired the shard yet. Operator tools (`meridian cluster shards`) use it;
// services use GetOrCreateShard.
func ReadShard(ctx context.Context, st persistence.ShardStore, shardID int32) (*persistencepb.ShardInfo, error) {
	s, ok := st.(*shardStore)
	if !ok {
		return nil, errors.New("cassandra: ReadShard: not a Cassandra shard store")
	}
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var (
		rangeID int64
		data    []byte
	)
	if err := s.d.scanOne(ctx, "ReadShard", stmtShardGet, shardKey(shardID), &rangeID, &data); err != nil {
		if errors.Is(err, persistence.ErrNotFound) {
			return nil, fmt.Errorf("shard %d: %w", shardID, err)
		}
		return nil, err
	}
	return decodeShard(shardID, rangeID, data)
}
