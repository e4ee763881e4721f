package ring

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// strategies are the placement strategies every pure test runs under.
var strategies = []RingConfig{
	{Strategy: StrategyRendezvous},
	{Strategy: StrategyVirtualNodes, VirtualNodes: DefaultVirtualNodes},
}

// namedMembers returns members node-0 .. node-(n-1) with made-up addresses.
func namedMembers(n int) []Member {
	ms := make([]Member, n)
	for i := range ms {
		ms[i] = Member{Name: fmt.Sprintf("node-%d", i), Addr: fmt.Sprintf("10.0.0.%d:7234", i+1)}
	}
	return ms
}

// shardKeys returns the keys of shards 1..n.
func shardKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = ShardKey(int32(i + 1))
	}
	return keys
}

func mustRing(t testing.TB, cfg RingConfig, members []Member) *Ring {
	t.Helper()
	r, err := NewRing(cfg, members)
	require.NoError(t, err)
	return r
}

// owners maps each key to its owner's name.
func owners(r *Ring, keys []string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		m, _ := r.Lookup(k)
		out[k] = m.Name
	}
	return out
}

// without returns members minus the one called name.
func without(members []Member, name string) []Member {
	var out []Member
	for _, m := range members {
		if m.Name != name {
			out = append(out, m)
		}
	}
	return out
}
