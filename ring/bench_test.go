package ring

import (
	"fmt"
	"testing"
)

// Lookup cost by strategy and member count: `make bench` or
//
//	go test ./ring/ -run '^$' -bench . -benchmem
func BenchmarkLookup(b *testing.B) {
	keys := shardKeys(4096)
	for _, cfg := range strategies {
		for _, n := range []int{3, 5, 10, 25, 50, 100} {
			r := mustRing(b, cfg, namedMembers(n))
			b.Run(fmt.Sprintf("%s/members=%d", cfg.Strategy, n), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, ok := r.Lookup(keys[i&4095]); !ok {
						b.Fatal("empty ring")
					}
					i++
				}
			})
		}
	}
}

// A task-queue partition key is longer than a shard key; hashing it is a
// larger share of the lookup.
func BenchmarkLookupPartitionKey(b *testing.B) {
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = TaskQueuePartitionKey("c0ffee00-1234-4321-abcd-0123456789ab", fmt.Sprintf("orders-%d", i/4), 0, int32(i%4))
	}
	for _, cfg := range strategies {
		r := mustRing(b, cfg, namedMembers(10))
		b.Run(fmt.Sprintf("%s/members=10", cfg.Strategy), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Lookup(keys[i&4095])
				i++
			}
		})
	}
}

// What a history host computes on every membership change.
func BenchmarkOwnedShards(b *testing.B) {
	for _, cfg := range strategies {
		r := mustRing(b, cfg, namedMembers(10))
		b.Run(fmt.Sprintf("%s/members=10/shards=4096", cfg.Strategy), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.OwnedShards("node-3", 4096)
			}
		})
	}
}

// Building a ring happens once per membership change per role.
func BenchmarkNewRing(b *testing.B) {
	for _, cfg := range strategies {
		for _, n := range []int{10, 100} {
			members := namedMembers(n)
			b.Run(fmt.Sprintf("%s/members=%d", cfg.Strategy, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := NewRing(cfg, members); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
