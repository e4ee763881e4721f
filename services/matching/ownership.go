package matching

import (
	"fmt"
	"sync"
	"time"

	"github.com/meridian-dev/meridian/ring"
	"github.com/meridian-dev/meridian/rpc"
)

// RingRole is the ring role of matching hosts.
const RingRole = "matching"

// PartitionOwnership tells the service which task-queue partitions this
// host serves. RingOwnership reads a ring.Membership; nil Deps.Ownership
// serves every partition (a region of one process).
type PartitionOwnership interface {
	// Owner reports whether this host owns the partition whose placement
	// key (ring.TaskQueuePartitionKey) is key, and names the owner ("" when
	// none is known) for NotOwned errors. Called when a partition loads and
	// after every change, so it must be cheap.
	Owner(key string) (self bool, owner string)
	// Watch returns a channel that receives a value after placement
	// changes (changes may be coalesced) and a function that ends the
	// watch. The channel may close when the source stops.
	Watch() (changes <-chan struct{}, stop func())
}

// RingOwnership gives this host the partitions that the RingRole ring of a
// ring.Membership places on its local node. The ring is not a lock: while
// rings converge two hosts may both load a partition, and the lease
// (range_id) decides which one writes.
type RingOwnership struct {
	m *ring.Membership
}

// NewRingOwnership watches m's matching ring.
func NewRingOwnership(m *ring.Membership) *RingOwnership { return &RingOwnership{m: m} }

// Owner looks key up on the current ring.
func (o *RingOwnership) Owner(key string) (bool, string) {
	r := o.m.Ring(RingRole)
	if r == nil {
		return false, ""
	}
	mem, ok := r.Lookup(key)
	if !ok {
		return false, ""
	}
	return mem.Name == o.m.LocalNode().Name, mem.Name
}

// Watch subscribes to the matching ring.
func (o *RingOwnership) Watch() (<-chan struct{}, func()) {
	sub := o.m.Subscribe(RingRole)
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for range sub.C() {
			select {
			case out <- struct{}{}:
			default: // a change is already pending
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			sub.Close()
			<-done
		})
	}
}

// notOwned is the error for a partition this host does not serve: routers
// retry it on the current owner. The host did nothing.
func notOwned(key partitionKey, owner string) error {
	what := "matching partition " + key.ringKey()
	if owner != "" {
		what = fmt.Sprintf("%s (owner %s)", what, owner)
	}
	return &rpc.NotOwnedError{What: what}
}

// checkOwned returns nil if this host may load the partition: the ring
// places it here and its lease was not taken from this host within
// LeaseLostBackoff. Called with s.mu held.
func (s *Service) checkOwnedLocked(key partitionKey, now time.Time) error {
	if s.own == nil {
		return nil
	}
	self, owner := s.own.Owner(key.ringKey())
	if !self {
		return notOwned(key, owner)
	}
	if at, ok := s.leaseLostAt[key]; ok {
		if now.Sub(at) < s.cfg.LeaseLostBackoff {
			return notOwned(key, "")
		}
		delete(s.leaseLostAt, key)
	}
	return nil
}

// owns reports whether this host serves key now (always without
// Deps.Ownership).
func (s *Service) owns(key partitionKey) bool {
	if s.own == nil {
		return true
	}
	self, _ := s.own.Owner(key.ringKey())
	return self
}

// ownershipLoop unloads the partitions the ring moves away, after each
// change.
func (s *Service) ownershipLoop(changes <-chan struct{}) {
	defer s.janitor.Done()
	for {
		select {
		case <-s.stopC:
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
			s.releaseUnowned()
		}
	}
}

// releaseUnowned unloads at once every loaded partition that this host no
// longer owns: parked polls answer empty (the SDK polls again and the
// router finds the new owner), buffered backlog tasks are dropped from
// memory (they are durable; the new owner reads them), queued Adds and
// queries fail with NotOwned (the router retries them on the new owner),
// and the ack level is persisted, fenced by the lease, as the partition's
// last write. Later calls for it answer NotOwned.
func (s *Service) releaseUnowned() {
	s.mu.Lock()
	var lost []*taskQueueManager
	for key, m := range s.managers {
		if !s.owns(key) {
			lost = append(lost, m)
		}
	}
	s.mu.Unlock()
	for _, m := range lost {
		if !m.ownershipLost.CompareAndSwap(false, true) {
			continue
		}
		m.scope.Counter(metricOwnershipLost).Inc(1)
		m.logger.Info("task queue partition moved to another host; unloading")
		s.unloads.Add(1)
		go func() {
			defer s.unloads.Done()
			s.unloadManager(m)
		}()
	}
}

// noteLeaseLost remembers when another host took key's lease (see
// Config.LeaseLostBackoff).
func (s *Service) noteLeaseLost(key partitionKey) {
	if s.own == nil {
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	s.leaseLostAt[key] = now
	s.mu.Unlock()
}
