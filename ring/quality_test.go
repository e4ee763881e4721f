package ring

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The numbers in doc.go come from this file:
//
//	go test ./ring/ -run TestPlacementQuality -v -ring.report
var report = flag.Bool("ring.report", false, "print the placement quality table of doc.go")

// quality describes one strategy with one member count over a key set.
type quality struct {
	maxOverMean float64 // for the members node-0..node-(n-1)
	// Over many random member-name sets (seeded), the mean and the worst
	// max/mean.
	randMeanMaxOverMean, randWorstMaxOverMean float64
	// Fraction of keys moved when one of n leaves: the mean over which one
	// (1/n by construction when nothing else moves) and the worst.
	removeMoved, removeMovedWorst float64
	addMoved                      float64 // fraction moved when an (n+1)th joins; ideal 1/(n+1)
}

func maxOverMean(r *Ring, keys []string) float64 {
	load := make(map[string]int)
	for _, k := range keys {
		m, _ := r.Lookup(k)
		load[m.Name]++
	}
	most := 0
	for _, m := range r.members {
		most = max(most, load[m.Name])
	}
	return float64(most) / (float64(len(keys)) / float64(r.Len()))
}

func movedFraction(a, b map[string]string) float64 {
	moved := 0
	for k, o := range a {
		if b[k] != o {
			moved++
		}
	}
	return float64(moved) / float64(len(a))
}

func measureQuality(t testing.TB, cfg RingConfig, n int, keys []string, randomSets int, seed uint64) quality {
	members := namedMembers(n)
	r := mustRing(t, cfg, members)
	q := quality{maxOverMean: maxOverMean(r, keys)}

	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	for range randomSets {
		ms := make([]Member, n)
		for i := range ms {
			ms[i] = Member{Name: fmt.Sprintf("host-%08x", rng.Uint32())}
		}
		rr, err := NewRing(cfg, ms)
		if err != nil { // a duplicate random name: skip the set
			continue
		}
		b := maxOverMean(rr, keys)
		q.randMeanMaxOverMean += b / float64(randomSets)
		q.randWorstMaxOverMean = max(q.randWorstMaxOverMean, b)
	}

	before := owners(r, keys)
	for _, m := range members {
		f := movedFraction(before, owners(mustRing(t, cfg, without(members, m.Name)), keys))
		q.removeMoved += f / float64(n)
		q.removeMovedWorst = max(q.removeMovedWorst, f)
	}
	q.addMoved = movedFraction(before, owners(mustRing(t, cfg, namedMembers(n+1)), keys))
	return q
}

// TestPlacementQuality checks balance and movement of both strategies over
// 4096 shards with loose bounds (the numbers are deterministic; the bounds
// catch a broken hash, not noise), and prints the doc.go table with
// -ring.report.
func TestPlacementQuality(t *testing.T) {
	keys := shardKeys(4096)
	var table strings.Builder
	fmt.Fprintf(&table, "%-10s %3s  %8s  %17s  %21s  %13s\n",
		"strategy", "N", "max/mean", "random mean/worst", "remove: mean/worst", "add (N+1)th")
	for _, cfg := range []RingConfig{
		{Strategy: StrategyRendezvous},
		{Strategy: StrategyVirtualNodes, VirtualNodes: 64},
		{Strategy: StrategyVirtualNodes, VirtualNodes: 128},
		{Strategy: StrategyVirtualNodes, VirtualNodes: 256},
	} {
		for _, n := range []int{3, 5, 10} {
			q := measureQuality(t, cfg, n, keys, 200, 1)
			name := string(cfg.Strategy)
			if cfg.Strategy == StrategyVirtualNodes {
				name = fmt.Sprintf("vnodes-%d", cfg.VirtualNodes)
			}
			fmt.Fprintf(&table, "%-10s %3d  %8.3f  %8.3f / %6.3f  %5.3f / %5.3f (%.3f)  %5.3f (%.3f)\n",
				name, n, q.maxOverMean, q.randMeanMaxOverMean, q.randWorstMaxOverMean,
				q.removeMoved, q.removeMovedWorst, 1/float64(n), q.addMoved, 1/float64(n+1))

			require.Less(t, q.randWorstMaxOverMean, 1.6, "%s N=%d: balance", name, n)
			require.InDelta(t, 1/float64(n), q.removeMoved, 0.35/float64(n), "%s N=%d: removal movement", name, n)
			require.InDelta(t, 1/float64(n+1), q.addMoved, 0.5/float64(n+1), "%s N=%d: addition movement", name, n)
		}
	}
	if *report {
		t.Logf("placement of %d shards:\n%s", len(keys), table.String())
	}
}
