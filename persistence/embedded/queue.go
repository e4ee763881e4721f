package embedded

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble"

	"github.com/meridian-dev/meridian/persistence"
)

// queueStore keeps named FIFO queues. Message IDs start at 1 and the last
// issued ID is stored beside the messages, so IDs keep increasing after the
// messages are deleted and across restarts.
type queueStore struct{ d *db }

var _ persistence.QueueStore = (*queueStore)(nil)

func (s *queueStore) Enqueue(ctx context.Context, queue string, payload []byte) (int64, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	if queue == "" {
		return 0, errors.New("embedded: Enqueue needs a queue name")
	}
	// Held through the commit: a reader must never see ID n+1 before n.
	defer s.d.queues.lock(hashString(fnvOffset, queue))()
	metaKey := queueMetaKey(queue)
	var last int64
	switch raw, err := getRaw(s.d.pebble, metaKey); {
	case errors.Is(err, persistence.ErrNotFound):
	case err != nil:
		return 0, err
	case len(raw) != 8:
		return 0, fmt.Errorf("embedded: corrupt queue %q metadata", queue)
	default:
		last = int64(binary.BigEndian.Uint64(raw))
	}
	id := last + 1
	b := s.d.pebble.NewBatch()
	if err := b.Set(queueMessageKey(queue, id), payload, nil); err != nil {
		return 0, discard(b, err)
	}
	if err := b.Set(metaKey, binary.BigEndian.AppendUint64(nil, uint64(id)), nil); err != nil {
		return 0, discard(b, err)
	}
	if err := commit(b); err != nil {
		return 0, err
	}
	return id, nil
}

func (s *queueStore) Read(ctx context.Context, queue string, afterID int64, max int) (_ []persistence.QueueMessage, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if max <= 0 || afterID == math.MaxInt64 {
		return nil, nil
	}
	prefix := queuePrefix(queue)
	lower := prefix
	if afterID >= 0 {
		lower = queueMessageKey(queue, afterID+1)
	}
	it, err := s.d.pebble.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, fmt.Errorf("embedded: iterate queue: %w", err)
	}
	defer closeInto(&err, it, "iterator")
	var out []persistence.QueueMessage
	for ok := it.First(); ok && len(out) < max; ok = it.Next() {
		k := it.Key()
		out = append(out, persistence.QueueMessage{
			ID:      decodeInt64(k[len(k)-8:]),
			Payload: append([]byte(nil), it.Value()...),
		})
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("embedded: iterate queue: %w", err)
	}
	return out, nil
}

func (s *queueStore) DeleteBefore(ctx context.Context, queue string, id int64) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	b := s.d.pebble.NewBatch()
	if err := b.DeleteRange(queuePrefix(queue), queueMessageKey(queue, id), nil); err != nil {
		return discard(b, err)
	}
	return commit(b)
}
