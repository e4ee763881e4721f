package persistencetest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// createShard creates a fresh shard at range_id 1 and returns its ID.
func createShard(t *testing.T, s *persistence.Stores) int32 {
	t.Helper()
	id := newShardID()
	info, err := s.Shard.GetOrCreateShard(t.Context(), &persistencepb.ShardInfo{ShardId: id, RangeId: 1, Owner: "conformance"})
	require.NoError(t, err)
	require.Equal(t, int64(1), info.RangeId)
	return id
}

// readShard returns the stored record without changing it.
func readShard(t *testing.T, s *persistence.Stores, id int32) *persistencepb.ShardInfo {
	t.Helper()
	info, err := s.Shard.GetOrCreateShard(t.Context(), &persistencepb.ShardInfo{ShardId: id, RangeId: 999, Owner: "must-not-be-written"})
	require.NoError(t, err)
	return info
}

func testShard(t *testing.T, s *persistence.Stores) {
	t.Run("GetOrCreate", func(t *testing.T) {
		id := newShardID()
		initial := &persistencepb.ShardInfo{
			ShardId:          id,
			RangeId:          1,
			Owner:            "host-a",
			AcquiredTime:     timestamppb.New(baseTime),
			TransferAckLevel: 7,
		}
		got, err := s.Shard.GetOrCreateShard(t.Context(), initial)
		require.NoError(t, err)
		requireProtoEqual(t, initial, got)

		// A second call returns the stored record, not its argument.
		other := proto.Clone(initial).(*persistencepb.ShardInfo)
		other.RangeId, other.Owner = 5, "host-b"
		got, err = s.Shard.GetOrCreateShard(t.Context(), other)
		require.NoError(t, err)
		requireProtoEqual(t, initial, got)
	})

	t.Run("UpdateFencedByRangeID", func(t *testing.T) {
		id := createShard(t, s)
		acquired := &persistencepb.ShardInfo{
			ShardId:           id,
			RangeId:           2,
			Owner:             "host-b",
			AcquiredTime:      timestamppb.New(baseTime),
			TransferAckLevel:  10,
			TimerAckLevelTime: timestamppb.New(baseTime.Add(-1)),
		}
		require.NoError(t, s.Shard.UpdateShard(t.Context(), acquired, 1))
		requireProtoEqual(t, acquired, readShard(t, s, id))

		// Same range: an ordinary ack-level update by the owner.
		acked := proto.Clone(acquired).(*persistencepb.ShardInfo)
		acked.TransferAckLevel = 20
		require.NoError(t, s.Shard.UpdateShard(t.Context(), acked, 2))
		requireProtoEqual(t, acked, readShard(t, s, id))

		// The previous owner (range 1) is fenced out and writes nothing.
		stale := proto.Clone(acked).(*persistencepb.ShardInfo)
		stale.RangeId, stale.Owner, stale.TransferAckLevel = 2, "host-a", 99
		err := s.Shard.UpdateShard(t.Context(), stale, 1)
		requireShardOwnershipLost(t, err, id, 1, 2)
		requireProtoEqual(t, acked, readShard(t, s, id))

		// A range ahead of the store is just as wrong.
		err = s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: id, RangeId: 4}, 3)
		requireShardOwnershipLost(t, err, id, 3, 2)
		requireProtoEqual(t, acked, readShard(t, s, id))
	})

	t.Run("UpdateMissingShard", func(t *testing.T) {
		id := newShardID()
		err := s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: id, RangeId: 1}, 0)
		require.Error(t, err)
		// Nothing was created by the failed update.
		initial := &persistencepb.ShardInfo{ShardId: id, RangeId: 1, Owner: "creator"}
		got, err := s.Shard.GetOrCreateShard(t.Context(), initial)
		require.NoError(t, err)
		requireProtoEqual(t, initial, got)
	})

	t.Run("ShardsAreIndependent", func(t *testing.T) {
		a, b := createShard(t, s), createShard(t, s)
		require.NoError(t, s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: a, RangeId: 2}, 1))
		require.Equal(t, int64(2), readShard(t, s, a).RangeId)
		require.Equal(t, int64(1), readShard(t, s, b).RangeId)
		require.NoError(t, s.Shard.UpdateShard(t.Context(), &persistencepb.ShardInfo{ShardId: b, RangeId: 2}, 1))
	})
}
