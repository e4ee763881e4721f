package ring

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenKeys are the keys the transcripts place: shards 1..48 and a few
// task-queue partitions.
func goldenKeys() []string {
	keys := shardKeys(48)
	for p := int32(0); p < 4; p++ {
		keys = append(keys, TaskQueuePartitionKey("2b7f3c1e-7a0d-4e8e-9a59-1f6c3b2d4e5f", "orders", 0, p))
	}
	return keys
}

// TestGoldenPlacement records where a fixed key set lands on fixed member
// sets, and what moves at each step of a membership story. A diff here means
// placement changed: every node of a mixed-version region would disagree
// about owners. Rewrite with -update only when that is intended.
func TestGoldenPlacement(t *testing.T) {
	for _, cfg := range strategies {
		t.Run(string(cfg.Strategy), func(t *testing.T) {
			got := placementTranscript(t, cfg)
			path := filepath.Join("testdata", "placement_"+string(cfg.Strategy)+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./ring/ -run TestGoldenPlacement -update to create it")
			require.Equal(t, string(want), got)
		})
	}
}

func placementTranscript(t *testing.T, cfg RingConfig) string {
	keys := goldenKeys()
	var b strings.Builder
	fmt.Fprintf(&b, "# strategy %s", cfg.Strategy)
	if cfg.Strategy == StrategyVirtualNodes {
		fmt.Fprintf(&b, ", %d virtual nodes per member", cfg.VirtualNodes)
	}
	b.WriteString("\n")

	type step struct {
		what    string
		members []Member
	}
	abc := namedMembers(3)
	steps := []step{
		{"start", abc},
		{"add node-3", namedMembers(4)},
		{"add node-4", namedMembers(5)},
		{"remove node-1", without(namedMembers(5), "node-1")},
		{"move node-0 to a new address", append([]Member{{Name: "node-0", Addr: "10.0.1.1:7234"}}, without(without(namedMembers(5), "node-1"), "node-0")...)},
		{"add node-1 back", append([]Member{{Name: "node-0", Addr: "10.0.1.1:7234"}}, without(namedMembers(5), "node-0")...)},
		{"remove node-4 and node-3", namedMembers(3)},
	}
	var prev *Ring
	for _, s := range steps {
		r := mustRing(t, cfg, s.members)
		fmt.Fprintf(&b, "\n## %s -> %s\n", s.what, r)
		if prev == nil {
			for _, k := range keys {
				m, _ := r.Lookup(k)
				fmt.Fprintf(&b, "%s %s\n", k, m.Name)
			}
		} else {
			moved := 0
			for _, k := range keys {
				from, _ := prev.Lookup(k)
				to, _ := r.Lookup(k)
				if from.Name != to.Name {
					fmt.Fprintf(&b, "%s %s -> %s\n", k, from.Name, to.Name)
					moved++
				}
			}
			fmt.Fprintf(&b, "moved %d of %d\n", moved, len(keys))
		}
		prev = r
	}
	return b.String()
}
