package ring

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
)

// ErrStopped is returned by Join after Leave or Shutdown.
var ErrStopped = errors.New("ring: membership stopped")

// Membership is this node's view of its region: it gossips with the other
// nodes (hashicorp/memberlist), advertises this node's roles and RPC
// addresses, and keeps one Ring per role.
//
// Rings and change events are rebuilt on a Membership goroutine, Debounce
// after a change; memberlist's own goroutines only record changes and never
// wait for a rebuild or a subscriber.
type Membership struct {
	cfg     Config
	list    *memberlist.Memberlist
	tracker *tracker
	local   Node

	mu      sync.Mutex
	stopped bool
}

// NewMembership validates cfg, starts gossip on its bind address and returns
// a Membership that knows only itself; call Join to meet the others. Ring
// reflects this node's own roles as soon as it returns.
func NewMembership(cfg Config) (*Membership, error) {
	cfg = cfg.withDefaults()
	meta, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	t := newTracker(cfg.Ring, cfg.Clock, cfg.Debounce, cfg.Logger, cfg.Metrics)

	mlc := memberlist.DefaultLocalConfig()
	mlc.Name = cfg.NodeName
	mlc.Label = cfg.ClusterName
	mlc.BindAddr = cfg.BindAddr
	mlc.BindPort = cfg.BindPort
	mlc.AdvertiseAddr = cfg.AdvertiseAddr
	mlc.AdvertisePort = cmp.Or(cfg.AdvertisePort, cfg.BindPort)
	mlc.ProbeInterval = cfg.ProbeInterval
	mlc.ProbeTimeout = cfg.ProbeTimeout
	mlc.SuspicionMult = cfg.SuspicionMult
	mlc.GossipInterval = cfg.GossipInterval
	mlc.PushPullInterval = cfg.PushPullInterval
	mlc.DeadNodeReclaimTime = cfg.DeadNodeReclaimTime
	mlc.Logger = newMemberlistLogger(cfg.Logger)
	d := &delegate{meta: meta, tracker: t, logger: cfg.Logger, metrics: cfg.Metrics}
	mlc.Delegate = d
	mlc.Events = d

	list, err := memberlist.Create(mlc)
	if err != nil {
		t.close()
		return nil, fmt.Errorf("ring: start gossip on %s:%d: %w", cfg.BindAddr, cfg.BindPort, err)
	}
	// Create reported this node to the tracker; publish it now rather than
	// a Debounce later.
	t.rebuild()
	m := &Membership{
		cfg:     cfg,
		list:    list,
		tracker: t,
		local: Node{
			Name:         cfg.NodeName,
			GossipAddr:   list.LocalNode().Address(),
			RPCAddresses: cfg.rpcAddresses(),
		},
	}
	cfg.Logger.Info("gossip started",
		zap.String("node", m.local.Name), zap.String("address", m.local.GossipAddr),
		zap.Strings("roles", m.local.Roles()), zap.String("cluster", cfg.ClusterName))
	return m, nil
}

// LocalNode describes this node; its GossipAddr is the address actually
// bound (useful with BindPort 0).
func (m *Membership) LocalNode() Node { return m.local.clone() }

// Join contacts the seeds until this node knows at least one other live
// node, retrying with exponential backoff (JoinRetryMin to JoinRetryMax,
// each failed attempt counted in ring_join_retries). It returns nil at once
// if Seeds is empty or lists only this node (a new cluster), or if another
// node has already joined this one. It returns ctx's error, wrapped with the
// last failure, when ctx ends first, and ErrStopped after Leave or Shutdown.
// A single attempt may outlast ctx by memberlist's TCP timeout (1s).
func (m *Membership) Join(ctx context.Context) error {
	var seeds []string
	for _, s := range m.cfg.Seeds {
		if s != m.local.GossipAddr {
			seeds = append(seeds, s)
		}
	}
	if len(seeds) == 0 {
		return nil
	}
	backoff := m.cfg.JoinRetryMin
	for attempt := 1; ; attempt++ {
		if m.isStopped() {
			return ErrStopped
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ring: join %v: %w", seeds, err)
		}
		if m.list.NumMembers() > 1 {
			return nil
		}
		n, err := m.list.Join(seeds)
		if n > 0 && m.list.NumMembers() > 1 {
			m.cfg.Logger.Info("joined cluster", zap.Int("seeds_reached", n), zap.Int("attempt", attempt),
				zap.Int("members", m.list.NumMembers()))
			return nil
		}
		if err == nil {
			err = errors.New("seeds reached only this node")
		}
		m.cfg.Metrics.Counter(metricJoinRetries).Inc(1)
		m.cfg.Logger.Warn("join failed; retrying", zap.Strings("seeds", seeds), zap.Int("attempt", attempt),
			zap.Duration("backoff", backoff), zap.Error(err))
		if serr := clock.Sleep(ctx, m.cfg.Clock, backoff); serr != nil {
			return fmt.Errorf("ring: join %v: %w (last attempt: %v)", seeds, serr, err)
		}
		backoff = min(2*backoff, m.cfg.JoinRetryMax)
	}
}

// Leave tells the other nodes this node is leaving (waiting until the
// message reached one of them, until ctx's deadline or, without one,
// LeaveTimeout), then stops gossip and closes every Subscription. The others
// drop it from their rings without waiting for failure detection. Rings
// keep their last value. Leave and Shutdown are idempotent; only the first
// call acts.
func (m *Membership) Leave(ctx context.Context) error {
	if !m.markStopped() {
		return nil
	}
	timeout := m.cfg.LeaveTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = max(deadline.Sub(m.cfg.Clock.Now()), time.Millisecond)
	}
	var errs []error
	if err := m.list.Leave(timeout); err != nil {
		errs = append(errs, fmt.Errorf("ring: leave: %w", err))
	}
	if err := m.list.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("ring: stop gossip: %w", err))
	}
	m.tracker.close()
	m.cfg.Logger.Info("left cluster", zap.String("node", m.local.Name))
	return errors.Join(errs...)
}

// Shutdown stops gossip without telling anyone, as a crash would: the other
// nodes remove this one after failure detection. It closes every
// Subscription; rings keep their last value.
func (m *Membership) Shutdown() error {
	if !m.markStopped() {
		return nil
	}
	err := m.list.Shutdown()
	m.tracker.close()
	if err != nil {
		return fmt.Errorf("ring: stop gossip: %w", err)
	}
	return nil
}

func (m *Membership) markStopped() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return false
	}
	m.stopped = true
	return true
}

func (m *Membership) isStopped() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopped
}

// Ring returns the current ring of role: a snapshot that later changes do
// not affect. A role no live node serves has an empty ring. Ring is cheap
// (one atomic load) and safe to call from any goroutine at any time.
func (m *Membership) Ring(role string) *Ring { return m.tracker.ring(role) }

// Nodes returns the live (alive or suspect) nodes known now, sorted by
// name, including this one. Unlike Ring it is not debounced.
func (m *Membership) Nodes() []Node {
	nodes := m.tracker.nodeList()
	slices.SortFunc(nodes, func(a, b Node) int { return cmp.Compare(a.Name, b.Name) })
	return nodes
}

// Subscribe returns a Subscription to role's ring changes; see Subscription
// and ChangeEvent for the ordering and coalescing guarantees. The caller
// must Close it (or stop the Membership) to release its goroutine.
func (m *Membership) Subscribe(role string) *Subscription { return m.tracker.subscribe(role) }
