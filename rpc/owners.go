package rpc

import (
	"errors"
	"fmt"

	"github.com/meridian-dev/meridian/ring"
)

// ErrNoOwner is wrapped by an owner lookup that found no host (an empty
// ring, e.g. while a region starts). Routers retry it like NotOwned.
var ErrNoOwner = errors.New("no host owns it")

// ShardOwners tells a HistoryRouter which history host owns a shard.
type ShardOwners interface {
	// OwnerOf returns the RPC address (host:port) of shardID's owner as
	// currently known, or an error wrapping ErrNoOwner. It is called on
	// every routed request and again after each NotOwned answer, so it
	// must be cheap and reflect ring changes as they arrive.
	OwnerOf(shardID int32) (addr string, err error)
}

// PartitionOwners tells a MatchingRouter which matching host owns a
// task-queue partition.
type PartitionOwners interface {
	// OwnerOfPartition returns the RPC address of the owner of the
	// partition whose placement key (ring.TaskQueuePartitionKey) is key,
	// or an error wrapping ErrNoOwner. Same contract as OwnerOf.
	OwnerOfPartition(key string) (addr string, err error)
}

// RingSource returns the current ring of a role; *ring.Membership is one.
type RingSource interface {
	Ring(role string) *ring.Ring
}

// RingOwners answers ShardOwners and PartitionOwners from the current ring
// of one role ("history" or "matching"): each lookup takes the newest
// snapshot, so a retry after NotOwned sees a ring change as soon as
// membership has rebuilt the ring.
type RingOwners struct {
	src  RingSource
	role string
}

var (
	_ ShardOwners     = (*RingOwners)(nil)
	_ PartitionOwners = (*RingOwners)(nil)
)

// NewRingOwners returns the owners of role's keys in src's rings.
func NewRingOwners(src RingSource, role string) *RingOwners {
	return &RingOwners{src: src, role: role}
}

// OwnerOf returns the address of the member of the role's ring that owns
// history shard shardID.
func (o *RingOwners) OwnerOf(shardID int32) (string, error) {
	return o.lookup(ring.ShardKey(shardID))
}

// OwnerOfPartition returns the address of the member that owns key.
func (o *RingOwners) OwnerOfPartition(key string) (string, error) {
	return o.lookup(key)
}

func (o *RingOwners) lookup(key string) (string, error) {
	r := o.src.Ring(o.role)
	if r == nil {
		return "", fmt.Errorf("%s key %q: %w", o.role, key, ErrNoOwner)
	}
	m, ok := r.Lookup(key)
	if !ok || m.Addr == "" {
		return "", fmt.Errorf("%s key %q: %w", o.role, key, ErrNoOwner)
	}
	return m.Addr, nil
}
