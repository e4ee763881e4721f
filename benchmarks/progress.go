package benchmarks

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/meridian-dev/meridian/common/clock"
)

// progress prints one line a second to w while a run goes: its phase, the
// completion rate over the last second, and the totals so far.
type progress struct {
	w        io.Writer
	clk      clock.Clock
	rec      *recorder
	load     *load
	openLoop bool
}

// run prints until ctx ends. Every tick also samples the in-flight count
// into the timeline, so it runs even when w is nil.
func (p *progress) run(ctx context.Context, t0 time.Time) {
	lastT, lastDone := t0, int64(0)
	for {
		if err := clock.Sleep(ctx, p.clk, time.Second); err != nil {
			return
		}
		now := p.clk.Now()
		p.rec.sample(now)
		if p.w == nil {
			continue
		}
		done := p.rec.totalCompleted.Load()
		rate := 0.0
		if dt := now.Sub(lastT).Seconds(); dt > 0 {
			rate = float64(done-lastDone) / dt
		}
		lastT, lastDone = now, done
		phase := "measure"
		select {
		case <-p.load.stopped:
			phase = "drain"
		default:
			if !p.rec.measured(now) {
				phase = "warmup"
			}
		}
		line := fmt.Sprintf("[%4.0fs] %-7s %8.1f wf/s  in flight %5d  completed %8d  errors %d",
			now.Sub(t0).Seconds(), phase, rate, p.rec.inFlight.Load(), done, p.rec.totalErrors.Load())
		if p.openLoop {
			line += fmt.Sprintf("  dropped %d", p.rec.totalDropped.Load())
		}
		// Progress is best effort: a closed stderr must not stop the run.
		_, _ = fmt.Fprintln(p.w, line)
	}
}
