package matching

import (
	"context"
	"errors"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// The backlog writer is one goroutine per partition that owns the lease
// state (range_id, the task-ID block, the persisted ack level). It batches
// concurrent Adds into one CreateTasks, renews the lease when the ID block
// runs out, and periodically persists the ack level. Because it alone uses
// range_id, a renewal can never race a write with the previous range.

// writeRequest asks the writer to persist one task.
type writeRequest struct {
	task *persistencepb.TaskQueueTask
	res  chan error // buffered 1; receives exactly one answer
}

// writeTask persists info in the backlog and returns once it is durable.
func (m *taskQueueManager) writeTask(ctx context.Context, info *persistencepb.TaskQueueTask) error {
	req := &writeRequest{task: info, res: make(chan error, 1)}
	select {
	case m.writeC <- req:
	case <-m.stopC:
		return errManagerStopped
	case <-ctx.Done():
		return ctxError(ctx)
	}
	select {
	case err := <-req.res:
		return err
	case <-m.writerDone:
		select {
		case err := <-req.res:
			return err
		default:
			return errManagerStopped
		}
	case <-ctx.Done():
		// The write may still land; the caller retries and history refuses
		// the duplicate start.
		return ctxError(ctx)
	}
}

func (m *taskQueueManager) writeLoop() {
	defer m.wg.Done()
	defer close(m.writerDone)
	flush := m.clock.NewTimer(m.cfg.AckFlushInterval)
	defer func() { flush.Stop() }()
	for {
		select {
		case <-m.stopC:
			m.failQueuedWrites()
			if !m.leaseLost.Load() {
				ctx, cancel := m.opContext(context.Background())
				m.flushAck(ctx)
				cancel()
			}
			return
		case req := <-m.writeC:
			batch := []*writeRequest{req}
		drain:
			for len(batch) < m.cfg.WriteBatchSize {
				select {
				case r := <-m.writeC:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			m.writeBatch(batch)
		case <-flush.C():
			ctx, cancel := m.opContext(m.ctx)
			m.flushAck(ctx)
			cancel()
			flush = m.clock.NewTimer(m.cfg.AckFlushInterval)
		}
	}
}

// failQueuedWrites answers writes still queued when the manager stops.
func (m *taskQueueManager) failQueuedWrites() {
	for {
		select {
		case r := <-m.writeC:
			r.res <- errManagerStopped
		default:
			return
		}
	}
}

func answerAll(batch []*writeRequest, err error) {
	for _, r := range batch {
		r.res <- err
	}
}

// writeBatch assigns task IDs to a batch and writes it with one CreateTasks
// fenced by range_id.
func (m *taskQueueManager) writeBatch(batch []*writeRequest) {
	if m.leaseLost.Load() {
		answerAll(batch, errLeaseLost)
		return
	}
	ctx, cancel := m.opContext(m.ctx)
	defer cancel()
	tasks := make([]*persistencepb.TaskQueueTask, 0, len(batch))
	for _, r := range batch {
		id, err := m.allocateTaskID(ctx)
		if err != nil {
			answerAll(batch, err)
			return
		}
		r.task.TaskId = id
		tasks = append(tasks, r.task)
	}
	err := m.store.CreateTasks(ctx, m.key.storeKey(), m.rangeID, tasks)
	switch {
	case errors.Is(err, persistence.ErrConditionFailed):
		m.onLeaseLost(err)
		answerAll(batch, errLeaseLost)
		return
	case err != nil:
		// The IDs are burned. If the write landed after all, the reader may
		// deliver it; the caller's retry is then refused by history.
		m.logger.Warn("backlog write failed", zap.Int("tasks", len(tasks)), zap.Error(err))
		answerAll(batch, storeError("create tasks", err))
		return
	}
	last := tasks[len(tasks)-1].GetTaskId()
	m.mu.Lock()
	if last > m.maxReadLevel {
		m.maxReadLevel = last
	}
	m.ownUnread += int64(len(tasks))
	m.updateBacklogGaugeLocked()
	m.mu.Unlock()
	m.signalRead()
	m.scope.Counter(metricBacklogWrites).Inc(int64(len(tasks)))
	answerAll(batch, nil)
}

// allocateTaskID returns the next ID of the block, renewing the lease (and
// so the block) when it is used up.
func (m *taskQueueManager) allocateTaskID(ctx context.Context) (int64, error) {
	if m.nextID >= m.blockEnd {
		info, err := m.store.LeaseTaskQueue(ctx, m.key.storeKey(), int32(m.kind), m.rangeID)
		if errors.Is(err, persistence.ErrConditionFailed) {
			m.onLeaseLost(err)
			return 0, errLeaseLost
		}
		if err != nil {
			m.logger.Warn("task queue lease renewal failed", zap.Error(err))
			return 0, storeError("renew lease", err)
		}
		if err := m.setRange(info.GetRangeId()); err != nil {
			return 0, err
		}
		m.logger.Debug("task queue lease renewed", zap.Int64("range_id", m.rangeID))
	}
	id := m.nextID
	m.nextID++
	return id, nil
}

// flushAck persists a changed ack level, then deletes the tasks at or below
// it. A failed condition means the lease is lost.
func (m *taskQueueManager) flushAck(ctx context.Context) {
	m.mu.Lock()
	ack := m.acks.ackLevel()
	m.mu.Unlock()
	if ack > m.persistedAck {
		info := &persistencepb.TaskQueueInfo{
			NamespaceId:    m.key.namespaceID,
			Name:           m.key.storedName(),
			TaskType:       m.key.taskType,
			Kind:           m.kind,
			RangeId:        m.rangeID,
			AckLevel:       ack,
			LastUpdateTime: timestamppb.New(m.clock.Now()),
		}
		err := m.store.UpdateTaskQueue(ctx, info)
		if errors.Is(err, persistence.ErrConditionFailed) {
			m.onLeaseLost(err)
			return
		}
		if err != nil {
			m.logger.Warn("ack level update failed", zap.Int64("ack_level", ack), zap.Error(err))
			return
		}
		m.persistedAck = ack
		m.mu.Lock()
		m.statusAck = ack
		m.mu.Unlock()
	}
	if m.persistedAck > m.deletedThrough {
		if err := m.store.CompleteTasksLessThan(ctx, m.key.storeKey(), m.persistedAck+1); err != nil {
			m.logger.Warn("completed task deletion failed", zap.Int64("ack_level", m.persistedAck), zap.Error(err))
			return
		}
		m.deletedThrough = m.persistedAck
	}
}
