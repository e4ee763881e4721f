package embedded

import (
	"context"
	"errors"
	"sync"

	"github.com/cockroachdb/pebble"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// shardEntry caches one shard's stored range_id. Its mutex is the shard's
// fence: writes conditional on range_id hold it shared from the check
// through the commit, and UpdateShard/GetOrCreateShard hold it exclusively,
// so a range_id change waits for in-flight writes and later writes see it.
type shardEntry struct {
	mu sync.RWMutex
	// Guarded by mu. loaded=false forces a reload from disk (after an
	// uncertain commit).
	loaded  bool
	exists  bool
	rangeID int64
}

type shardCache struct {
	mu     sync.Mutex
	shards map[int32]*shardEntry
}

func (c *shardCache) init() { c.shards = make(map[int32]*shardEntry) }

func (c *shardCache) entry(shardID int32) *shardEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.shards[shardID]
	if !ok {
		e = &shardEntry{}
		c.shards[shardID] = e
	}
	return e
}

// load reads the stored range_id. Caller holds e.mu exclusively.
func (e *shardEntry) load(r pebble.Reader, shardID int32) error {
	var info persistencepb.ShardInfo
	err := get(r, shardInfoKey(shardID), &info)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		e.exists, e.rangeID = false, 0
	case err != nil:
		return err
	default:
		e.exists, e.rangeID = true, info.RangeId
	}
	e.loaded = true
	return nil
}

// lockShared returns the shard's entry held shared and loaded.
func (d *db) lockShardShared(shardID int32) (*shardEntry, error) {
	e := d.shards.entry(shardID)
	for {
		e.mu.RLock()
		if e.loaded {
			return e, nil
		}
		e.mu.RUnlock()
		e.mu.Lock()
		if !e.loaded {
			if err := e.load(d.pebble, shardID); err != nil {
				e.mu.Unlock()
				return nil, err
			}
		}
		e.mu.Unlock()
	}
}

// lockShardExclusive returns the shard's entry held exclusively and loaded.
func (d *db) lockShardExclusive(shardID int32) (*shardEntry, error) {
	e := d.shards.entry(shardID)
	e.mu.Lock()
	if !e.loaded {
		if err := e.load(d.pebble, shardID); err != nil {
			e.mu.Unlock()
			return nil, err
		}
	}
	return e, nil
}

// checkRange returns *ShardOwnershipLostError unless the shard exists with
// rangeID. Caller holds e.mu.
func (e *shardEntry) checkRange(shardID int32, rangeID int64) error {
	if !e.exists || e.rangeID != rangeID {
		return &persistence.ShardOwnershipLostError{ShardID: shardID, RangeID: rangeID, StoredRangeID: e.rangeID}
	}
	return nil
}

type shardStore struct{ d *db }

var _ persistence.ShardStore = (*shardStore)(nil)

func (s *shardStore) GetOrCreateShard(ctx context.Context, initial *persistencepb.ShardInfo) (*persistencepb.ShardInfo, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if initial == nil {
		return nil, errors.New("embedded: GetOrCreateShard: nil initial")
	}
	e, err := s.d.lockShardExclusive(initial.ShardId)
	if err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	if e.exists {
		var info persistencepb.ShardInfo
		if err := get(s.d.pebble, shardInfoKey(initial.ShardId), &info); err != nil {
			return nil, err
		}
		return &info, nil
	}
	b := s.d.pebble.NewBatch()
	if err := setProto(b, shardInfoKey(initial.ShardId), initial); err != nil {
		return nil, discard(b, err)
	}
	if err := commit(b); err != nil {
		e.loaded = false
		return nil, err
	}
	e.exists, e.rangeID = true, initial.RangeId
	return proto.Clone(initial).(*persistencepb.ShardInfo), nil
}

func (s *shardStore) UpdateShard(ctx context.Context, info *persistencepb.ShardInfo, previousRangeID int64) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if err := persistence.ValidateShardUpdate(info, previousRangeID); err != nil {
		return err
	}
	e, err := s.d.lockShardExclusive(info.ShardId)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	if err := e.checkRange(info.ShardId, previousRangeID); err != nil {
		return err
	}
	b := s.d.pebble.NewBatch()
	if err := setProto(b, shardInfoKey(info.ShardId), info); err != nil {
		return discard(b, err)
	}
	if err := commit(b); err != nil {
		// The write may or may not be on disk: reload before trusting the
		// cache again.
		e.loaded = false
		return err
	}
	e.rangeID = info.RangeId
	return nil
}
