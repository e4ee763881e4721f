package cassandra_test

import (
	"testing"
	"time"

	"github.com/gocql/gocql"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	schema "github.com/meridian-dev/meridian/schema/cassandra"
)

// session connects to keyspace ("" for none) and closes at the end.
func session(t *testing.T, keyspace string) *gocql.Session {
	t.Helper()
	cfg := cassandratest.Config(t)
	cfg.Keyspace = "placeholder"
	cl, err := cfg.ClusterConfig()
	require.NoError(t, err)
	cl.Keyspace = keyspace
	s, err := cl.CreateSession()
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestUpdateOnRealCassandra(t *testing.T) {
	cfg := cassandratest.Config(t)
	cfg.Keyspace = cassandratest.RandomKeyspaceName(t)
	admin := session(t, "")
	ctx := t.Context()

	// Nothing there yet.
	ok, err := schema.KeyspaceExists(ctx, admin, cfg.Keyspace)
	require.NoError(t, err)
	require.False(t, ok)
	applied, err := schema.Applied(ctx, admin, cfg.Keyspace)
	require.NoError(t, err)
	require.Empty(t, applied)

	cassandratest.CreateKeyspace(t, cfg) // dropped at the end
	ks := schema.DefaultKeyspaceOptions()
	ks.Name = cfg.Keyspace
	existed, err := schema.CreateKeyspace(ctx, admin, ks)
	require.NoError(t, err)
	require.True(t, existed)
	v, err := schema.Version(ctx, admin, cfg.Keyspace)
	require.NoError(t, err)
	require.Zero(t, v)

	// A session without a keyspace cannot apply migrations.
	_, err = schema.Update(ctx, admin, clock.Real(), zap.NewNop())
	require.ErrorContains(t, err, "needs a session connected to the keyspace")

	s := session(t, cfg.Keyspace)
	fake := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	done, err := schema.Update(ctx, s, fake, zap.NewNop())
	require.NoError(t, err)
	all, err := schema.Migrations()
	require.NoError(t, err)
	require.Equal(t, all, done)

	applied, err = schema.Applied(ctx, admin, cfg.Keyspace)
	require.NoError(t, err)
	require.Len(t, applied, len(all))
	for i, a := range applied {
		require.Equal(t, all[i].Version, a.Version)
		require.Equal(t, all[i].Name, a.Name)
		require.Equal(t, all[i].Checksum, a.Checksum)
		require.True(t, fake.Now().Equal(a.AppliedAt), "applied_at %v", a.AppliedAt)
	}
	latest, err := schema.LatestVersion()
	require.NoError(t, err)
	v, err = schema.Version(ctx, admin, cfg.Keyspace)
	require.NoError(t, err)
	require.Equal(t, latest, v)

	// Every table of the migrations exists.
	var tables []string
	iter := admin.Query(`SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?`, cfg.Keyspace).Iter()
	var name string
	for iter.Scan(&name) {
		tables = append(tables, name)
	}
	require.NoError(t, iter.Close())
	require.ElementsMatch(t, []string{"schema_version", "executions", "history_node", "history_tree", "tasks", "namespaces", "cluster_metadata", "queue_messages", "visibility"}, tables)

	// Again: nothing to do.
	done, err = schema.Update(ctx, s, clock.Real(), zap.NewNop())
	require.NoError(t, err)
	require.Empty(t, done)

	// A keyspace newer than the binary is left alone.
	require.NoError(t, s.Query(`INSERT INTO schema_version (schema_name, version, name, applied_at, checksum) VALUES ('meridian', ?, 'future', toTimestamp(now()), 'x')`, latest+1).Exec())
	done, err = schema.Update(ctx, s, clock.Real(), zap.NewNop())
	require.NoError(t, err)
	require.Empty(t, done)
	require.NoError(t, s.Query(`DELETE FROM schema_version WHERE schema_name = 'meridian' AND version = ?`, latest+1).Exec())

	// An applied migration whose file changed stops the update.
	require.NoError(t, s.Query(`UPDATE schema_version SET checksum = 'edited' WHERE schema_name = 'meridian' AND version = 1`).Exec())
	_, err = schema.Update(ctx, s, clock.Real(), zap.NewNop())
	require.ErrorContains(t, err, "applied version 1 with checksum edited, but 0001_initial.cql has checksum "+all[0].Checksum)
	require.NoError(t, s.Query(`UPDATE schema_version SET checksum = ? WHERE schema_name = 'meridian' AND version = 1`, all[0].Checksum).Exec())

	// So does a gap: version 1 missing below a recorded version.
	require.NoError(t, s.Query(`DELETE FROM schema_version WHERE schema_name = 'meridian' AND version = 1`).Exec())
	require.NoError(t, s.Query(`INSERT INTO schema_version (schema_name, version, name, applied_at, checksum) VALUES ('meridian', ?, 'future', toTimestamp(now()), 'x')`, latest+1).Exec())
	_, err = schema.Update(ctx, s, clock.Real(), zap.NewNop())
	require.ErrorContains(t, err, "where version 1 was expected")
}
