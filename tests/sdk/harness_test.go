package sdk_test

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	"github.com/meridian-dev/meridian/server"
)

// storeEnv selects the store every test server runs on: unset or
// "embedded" for the embedded store in a temp dir, "cassandra" for a fresh
// keyspace on the Cassandra named by MERIDIAN_CASSANDRA (make test runs
// the suite both ways).
const storeEnv = "MERIDIAN_SDK_STORE"

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// env is one in-process server and an SDK client dialed to it.
type env struct {
	t      *testing.T
	dev    *server.Region
	cfg    server.DevConfig
	client client.Client
	// cassandra is set when the server runs on Cassandra.
	cassandra *cassandra.Config
}

// newEnv starts a server on a random port with a fresh store.
func newEnv(t *testing.T) *env {
	t.Helper()
	cfg := server.DefaultDevConfig()
	cfg.Port = freePort(t)
	cfg.DataDir = t.TempDir()
	return startEnv(t, cfg)
}

// startEnv starts a server with cfg (on Cassandra when storeEnv says so).
func startEnv(t *testing.T, cfg server.DevConfig) *env {
	t.Helper()
	e := &env{t: t, cfg: cfg}
	switch store := os.Getenv(storeEnv); store {
	case "", "embedded":
	case "cassandra":
		c := cassandratest.NewKeyspace(t, cassandratest.Config(t))
		e.cassandra = &c
	default:
		t.Fatalf("%s=%q: want embedded or cassandra", storeEnv, store)
	}
	t.Cleanup(e.stop)
	e.start(t)
	return e
}

// start starts the server on e's store and dials e.client.
func (e *env) start(t *testing.T) {
	t.Helper()
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if e.cassandra != nil {
		cfg := *e.cassandra
		e.dev, err = server.Start(ctx, e.cfg.RegionConfig(), func(scope tally.Scope) (*persistence.Stores, error) {
			cfg.Metrics = scope
			return cassandra.Open(cfg, logger)
		}, logger)
	} else {
		e.dev, err = server.StartDev(ctx, e.cfg, logger)
	}
	require.NoError(t, err)
	e.client, err = client.Dial(client.Options{HostPort: e.dev.Address(), Namespace: "default"})
	require.NoError(t, err)
}

// restart stops the client and server and starts a new server on the same
// store and port, with a new client in e.client. Workers on the old client
// must be stopped first.
func (e *env) restart(t *testing.T) {
	t.Helper()
	e.stop()
	// The old listener is closed, but the port may take a moment to free.
	require.Eventually(t, func() bool {
		l, err := net.Listen("tcp", e.cfg.FrontendAddress())
		if err != nil {
			return false
		}
		return l.Close() == nil
	}, 10*time.Second, 50*time.Millisecond)
	e.start(t)
}

func (e *env) stop() {
	if e.client != nil {
		e.client.Close()
		e.client = nil
	}
	if e.dev != nil {
		e.dev.Stop()
		e.dev = nil
	}
}
