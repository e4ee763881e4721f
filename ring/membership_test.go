package ring

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/common/clock"
)

// Generous bounds: these tests wait for gossip and failure detection on a
// possibly loaded machine. They bound a hang; they are not timing asserts.
const (
	convergeWithin = 30 * time.Second
	detectWithin   = 60 * time.Second
	pollEvery      = 50 * time.Millisecond
)

// testCluster runs Membership instances on 127.0.0.1 with OS-chosen ports
// and prints its layout if the test fails.
type testCluster struct {
	t     *testing.T
	name  string
	mu    sync.Mutex
	nodes map[string]*Membership // running nodes
	log   []string               // what happened, for the failure report
}

func newTestCluster(t *testing.T) *testCluster {
	c := &testCluster{t: t, name: "ring-test-" + strings.ReplaceAll(t.Name(), "/", "-"), nodes: map[string]*Membership{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cluster %s layout:\n%s", c.name, c.describe())
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, m := range c.nodes {
			_ = m.Shutdown()
		}
	})
	return c
}

// testConfig is tuned for fast failure detection on loopback.
func (c *testCluster) config(name string, roles []string, seeds []string) Config {
	cfg := DefaultConfig()
	cfg.NodeName = name
	cfg.ClusterName = c.name
	cfg.BindPort = 0
	cfg.Seeds = seeds
	cfg.Roles = roles
	cfg.RPCAddress = "127.0.0.1:7233"
	cfg.RPCAddresses = map[string]string{}
	for i, r := range roles {
		cfg.RPCAddresses[r] = fmt.Sprintf("%s.rpc:%d", name, 7234+i)
	}
	cfg.Debounce = 20 * time.Millisecond
	cfg.JoinRetryMin = 20 * time.Millisecond
	cfg.JoinRetryMax = 500 * time.Millisecond
	cfg.ProbeInterval = 200 * time.Millisecond
	cfg.ProbeTimeout = 100 * time.Millisecond
	cfg.GossipInterval = 50 * time.Millisecond
	cfg.PushPullInterval = 2 * time.Second
	cfg.DeadNodeReclaimTime = 200 * time.Millisecond
	cfg.Logger = zaptest.NewLogger(c.t).Named(name)
	return cfg
}

func (c *testCluster) start(cfg Config) *Membership {
	c.t.Helper()
	m, err := NewMembership(cfg)
	require.NoError(c.t, err, "start %s", cfg.NodeName)
	c.mu.Lock()
	c.nodes[cfg.NodeName] = m
	c.log = append(c.log, fmt.Sprintf("start %s at %s seeds=%v roles=%v", cfg.NodeName, m.LocalNode().GossipAddr, cfg.Seeds, cfg.Roles))
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), convergeWithin)
	defer cancel()
	require.NoError(c.t, m.Join(ctx), "join %s via %v", cfg.NodeName, cfg.Seeds)
	return m
}

func (c *testCluster) stop(name string, graceful bool) {
	c.t.Helper()
	c.mu.Lock()
	m := c.nodes[name]
	delete(c.nodes, name)
	c.log = append(c.log, fmt.Sprintf("stop %s graceful=%v", name, graceful))
	c.mu.Unlock()
	if graceful {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(c.t, m.Leave(ctx))
	} else {
		require.NoError(c.t, m.Shutdown())
	}
}

func (c *testCluster) running() map[string]*Membership {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.nodes)
}

func (c *testCluster) describe() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, l := range c.log {
		b.WriteString("  " + l + "\n")
	}
	for _, name := range slices.Sorted(maps.Keys(c.nodes)) {
		m := c.nodes[name]
		fmt.Fprintf(&b, "  %s (%s) sees nodes=%v history=%s matching=%s\n", name, m.LocalNode().GossipAddr,
			nodeNames(m.Nodes()), m.Ring("history"), m.Ring("matching"))
	}
	return b.String()
}

func nodeNames(ns []Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Name
	}
	return out
}

// requireConverged waits until every running node's ring of role has
// exactly want (names) and all those rings are equal.
func (c *testCluster) requireConverged(role string, want []string, within time.Duration) {
	c.t.Helper()
	require.EventuallyWithT(c.t, func(ct *assert.CollectT) {
		var first *Ring
		for name, m := range c.running() {
			r := m.Ring(role)
			if !assert.Equal(ct, want, memberNames(r.Members()), "%s's %s ring", name, role) {
				return
			}
			if first == nil {
				first = r
			} else {
				assert.True(ct, first.Equal(r), "%s's %s ring differs: %v vs %v", name, role, r.Members(), first.Members())
			}
		}
	}, within, pollEvery, "role %s never converged to %v; layout:\n%s", role, want, c.describe())
}

func TestMembershipCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the multi-node gossip test")
	}
	c := newTestCluster(t)
	both := []string{"history", "matching"}

	n0 := c.start(c.config("node-0", both, nil))
	sub := n0.Subscribe("history")
	defer sub.Close()
	seeds := []string{n0.LocalNode().GossipAddr}
	n1 := c.start(c.config("node-1", both, seeds))
	seeds = append(seeds, n1.LocalNode().GossipAddr)
	c.start(c.config("node-2", both, seeds))
	c.start(c.config("node-3", []string{"history"}, seeds))
	c.start(c.config("node-4", both, append([]string{"127.0.0.1:1"}, seeds...))) // one dead seed is fine

	all := []string{"node-0", "node-1", "node-2", "node-3", "node-4"}
	c.requireConverged("history", all, convergeWithin)
	c.requireConverged("matching", []string{"node-0", "node-1", "node-2", "node-4"}, convergeWithin)

	// Every node computes the same shard owners; each shard has one owner.
	owner := map[int32]string{}
	for name, m := range c.running() {
		for _, id := range m.Ring("history").OwnedShards(name, 256) {
			require.NotContains(t, owner, id)
			owner[id] = name
		}
		addr, ok := m.Ring("history").Member("node-3")
		require.True(t, ok)
		require.Equal(t, "node-3.rpc:7234", addr.Addr, "RPC addresses travel in metadata")
		require.Len(t, m.Nodes(), 5)
	}
	require.Len(t, owner, 256)

	// Graceful leave: the others drop node-4 without failure detection.
	c.stop("node-4", true)
	c.requireConverged("history", []string{"node-0", "node-1", "node-2", "node-3"}, convergeWithin)

	// Crash: node-3 vanishes; failure detection removes it.
	c.stop("node-3", false)
	c.requireConverged("history", []string{"node-0", "node-1", "node-2"}, detectWithin)
	c.requireConverged("matching", []string{"node-0", "node-1", "node-2"}, detectWithin)

	// Both come back under their names at new ports.
	c.start(c.config("node-3", []string{"history"}, seeds))
	c.start(c.config("node-4", both, seeds))
	c.requireConverged("history", all, convergeWithin)
	c.requireConverged("matching", []string{"node-0", "node-1", "node-2", "node-4"}, convergeWithin)

	// node-0's subscriber saw an ordered chain of events ending at the
	// converged ring.
	var events []ChangeEvent
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		for {
			select {
			case ev := <-sub.C():
				events = append(events, ev)
				continue
			default:
			}
			break
		}
		if assert.NotEmpty(ct, events) {
			assert.True(ct, events[len(events)-1].Ring.Equal(n0.Ring("history")))
		}
	}, convergeWithin, pollEvery)
	for i, ev := range events {
		require.Equal(t, uint64(i+1), ev.Seq)
		if i > 0 {
			require.Same(t, events[i-1].Ring, ev.Previous)
		}
	}
	require.Equal(t, []string{"node-0"}, memberNames(events[0].Ring.Members()), "the first event is node-0 alone")
}

func TestMembershipJoinGivesUp(t *testing.T) {
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := l.Addr().String()
	require.NoError(t, l.Close())

	c := newTestCluster(t)
	cfg := c.config("lonely", []string{"history"}, []string{dead})
	scope := tally.NewTestScope("", nil)
	cfg.Metrics = scope
	m, err := NewMembership(cfg)
	require.NoError(t, err)
	defer func() { require.NoError(t, m.Shutdown()) }()

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = m.Join(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, dead)
	require.Positive(t, scope.Snapshot().Counters()["ring_join_retries+"].Value())

	// It still serves its own ring.
	require.Equal(t, []string{"lonely"}, memberNames(m.Ring("history").Members()))
	require.Equal(t, "lonely.rpc:7234", m.LocalNode().RPCAddresses["history"])
}

func TestMembershipSeedsOnlySelf(t *testing.T) {
	c := newTestCluster(t)
	m, err := NewMembership(c.config("solo", []string{"history"}, nil))
	require.NoError(t, err)
	defer func() { require.NoError(t, m.Shutdown()) }()
	// Every node of a static deployment may list the same seeds, itself
	// included; the first one up starts the cluster instead of waiting.
	m.cfg.Seeds = []string{m.LocalNode().GossipAddr}
	require.NoError(t, m.Join(context.Background()))
	require.Equal(t, []string{"solo"}, memberNames(m.Ring("history").Members()))
}

// Two regions on one machine never merge: their gossip carries different
// labels.
func TestMembershipClusterNameIsolates(t *testing.T) {
	a := newTestCluster(t)
	b := newTestCluster(t)
	b.name += "-other"
	na := a.start(a.config("a-0", []string{"history"}, nil))
	cfg := b.config("b-0", []string{"history"}, []string{na.LocalNode().GossipAddr})
	nb, err := NewMembership(cfg)
	require.NoError(t, err)
	defer func() { require.NoError(t, nb.Shutdown()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	require.Error(t, nb.Join(ctx))
	require.Equal(t, 1, na.Ring("history").Len())
}

func TestMembershipStopIsIdempotent(t *testing.T) {
	c := newTestCluster(t)
	m, err := NewMembership(c.config("x", []string{"history"}, []string{"127.0.0.1:1"}))
	require.NoError(t, err)
	sub := m.Subscribe("history")
	require.Equal(t, []string{"x"}, memberNames((<-sub.C()).Added))
	require.NoError(t, m.Leave(context.Background()))
	require.NoError(t, m.Leave(context.Background()))
	require.NoError(t, m.Shutdown())
	_, ok := <-sub.C()
	require.False(t, ok, "stopping closes subscriptions")
	require.ErrorIs(t, m.Join(context.Background()), ErrStopped)
	require.Equal(t, 1, m.Ring("history").Len(), "rings keep their last value")
}

func TestMembershipBindError(t *testing.T) {
	c := newTestCluster(t)
	m := c.start(c.config("first", nil, nil))
	_, port, err := net.SplitHostPort(m.LocalNode().GossipAddr)
	require.NoError(t, err)
	cfg := c.config("second", nil, nil)
	cfg.BindPort, err = strconv.Atoi(port)
	require.NoError(t, err)
	_, err = NewMembership(cfg)
	require.ErrorContains(t, err, "ring: start gossip on 127.0.0.1:"+port)
}

func TestDelegateInvalidMetadata(t *testing.T) {
	scope := tally.NewTestScope("", nil)
	tr := newTracker(DefaultRingConfig(), clock.Real(), time.Millisecond, zaptest.NewLogger(t), scope)
	defer tr.close()
	d := &delegate{tracker: tr, logger: zaptest.NewLogger(t), metrics: scope}
	n := d.node(&memberlist.Node{Name: "weird", Addr: net.IPv4(127, 0, 0, 1), Port: 7946, Meta: []byte("{")})
	require.Equal(t, Node{Name: "weird", GossipAddr: "127.0.0.1:7946"}, n)
	require.Equal(t, int64(1), scope.Snapshot().Counters()["ring_metadata_errors+"].Value())

	d.meta = make([]byte, 600)
	require.Nil(t, d.NodeMeta(memberlist.MetaMaxSize), "oversized metadata is withheld, not a memberlist panic")
}
