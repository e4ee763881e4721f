package matching

import (
	"github.com/meridian-dev/meridian/common/clock"
)

// The backlog forwarder is one goroutine per non-root partition (when
// m.forwards) that offers the partition's buffered backlog tasks to the
// root's pollers while no poller waits here (see partition.go). It takes
// the oldest buffered task, offers it to the root as a forwarded Add, and
// marks it done when a root poller started it. When the root had no poller
// the task goes back to the head of the buffer and the forwarder waits,
// BacklogForwardInterval at first, doubling up to
// maxBacklogForwardFactor times that, before it tries again; a local
// poller takes buffered tasks meanwhile as usual.

// signalForward wakes the backlog forwarder (non-blocking).
func (m *taskQueueManager) signalForward() {
	if !m.forwards {
		return
	}
	select {
	case m.fwdSignal <- struct{}{}:
	default:
	}
}

func (m *taskQueueManager) forwardLoop() {
	defer m.wg.Done()
	initial := m.cfg.BacklogForwardInterval
	backoff := initial
	for {
		select {
		case <-m.stopC:
			return
		case <-m.fwdSignal:
		}
		for {
			t := m.takeForForward()
			if t == nil {
				break
			}
			ctx, cancel := m.opContext(m.ctx)
			done := m.svc.forwardTask(ctx, m.key, t.info, metricForwardedBacklogTasks)
			cancel()
			if done {
				m.finishBacklogTask(t, outcomeStarted)
				backoff = initial
				continue
			}
			m.requeueForwarded(t)
			if clock.Sleep(m.ctx, m.clock, backoff) != nil {
				return
			}
			backoff = min(2*backoff, maxBacklogForwardFactor*initial)
		}
	}
}

// takeForForward takes the oldest buffered backlog task if no poller waits
// here, dropping expired ones; nil when there is nothing to forward.
func (m *taskQueueManager) takeForForward() *internalTask {
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping || m.waiters.Len() > 0 {
		return nil
	}
	return m.takeBufferedLocked(now)
}

// requeueForwarded puts back a backlog task the root did not take: to a
// poller that arrived meanwhile, else at the head of the buffer.
func (m *taskQueueManager) requeueForwarded(t *internalTask) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping {
		return // still in the store: the next load reads it
	}
	if m.deliverLocked(t) {
		return
	}
	m.buffer = append([]*internalTask{t}, m.buffer...)
}
