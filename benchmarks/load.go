package benchmarks

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meridian-dev/meridian/common/clock"
)

// starter starts workflows for the load. start issues the
// StartWorkflowExecution RPC for workflow id and returns once it is
// answered; the returned wait blocks until the workflow's result (nil when
// it completed) or until ctx ends.
type starter interface {
	start(ctx context.Context, id string) (wait func(ctx context.Context) error, err error)
}

// load drives a starter in a closed or open loop and records into rec.
type load struct {
	cfg      Config
	clk      clock.Clock
	rec      *recorder
	starter  starter
	idPrefix string
	seq      atomic.Int64

	stopOnce  sync.Once
	stopped   chan struct{}
	stoppedAt time.Time
}

func newLoad(cfg Config, clk clock.Clock, rec *recorder, s starter, idPrefix string) *load {
	return &load{cfg: cfg, clk: clk, rec: rec, starter: s, idPrefix: idPrefix, stopped: make(chan struct{})}
}

// stop marks the end of starting (the first call wins) and closes the
// throughput window there, unless the run is a --count one, whose window
// ends at its last result.
func (l *load) stop() {
	l.stopOnce.Do(func() {
		l.stoppedAt = l.clk.Now()
		if l.cfg.Count == 0 {
			end := l.rec.start().Add(l.cfg.Duration)
			if l.stoppedAt.Before(end) {
				end = l.stoppedAt // interrupted
			}
			l.rec.closeWindow(end)
		}
		close(l.stopped)
	})
}

// run drives the load from t0 (warmup starts there, measurement at
// rec.measureStart) until it stops starting and every workflow has
// finished, or the drain timed out, or ctx ended. Workflows still waited
// for when ctx ends or the drain times out are counted unfinished.
func (l *load) run(ctx context.Context, t0 time.Time) {
	waitCtx, cancelWaits := context.WithCancel(ctx)
	defer cancelWaits()
	// Once starting stops, give the workflows in flight DrainTimeout.
	drainCtx, endDrain := context.WithCancel(ctx)
	drainDone := make(chan struct{})
	go func() {
		defer close(drainDone)
		select {
		case <-l.stopped:
		case <-drainCtx.Done():
			return
		}
		if clock.Sleep(drainCtx, l.clk, l.cfg.DrainTimeout) == nil {
			cancelWaits()
		}
	}()
	defer func() {
		endDrain()
		<-drainDone
	}()
	if l.cfg.openLoop() {
		l.openLoop(ctx, waitCtx, t0)
	} else {
		l.closedLoop(ctx, waitCtx)
	}
	l.stop()
}

// closedLoop keeps InFlight workflows going.
func (l *load) closedLoop(ctx, waitCtx context.Context) {
	end := l.rec.start().Add(l.cfg.Duration)
	var tickets atomic.Int64
	next := func() (measured, ok bool) {
		if ctx.Err() != nil {
			return false, false
		}
		now := l.clk.Now()
		if !l.rec.measured(now) {
			return false, true
		}
		if l.cfg.Count > 0 {
			n := tickets.Add(1)
			if n >= int64(l.cfg.Count) {
				l.stop() // this is the last start
			}
			return true, n <= int64(l.cfg.Count)
		}
		return true, now.Before(end)
	}
	if l.cfg.Count == 0 {
		// Starting stops at the end of the measurement even while every
		// loop still waits for its workflow: the drain begins there.
		timerCtx, cancel := context.WithCancel(ctx)
		timerDone := make(chan struct{})
		go func() {
			defer close(timerDone)
			if clock.Sleep(timerCtx, l.clk, end.Sub(l.clk.Now())) == nil {
				l.stop()
			}
		}()
		defer func() {
			cancel()
			<-timerDone
		}()
	}
	var wg sync.WaitGroup
	for range l.cfg.InFlight {
		wg.Go(func() {
			for {
				measured, ok := next()
				if !ok {
					l.stop()
					return
				}
				l.one(waitCtx, l.clk.Now(), measured)
			}
		})
	}
	wg.Wait()
}

// openLoop starts Rate workflows per second on a fixed schedule from t0,
// dropping a start that is due while MaxInFlight are in flight. A start
// issued late (the loop fell behind) is recorded with its lag.
func (l *load) openLoop(ctx, waitCtx context.Context, t0 time.Time) {
	end := l.rec.start().Add(l.cfg.Duration)
	period := float64(time.Second) / l.cfg.Rate
	slots := make(chan struct{}, l.cfg.MaxInFlight)
	var wg sync.WaitGroup
	for i := 0; ; i++ {
		due := t0.Add(time.Duration(float64(i) * period))
		if !due.Before(end) {
			break
		}
		if err := clock.Sleep(ctx, l.clk, due.Sub(l.clk.Now())); err != nil {
			break
		}
		measured := l.rec.measured(due)
		select {
		case slots <- struct{}{}:
			wg.Go(func() {
				defer func() { <-slots }()
				l.one(waitCtx, due, measured)
			})
		default:
			l.rec.dropped(measured, due)
		}
	}
	l.stop()
	wg.Wait()
}

// one runs one workflow scheduled at due, end to end.
func (l *load) one(ctx context.Context, due time.Time, measured bool) {
	id := fmt.Sprintf("%s-%d", l.idPrefix, l.seq.Add(1))
	l.rec.inFlight.Add(1)
	defer l.rec.inFlight.Add(-1)
	t0 := l.clk.Now()
	wait, err := l.starter.start(ctx, id)
	t1 := l.clk.Now()
	l.rec.started(measured, t1.Sub(t0), t0.Sub(due), t1, err)
	if err != nil {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, l.cfg.WorkflowTimeout)
	err = wait(wctx)
	cancel()
	t2 := l.clk.Now()
	unfinished := err != nil && ctx.Err() != nil
	l.rec.finished(id, measured, t2.Sub(due), t2, err, unfinished)
}
