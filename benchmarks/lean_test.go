package benchmarks

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeConfig is a short lean run against the in-process fake server.
func fakeConfig() Config {
	c := DefaultConfig()
	c.FakeServer = true
	c.Worker = WorkerLean
	c.Warmup = 0
	c.InFlight = 8
	c.Count = 40
	return c
}

func TestLeanDriverAgainstFakeServer(t *testing.T) {
	for _, tc := range []struct {
		name             string
		activities, runs int
	}{
		{"one activity", 1, 1},
		{"chain", 4, 1},
		{"continue-as-new", 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fakeConfig()
			cfg.Activities, cfg.Runs = tc.activities, tc.runs
			res, err := Run(context.Background(), cfg, Env{})
			require.NoError(t, err)
			n := int64(cfg.Count)
			require.Equal(t, Counts{Started: n, Completed: n, WindowCompleted: n, AllCompleted: n}, res.Counts, "notes: %v", res.Notes)
			perRun := int64(tc.activities)
			runs := int64(tc.runs)
			// Every task the driver was handed is sampled: an activity task
			// per activity, a workflow task per activity plus the first.
			require.Equal(t, uint64(n*perRun*runs), res.Latency[LatencyActivityScheduleToStart].Count)
			require.Equal(t, uint64(n*(perRun+1)*runs), res.Latency[LatencyWorkflowTaskScheduleToStart].Count)
			require.Equal(t, uint64(n), res.Latency[LatencyEndToEnd].Count)
			require.Equal(t, "fakeserver", res.Target.ServerVersion)
			require.False(t, res.Target.Meridian)
			require.Nil(t, res.Server, "no metrics URL, no server figures")
		})
	}
}

func TestLeanDriverOpenLoopAgainstFakeServer(t *testing.T) {
	cfg := fakeConfig()
	cfg.Count = 0
	cfg.Rate, cfg.Duration, cfg.MaxInFlight = 200, 500*time.Millisecond, 50
	res, err := Run(context.Background(), cfg, Env{})
	require.NoError(t, err)
	k := res.Counts
	// 100 starts fall due; however fast this machine is, each one either
	// started or was dropped, and every one started completed.
	require.Equal(t, int64(100), k.Started+k.Dropped+k.StartErrors)
	require.Equal(t, k.Started, k.Completed)
	require.Zero(t, k.Failed+k.StartErrors+k.Unfinished)
	require.Equal(t, uint64(k.Started), res.Latency[LatencyStartLag].Count)
}

func TestRunRejectsBadConfig(t *testing.T) {
	cfg := fakeConfig()
	cfg.Worker = WorkerSDK
	_, err := Run(context.Background(), cfg, Env{})
	require.ErrorContains(t, err, "--fake-server")
}

func TestRunFailsWhenTargetIsDown(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Address = "127.0.0.1:1" // nothing listens there
	cfg.ConnectTimeout = 300 * time.Millisecond
	_, err := Run(context.Background(), cfg, Env{})
	require.ErrorContains(t, err, "GetSystemInfo")
}
