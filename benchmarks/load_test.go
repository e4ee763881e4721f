package benchmarks

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/common/clock"
)

// fakeStarter's workflows take d each, or never finish when d is
// negative. With failEvery > 0, every failEvery-th start fails.
type fakeStarter struct {
	clk       clock.Clock
	d         time.Duration
	failEvery int64
	n         atomic.Int64
}

var errStart = errors.New("start refused")

func (s *fakeStarter) start(ctx context.Context, _ string) (func(context.Context) error, error) {
	if n := s.n.Add(1); s.failEvery > 0 && n%s.failEvery == 0 {
		return nil, errStart
	}
	return func(ctx context.Context) error {
		if s.d < 0 {
			<-ctx.Done()
			return ctx.Err()
		}
		return clock.Sleep(ctx, s.clk, s.d)
	}, nil
}

// runLoad drives a load in virtual time and returns what it recorded.
func runLoad(t *testing.T, cfg Config, s *fakeStarter) *Result {
	t.Helper()
	cfg = cfg.withDefaults()
	require.NoError(t, cfg.Validate())
	clk := clock.Real() // virtual inside the synctest bubble
	s.clk = clk
	rec := newRecorder(clk)
	t0 := clk.Now()
	rec.setMeasureStart(t0.Add(cfg.Warmup))
	l := newLoad(cfg, clk, rec, s, "wf")
	l.run(context.Background(), t0)
	res := &Result{Config: cfg}
	rec.fill(res)
	return res
}

func baseConfig() Config {
	c := DefaultConfig()
	c.Warmup = 0
	c.DrainTimeout = 10 * time.Second
	c.WorkflowTimeout = 10 * time.Second
	return c
}

func TestClosedLoopCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig()
		cfg.InFlight, cfg.Count = 3, 10
		res := runLoad(t, cfg, &fakeStarter{d: 10 * time.Millisecond})
		require.Equal(t, Counts{Started: 10, Completed: 10, WindowCompleted: 10, AllCompleted: 10}, res.Counts)
		require.Equal(t, uint64(10), res.Latency[LatencyEndToEnd].Count)
		require.Equal(t, uint64(10), res.Latency[LatencyStart].Count)
		require.NotContains(t, res.Latency, LatencyStartLag, "a closed loop has no schedule")
		require.Positive(t, res.Throughput.WindowSeconds)
		require.InDelta(t, 10/res.Throughput.WindowSeconds, res.Throughput.WorkflowsPerSecond, 1e-9)
	})
}

func TestClosedLoopWarmupIsNotMeasured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig()
		cfg.InFlight, cfg.Warmup, cfg.Duration = 2, 100*time.Millisecond, 200*time.Millisecond
		res := runLoad(t, cfg, &fakeStarter{d: 10 * time.Millisecond})
		// Each of the 2 loops starts a workflow every 10 ms; those started
		// in [100 ms, 300 ms) are measured.
		require.Equal(t, int64(40), res.Counts.Started)
		require.Equal(t, int64(40), res.Counts.Completed)
		require.Equal(t, int64(60), res.Counts.AllCompleted)
		var total int64
		for _, s := range res.Timeline {
			total += s.Completed
		}
		require.Equal(t, res.Counts.AllCompleted, total, "the timeline has every completion")
	})
}

func TestOpenLoopDropsAtTheCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig()
		cfg.Rate, cfg.MaxInFlight, cfg.Duration = 100, 5, time.Second
		// 100 starts are due, one every 10 ms; each workflow takes 95 ms,
		// so of every 10 due, 5 start and 5 find the cap full.
		res := runLoad(t, cfg, &fakeStarter{d: 95 * time.Millisecond})
		require.Equal(t, int64(50), res.Counts.Started)
		require.Equal(t, int64(50), res.Counts.Dropped)
		require.Equal(t, int64(50), res.Counts.Completed)
		require.Equal(t, uint64(50), res.Latency[LatencyStartLag].Count)
	})
}

func TestOpenLoopCountsStartErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig()
		cfg.Rate, cfg.Duration = 50, time.Second
		res := runLoad(t, cfg, &fakeStarter{d: time.Millisecond, failEvery: 5})
		require.Equal(t, int64(40), res.Counts.Started)
		require.Equal(t, int64(10), res.Counts.StartErrors)
		require.Equal(t, int64(40), res.Counts.Completed)
	})
}

func TestDrainTimeoutLeavesWorkflowsUnfinished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig()
		cfg.InFlight, cfg.Duration, cfg.DrainTimeout = 2, 100*time.Millisecond, time.Second
		res := runLoad(t, cfg, &fakeStarter{d: -1})
		require.Equal(t, Counts{Started: 2, Unfinished: 2}, res.Counts)
	})
}

func TestWorkflowTimeoutCountsFailed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig()
		cfg.InFlight, cfg.Duration, cfg.WorkflowTimeout = 1, 100*time.Millisecond, 50*time.Millisecond
		// Starts at 0 and 50 ms time out at 50 and 100 ms; by then the
		// measurement is over.
		res := runLoad(t, cfg, &fakeStarter{d: -1})
		require.Equal(t, Counts{Started: 2, Failed: 2}, res.Counts)
	})
}

func TestCanceledRunStopsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig().withDefaults()
		cfg.InFlight, cfg.Duration = 4, time.Hour
		clk := clock.Real()
		rec := newRecorder(clk)
		t0 := clk.Now()
		rec.setMeasureStart(t0)
		ctx, cancel := context.WithCancel(context.Background())
		l := newLoad(cfg, clk, rec, &fakeStarter{clk: clk, d: -1}, "wf")
		go func() {
			_ = clock.Sleep(context.Background(), clk, time.Second)
			cancel()
		}()
		l.run(ctx, t0)
		res := &Result{Config: cfg}
		rec.fill(res)
		require.Equal(t, Counts{Started: 4, Unfinished: 4}, res.Counts)
		require.Equal(t, time.Second, res.MeasureEnd.Sub(res.MeasureStart), "the window closes when the run is interrupted")
	})
}
