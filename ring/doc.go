// Package ring places keys on the hosts of a region (DESIGN.md §3): which
// history host owns a shard, which matching host owns a task-queue
// partition, where a frontend routes a request.
//
// It has a pure core and a thin shell:
//
//   - Ring (ring.go, rendezvous.go, vnode.go, key.go) is an immutable
//     snapshot of one role's members that maps a key to a member. No I/O,
//     no clock. ShardKey and TaskQueuePartitionKey build the keys, so every
//     service derives the same key for the same thing.
//   - Membership (membership.go) runs hashicorp/memberlist: it advertises
//     this node's roles and RPC addresses in node metadata (meta.go), joins
//     seeds with backoff, leaves gracefully, and keeps one Ring per role,
//     rebuilt Debounce after membership changes (tracker.go) and announced
//     to Subscriptions (subscription.go).
//
// # Invariants
//
//   - Determinism. A key's owner is a function of the key, the member
//     names and the RingConfig only: the same on every node, in any member
//     order, across versions. Addresses are not hashed, so a member that
//     moves keeps its keys. The golden files in testdata/ pin placement;
//     the hash functions (hash.go) are part of the contract.
//   - Minimal movement. Removing a member moves exactly the keys it owned;
//     adding one moves keys only to it (movement_test.go checks both, by
//     table and by testing/quick).
//   - Ordered, non-blocking events. memberlist's goroutines only record a
//     change and poke the tracker. Each Subscription gets its role's
//     changes in order with Seq 1, 2, 3, ... and each event's Previous is
//     the Ring of the one before; a slow subscriber gets one event from the
//     last ring it saw to the newest, never a backlog.
//   - The ring is not a lock. During gossip convergence two hosts can both
//     believe they own a shard; persistence fencing (the shard's range_id)
//     is what keeps them from both writing. Suspect hosts stay in rings
//     until memberlist declares them dead, SuspicionMult × ProbeInterval ×
//     max(1, log10 n) after a failed probe once another host confirms the
//     suspicion (3 s with the defaults for up to 10 hosts), up to 6× that
//     without confirmation. A graceful Leave is seen within a gossip round
//     or two.
//
// # Hash function
//
// Keys and member names are hashed with XXH64, seed 0
// (github.com/cespare/xxhash/v2, already in the module graph): a
// well-specified 64-bit hash with implementations in every language, no
// allocation, and good avalanche on short, similar inputs ("1", "2", ...,
// "node-1", "node-2"). FNV-1a 64, the other obvious candidate, was measured
// and rejected: its last input bytes barely reach the high bits, so
// virtual-node points of one member ("node-1" || i) cluster — with 128
// vnodes, 4096 shards and 10 members, max/mean load was 2.4 for node-0..9
// and up to 6.8 over 200 random name sets, against 1.16 and 1.36 with XXH64.
// It is also slower on longer keys (35 ns vs 11 ns for a 54-byte partition
// key; equal within 1 ns on a 4-byte shard key). Rendezvous needs a
// mixing step either way: scoring with hashKey ^ hashName alone gives
// max/mean 2.5 at 5 members; mix64 (MurmurHash3's fmix64) fixes it.
//
// # Strategy: rendezvous by default
//
// Both candidates are implemented (RingConfig.Strategy). Measured over 4096
// shard keys (quality_test.go, `go test ./ring/ -run TestPlacementQuality -v
// -ring.report`). max/mean is the most loaded member's shards over the
// average: for members node-0..node-(N-1), then the mean and worst over 200
// random name sets. Movement is the fraction of shards that changed owner
// (ideal in parentheses); every moved shard moved from the removed or to the
// added member, for both strategies.
//
//	strategy     N  max/mean  random mean/worst     remove: mean/worst    add (N+1)th
//	rendezvous   3     1.031     1.024 /  1.063  0.333 / 0.344 (0.333)  0.252 (0.250)
//	rendezvous   5     1.058     1.040 /  1.111  0.200 / 0.212 (0.200)  0.156 (0.167)
//	rendezvous  10     1.077     1.076 /  1.160  0.100 / 0.108 (0.100)  0.089 (0.091)
//	vnodes-64    3     1.038     1.109 /  1.413  0.333 / 0.346 (0.333)  0.275 (0.250)
//	vnodes-64    5     1.108     1.158 /  1.364  0.200 / 0.222 (0.200)  0.159 (0.167)
//	vnodes-64   10     1.238     1.216 /  1.545  0.100 / 0.124 (0.100)  0.092 (0.091)
//	vnodes-128   3     1.098     1.077 /  1.266  0.333 / 0.366 (0.333)  0.294 (0.250)
//	vnodes-128   5     1.160     1.115 /  1.255  0.200 / 0.232 (0.200)  0.171 (0.167)
//	vnodes-128  10     1.160     1.161 /  1.362  0.100 / 0.116 (0.100)  0.096 (0.091)
//	vnodes-256   3     1.017     1.061 /  1.170  0.333 / 0.339 (0.333)  0.254 (0.250)
//	vnodes-256   5     1.071     1.084 /  1.221  0.200 / 0.214 (0.200)  0.166 (0.167)
//	vnodes-256  10     1.184     1.125 /  1.238  0.100 / 0.118 (0.100)  0.096 (0.091)
//
// Rendezvous is as balanced as a uniformly random assignment of 4096 keys
// can be (the expected max/mean for 10 members is about 1.07); virtual
// nodes add the variance of their arc lengths on top, so they need many
// more points to approach it. Worst-case balance matters more than the
// mean here: the most loaded history host sets the region's capacity.
//
// Lookup cost (bench_test.go, `go test ./ring/ -run '^$' -bench .`; AMD
// EPYC, 2 vCPUs, Go 1.26; ns per lookup of a shard key, cycling through
// 4096 keys; no allocation for either):
//
//	members        3    5    10   25   50   100
//	rendezvous     7.4  9.7  15   28   51   94
//	vnodes-128     26   28   34   40   48   57
//
// A 54-byte task-queue partition key adds about 10 ns of hashing to either. Every
// member-set change costs a history host one OwnedShards(4096): ~120 µs
// (rendezvous) vs ~190 µs (vnodes); building a ring of 10 members costs
// 0.2 µs vs 55 µs (1,280 points hashed and sorted), of 100 members 4 µs vs
// 1.2 ms.
//
// The choice is rendezvous: better balance at every size measured, exact
// minimal movement, a few bytes per member, and faster lookups up to about
// 50 members of one role, which covers the regions Meridian targets. Past
// that, lookups are O(members) and virtual nodes win on lookup speed
// (still not on balance); a caller that routes every request over a large
// ring can memoize ShardOwner per ring snapshot (shards are a fixed,
// dense set). StrategyVirtualNodes stays available for such a region; all
// nodes must agree on the strategy, like the shard count.
//
// # Using it
//
// A history shard controller subscribes to "history" and, on each event,
// compares ev.Previous.OwnedShards(self, n) with ev.Ring.OwnedShards(self,
// n) to release and acquire shards. A frontend routes with
// m.Ring("history").ShardOwner(id) and m.Ring("matching").Lookup(
// TaskQueuePartitionKey(...)), using the Member's Addr. Matching places
// partitions with the same key function.
package ring
