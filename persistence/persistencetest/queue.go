package persistencetest

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
)

func readQueue(t *testing.T, s *persistence.Stores, queue string, afterID int64, max int) []persistence.QueueMessage {
	t.Helper()
	msgs, err := s.Queue.Read(t.Context(), queue, afterID, max)
	require.NoError(t, err)
	return msgs
}

func queueIDs(msgs []persistence.QueueMessage) []int64 {
	ids := []int64{}
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	return ids
}

func testQueue(t *testing.T, s *persistence.Stores) {
	t.Run("EnqueueReadDelete", func(t *testing.T) {
		q := newID("queue")
		require.Empty(t, readQueue(t, s, q, -1, 10))
		var ids []int64
		for i := 0; i < 5; i++ {
			id, err := s.Queue.Enqueue(t.Context(), q, []byte(fmt.Sprintf("payload-%d", i)))
			require.NoError(t, err)
			if i > 0 {
				require.Greater(t, id, ids[i-1])
			}
			ids = append(ids, id)
		}
		msgs := readQueue(t, s, q, -1, 10)
		require.Equal(t, ids, queueIDs(msgs))
		for i, m := range msgs {
			require.Equal(t, []byte(fmt.Sprintf("payload-%d", i)), m.Payload)
		}
		require.Equal(t, ids[2:4], queueIDs(readQueue(t, s, q, ids[1], 2)))
		require.Empty(t, readQueue(t, s, q, ids[4], 10))

		require.NoError(t, s.Queue.DeleteBefore(t.Context(), q, ids[3]))
		require.Equal(t, ids[3:], queueIDs(readQueue(t, s, q, -1, 10)))

		// IDs keep increasing after every message is deleted.
		require.NoError(t, s.Queue.DeleteBefore(t.Context(), q, math.MaxInt64))
		require.Empty(t, readQueue(t, s, q, -1, 10))
		id, err := s.Queue.Enqueue(t.Context(), q, []byte("later"))
		require.NoError(t, err)
		require.Greater(t, id, ids[4])
		msgs = readQueue(t, s, q, -1, 10)
		require.Equal(t, []int64{id}, queueIDs(msgs))
		require.Equal(t, []byte("later"), msgs[0].Payload)
	})

	t.Run("QueuesAreIndependent", func(t *testing.T) {
		a, b := newID("queue"), newID("queue")
		_, err := s.Queue.Enqueue(t.Context(), a, []byte("a"))
		require.NoError(t, err)
		idB, err := s.Queue.Enqueue(t.Context(), b, []byte("b"))
		require.NoError(t, err)
		require.Len(t, readQueue(t, s, a, -1, 10), 1)
		require.NoError(t, s.Queue.DeleteBefore(t.Context(), a, math.MaxInt64))
		msgs := readQueue(t, s, b, -1, 10)
		require.Equal(t, []int64{idB}, queueIDs(msgs))
	})

	t.Run("ConcurrentEnqueue", func(t *testing.T) {
		q := newID("queue")
		ids := make([]int64, raceWriters)
		errs := race(raceWriters, func(i int) error {
			var err error
			ids[i], err = s.Queue.Enqueue(t.Context(), q, []byte{byte(i)})
			return err
		})
		for _, err := range errs {
			require.NoError(t, err)
		}
		writer := map[int64]byte{}
		for i, id := range ids {
			writer[id] = byte(i)
		}
		require.Len(t, writer, raceWriters, "IDs are unique")
		msgs := readQueue(t, s, q, -1, 2*raceWriters)
		require.Len(t, msgs, raceWriters)
		require.True(t, slices.IsSortedFunc(msgs, func(a, b persistence.QueueMessage) int { return cmp.Compare(a.ID, b.ID) }))
		for _, m := range msgs {
			w, ok := writer[m.ID]
			require.True(t, ok, "unknown ID %d", m.ID)
			require.Equal(t, []byte{w}, m.Payload)
		}
	})
}
