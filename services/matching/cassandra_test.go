package matching

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
)

// The two-host tests also run on a real Cassandra (a fresh keyspace per
// test) when MERIDIAN_CASSANDRA is set.
func init() {
	if os.Getenv(cassandratest.EnvAddress) == "" {
		return
	}
	twoHostStores = append(twoHostStores, storeBackend{name: "cassandra", open: func(t *testing.T) persistence.TaskStore {
		cfg := cassandratest.NewKeyspace(t, cassandratest.Config(t))
		stores, err := cassandra.Open(cfg, nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, stores.Close()) })
		return stores.Task
	}})
}
