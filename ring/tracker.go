package ring

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/uber-go/tally/v4"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
)

// tracker turns node joins, updates and departures into per-role rings and
// change events. It is the part of Membership that does not touch the
// network: memberlist's delegates feed it (without blocking), and it
// rebuilds the rings on its own goroutine once the changes of a Debounce
// window are in.
type tracker struct {
	ringCfg  RingConfig
	clock    clock.Clock
	debounce time.Duration
	logger   *zap.Logger
	metrics  tally.Scope
	empty    *Ring

	// rings is replaced wholesale by rebuild, so Ring reads it without a
	// lock.
	rings atomic.Pointer[map[string]*Ring]

	rebuildMu sync.Mutex // serializes rebuilds

	mu     sync.Mutex
	nodes  map[string]Node
	subs   map[string]map[*Subscription]struct{}
	closed bool

	poke chan struct{} // capacity 1: "nodes changed"
	stop chan struct{}
	done chan struct{}
}

func newTracker(ringCfg RingConfig, clk clock.Clock, debounce time.Duration, logger *zap.Logger, metrics tally.Scope) *tracker {
	t := &tracker{
		ringCfg:  ringCfg,
		clock:    clk,
		debounce: debounce,
		logger:   logger,
		metrics:  metrics,
		empty:    emptyRing(ringCfg),
		nodes:    make(map[string]Node),
		subs:     make(map[string]map[*Subscription]struct{}),
		poke:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	t.rings.Store(&map[string]*Ring{})
	go t.run()
	return t
}

// upsert records a node that joined or changed. It never blocks on the
// rebuild.
func (t *tracker) upsert(n Node) {
	t.mu.Lock()
	t.nodes[n.Name] = n
	t.mu.Unlock()
	t.notify()
}

// remove records a node that left or died.
func (t *tracker) remove(name string) {
	t.mu.Lock()
	delete(t.nodes, name)
	t.mu.Unlock()
	t.notify()
}

func (t *tracker) notify() {
	select {
	case t.poke <- struct{}{}:
	default:
	}
}

// run debounces: the first change after a quiet period arms a timer, and the
// rebuild when it fires includes every change recorded until then.
func (t *tracker) run() {
	defer close(t.done)
	var timer clock.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-t.stop:
			if timer != nil {
				timer.Stop()
			}
			return
		case <-t.poke:
			if timer == nil {
				timer = t.clock.NewTimer(t.debounce)
				fire = timer.C()
			}
		case <-fire:
			timer, fire = nil, nil
			t.rebuild()
		}
	}
}

// rebuild computes every role's ring from the current nodes, publishes the
// ones that changed and offers them to their subscribers. Rings are built
// outside mu, so memberlist's delegates (upsert, remove) never wait for a
// build; rebuildMu keeps rebuilds in order.
func (t *tracker) rebuild() {
	t.rebuildMu.Lock()
	defer t.rebuildMu.Unlock()

	t.mu.Lock()
	byRole := make(map[string][]Member)
	for _, n := range t.nodes {
		for role, addr := range n.RPCAddresses {
			byRole[role] = append(byRole[role], Member{Name: n.Name, Addr: addr})
		}
	}
	t.mu.Unlock()

	old := *t.rings.Load()
	next := make(map[string]*Ring, len(byRole))
	for role, members := range byRole {
		r, err := NewRing(t.ringCfg, members)
		if err != nil {
			panic("ring: node names are unique map keys and the config was validated, yet NewRing failed: " + err.Error())
		}
		next[role] = r
	}
	// A role whose last member left keeps an empty ring, so that its
	// subscribers and gauge see it go.
	for role, r := range old {
		if _, ok := next[role]; !ok && r.Len() > 0 {
			next[role] = t.empty
		}
	}
	type change struct {
		role string
		ring *Ring
	}
	var changes []change
	for role, r := range next {
		prev, ok := old[role]
		if !ok {
			prev = t.empty
		}
		if prev.Equal(r) {
			next[role] = prev // keep identity: unchanged
			continue
		}
		added, removed, updated := Diff(prev, r)
		scope := t.metrics.Tagged(map[string]string{metricRoleTag: role})
		scope.Counter(metricMembershipChanges).Inc(1)
		scope.Gauge(metricMembers).Update(float64(r.Len()))
		t.logger.Info("ring changed",
			zap.String("role", role), zap.Int("members", r.Len()),
			zap.Strings("added", memberNames(added)), zap.Strings("removed", memberNames(removed)),
			zap.Strings("updated", memberNames(updated)))
		changes = append(changes, change{role: role, ring: r})
	}

	// Publish and offer under mu, so that subscribe sees either the old
	// rings and gets offered the new ones, or the new ones.
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.rings.Store(&next)
	for _, c := range changes {
		for s := range t.subs[c.role] {
			s.offer(c.ring)
		}
	}
}

// ring returns role's current ring; an empty ring if it has no members.
func (t *tracker) ring(role string) *Ring {
	if r, ok := (*t.rings.Load())[role]; ok {
		return r
	}
	return t.empty
}

// nodeList returns the current nodes (as recorded, not yet debounced).
func (t *tracker) nodeList() []Node {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Node, 0, len(t.nodes))
	for _, n := range t.nodes {
		out = append(out, n.clone())
	}
	return out
}

func (t *tracker) subscribe(role string) *Subscription {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := newSubscription(role, t.empty, t.detach)
	if t.closed {
		s.shutdown()
		return s
	}
	if cur := t.ring(role); cur.Len() > 0 {
		s.offer(cur)
	}
	if t.subs[role] == nil {
		t.subs[role] = make(map[*Subscription]struct{})
	}
	t.subs[role][s] = struct{}{}
	return s
}

func (t *tracker) detach(s *Subscription) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.subs[s.role], s)
}

// close stops the debouncer and closes every subscription. Rings keep their
// last value.
func (t *tracker) close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	subs := t.subs
	t.subs = nil
	t.mu.Unlock()
	close(t.stop)
	<-t.done
	for _, set := range subs {
		for s := range set {
			s.shutdown()
		}
	}
}

func memberNames(ms []Member) []string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return names
}
