package cassandra

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/meridian-dev/meridian/persistence"
)

// A queue is one partition of queue_messages: the last issued ID in a
// static column, one row per message.
const (
	stmtQueueLastID  = `SELECT last_id FROM queue_messages WHERE queue_name = ? LIMIT 1`
	stmtQueueAdvance = `UPDATE queue_messages SET last_id = ? WHERE queue_name = ? IF last_id = ?`
	stmtQueueInsert  = `INSERT INTO queue_messages (queue_name, message_id, payload) VALUES (?, ?, ?)`
	stmtQueueRead    = `SELECT message_id, payload FROM queue_messages WHERE queue_name = ? AND message_id > ? LIMIT ?`
	stmtQueueDelete  = `DELETE FROM queue_messages WHERE queue_name = ? AND message_id < ?`
)

// maxEnqueueAttempts bounds Enqueue's loop when other writers keep taking
// the next ID first.
const maxEnqueueAttempts = 64

// queueStore keeps named FIFO queues. Message IDs start at 1 and the last
// issued ID is stored beside the messages, so IDs keep increasing after the
// messages are deleted.
type queueStore struct{ d *db }

var _ persistence.QueueStore = (*queueStore)(nil)

// Enqueue reads the last ID, then writes the message with one conditional
// batch (last_id = n+1 IF last_id = n, plus the message row). A lost race
// retries with the ID the winner left. Since message n+1 is conditioned on
// the batch that wrote message n, a reader never sees n+1 without n.
func (s *queueStore) Enqueue(ctx context.Context, queue string, payload []byte) (int64, error) {
	const op = "Enqueue"
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	if queue == "" {
		return 0, errors.New("cassandra: Enqueue needs a queue name")
	}
	var last int64
	err := s.d.scanOne(ctx, op, stmtQueueLastID, []any{queue}, &last)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return 0, err
	}
	for range maxEnqueueAttempts {
		id := last + 1
		var cond any = last
		if last == 0 {
			cond = nil // IF last_id = null: the queue's first message
		}
		b := s.d.newBatch()
		b.Query(stmtQueueAdvance, id, queue, cond)
		b.Query(stmtQueueInsert, queue, id, payload)
		applied, rows, err := s.d.casBatch(ctx, op, b)
		if err != nil {
			return 0, err
		}
		if applied {
			return id, nil
		}
		if len(rows) == 0 {
			return 0, fmt.Errorf("cassandra: Enqueue to %q not applied, yet the queue has no last ID", queue)
		}
		last = rows[0].int64("last_id")
	}
	return 0, fmt.Errorf("%w: queue %q: lost the next ID to other writers %d times in a row", persistence.ErrConditionFailed, queue, maxEnqueueAttempts)
}

func (s *queueStore) Read(ctx context.Context, queue string, afterID int64, maxMessages int) ([]persistence.QueueMessage, error) {
	const op = "QueueRead"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if maxMessages <= 0 || afterID == math.MaxInt64 {
		return nil, nil
	}
	limit := int32(min(int64(maxMessages), math.MaxInt32))
	var out []persistence.QueueMessage
	err := s.d.iterate(ctx, op, s.d.session.Query(stmtQueueRead, queue, afterID, limit), func(scan func(...any) bool) bool {
		var m persistence.QueueMessage
		if !scan(&m.ID, &m.Payload) {
			return false
		}
		out = append(out, m)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteBefore deletes messages below id with one range tombstone; the
// last issued ID (static) stays.
func (s *queueStore) DeleteBefore(ctx context.Context, queue string, id int64) error {
	const op = "QueueDeleteBefore"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	return s.d.exec(ctx, op, stmtQueueDelete, queue, id)
}
