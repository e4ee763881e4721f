package benchmarks

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/benchmarks/hdr"
	"github.com/meridian-dev/meridian/common/clock"
)

// recorder accumulates what a run measures. It is safe for concurrent use.
//
// A workflow is measured when its (scheduled) start is at or after
// measureStart; only measured workflows enter the counts and the start and
// end-to-end histograms. Schedule-to-start samples are taken from polls
// answered at or after measureStart. Every event enters the timeline.
type recorder struct {
	clk clock.Clock
	// measureStart is nil until the load begins: nothing before is
	// measured.
	measureStart atomic.Pointer[time.Time]

	inFlight atomic.Int64
	// Totals over the whole run, for progress lines.
	totalStarted   atomic.Int64
	totalCompleted atomic.Int64
	totalErrors    atomic.Int64
	totalDropped   atomic.Int64

	mu sync.Mutex
	// windowEnd closes the throughput window; zero while it is open.
	windowEnd time.Time
	// lastMeasuredEnd is when the last measured workflow finished.
	lastMeasuredEnd time.Time
	counts          Counts
	// stuck and failed name a few measured workflows that did not
	// complete, with the first failure's error, for the notes.
	stuck        []string
	failed       []string
	firstFailure error
	hist         map[string]*hdr.Histogram
	timeline     map[int64]*Second
}

func newRecorder(clk clock.Clock) *recorder {
	r := &recorder{
		clk:      clk,
		hist:     make(map[string]*hdr.Histogram),
		timeline: make(map[int64]*Second),
	}
	for _, k := range latencyOrder {
		r.hist[k] = hdr.New()
	}
	return r
}

// setMeasureStart opens the measurement at t; call it once, before the
// load starts.
func (r *recorder) setMeasureStart(t time.Time) { r.measureStart.Store(&t) }

// start is when the measurement opens (zero before setMeasureStart).
func (r *recorder) start() time.Time {
	if p := r.measureStart.Load(); p != nil {
		return *p
	}
	return time.Time{}
}

// measured reports whether a workflow scheduled at t is measured.
func (r *recorder) measured(t time.Time) bool {
	p := r.measureStart.Load()
	return p != nil && !t.Before(*p)
}

// second returns the timeline entry for t. The caller holds r.mu.
func (r *recorder) second(t time.Time) *Second {
	sec := t.Unix()
	s, ok := r.timeline[sec]
	if !ok {
		s = &Second{T: sec}
		r.timeline[sec] = s
	}
	return s
}

// inWindow reports whether a completion at t counts toward throughput.
// The caller holds r.mu.
func (r *recorder) inWindow(t time.Time) bool {
	return r.measured(t) && (r.windowEnd.IsZero() || t.Before(r.windowEnd))
}

// closeWindow ends the throughput window at t (the first call wins).
func (r *recorder) closeWindow(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.windowEnd.IsZero() {
		r.windowEnd = t
	}
}

// started records a start RPC that took rpc and was issued lag after its
// scheduled time; err is its error.
func (r *recorder) started(measured bool, rpc, lag time.Duration, at time.Time, err error) {
	if err != nil {
		r.totalErrors.Add(1)
	} else {
		r.totalStarted.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.second(at)
	if err != nil {
		s.Errors++
	} else {
		s.Started++
	}
	if !measured {
		return
	}
	if err != nil {
		r.counts.StartErrors++
		return
	}
	r.counts.Started++
	r.hist[LatencyStart].Record(int64(rpc))
	r.hist[LatencyStartLag].Record(int64(lag))
}

// finished records a started workflow's outcome at t, e2e after its
// scheduled start. unfinished means the run stopped waiting for it.
func (r *recorder) finished(id string, measured bool, e2e time.Duration, at time.Time, err error, unfinished bool) {
	ok := err == nil
	switch {
	case ok:
		r.totalCompleted.Add(1)
	case !unfinished:
		r.totalErrors.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.second(at)
	switch {
	case ok:
		s.Completed++
		r.counts.AllCompleted++
		if r.inWindow(at) {
			r.counts.WindowCompleted++
		}
	case !unfinished:
		s.Errors++
	}
	if !measured {
		return
	}
	if at.After(r.lastMeasuredEnd) {
		r.lastMeasuredEnd = at
	}
	switch {
	case ok:
		r.counts.Completed++
		r.hist[LatencyEndToEnd].Record(int64(e2e))
	case unfinished:
		r.counts.Unfinished++
		if len(r.stuck) < maxExamples {
			r.stuck = append(r.stuck, id)
		}
	default:
		r.counts.Failed++
		if len(r.failed) < maxExamples {
			r.failed = append(r.failed, id)
		}
		if r.firstFailure == nil {
			r.firstFailure = err
		}
	}
}

// maxExamples bounds the workflow IDs the notes name.
const maxExamples = 3

// dropped records a start the open loop skipped at its in-flight cap.
func (r *recorder) dropped(measured bool, at time.Time) {
	r.totalDropped.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.second(at).Dropped++
	if measured {
		r.counts.Dropped++
	}
}

// scheduleToStart records a task's scheduled-to-started time under name,
// if the poll was answered inside the measurement.
func (r *recorder) scheduleToStart(name string, scheduled, started time.Time) {
	if scheduled.IsZero() || started.IsZero() || !r.measured(r.clk.Now()) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hist[name].Record(int64(started.Sub(scheduled)))
}

// sample notes the in-flight count in the timeline at t.
func (r *recorder) sample(t time.Time) {
	n := r.inFlight.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.second(t).InFlight = n
}

// fill writes the counts, throughput, latencies and timeline into res. A
// window still open is closed at the last measured result (a --count run).
func (r *recorder) fill(res *Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := r.windowEnd
	if end.IsZero() {
		end = r.lastMeasuredEnd
	}
	start := r.start()
	res.MeasureStart, res.MeasureEnd = start, end
	res.Counts = r.counts
	if w := end.Sub(start).Seconds(); w > 0 && !start.IsZero() {
		res.Throughput = Throughput{
			WindowSeconds:      w,
			WorkflowsPerSecond: float64(r.counts.WindowCompleted) / w,
			StartsPerSecond:    float64(r.counts.Started) / w,
		}
	}
	res.Latency = make(map[string]*Latency, len(r.hist))
	for k, h := range r.hist {
		if k == LatencyStartLag && !res.Config.openLoop() {
			continue // the closed loop has no schedule to lag behind
		}
		c := hdr.New()
		c.Merge(h)
		res.Latency[k] = newLatency(c)
	}
	if len(r.failed) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d workflows failed, e.g. %s; the first with: %v",
			r.counts.Failed, strings.Join(r.failed, ", "), r.firstFailure))
	}
	if len(r.stuck) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d workflows had not finished when the run stopped waiting, e.g. %s",
			r.counts.Unfinished, strings.Join(r.stuck, ", ")))
	}
	res.Timeline = make([]Second, 0, len(r.timeline))
	for _, s := range r.timeline {
		res.Timeline = append(res.Timeline, *s)
	}
	sort.Slice(res.Timeline, func(i, j int) bool { return res.Timeline[i].T < res.Timeline[j].T })
}

// observe takes the schedule-to-start samples out of a task a worker was
// handed: a poll response, or the tasks a server returns eagerly with a
// workflow start or a workflow task completion.
func (r *recorder) observe(reply any) {
	switch m := reply.(type) {
	case *workflowservice.StartWorkflowExecutionResponse:
		if t := m.GetEagerWorkflowTask(); len(t.GetTaskToken()) > 0 {
			r.observe(t)
		}
	case *workflowservice.PollWorkflowTaskQueueResponse:
		if len(m.GetTaskToken()) > 0 {
			r.scheduleToStart(LatencyWorkflowTaskScheduleToStart, ts(m.GetScheduledTime()), ts(m.GetStartedTime()))
		}
	case *workflowservice.PollActivityTaskQueueResponse:
		r.observeActivity(m)
	case *workflowservice.RespondWorkflowTaskCompletedResponse:
		if t := m.GetWorkflowTask(); len(t.GetTaskToken()) > 0 {
			r.observe(t)
		}
		for _, t := range m.GetActivityTasks() {
			r.observeActivity(t)
		}
	}
}

func (r *recorder) observeActivity(m *workflowservice.PollActivityTaskQueueResponse) {
	if len(m.GetTaskToken()) == 0 {
		return
	}
	scheduled := ts(m.GetCurrentAttemptScheduledTime())
	if scheduled.IsZero() {
		scheduled = ts(m.GetScheduledTime())
	}
	r.scheduleToStart(LatencyActivityScheduleToStart, scheduled, ts(m.GetStartedTime()))
}

// ts converts a protobuf time; nil is the zero time.
func ts(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}
