package history

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/ring"
)

func TestStaticOwnership(t *testing.T) {
	updates, stop := StaticOwnership{Self: "solo"}.Watch(4)
	a := <-updates
	require.Equal(t, []int32{1, 2, 3, 4}, a.Owned)
	require.Equal(t, "solo", a.owner(3))
	require.Nil(t, a.Live, "a single host waits for nobody")
	stop()
	stop()
	_, open := <-updates
	require.False(t, open)
}

func TestRingAssignment(t *testing.T) {
	members := []ring.Member{{Name: "h1", Addr: "10.0.0.1:7234"}, {Name: "h2", Addr: "10.0.0.2:7234"}, {Name: "h3", Addr: "10.0.0.3:7234"}}
	r, err := ring.NewRing(ring.DefaultRingConfig(), members)
	require.NoError(t, err)
	const n = 64
	owners := map[int32]string{}
	for _, m := range members {
		a := ringAssignment(r, m.Name, n, nil)
		require.Equal(t, r.OwnedShards(m.Name, n), a.Owned)
		require.True(t, slices.IsSorted(a.Owned))
		for _, id := range a.Owned {
			require.Empty(t, owners[id], "shard %d owned twice", id)
			owners[id] = m.Name
			require.Equal(t, m.Name, a.owner(id))
		}
	}
	require.Len(t, owners, n)
	// A host not on the ring owns nothing but still names the owners.
	outsider := ringAssignment(r, "h9", n, nil)
	require.Empty(t, outsider.Owned)
	for id, o := range owners {
		require.Equal(t, o, outsider.owner(id))
	}
	empty, err := ring.NewRing(ring.DefaultRingConfig(), nil)
	require.NoError(t, err)
	require.Empty(t, ringAssignment(empty, "h1", n, nil).owner(1))
}

// ringHost is a history host on a real memberlist ring (loopback).
type ringHost struct {
	name  string
	m     *ring.Membership
	svc   *Service
	crash *crashStores
}

const ringShards = 16

func startRingHost(t *testing.T, cluster, name string, stores *persistence.Stores, seeds []string) *ringHost {
	t.Helper()
	cfg := ring.DefaultConfig()
	cfg.NodeName = name
	cfg.ClusterName = cluster
	cfg.BindPort = 0
	cfg.Seeds = seeds
	cfg.Roles = []string{RingRole}
	cfg.RPCAddress = name + ".rpc:7234"
	// Fast failure detection on loopback, as ring's own tests use.
	cfg.Debounce = 20 * time.Millisecond
	cfg.JoinRetryMin = 20 * time.Millisecond
	cfg.JoinRetryMax = 500 * time.Millisecond
	cfg.ProbeInterval = 200 * time.Millisecond
	cfg.ProbeTimeout = 100 * time.Millisecond
	cfg.GossipInterval = 50 * time.Millisecond
	cfg.PushPullInterval = 2 * time.Second
	cfg.DeadNodeReclaimTime = 200 * time.Millisecond
	// memberlist may log after Shutdown returns, when t is gone.
	cfg.Logger = zap.NewNop()
	m, err := ring.NewMembership(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Shutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, m.Join(ctx))
	h := &ringHost{name: name, m: m, crash: &crashStores{}}
	h.svc = newRingService(t, h, stores)
	return h
}

func newRingService(t *testing.T, h *ringHost, stores *persistence.Stores) *Service {
	t.Helper()
	c := clock.Real()
	s, err := NewService(Config{NumShards: ringShards}, Deps{
		Stores: h.crash.wrap(stores), Namespaces: namespace.NewRegistry(stores.Namespace, c, 0), Matching: nopMatching{},
		Clock: c, HostID: h.name, Ownership: NewRingOwnership(h.m), Logger: zaptest.NewLogger(t).Named(h.name),
	})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background()))
	t.Cleanup(s.Stop)
	return s
}

func (h *ringHost) gossipAddr() string { return h.m.LocalNode().GossipAddr }

// requirePartition waits until the hosts hold disjoint shard sets that
// cover every shard, each the one its ring assigns.
func requirePartition(t *testing.T, hosts ...*ringHost) {
	t.Helper()
	require.Eventually(t, func() bool {
		seen := map[int32]bool{}
		for _, h := range hosts {
			held := heldIDs(h.svc)
			if !slices.Equal(held, h.m.Ring(RingRole).OwnedShards(h.name, ringShards)) {
				return false
			}
			for _, id := range held {
				if seen[id] {
					return false
				}
				seen[id] = true
			}
		}
		return len(seen) == ringShards
	}, 60*time.Second, 20*time.Millisecond, "shards never partitioned over %v", hostNames(hosts))
}

func hostNames(hosts []*ringHost) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, h.name)
	}
	return out
}

// ownerOf returns the host holding the workflow's shard.
func ownerOf(t *testing.T, workflowID string, hosts ...*ringHost) *ringHost {
	t.Helper()
	id := ShardID(testNSID, workflowID, ringShards)
	for _, h := range hosts {
		if slices.Contains(heldIDs(h.svc), id) {
			return h
		}
	}
	t.Fatalf("no host holds shard %d", id)
	return nil
}

// Hosts on a real ring: shards spread over them, a host that joins takes
// its share (handed over by the live owner), one that leaves gracefully
// hands its shards back, and one that crashes loses them once failure
// detection removes it from the ring. Workflows continue throughout.
func TestRingOwnershipMovesShardsOnMembershipChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("runs memberlist on loopback for several seconds")
	}
	stores := newSharedStores(t)
	cluster := "history-" + strings.ReplaceAll(t.Name(), "/", "-")
	a := startRingHost(t, cluster, "A", stores, nil)
	requirePartition(t, a)
	b := startRingHost(t, cluster, "B", stores, []string{a.gossipAddr()})
	requirePartition(t, a, b)

	var runs []*commonpb.WorkflowExecution
	for i := range 32 {
		id := fmt.Sprintf("ring-%d", i)
		ex := start(t, ownerOf(t, id, a, b).svc, id)
		runs = append(runs, ex)
	}

	// C joins: it takes its share, which A and B hand over.
	c := startRingHost(t, cluster, "C", stores, []string{a.gossipAddr()})
	requirePartition(t, a, b, c)

	// B leaves gracefully: it releases its shards, then leaves the ring.
	b.svc.Stop()
	left := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	require.NoError(t, b.m.Leave(ctx))
	cancel()
	requirePartition(t, a, c)
	t.Logf("shards of the host that left were picked up %v after it left", time.Since(left).Round(time.Millisecond))

	// C crashes: nothing it would write lands, it releases nothing, and
	// the others learn of it only through failure detection.
	c.crash.dead.Store(true)
	require.NoError(t, c.m.Shutdown())
	crashed := time.Now()
	requirePartition(t, a)
	t.Logf("shards of the crashed host were picked up %v after it crashed", time.Since(crashed).Round(time.Millisecond))

	for _, ex := range runs {
		completeTask(t, a.svc, ex, completeCmd)
		requireCompleted(t, a.svc, ex)
	}
}
