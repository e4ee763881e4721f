package queues

import (
	"container/heap"
	"time"

	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// entry is a task in memory and not done.
type entry struct {
	task *persistencepb.HistoryTask
	key  persistence.TaskKey
	// due is when the task may run next: its fire time (zero for immediate
	// tasks), then the end of each retry backoff.
	due time.Time
	// start is when the task became runnable, for MetricTaskLatency.
	start   time.Time
	attempt int
	index   int // in Queue.ready; -1 while running
}

// addEntryLocked puts a task in memory and queues it.
func (q *Queue) addEntryLocked(t *persistencepb.HistoryTask, key persistence.TaskKey, now time.Time) {
	e := &entry{task: t, key: key, due: key.FireTime, start: now}
	if q.scheduled {
		e.start = key.FireTime
	}
	q.entries[key.TaskID] = e
	q.tr.addTask(key.TaskID, key)
	heap.Push(&q.ready, e)
}

// wake nudges the dispatcher; it never blocks.
func (q *Queue) wake() {
	select {
	case q.wakeCh <- struct{}{}:
	default:
	}
}

// dispatch hands due tasks to the workers, in (due, key) order, and waits
// for the next due time with a single clock timer. For the timer queue it
// also asks the loader for the next window when the clock comes within
// half a lookahead of the loaded window's end.
func (q *Queue) dispatch() {
	defer q.runners.Done()
	for {
		e, next, load := q.nextDue()
		if load {
			select {
			case q.loadCh <- struct{}{}:
			default:
			}
		}
		if e != nil {
			select {
			case q.workCh <- e:
				continue
			case <-q.ctx.Done():
				return
			}
		}
		var timer clock.Timer
		var fired <-chan time.Time
		if !next.IsZero() {
			timer = armTimer(q.clock, next)
			fired = timer.C()
		}
		select {
		case <-fired:
		case <-q.wakeCh:
		case <-q.ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
		if q.ctx.Err() != nil {
			return
		}
	}
}

// nextDue pops the first due task, if any. Otherwise it returns when the
// dispatcher must look again (zero: only when woken), and whether to start
// loading the next timer window.
func (q *Queue) nextDue() (e *entry, next time.Time, load bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	if len(q.ready) > 0 {
		top := q.ready[0]
		if !top.due.After(now) {
			heap.Pop(&q.ready)
			return top, time.Time{}, false
		}
		next = top.due
	}
	if q.scheduled && !q.loadRequested {
		at := q.tr.windowEnd.FireTime.Add(-q.cfg.TimerLookahead / 2)
		if !now.Before(at) {
			q.loadRequested = true
			load = true
		} else if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return nil, next, load
}

// maxRearm bounds armTimer's retries.
const maxRearm = 3

// armTimer returns a timer that fires once the clock reaches at. Clock
// timers are relative, so a clock that moves between reading it and arming
// the timer makes the timer late by the move; armTimer re-arms while that
// happens (a fake clock advanced concurrently by a test; a real clock moves
// by nanoseconds, which is harmless, hence the bound).
func armTimer(c clock.Clock, at time.Time) clock.Timer {
	for i := 0; ; i++ {
		now := c.Now()
		t := c.NewTimer(at.Sub(now))
		if i == maxRearm || c.Now().Equal(now) {
			return t
		}
		t.Stop()
	}
}

// worker runs the tasks the dispatcher hands it.
func (q *Queue) worker() {
	defer q.runners.Done()
	for {
		select {
		case e := <-q.workCh:
			q.run(e)
		case <-q.ctx.Done():
			return
		}
	}
}

// run executes one task and records the outcome: done, or queued again
// after a backoff. A task that fails because the queue is stopping stays
// unfinished and keeps holding the ack level.
func (q *Queue) run(e *entry) {
	err := q.executor.Execute(q.ctx, e.task)
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	if err == nil {
		delete(q.entries, e.key.TaskID)
		q.tr.taskDone(e.key.TaskID, e.key)
		q.metrics.Counter(MetricTasksExecuted).Inc(1)
		q.metrics.Timer(MetricTaskLatency).Record(now.Sub(e.start))
		return
	}
	q.metrics.Counter(MetricTaskErrors).Inc(1)
	if q.ctx.Err() != nil {
		return
	}
	e.attempt++
	backoff := q.backoffLocked(e.attempt)
	e.due = now.Add(backoff)
	heap.Push(&q.ready, e)
	q.metrics.Counter(MetricTaskRetries).Inc(1)
	// Log the 1st, 2nd, 4th, 8th... failure of a task, not every one.
	if e.attempt&(e.attempt-1) == 0 {
		q.logger.Warn("task failed, will retry",
			zap.Int64("task-id", e.key.TaskID),
			zap.String("task-type", e.task.GetType().String()),
			zap.String("workflow-id", e.task.GetWorkflowId()),
			zap.String("run-id", e.task.GetRunId()),
			zap.Int("attempt", e.attempt),
			zap.Duration("backoff", backoff),
			zap.Error(err))
	}
	q.wake()
}

// backoffLocked returns the delay before retry number attempt (1-based):
// RetryBackoff doubled per attempt, capped at MaxRetryBackoff, then
// jittered uniformly into [d/2, d].
func (q *Queue) backoffLocked(attempt int) time.Duration {
	d := q.cfg.RetryBackoff
	for i := 1; i < attempt && d < q.cfg.MaxRetryBackoff; i++ {
		d *= 2
	}
	d = min(d, q.cfg.MaxRetryBackoff)
	half := d / 2
	return d - half + time.Duration(q.rand.Int64N(int64(half)+1))
}

// entryHeap orders waiting entries by (due, key): immediate tasks by ID
// (their due time is zero until they fail), timers by (fire time, ID),
// retries by the end of their backoff.
type entryHeap []*entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if c := h[i].due.Compare(h[j].due); c != 0 {
		return c < 0
	}
	return keyLess(h[i].key, h[j].key)
}

func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *entryHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.index = -1
	*h = old[:n-1]
	return e
}
