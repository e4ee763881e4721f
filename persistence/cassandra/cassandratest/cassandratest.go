// Package cassandratest connects tests to the real Cassandra named by the
// MERIDIAN_CASSANDRA environment variable (host:port) and gives each test
// run a fresh keyspace with the current schema.
//
// `make test` starts a node (deploy/cassandra/with-cassandra.sh) and sets
// the variable. A plain `go test` without it skips these tests with a
// message saying how to run them.
package cassandratest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	schema "github.com/meridian-dev/meridian/schema/cassandra"
)

// EnvAddress names the variable holding the node's CQL address.
const EnvAddress = "MERIDIAN_CASSANDRA"

// HowToRun is the skip message when EnvAddress is unset.
const HowToRun = EnvAddress + " is not set, so this test has no Cassandra to run against. " +
	"Run it with `make test` (starts Cassandra and sets " + EnvAddress + "), or: " +
	"deploy/cassandra/cassandra.sh start && " + EnvAddress + "=127.0.0.1:9042 go test ./persistence/cassandra/"

// Config returns a backend config for the node in MERIDIAN_CASSANDRA
// (keyspace unset). It skips the test when the variable is unset and fails
// it when the value is not host:port.
func Config(t testing.TB) cassandra.Config {
	t.Helper()
	addr := os.Getenv(EnvAddress)
	if addr == "" {
		t.Skip(HowToRun)
	}
	host, portStr, err := net.SplitHostPort(addr)
	require.NoError(t, err, "%s=%q: want host:port", EnvAddress, addr)
	port, err := strconv.Atoi(portStr)
	require.NoError(t, err, "%s=%q: bad port", EnvAddress, addr)
	cfg := cassandra.DefaultConfig()
	cfg.Hosts = []string{host}
	cfg.Port = port
	cfg.Keyspace = ""
	return cfg
}

// NewKeyspace creates a keyspace with a random name (replication factor 1)
// and applies every migration with the code `meridian schema setup` runs.
// The keyspace is dropped when the test ends. It returns cfg with Keyspace
// set.
func NewKeyspace(t testing.TB, cfg cassandra.Config) cassandra.Config {
	t.Helper()
	cfg.Keyspace = RandomKeyspaceName(t)
	CreateKeyspace(t, cfg)
	cl, err := cfg.ClusterConfig()
	require.NoError(t, err)
	s, err := cl.CreateSession()
	require.NoError(t, err, "connect to keyspace %s", cfg.Keyspace)
	defer s.Close()
	_, err = schema.Update(t.Context(), s, clock.Real(), zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	require.NoError(t, err, "apply migrations to %s", cfg.Keyspace)
	return cfg
}

// CreateKeyspace creates cfg.Keyspace without any table (replication
// factor 1) and drops it when the test ends.
func CreateKeyspace(t testing.TB, cfg cassandra.Config) {
	t.Helper()
	cl, err := cfg.ClusterConfig()
	require.NoError(t, err)
	cl.Keyspace = ""
	s, err := cl.CreateSession()
	require.NoError(t, err, "connect to Cassandra at %v port %d", cfg.Hosts, cfg.Port)
	ks := schema.DefaultKeyspaceOptions()
	ks.Name = cfg.Keyspace
	existed, err := schema.CreateKeyspace(t.Context(), s, ks)
	require.NoError(t, err)
	require.False(t, existed, "random keyspace %s already exists", cfg.Keyspace)
	t.Cleanup(func() {
		defer s.Close()
		// t.Context() is canceled by now.
		if err := s.Query(`DROP KEYSPACE IF EXISTS ` + cfg.Keyspace).Exec(); err != nil {
			t.Errorf("drop test keyspace %s: %v", cfg.Keyspace, err)
		}
	})
}

// RandomKeyspaceName is "meridian_test_" and 12 random hex digits.
func RandomKeyspaceName(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return fmt.Sprintf("meridian_test_%s", hex.EncodeToString(b[:]))
}
