package sdk_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/server"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// env is one in-process dev server and an SDK client dialed to it.
type env struct {
	t      *testing.T
	dev    *server.Region
	cfg    server.DevConfig
	client client.Client
}

// newEnv starts a dev server on a random port with a temp data dir.
func newEnv(t *testing.T) *env {
	t.Helper()
	cfg := server.DefaultDevConfig()
	cfg.Port = freePort(t)
	cfg.DataDir = t.TempDir()
	return startEnv(t, cfg)
}

func startEnv(t *testing.T, cfg server.DevConfig) *env {
	t.Helper()
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dev, err := server.StartDev(ctx, cfg, logger)
	require.NoError(t, err)
	c, err := client.Dial(client.Options{HostPort: dev.Address(), Namespace: "default"})
	require.NoError(t, err)
	e := &env{t: t, dev: dev, cfg: cfg, client: c}
	t.Cleanup(e.stop)
	return e
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
