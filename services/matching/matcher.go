package matching

import (
	"container/list"
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// The matcher is the in-memory meeting point of a partition's tasks and
// pollers; its state lives in taskQueueManager under mu. A poller takes, in
// order: a pending query, the oldest buffered backlog task, a sync task
// waiting for a poller. When nothing is available it queues as a waiter, and
// the next task to arrive is handed to the oldest waiter. So at rest either
// no poller waits or no task does.

// waiter is a poller queued for a task.
type waiter struct {
	ch   chan *internalTask // buffered 1; receives exactly one task
	elem *list.Element      // place in waiters while queued (under mu)
}

// deliverLocked hands t to the oldest waiting poller, if any.
func (m *taskQueueManager) deliverLocked(t *internalTask) bool {
	e := m.waiters.Front()
	if e == nil {
		return false
	}
	w := m.waiters.Remove(e).(*waiter)
	w.elem = nil
	w.ch <- t
	return true
}

// nextTaskLocked takes the task a newly arrived poller should get, or nil.
func (m *taskQueueManager) nextTaskLocked(now time.Time) *internalTask {
	if e := m.queries.Front(); e != nil {
		t := m.queries.Remove(e).(*internalTask)
		t.elem = nil
		return t
	}
	if t := m.takeBufferedLocked(now); t != nil {
		return t
	}
	if e := m.syncWait.Front(); e != nil {
		t := m.syncWait.Remove(e).(*internalTask)
		t.elem = nil
		return t
	}
	return nil
}

// takeBufferedLocked takes the oldest buffered backlog task, dropping
// expired ones and asking the reader for more when the buffer runs half
// empty; nil when the buffer holds none.
func (m *taskQueueManager) takeBufferedLocked(now time.Time) *internalTask {
	for len(m.buffer) > 0 {
		t := m.buffer[0]
		m.buffer[0] = nil
		m.buffer = m.buffer[1:]
		if len(m.buffer) <= m.cfg.BacklogBufferSize/2 && m.acks.readLevel < m.maxReadLevel {
			m.signalRead()
		}
		if expired(t.info, now) {
			m.dropExpiredLocked(t)
			continue
		}
		return t
	}
	return nil
}

// backlogPendingLocked reports whether backlog tasks wait for pollers (in the
// buffer or still unread). Sync match is skipped meanwhile so that backlog
// tasks go first.
func (m *taskQueueManager) backlogPendingLocked() bool {
	return len(m.buffer) > 0 || m.acks.readLevel < m.maxReadLevel
}

// backlogPending is backlogPendingLocked under the lock.
func (m *taskQueueManager) backlogPending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.backlogPendingLocked()
}

// errForwardPoll is poll's answer when the caller should forward the poll
// to the root instead of waiting here; it then holds one of the
// partition's forwarded-poll slots and must call endForwardedPoll.
var errForwardPoll = errors.New("matching: forward the poll to the root")

// poll waits for a task until pollCtx ends or the manager stops. It returns
// (nil, nil) when pollCtx ended and errManagerStopped when the manager
// stopped. With mayForward, a poll that finds no task ready gets
// errForwardPoll while the partition has a forwarded-poll slot free.
func (m *taskQueueManager) poll(pollCtx context.Context, mayForward bool) (*internalTask, error) {
	now := m.clock.Now()
	m.mu.Lock()
	if m.stopping {
		m.mu.Unlock()
		return nil, errManagerStopped
	}
	if t := m.nextTaskLocked(now); t != nil {
		m.mu.Unlock()
		return t, nil
	}
	if mayForward && m.forwards && m.forwardedPolls < m.cfg.MaxForwardedPolls {
		m.forwardedPolls++
		m.mu.Unlock()
		return nil, errForwardPoll
	}
	w := &waiter{ch: make(chan *internalTask, 1)}
	w.elem = m.waiters.PushBack(w)
	m.mu.Unlock()

	stopped := false
	select {
	case t := <-w.ch:
		return t, nil
	case <-pollCtx.Done():
	case <-m.stopC:
		stopped = true
	}
	m.mu.Lock()
	if w.elem != nil {
		m.waiters.Remove(w.elem)
		w.elem = nil
		m.mu.Unlock()
		if stopped {
			return nil, errManagerStopped
		}
		return nil, nil
	}
	m.mu.Unlock()
	// A task was handed over while we were waking up: take it.
	return <-w.ch, nil
}

// endForwardedPoll frees the slot a forwarded poll held.
func (m *taskQueueManager) endForwardedPoll() {
	m.mu.Lock()
	m.forwardedPolls--
	m.mu.Unlock()
}

// trySyncMatch offers a task from Add to pollers: at once to one already
// waiting, else to one arriving within wait. It returns the poller's
// outcome, or 0 when no poller took the task.
func (m *taskQueueManager) trySyncMatch(ctx context.Context, t *internalTask, wait time.Duration) (outcome, error) {
	m.mu.Lock()
	if m.stopping {
		m.mu.Unlock()
		return 0, errManagerStopped
	}
	if m.backlogPendingLocked() {
		m.mu.Unlock()
		return 0, nil
	}
	if m.deliverLocked(t) {
		m.mu.Unlock()
		return m.awaitOutcome(ctx, t)
	}
	if wait <= 0 {
		m.mu.Unlock()
		return 0, nil
	}
	// The timer exists before the task is visible to pollers.
	timer := m.clock.NewTimer(wait)
	defer timer.Stop()
	t.elem = m.syncWait.PushBack(t)
	m.mu.Unlock()

	select {
	case o := <-t.result:
		return o, nil
	case <-timer.C():
	case <-ctx.Done():
	case <-m.stopC:
	}
	m.mu.Lock()
	if t.elem != nil {
		m.syncWait.Remove(t.elem)
		t.elem = nil
		m.mu.Unlock()
		if ctx.Err() != nil {
			return 0, ctxError(ctx)
		}
		return 0, nil
	}
	m.mu.Unlock()
	return m.awaitOutcome(ctx, t)
}

// awaitOutcome waits for the poller that took a sync task to report.
func (m *taskQueueManager) awaitOutcome(ctx context.Context, t *internalTask) (outcome, error) {
	select {
	case o := <-t.result:
		return o, nil
	case <-ctx.Done():
		// The caller retries the Add; history refuses a duplicate start.
		return 0, ctxError(ctx)
	}
}

// offerQuery hands a query task to a waiting poller or queues it.
func (m *taskQueueManager) offerQuery(t *internalTask) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping {
		return errManagerStopped
	}
	if !m.deliverLocked(t) {
		t.elem = m.queries.PushBack(t)
	}
	return nil
}

// removeQuery unqueues a query task; false if a poller already took it.
func (m *taskQueueManager) removeQuery(t *internalTask) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.elem == nil {
		return false
	}
	m.queries.Remove(t.elem)
	t.elem = nil
	return true
}

// pushBacklogLocked makes a backlog task available to pollers.
func (m *taskQueueManager) pushBacklogLocked(t *internalTask) {
	if !m.deliverLocked(t) {
		m.buffer = append(m.buffer, t)
		m.signalForward()
	}
}

// finishBacklogTask applies a poller's outcome to a backlog task.
func (m *taskQueueManager) finishBacklogTask(t *internalTask, o outcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch o {
	case outcomeStarted, outcomeDropped:
		m.acks.markDone(t.info.GetTaskId())
		m.updateBacklogGaugeLocked()
	case outcomeReturned, outcomeFailed:
		m.scope.Counter(metricTasksReturned).Inc(1)
		if m.stopping {
			// Still in the store below the ack level: the next load reads it.
			return
		}
		if m.deliverLocked(t) {
			return
		}
		if o == outcomeReturned {
			m.buffer = append([]*internalTask{t}, m.buffer...)
		} else {
			m.buffer = append(m.buffer, t)
		}
		m.signalForward()
	}
}

// dropExpiredLocked drops a backlog task whose expiry passed.
func (m *taskQueueManager) dropExpiredLocked(t *internalTask) {
	m.acks.markDone(t.info.GetTaskId())
	m.updateBacklogGaugeLocked()
	m.scope.Tagged(map[string]string{tagReason: dropReasonExpired}).Counter(metricTasksDropped).Inc(1)
}

// waitingPollers is the number of pollers queued for a task.
func (m *taskQueueManager) waitingPollers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.waiters.Len()
}

// backlogHint is the backlog_count_hint of a poll response: the tasks still
// waiting in the partition for a poller (buffered, written but not yet read,
// or offered by an Add). Tasks other pollers hold while history records their
// start are not counted, since no poller can take them. This matters: while
// a sticky queue's last hint is positive the Go SDK sends all its workflow
// pollers there, and only an empty or failed poll clears the hint. A hint
// that counted a task already taken parked every poller on an empty sticky
// queue while the normal queue's tasks waited out a whole long poll.
func (m *taskQueueManager) backlogHint() int64 {
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	n := int64(len(m.buffer)+m.syncWait.Len()) + m.ownUnread
	if n > 0 {
		m.hintedAt = now
	}
	return n
}

// Even an exact hint is stale by the time the worker acts on it: its other
// pollers may have taken the hinted tasks meanwhile, and the SDK keeps
// whichever hint it processed last, so all its pollers can still end up on
// an empty sticky queue. A poll that starts on a sticky queue within
// hintedPollWindow of the last positive hint therefore waits at most
// hintedPollWait: its empty answer makes the SDK drop the hint and poll the
// normal queue again. Polls that find a task are not affected.
const (
	hintedPollWindow = time.Second
	hintedPollWait   = 100 * time.Millisecond
)

// recentlyHinted reports whether a poll starting at now may have been sent
// by a stale positive hint (see hintedPollWindow).
func (m *taskQueueManager) recentlyHinted(now time.Time) bool {
	if m.kind != enumspb.TASK_QUEUE_KIND_STICKY {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.hintedAt.IsZero() && now.Sub(m.hintedAt) < hintedPollWindow
}
