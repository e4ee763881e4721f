package matching

import (
	"context"

	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
)

// The backlog reader is one goroutine per partition that loads backlog tasks
// in ID order into the bounded buffer, from just above the read level up to
// maxReadLevel (the last ID whose write completed). It wakes when a write
// completes or when pollers drain the buffer below half.

// signalRead wakes the reader (non-blocking).
func (m *taskQueueManager) signalRead() {
	select {
	case m.readSignal <- struct{}{}:
	default:
	}
}

func (m *taskQueueManager) readLoop() {
	defer m.wg.Done()
	for {
		select {
		case <-m.stopC:
			return
		case <-m.readSignal:
		}
		for {
			ctx, cancel := m.opContext(m.ctx)
			more, err := m.readOnce(ctx)
			cancel()
			if err != nil {
				if m.ctx.Err() != nil {
					return
				}
				m.logger.Warn("backlog read failed", zap.Error(err))
				if clock.Sleep(m.ctx, m.clock, m.cfg.StoreRetryBackoff) != nil {
					return
				}
				continue
			}
			if !more {
				break
			}
		}
	}
}

// readOnce reads one page of the backlog into the buffer (handing tasks to
// waiting pollers directly). It reports whether more should be read now.
func (m *taskQueueManager) readOnce(ctx context.Context) (bool, error) {
	m.mu.Lock()
	if m.stopping || len(m.buffer) >= m.cfg.BacklogBufferSize || m.acks.readLevel >= m.maxReadLevel {
		m.mu.Unlock()
		return false, nil
	}
	from, to := m.acks.readLevel, m.maxReadLevel
	m.mu.Unlock()

	batchSize := m.cfg.ReadBatchSize
	tasks, err := m.store.GetTasks(ctx, m.key.storeKey(), from, to, batchSize)
	if err != nil {
		return false, err
	}
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, info := range tasks {
		id := info.GetTaskId()
		if id > to || !m.acks.addRead(id) {
			continue // outside the range asked for; a store bug, ignore it
		}
		if id >= m.firstOwnID && m.ownUnread > 0 {
			m.ownUnread--
		}
		t := &internalTask{source: sourceBacklog, info: info, mgr: m}
		if expired(info, now) {
			m.dropExpiredLocked(t)
			continue
		}
		m.pushBacklogLocked(t)
	}
	if len(tasks) < batchSize {
		m.acks.setReadLevel(to)
	}
	m.updateBacklogGaugeLocked()
	more := m.acks.readLevel < m.maxReadLevel && len(m.buffer) < m.cfg.BacklogBufferSize
	return more, nil
}
