package ring

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/quick"

	"github.com/cespare/xxhash/v2"

	"github.com/stretchr/testify/require"
)

// checkOnlyChangedMemberMoves asserts that every key whose owner differs
// between before and after moved from or to changed, and returns how many
// moved.
func checkOnlyChangedMemberMoves(t *testing.T, before, after map[string]string, changed string) int {
	t.Helper()
	moved := 0
	for k, from := range before {
		to := after[k]
		if from == to {
			continue
		}
		moved++
		require.True(t, from == changed || to == changed,
			"key %s moved %s -> %s, but only %s changed", k, from, to, changed)
	}
	return moved
}

// TestMovement: adding or removing one of N members moves about 1/N of the
// shards, and every moved shard moves to or from that member.
func TestMovement(t *testing.T) {
	keys := shardKeys(4096)
	for _, cfg := range strategies {
		for _, n := range []int{3, 5, 10} {
			t.Run(fmt.Sprintf("%s/N=%d", cfg.Strategy, n), func(t *testing.T) {
				members := namedMembers(n)
				before := owners(mustRing(t, cfg, members), keys)

				for _, m := range members {
					after := owners(mustRing(t, cfg, without(members, m.Name)), keys)
					moved := checkOnlyChangedMemberMoves(t, before, after, m.Name)
					for k, o := range before {
						if o == m.Name {
							require.NotEqual(t, m.Name, after[k])
						}
					}
					frac := float64(moved) / float64(len(keys))
					require.InDelta(t, 1/float64(n), frac, 0.4/float64(n), "removing %s moved %d keys", m.Name, moved)
				}

				grown := namedMembers(n + 1)
				newcomer := grown[n].Name
				after := owners(mustRing(t, cfg, grown), keys)
				moved := checkOnlyChangedMemberMoves(t, before, after, newcomer)
				for k, o := range after {
					if before[k] != o {
						require.Equal(t, newcomer, o, "key %s", k)
					}
				}
				frac := float64(moved) / float64(len(keys))
				require.InDelta(t, 1/float64(n+1), frac, 0.4/float64(n+1), "adding %s moved %d keys", newcomer, moved)
			})
		}
	}
}

// randomMembers returns n members with distinct random names.
func randomMembers(rng *rand.Rand, n int) []Member {
	seen := make(map[string]bool)
	var ms []Member
	for len(ms) < n {
		name := fmt.Sprintf("h%x", rng.Uint64()>>uint(rng.IntN(60)))
		if seen[name] {
			continue
		}
		seen[name] = true
		ms = append(ms, Member{Name: name, Addr: fmt.Sprintf("10.1.%d.%d:7234", len(ms)/250, len(ms)%250)})
	}
	return ms
}

func randomKeys(rng *rand.Rand, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%x", rng.Uint64()>>uint(rng.IntN(64)))
	}
	return keys
}

// TestQuickRemovalMovesOnlyItsKeys: for random member sets and keys,
// removing a member moves only the keys it owned (read backwards: adding a
// member moves keys only to it). testing/quick prints the failing seed.
func TestQuickRemovalMovesOnlyItsKeys(t *testing.T) {
	for _, cfg := range append(strategies, RingConfig{Strategy: StrategyVirtualNodes, VirtualNodes: 3}) {
		t.Run(fmt.Sprintf("%s-%d", cfg.Strategy, cfg.VirtualNodes), func(t *testing.T) {
			prop := func(seed uint64, size, pick uint8) bool {
				rng := rand.New(rand.NewPCG(seed, 0))
				n := 2 + int(size)%24
				members := randomMembers(rng, n)
				keys := randomKeys(rng, 300)
				gone := members[int(pick)%n]

				full, err := NewRing(cfg, members)
				if err != nil {
					return false
				}
				less, err := NewRing(cfg, without(members, gone.Name))
				if err != nil {
					return false
				}
				for _, k := range keys {
					a, _ := full.Lookup(k)
					b, _ := less.Lookup(k)
					if a.Name != gone.Name && a != b {
						t.Logf("seed %d: key %q moved %s -> %s when %s left", seed, k, a.Name, b.Name, gone.Name)
						return false
					}
				}
				return true
			}
			require.NoError(t, quick.Check(prop, &quick.Config{MaxCount: 300}))
		})
	}
}

// referencePlacement is a naive placement: every rendezvous score computed
// from scratch and sorted, or every virtual-node point scanned linearly; no
// precomputed tables, no binary search.
func referencePlacement(cfg RingConfig, members []Member) func(key string) string {
	if cfg.Strategy == StrategyRendezvous {
		return func(key string) string {
			type scored struct {
				score uint64
				name  string
			}
			h := hashKey(key)
			var all []scored
			for _, m := range members {
				all = append(all, scored{mix64(h ^ hashName(m.Name)), m.Name})
			}
			slices.SortFunc(all, func(a, b scored) int {
				if a.score != b.score {
					return -cmp.Compare(a.score, b.score)
				}
				return strings.Compare(a.name, b.name)
			})
			return all[0].name
		}
	}
	type point struct {
		pos  uint64
		name string
	}
	var points []point // unsorted
	d := xxhash.New()
	for _, m := range members {
		for v := range cfg.VirtualNodes {
			points = append(points, point{vnodePoint(d, m.Name, v), m.Name})
		}
	}
	// before reports whether p comes before q on the circle read from 0.
	before := func(p, q point) bool { return p.pos < q.pos || (p.pos == q.pos && p.name < q.name) }
	return func(key string) string {
		h := hashKey(key)
		var first, next *point // lowest point overall; lowest point >= h
		for i := range points {
			p := &points[i]
			if first == nil || before(*p, *first) {
				first = p
			}
			if p.pos >= h && (next == nil || before(*p, *next)) {
				next = p
			}
		}
		if next == nil {
			return first.name
		}
		return next.name
	}
}

// TestQuickMatchesReference checks the optimized lookups against the naive
// reference on random member sets and keys.
func TestQuickMatchesReference(t *testing.T) {
	for _, cfg := range append(strategies, RingConfig{Strategy: StrategyVirtualNodes, VirtualNodes: 5}) {
		t.Run(fmt.Sprintf("%s-%d", cfg.Strategy, cfg.VirtualNodes), func(t *testing.T) {
			prop := func(seed uint64, size uint8) bool {
				rng := rand.New(rand.NewPCG(seed, 1))
				members := randomMembers(rng, 1+int(size)%20)
				r, err := NewRing(cfg, members)
				if err != nil {
					return false
				}
				ref := referencePlacement(r.Config(), members)
				for _, k := range randomKeys(rng, 100) {
					got, _ := r.Lookup(k)
					if want := ref(k); got.Name != want {
						t.Logf("seed %d: key %q: Lookup says %s, reference says %s", seed, k, got.Name, want)
						return false
					}
				}
				return true
			}
			require.NoError(t, quick.Check(prop, &quick.Config{MaxCount: 200}))
		})
	}
}
