package history

import (
	"sync"

	"github.com/meridian-dev/meridian/ring"
)

// RingRole is the ring role of history hosts.
const RingRole = "history"

// ShardAssignment is one view of shard placement, as this host sees it.
type ShardAssignment struct {
	// Owned lists the shards this host should own, ascending.
	Owned []int32
	// Owner names the host that owns a shard ("" when unknown) for
	// ShardNotOwnedError; in a ring, the member name. Nil means unknown.
	Owner func(shardID int32) string
	// Live reports whether a host, named as in shard records
	// (Deps.HostID), is a live member of the region. Before acquiring a
	// shard whose record names another live host, the controller waits
	// (up to ControllerConfig.HandoffTimeout) for that host to release it:
	// a graceful move then loses no transaction in flight and keeps the
	// queues' ack levels. Nil means nobody is waited for.
	Live func(host string) bool
}

func (a ShardAssignment) live(host string) bool {
	return a.Live != nil && a.Live(host)
}

// owner is a.Owner(id), or "" without an Owner function.
func (a ShardAssignment) owner(id int32) string {
	if a.Owner == nil {
		return ""
	}
	return a.Owner(id)
}

// ShardOwnership tells the shard controller which shards this host should
// own. Implementations: StaticOwnership (every shard: start-dev),
// RingOwnership (a ring.Membership's history ring), and the tests' fakes.
type ShardOwnership interface {
	// Watch delivers the assignments of shards 1..numShards: the current
	// one first, then one after each change. A reader that falls behind may
	// miss intermediate assignments but always receives the newest. stop
	// ends the watch and closes the channel; the source may also close it
	// on its own (a membership that left), after which the last assignment
	// stands. stop may be called more than once.
	Watch(numShards int32) (assignments <-chan ShardAssignment, stop func())
}

// StaticOwnership gives every shard to one host, Self: the single-process
// region of start-dev.
type StaticOwnership struct {
	// Self names this host in ShardNotOwnedError.
	Self string
}

// Watch sends one assignment of every shard; it never changes.
func (o StaticOwnership) Watch(numShards int32) (<-chan ShardAssignment, func()) {
	owned := make([]int32, 0, numShards)
	for id := int32(1); id <= numShards; id++ {
		owned = append(owned, id)
	}
	self := o.Self
	ch := make(chan ShardAssignment, 1)
	ch <- ShardAssignment{Owned: owned, Owner: func(int32) string { return self }}
	var once sync.Once
	return ch, func() { once.Do(func() { close(ch) }) }
}

// RingOwnership gives this host the shards that the RingRole ring of a
// ring.Membership assigns to it: Ring.OwnedShards(name, numShards), name
// being the membership's local node name, which must also be the
// service's Deps.HostID (shard records name their owner by it). The ring
// is not a lock: during gossip convergence two hosts may both be assigned
// a shard, and the shard's range_id fencing decides which one writes.
type RingOwnership struct {
	m *ring.Membership
}

// NewRingOwnership watches m's history ring.
func NewRingOwnership(m *ring.Membership) *RingOwnership { return &RingOwnership{m: m} }

// Self is this host's name on the ring.
func (o *RingOwnership) Self() string { return o.m.LocalNode().Name }

// Watch subscribes to the history ring. The channel closes when stop is
// called or the membership stops (Leave, Shutdown).
func (o *RingOwnership) Watch(numShards int32) (<-chan ShardAssignment, func()) {
	self := o.m.LocalNode().Name
	sub := o.m.Subscribe(RingRole)
	empty := o.m.Ring(RingRole).Len() == 0
	out := make(chan ShardAssignment)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		if empty {
			// The subscription announces only non-empty rings first:
			// answer "nothing yet" so that the controller can start.
			select {
			case out <- ShardAssignment{}:
			case <-quit:
				return
			}
		}
		for ev := range sub.C() {
			select {
			case out <- ringAssignment(ev.Ring, self, numShards, o.live):
			case <-quit:
				return
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			close(quit)
			sub.Close()
			<-done
		})
	}
}

// live reports whether host is a live (alive or suspect) node serving the
// history role. It asks memberlist's current view, which is not debounced
// like rings: a node that just joined may see its peers before its ring
// does, and then waits for them rather than taking their shards.
func (o *RingOwnership) live(host string) bool {
	for _, n := range o.m.Nodes() {
		if n.Name == host {
			_, ok := n.RPCAddresses[RingRole]
			return ok
		}
	}
	return false
}

// ringAssignment is r's placement of shards 1..numShards seen by self.
func ringAssignment(r *ring.Ring, self string, numShards int32, live func(string) bool) ShardAssignment {
	return ShardAssignment{
		Owned: r.OwnedShards(self, numShards),
		Owner: func(id int32) string {
			m, ok := r.ShardOwner(id)
			if !ok {
				return ""
			}
			return m.Name
		},
		Live: live,
	}
}
