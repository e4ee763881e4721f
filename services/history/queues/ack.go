package queues

import (
	"context"

	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/persistence"
)

// ackLoop persists the ack level every AckInterval and, when the queue
// stops, once more after the workers have returned.
func (q *Queue) ackLoop() {
	defer close(q.ackDone)
	for {
		timer := armTimer(q.clock, q.clock.Now().Add(q.cfg.AckInterval))
		select {
		case <-timer.C():
			q.flushAck(q.ctx)
		case <-q.ctx.Done():
			timer.Stop()
			q.runners.Wait()
			q.flushAck(context.Background())
			return
		}
	}
}

// flushAck persists the ack level if it moved, then range-deletes the
// store's tasks up to the persisted level.
//
// Convention: the ack level A is inclusive (every task with key <= A is
// done); store ranges are [min, max). After PersistAck(A) succeeds, the
// tasks with D < key <= A, D being the level deleted up to before, are
// deleted with RangeCompleteHistoryTasks(min = successor(D), max =
// successor(A)). The first delete after Start uses min = the zero key
// instead, sweeping tasks that a crash between PersistAck and the delete
// left below the starting level. Nothing above the last level PersistAck
// accepted is ever deleted; a failed delete is retried, over the grown
// range, on the next tick.
func (q *Queue) flushAck(parent context.Context) {
	q.mu.Lock()
	ack := q.tr.ack()
	pending := len(q.entries)
	q.mu.Unlock()
	q.metrics.Gauge(MetricPending).Update(float64(pending))

	if keyLess(q.persisted, ack) {
		ctx, cancel := q.persistContext(parent)
		err := q.persistAck(ctx, ack)
		cancel()
		if err != nil {
			q.metrics.Counter(MetricAckPersistErrors).Inc(1)
			q.logger.Warn("persisting ack level failed",
				zap.String("ack-level", keyString(ack)), zap.Error(err))
			return
		}
		q.persisted = ack
		q.metrics.Counter(MetricAckLevelMoves).Inc(1)
	}

	if keyLess(q.deleted, q.persisted) {
		from := successor(q.deleted)
		if !q.swept {
			from = persistence.TaskKey{}
		}
		ctx, cancel := q.persistContext(parent)
		err := q.store.RangeCompleteHistoryTasks(ctx, q.shardID, q.category, from, successor(q.persisted))
		cancel()
		if err != nil {
			q.metrics.Counter(MetricRangeCompleteErrors).Inc(1)
			q.logger.Warn("deleting finished tasks failed",
				zap.String("from", keyString(from)), zap.String("ack-level", keyString(q.persisted)), zap.Error(err))
			return
		}
		q.deleted = q.persisted
		q.swept = true
	}
}

// persistContext bounds one store call by PersistTimeout on the queue's
// clock.
func (q *Queue) persistContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	t := q.clock.AfterFunc(q.cfg.PersistTimeout, cancel)
	return ctx, func() {
		t.Stop()
		cancel()
	}
}
