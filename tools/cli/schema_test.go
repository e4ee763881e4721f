package cli

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	schema "github.com/meridian-dev/meridian/schema/cassandra"
)

func TestSchemaUsageErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"Positional", []string{"schema", "setup", "extra"}, "unknown command"},
		{"BadKeyspace", []string{"schema", "setup", "--keyspace", "drop;me"}, `--keyspace: keyspace "drop;me"`},
		{"BadKeyspaceUpdate", []string{"schema", "update", "--keyspace", "9x"}, "--keyspace"},
		{"BadPort", []string{"schema", "version", "--port", "0"}, "--port: 0 is not a TCP port"},
		{"EmptyHost", []string{"schema", "setup", "--hosts", "a,,b"}, `--hosts[1]: ""`},
		{"Timeout", []string{"schema", "setup", "--timeout", "0s"}, "--timeout 0s: must be positive"},
		{"PasswordWithoutUser", []string{"schema", "setup", "--password", "x"}, "--username and --password: set both or neither"},
		{"Strategy", []string{"schema", "setup", "--replication-strategy", "Local"}, `--replication-strategy: "Local", want SimpleStrategy or NetworkTopologyStrategy`},
		{"ReplicationFactor", []string{"schema", "setup", "--replication-factor", "0"}, "--replication-factor: 0, must be at least 1"},
		{"NegativeReplicationFactor", []string{"schema", "setup", "--replication-factor", "-2"}, "--replication-factor: -2, must be at least 1"},
		{"NoHosts", []string{"schema", "update", "--hosts", ""}, "--hosts: at least one host is needed"},
		{"TopologyWithoutDCs", []string{"schema", "setup", "--replication-strategy", "NetworkTopologyStrategy"}, "--datacenter-replication: NetworkTopologyStrategy needs at least one data center"},
		{"TopologyWithRF", []string{"schema", "setup", "--replication-strategy", "NetworkTopologyStrategy", "--replication-factor", "3", "--datacenter-replication", "dc1:3"}, "--replication-factor is for SimpleStrategy"},
		{"DCsWithSimple", []string{"schema", "setup", "--datacenter-replication", "dc1:3"}, "--datacenter-replication: only with NetworkTopologyStrategy"},
		{"DCsMalformed", []string{"schema", "setup", "--replication-strategy", "NetworkTopologyStrategy", "--datacenter-replication", "dc1=3"}, `--datacenter-replication: "dc1=3": want datacenter:replication_factor`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			// Should validation ever let a case through, it must fail to
			// connect rather than touch a real cluster: --port 1 first (a
			// later --port wins).
			args := append([]string{c.args[0], c.args[1], "--port", "1", "--timeout", "1s"}, c.args[2:]...)
			require.Equal(t, exitUsage, h.run(args...), h.stderr.String())
			require.Contains(t, h.stderr.String(), c.want)
			require.Contains(t, h.stderr.String(), "--help' for usage")
		})
	}
}

func TestSchemaUnreachableCluster(t *testing.T) {
	h := newHarness(t)
	// Port 1 on loopback refuses connections at once.
	require.Equal(t, exitError, h.run("schema", "setup", "--hosts", "127.0.0.1", "--port", "1", "--timeout", "2s"))
	require.Contains(t, h.stderr.String(), "meridian: connect to Cassandra at 127.0.0.1 port 1")
}

// TestSchemaCommandsOnRealCassandra drives setup, version and update against
// the node in MERIDIAN_CASSANDRA, in a fresh keyspace.
func TestSchemaCommandsOnRealCassandra(t *testing.T) {
	cfg := cassandratest.Config(t)
	keyspace := cassandratest.RandomKeyspaceName(t)
	conn := []string{"--hosts", strings.Join(cfg.Hosts, ","), "--port", strconv.Itoa(cfg.Port), "--keyspace", keyspace}
	run := func(want int, args ...string) string {
		t.Helper()
		h := newHarness(t)
		got := h.run(append(args, conn...)...)
		require.Equal(t, want, got, "stdout:\n%s\nstderr:\n%s", h.stdout.String(), h.stderr.String())
		if want != exitOK {
			return h.stderr.String()
		}
		return h.stdout.String()
	}
	latest, err := schema.LatestVersion()
	require.NoError(t, err)

	// update refuses a keyspace that does not exist, and names setup.
	out := run(exitError, "schema", "update")
	require.Contains(t, out, fmt.Sprintf("keyspace %s does not exist: create it with 'meridian schema setup", keyspace))
	out = run(exitOK, "schema", "version")
	require.Contains(t, out, "no Meridian schema: run 'meridian schema setup --keyspace "+keyspace+"'")

	out = run(exitOK, "schema", "setup", "--replication-factor", "1")
	t.Cleanup(func() { dropKeyspace(t, cfg, keyspace) })
	require.Contains(t, out, "created keyspace "+keyspace+" (SimpleStrategy, replication factor 1)")
	require.Contains(t, out, "applied 0001_initial.cql (version 1)")
	require.Contains(t, out, fmt.Sprintf("keyspace %s is at schema version %d", keyspace, latest))

	// The server's backend accepts it.
	cfg.Keyspace = keyspace
	stores, err := cassandra.Open(cfg, nil)
	require.NoError(t, err)
	require.NoError(t, stores.Close())

	// Both are safe to run again.
	out = run(exitOK, "schema", "setup")
	require.Contains(t, out, "keyspace "+keyspace+" exists; its replication is left unchanged")
	require.Contains(t, out, fmt.Sprintf("up to date at schema version %d", latest))
	require.NotContains(t, out, "applied ")
	out = run(exitOK, "schema", "update")
	require.Contains(t, out, fmt.Sprintf("keyspace %s is up to date at schema version %d", keyspace, latest))

	out = run(exitOK, "schema", "version")
	require.Regexp(t, `schema version\s+`+strconv.Itoa(latest), out)
	require.Regexp(t, `required by this binary\s+`+strconv.Itoa(cassandra.RequiredSchemaVersion), out)
	require.Regexp(t, `(?m)^1\s+initial\s+\d{4}-\d\d-\d\dT`, out)
}

func dropKeyspace(t *testing.T, cfg cassandra.Config, keyspace string) {
	cl, err := cfg.ClusterConfig()
	require.NoError(t, err)
	cl.Keyspace = ""
	s, err := cl.CreateSession()
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Query(`DROP KEYSPACE IF EXISTS `+keyspace).Exec())
}
