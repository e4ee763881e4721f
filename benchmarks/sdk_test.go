package benchmarks

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/server"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// startDev starts an in-process dev server with its metrics endpoint and
// returns its frontend address and metrics URL.
func startDev(t *testing.T) (string, string) {
	t.Helper()
	cfg := server.DefaultDevConfig()
	cfg.Port = freePort(t)
	cfg.MetricsPort = freePort(t)
	cfg.DataDir = t.TempDir()
	cfg.Log.Level = "never"
	dev, err := server.StartDev(context.Background(), cfg, zap.NewNop())
	require.NoError(t, err)
	t.Cleanup(dev.Stop)
	return dev.Address(), fmt.Sprintf("http://%s/metrics", cfg.MetricsAddress())
}

// TestScenariosOnDevServer runs every scenario with both workers that
// support it against a real Meridian dev server, checking that each
// workflow completes and that the server-side figures are read.
func TestScenariosOnDevServer(t *testing.T) {
	address, metricsURL := startDev(t)
	for _, tc := range []struct {
		name    string
		metrics bool
		edit    func(*Config)
	}{
		// Each run with metrics waits for the server's counters to settle,
		// about two seconds: two runs check the server figures.
		{"sdk one activity", true, func(*Config) {}},
		{"sdk chain", false, func(c *Config) { c.Activities = 3 }},
		{"sdk signals", false, func(c *Config) { c.Scenario, c.Signals = ScenarioSignals, 3 }},
		{"sdk timer", false, func(c *Config) { c.Scenario, c.Timer = ScenarioTimer, 50*time.Millisecond }},
		{"sdk children", false, func(c *Config) { c.Scenario, c.Children = ScenarioChildren, 3 }},
		{"sdk continue-as-new", false, func(c *Config) { c.Runs = 3 }},
		{"lean chain", true, func(c *Config) { c.Worker, c.Activities = WorkerLean, 2 }},
		{"lean continue-as-new", false, func(c *Config) { c.Worker, c.Runs = WorkerLean, 2 }},
		{"sdk open loop", false, func(c *Config) { c.Count, c.Rate, c.Duration = 0, 20, 300*time.Millisecond }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Address = address
			if tc.metrics {
				cfg.MetricsURL = metricsURL
			}
			cfg.Warmup, cfg.InFlight, cfg.Count = 0, 3, 6
			tc.edit(&cfg)
			res, err := Run(context.Background(), cfg, Env{})
			require.NoError(t, err)
			k := res.Counts
			require.Zero(t, k.Failed+k.StartErrors+k.Unfinished+k.Dropped, "counts %+v, notes %v", k, res.Notes)
			require.Equal(t, k.Started, k.Completed)
			require.Positive(t, k.Completed)
			require.True(t, res.Target.Meridian, "server version %q", res.Target.ServerVersion)
			if tc.metrics {
				require.NotNil(t, res.Server)
				require.NotNil(t, res.Server.ConditionalWritesPerWorkflow, "scraped %v", res.Server.After.Values)
				require.Positive(t, *res.Server.ConditionalWritesPerWorkflow)
				require.NotNil(t, res.Server.TransactionsPerWorkflow)
				require.NotNil(t, res.Server.CPUSecondsPerWorkflow)
			} else {
				require.Nil(t, res.Server)
				require.Contains(t, res.Notes, "server-side figures not measured: the target is Meridian but no --metrics-url was given")
			}
			if cfg.Scenario == ScenarioActivity {
				require.Positive(t, res.Latency[LatencyActivityScheduleToStart].Count)
			}
			require.Positive(t, res.Latency[LatencyWorkflowTaskScheduleToStart].Count)
		})
	}
}

// TestEagerPathsConditionalWrites checks the server-side figure the eager
// flags exist for: conditional writes per one-activity workflow.
func TestEagerPathsConditionalWrites(t *testing.T) {
	address, metricsURL := startDev(t)
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want float64
	}{
		{"sdk, no eager paths", func(c *Config) { c.DisableEagerActivities = true }, 7},
		{"sdk, eager activities", func(*Config) {}, 6},
		{"sdk, eager start and activities", func(c *Config) { c.EagerStart = true }, 5},
		{"lean, no eager activities", func(c *Config) { c.Worker, c.DisableEagerActivities = WorkerLean, true }, 7},
		{"lean, eager activities", func(c *Config) { c.Worker = WorkerLean }, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Address, cfg.MetricsURL = address, metricsURL
			cfg.Warmup, cfg.InFlight, cfg.Count = 0, 3, 6
			tc.edit(&cfg)
			res, err := Run(context.Background(), cfg, Env{})
			require.NoError(t, err)
			k := res.Counts
			require.Zero(t, k.Failed+k.StartErrors+k.Unfinished+k.Dropped, "counts %+v, notes %v", k, res.Notes)
			require.NotNil(t, res.Server)
			require.NotNil(t, res.Server.ConditionalWritesPerWorkflow)
			require.InDelta(t, tc.want, *res.Server.ConditionalWritesPerWorkflow, 0.001)
		})
	}
}
