package ring

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewRingErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     RingConfig
		members []Member
		wantErr string
	}{
		{name: "empty name", members: []Member{{Name: "a"}, {Addr: "h:1"}}, wantErr: `ring: member with address "h:1" has an empty Name`},
		{name: "duplicate", members: []Member{{Name: "a"}, {Name: "b"}, {Name: "a", Addr: "x:1"}}, wantErr: `ring: member "a" appears twice`},
		{name: "unknown strategy", cfg: RingConfig{Strategy: "maglev"}, wantErr: `ring config: Strategy "maglev" is unknown: valid strategies are rendezvous, vnodes`},
		{name: "negative vnodes", cfg: RingConfig{VirtualNodes: -1}, wantErr: `ring config: VirtualNodes must be between 1 and 4096 (0 means 128), got -1`},
		{name: "too many vnodes", cfg: RingConfig{VirtualNodes: 5000}, wantErr: `ring config: VirtualNodes must be between 1 and 4096 (0 means 128), got 5000`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRing(tc.cfg, tc.members)
			require.EqualError(t, err, tc.wantErr)
		})
	}
}

func TestRingDefaults(t *testing.T) {
	r := mustRing(t, RingConfig{}, namedMembers(3))
	require.Equal(t, DefaultRingConfig(), r.Config())
	require.Equal(t, StrategyRendezvous, r.Config().Strategy)
	r = mustRing(t, RingConfig{Strategy: StrategyVirtualNodes}, namedMembers(3))
	require.Equal(t, DefaultVirtualNodes, r.Config().VirtualNodes)
	require.Len(t, r.points, 3*DefaultVirtualNodes)
}

func TestEmptyRing(t *testing.T) {
	for _, cfg := range strategies {
		r := mustRing(t, cfg, nil)
		_, ok := r.Lookup("1")
		require.False(t, ok)
		_, ok = r.ShardOwner(1)
		require.False(t, ok)
		require.Empty(t, r.OwnedShards("node-0", 16))
		require.Zero(t, r.Len())
		require.Equal(t, "[]", r.String())
	}
}

func TestSingleMemberOwnsEverything(t *testing.T) {
	for _, cfg := range strategies {
		r := mustRing(t, cfg, namedMembers(1))
		for _, k := range shardKeys(256) {
			m, ok := r.Lookup(k)
			require.True(t, ok)
			require.Equal(t, Member{Name: "node-0", Addr: "10.0.0.1:7234"}, m)
		}
		require.Len(t, r.OwnedShards("node-0", 256), 256)
	}
}

// Placement depends on the member set, not on the order it was given in.
func TestOrderIndependent(t *testing.T) {
	keys := shardKeys(1024)
	for _, cfg := range strategies {
		members := namedMembers(7)
		want := owners(mustRing(t, cfg, members), keys)
		rng := rand.New(rand.NewPCG(7, 7))
		for range 5 {
			shuffled := slices.Clone(members)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			r := mustRing(t, cfg, shuffled)
			require.Equal(t, want, owners(r, keys), "%s", cfg.Strategy)
			require.True(t, r.Equal(mustRing(t, cfg, members)))
		}
	}
}

// Placement hashes names only: a member moving to a new address keeps its
// keys.
func TestAddressChangeMovesNothing(t *testing.T) {
	keys := shardKeys(1024)
	for _, cfg := range strategies {
		members := namedMembers(5)
		before := mustRing(t, cfg, members)
		members[2].Addr = "10.9.9.9:1"
		after := mustRing(t, cfg, members)
		require.Equal(t, owners(before, keys), owners(after, keys))
		require.False(t, before.Equal(after))
		added, removed, updated := Diff(before, after)
		require.Empty(t, added)
		require.Empty(t, removed)
		require.Equal(t, []Member{{Name: "node-2", Addr: "10.9.9.9:1"}}, updated)
	}
}

func TestDiff(t *testing.T) {
	from := mustRing(t, RingConfig{}, []Member{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"e", "5"}})
	to := mustRing(t, RingConfig{}, []Member{{"b", "2"}, {"c", "33"}, {"d", "4"}, {"f", "6"}})
	added, removed, updated := Diff(from, to)
	require.Equal(t, []Member{{"d", "4"}, {"f", "6"}}, added)
	require.Equal(t, []Member{{"a", "1"}, {"e", "5"}}, removed)
	require.Equal(t, []Member{{"c", "33"}}, updated)

	added, removed, updated = Diff(from, from)
	require.Empty(t, added)
	require.Empty(t, removed)
	require.Empty(t, updated)
}

func TestMembersAccessors(t *testing.T) {
	r := mustRing(t, RingConfig{}, []Member{{"c", "3"}, {"a", "1"}, {"b", "2"}})
	require.Equal(t, []Member{{"a", "1"}, {"b", "2"}, {"c", "3"}}, r.Members())
	ms := r.Members()
	ms[0].Name = "mutated"
	require.Equal(t, "a", r.Members()[0].Name, "Members returns a copy")
	m, ok := r.Member("b")
	require.True(t, ok)
	require.Equal(t, Member{"b", "2"}, m)
	_, ok = r.Member("z")
	require.False(t, ok)
	require.Equal(t, 3, r.Len())
	require.Equal(t, "[a b c]", r.String())
}

// OwnedShards partitions 1..numShards among the members and agrees with
// ShardOwner.
func TestOwnedShards(t *testing.T) {
	const numShards = 512
	for _, cfg := range strategies {
		r := mustRing(t, cfg, namedMembers(5))
		seen := make(map[int32]string)
		for _, m := range r.Members() {
			owned := r.OwnedShards(m.Name, numShards)
			require.True(t, slices.IsSorted(owned))
			for _, id := range owned {
				require.NotContains(t, seen, id)
				seen[id] = m.Name
				owner, ok := r.ShardOwner(id)
				require.True(t, ok)
				require.Equal(t, m, owner)
			}
		}
		require.Len(t, seen, numShards)
		require.Nil(t, r.OwnedShards("stranger", numShards))
	}
}

func TestKeys(t *testing.T) {
	require.Equal(t, "1", ShardKey(1))
	require.Equal(t, "4096", ShardKey(4096))
	require.Equal(t, "ns-id/1/3/orders", TaskQueuePartitionKey("ns-id", "orders", 1, 3))
	// The queue name comes last, so a '/' in it cannot collide with
	// another partition's key.
	require.NotEqual(t,
		TaskQueuePartitionKey("ns", "a/1", 0, 2),
		TaskQueuePartitionKey("ns", "a", 0, 12))
}

// The hash functions are part of the placement contract; pin them.
func TestHashFunctionsPinned(t *testing.T) {
	require.Equal(t, uint64(0xef46db3751d8e999), hashKey(""))    // XXH64("", seed 0)
	require.Equal(t, uint64(0x44bc2cf5ad770999), hashKey("abc")) // XXH64("abc", seed 0)
	require.Equal(t, hashKey("node-1"), hashName("node-1"))
	require.Equal(t, hashKey("17"), hashKeyBytes([]byte("17")))
	require.Equal(t, uint64(0), mix64(0))
}

func TestLookupDoesNotAllocate(t *testing.T) {
	for _, cfg := range strategies {
		r := mustRing(t, cfg, namedMembers(10))
		allocs := testing.AllocsPerRun(100, func() { r.Lookup("1234") })
		require.Zero(t, allocs, "%s", cfg.Strategy)
	}
}
