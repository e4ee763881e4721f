package cassandra_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	"github.com/meridian-dev/meridian/persistence/persistencetest"
)

// openT opens the backend on cfg and closes it when the test ends.
func openT(t testing.TB, cfg cassandra.Config) *persistence.Stores {
	t.Helper()
	s, err := cassandra.Open(cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// TestConformance runs the persistence conformance suite on a real
// Cassandra, in a fresh keyspace made by the schema setup code, shared by
// every case (the suite uses random IDs) and dropped at the end.
func TestConformance(t *testing.T) {
	cfg := cassandratest.NewKeyspace(t, cassandratest.Config(t))
	var (
		once   sync.Once
		stores *persistence.Stores
	)
	persistencetest.RunConformance(t, func(*testing.T) *persistence.Stores {
		once.Do(func() { stores = openT(t, cfg) })
		return stores
	})
}
