package ring

import "sync"

// ChangeEvent reports that a role's ring changed. Events of one Subscription
// are delivered in order, and each one's Previous is the Ring of the event
// before it: applying Added, Removed and Updated in sequence reproduces every
// ring the subscriber was shown.
type ChangeEvent struct {
	// Role is the subscribed role.
	Role string
	// Seq numbers a subscription's events 1, 2, 3, ... with no gaps.
	Seq uint64
	// Previous is the ring of the previous event; for the first event, an
	// empty ring. Ring is the new ring.
	Previous, Ring *Ring
	// Added, Removed and Updated are Diff(Previous, Ring).
	Added, Removed, Updated []Member
}

// Subscription receives a role's ring changes on C. A subscriber that falls
// behind never blocks membership: while it is busy, newer rings replace
// older undelivered ones, and its next event goes straight from the last
// ring it saw to the newest (Previous says which). The first event carries
// the ring current at Subscribe time, unless that ring was empty.
type Subscription struct {
	role   string
	c      chan ChangeEvent
	wake   chan struct{} // capacity 1: "latest changed"
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	detach func(*Subscription)

	mu     sync.Mutex
	latest *Ring
}

func newSubscription(role string, empty *Ring, detach func(*Subscription)) *Subscription {
	s := &Subscription{
		role:   role,
		c:      make(chan ChangeEvent),
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		detach: detach,
		latest: empty,
	}
	go s.run(empty)
	return s
}

// C delivers the events. It is closed by Close, or when the Membership
// shuts down.
func (s *Subscription) C() <-chan ChangeEvent { return s.c }

// Close stops the subscription and closes C; undelivered changes are
// dropped. It is safe to call more than once, from any goroutine.
func (s *Subscription) Close() {
	if s.detach != nil {
		s.detach(s)
	}
	s.shutdown()
}

func (s *Subscription) shutdown() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

// offer makes r the newest ring to deliver. It never blocks.
func (s *Subscription) offer(r *Ring) {
	s.mu.Lock()
	s.latest = r
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Subscription) run(delivered *Ring) {
	defer close(s.done)
	defer close(s.c)
	var seq uint64
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
		}
		for {
			s.mu.Lock()
			next := s.latest
			s.mu.Unlock()
			if next == delivered {
				break
			}
			added, removed, updated := Diff(delivered, next)
			if len(added)+len(removed)+len(updated) == 0 && delivered.Config() == next.Config() {
				delivered = next // changed and changed back while we were busy
				continue
			}
			ev := ChangeEvent{
				Role: s.role, Seq: seq + 1, Previous: delivered, Ring: next,
				Added: added, Removed: removed, Updated: updated,
			}
			select {
			case s.c <- ev:
				seq++
				delivered = next
			case <-s.stop:
				return
			}
		}
	}
}
