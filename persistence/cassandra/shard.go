package cassandra

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

const (
	stmtShardGet    = `SELECT range_id, data FROM executions WHERE ` + execKeyWhere
	stmtShardCreate = `INSERT INTO executions (` + execKeyColumns + `, range_id, data) VALUES (` + execKeyMarkers + `, ?, ?) IF NOT EXISTS`
	stmtShardUpdate = `UPDATE executions SET range_id = ?, data = ? WHERE ` + execKeyWhere + ` IF range_id = ?`
	// stmtShardFence opens every shard transaction: it writes nothing new
	// but fails the whole batch unless the shard's range_id still matches.
	stmtShardFence = `UPDATE executions SET range_id = ? WHERE ` + execKeyWhere + ` IF range_id = ?`
)

type shardStore struct{ d *db }

var _ persistence.ShardStore = (*shardStore)(nil)

// GetOrCreateShard reads the shard row; only when it is missing does it
// create it, with INSERT ... IF NOT EXISTS (an LWT), which also resolves a
// concurrent create by returning the winner's row.
func (s *shardStore) GetOrCreateShard(ctx context.Context, initial *persistencepb.ShardInfo) (*persistencepb.ShardInfo, error) {
	const op = "GetOrCreateShard"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if initial == nil {
		return nil, errors.New("cassandra: GetOrCreateShard: nil initial")
	}
	var (
		rangeID int64
		data    []byte
	)
	err := s.d.scanOne(ctx, op, stmtShardGet, shardKey(initial.ShardId), &rangeID, &data)
	if err == nil {
		return decodeShard(initial.ShardId, rangeID, data)
	}
	if !errors.Is(err, persistence.ErrNotFound) {
		return nil, err
	}
	v, err := marshal(initial)
	if err != nil {
		return nil, err
	}
	applied, prev, err := s.d.cas(ctx, op, stmtShardCreate, args(shardKey(initial.ShardId), []any{initial.RangeId, v})...)
	if err != nil {
		return nil, err
	}
	if applied {
		return proto.Clone(initial).(*persistencepb.ShardInfo), nil
	}
	if prev == nil {
		return nil, fmt.Errorf("cassandra: GetOrCreateShard %d: create not applied, yet no shard row exists", initial.ShardId)
	}
	return decodeShard(initial.ShardId, prev.int64("range_id"), prev.bytes("data"))
}

// decodeShard decodes a shard row; the range_id column is authoritative.
func decodeShard(shardID int32, rangeID int64, data []byte) (*persistencepb.ShardInfo, error) {
	info := &persistencepb.ShardInfo{}
	if err := unmarshal(data, info); err != nil {
		return nil, fmt.Errorf("cassandra: shard %d: %w", shardID, err)
	}
	info.ShardId = shardID
	info.RangeId = rangeID
	return info, nil
}

// UpdateShard is one LWT: UPDATE ... IF range_id = previousRangeID.
func (s *shardStore) UpdateShard(ctx context.Context, info *persistencepb.ShardInfo, previousRangeID int64) error {
	const op = "UpdateShard"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if err := persistence.ValidateShardUpdate(info, previousRangeID); err != nil {
		return err
	}
	v, err := marshal(info)
	if err != nil {
		return err
	}
	applied, prev, err := s.d.cas(ctx, op, stmtShardUpdate, args([]any{info.RangeId, v}, shardKey(info.ShardId), []any{previousRangeID})...)
	if err != nil {
		return err
	}
	if applied {
		return nil
	}
	lost := &persistence.ShardOwnershipLostError{ShardID: info.ShardId, RangeID: previousRangeID}
	if prev != nil {
		lost.StoredRangeID = prev.int64("range_id")
	}
	return lost
}
