package history

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// BenchmarkAcquireShards measures a host taking over numShards shards
// that another host owned (what a survivor does when the ring drops a
// crashed host): per shard, read the record, bump its range_id with a
// conditional write, start its three queues (each reads its tasks above
// the ack level; none here). One op acquires every shard; ms/all and
// µs/shard are reported. On the embedded store always; on Cassandra when
// MERIDIAN_CASSANDRA is set (see cassandratest):
//
//	go test ./services/history/ -run '^$' -bench AcquireShards -benchtime 5x
func BenchmarkAcquireShards(b *testing.B) {
	stores := map[string]func(b *testing.B) *persistence.Stores{
		"embedded": func(b *testing.B) *persistence.Stores {
			s, err := embedded.Open(b.Name(), embedded.Options{InMemory: true})
			require.NoError(b, err)
			return s
		},
	}
	if os.Getenv(cassandratest.EnvAddress) != "" {
		stores["cassandra"] = func(b *testing.B) *persistence.Stores {
			cfg := cassandratest.NewKeyspace(b, cassandratest.Config(b))
			s, err := cassandra.Open(cfg, nil)
			require.NoError(b, err)
			return s
		}
	}
	for _, backend := range []string{"embedded", "cassandra"} {
		open := stores[backend]
		if open == nil {
			continue
		}
		for _, n := range []int32{256, 4096} {
			for _, conc := range []int{1, 16, 64} {
				b.Run(fmt.Sprintf("%s/shards=%d/concurrency=%d", backend, n, conc), func(b *testing.B) {
					benchmarkAcquire(b, open(b), n, conc)
				})
			}
		}
	}
}

func benchmarkAcquire(b *testing.B, stores *persistence.Stores, numShards int32, conc int) {
	b.Cleanup(func() { _ = stores.Close() })
	ctx := context.Background()
	require.NoError(b, stores.Namespace.CreateNamespace(ctx, &persistencepb.NamespaceDetail{
		Info:   &namespacepb.NamespaceInfo{Id: testNSID, Name: testNS, State: enumspb.NAMESPACE_STATE_REGISTERED},
		Config: &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(24 * time.Hour)},
	}))
	c := clock.Real()
	host := func(i int) *Service {
		s, err := NewService(Config{NumShards: numShards, Controller: ControllerConfig{AcquireConcurrency: conc}}, Deps{
			Stores: stores, Namespaces: namespace.NewRegistry(stores.Namespace, c, 0), Matching: nopMatching{},
			Clock: c, HostID: fmt.Sprintf("host-%d", i),
		})
		require.NoError(b, err)
		return s
	}
	// The records exist, owned by a previous host.
	prev := host(-1)
	require.NoError(b, prev.Start(ctx))
	prev.Stop()
	var total time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s := host(i)
		start := time.Now()
		require.NoError(b, s.Start(ctx))
		total += time.Since(start)
		b.StopTimer()
		require.Len(b, s.Shards(), int(numShards))
		s.Stop()
		b.StartTimer()
	}
	per := total / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/all")
	b.ReportMetric(float64(per.Microseconds())/float64(numShards), "µs/shard")
}
