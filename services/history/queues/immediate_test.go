package queues

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func TestImmediateOutOfOrderCommitsAllExecute(t *testing.T) {
	h := newHarness(t, transfer, Config{Workers: 4})
	h.start(persistence.TaskKey{})

	// Six single-task transactions and one two-task transaction, reserved
	// in ID order and committed out of it.
	res := map[int64]*Reservation{}
	for id := int64(1); id <= 6; id++ {
		res[id] = h.reserve([]int64{id})
	}
	pair := h.reserve([]int64{7, 8})
	for _, id := range []int64{4, 2, 6} {
		res[id].Commit(h.write(res[id]))
	}
	pair.Commit(h.write(pair))
	for _, id := range []int64{1, 5, 3} {
		res[id].Commit(h.write(res[id]))
	}

	h.eventually(func() bool { return h.q.Pending() == 0 && len(h.exec.doneIDs()) == 8 })
	require.Equal(t, ids(1, 8), h.exec.doneIDs())
	for _, id := range ids(1, 8) {
		require.Equal(t, 1, h.exec.callCount(id), "task %d", id)
	}
	require.Equal(t, tk(8), h.q.AckLevel())
}

func TestImmediateVisibilityQueue(t *testing.T) {
	h := newHarness(t, visCat, Config{})
	h.store.put(h.task(3, time.Time{}))
	h.start(tk(2))
	h.commitNew([]int64{4})
	h.eventually(func() bool { return h.q.Pending() == 0 })
	require.Equal(t, []int64{3, 4}, h.exec.doneIDs())
	require.Equal(t, tk(4), h.q.AckLevel())
}

func TestImmediateAckStopsAtReservedKeyAndPassesAbandoned(t *testing.T) {
	h := newHarness(t, transfer, Config{Workers: 2})
	h.start(persistence.TaskKey{})

	r1 := h.reserve([]int64{1})
	r2 := h.reserve([]int64{2, 3})
	r3 := h.reserve([]int64{4})
	r5 := h.reserve([]int64{5, 6})
	require.Equal(t, tk(0), h.q.AckLevel())

	r1.Commit(h.write(r1))
	r3.Commit(h.write(r3))
	h.eventually(func() bool { return h.q.Pending() == 0 && len(h.exec.doneIDs()) == 2 })
	// 1 and 4 are done; 2 is reserved and unfinished.
	require.Equal(t, tk(1), h.q.AckLevel())

	// The write of 2 and 3 failed: the level moves past them to the last
	// done task.
	r2.Abandon()
	require.Equal(t, tk(4), h.q.AckLevel())

	// A reserved key without a task (6) is released by Commit.
	tasks := h.write(r5)
	r5.Commit(tasks[:1])
	h.eventually(func() bool { return h.q.Pending() == 0 && h.exec.doneCount(5) == 1 })
	require.Equal(t, tk(5), h.q.AckLevel())
	require.Zero(t, h.exec.callCount(6))

	require.PanicsWithValue(t, "queues: reservation finished twice (Abandon)", r2.Abandon)
}

func TestImmediateReserveBelowAckPanics(t *testing.T) {
	h := newHarness(t, transfer, Config{})
	h.start(tk(10))
	require.Panics(t, func() { h.reserve([]int64{10}) })
	require.Panics(t, func() { h.q.Reserve([]persistence.TaskKey{{FireTime: t0, TaskID: 11}}) })
	r := h.reserve([]int64{11})
	require.Panics(t, func() { r.Commit([]*persistencepb.HistoryTask{h.task(12, time.Time{})}) })
}

func TestImmediateFailingTaskRetriesAndHoldsAck(t *testing.T) {
	h := newHarness(t, transfer, Config{Workers: 2, RetryBackoff: 100 * time.Millisecond, MaxRetryBackoff: time.Second})
	h.exec.behave = func(_ context.Context, task *persistencepb.HistoryTask, attempt int) error {
		if task.GetTaskId() == 1 && attempt <= 3 {
			return errors.New("matching unavailable")
		}
		return nil
	}
	h.start(persistence.TaskKey{})
	h.commitNew([]int64{1})
	h.commitNew([]int64{2})

	// 2 is done; 1 failed once and waits for its backoff, which the fake
	// clock does not reach.
	h.eventually(func() bool { return h.exec.doneCount(2) == 1 && h.exec.callCount(1) == 1 && h.q.Pending() == 1 })
	require.Equal(t, tk(0), h.q.AckLevel())

	h.advanceUntil(h.cfg.MaxRetryBackoff, func() bool { return h.q.Pending() == 0 })
	require.Equal(t, 4, h.exec.callCount(1))
	require.Equal(t, 1, h.exec.doneCount(1))
	require.Equal(t, tk(2), h.q.AckLevel())
	require.EqualValues(t, 3, counter(h.scope, MetricTaskErrors))
	require.EqualValues(t, 3, counter(h.scope, MetricTaskRetries))
	require.EqualValues(t, 2, counter(h.scope, MetricTasksExecuted))
}

func TestImmediatePersistAckAndRangeComplete(t *testing.T) {
	h := newHarness(t, transfer, Config{AckInterval: time.Second})
	// 3 is a leftover below the starting level (a crash between PersistAck
	// and the range delete); 6 and 7 are above it.
	h.store.put(h.task(3, time.Time{}), h.task(6, time.Time{}), h.task(7, time.Time{}))
	h.start(tk(5))
	h.eventually(func() bool { return h.q.Pending() == 0 && len(h.exec.doneIDs()) == 2 })
	require.Equal(t, []int64{6, 7}, h.exec.doneIDs())

	h.advanceUntil(h.cfg.AckInterval, func() bool { return len(h.store.rangeCalls()) == 1 })
	require.Equal(t, []persistence.TaskKey{tk(7)}, h.persistedLevels())
	// First delete after Start sweeps from the zero key.
	require.Equal(t, []rangeCall{{Min: tk(0), Max: tk(8)}}, h.store.rangeCalls())
	require.Empty(t, h.store.ids(transfer))

	// Steady state: [successor(old), successor(new)).
	h.commitNew([]int64{8, 9})
	h.eventually(func() bool { return h.q.Pending() == 0 && h.q.AckLevel() == tk(9) })
	h.advanceUntil(h.cfg.AckInterval, func() bool { return len(h.store.rangeCalls()) == 2 })
	require.Equal(t, []persistence.TaskKey{tk(7), tk(9)}, h.persistedLevels())
	require.Equal(t, rangeCall{Min: tk(8), Max: tk(10)}, h.store.rangeCalls()[1])

	// PersistAck fails: nothing is deleted; the level is offered again.
	h.setPersistErr(errors.New("shard ownership lost"))
	h.commitNew([]int64{10})
	h.eventually(func() bool { return h.q.Pending() == 0 })
	calls := h.persistCalls()
	h.advanceUntil(h.cfg.AckInterval, func() bool { return h.persistCalls() >= calls+2 })
	require.Len(t, h.store.rangeCalls(), 2)
	require.Equal(t, []int64{10}, h.store.ids(transfer))
	h.setPersistErr(nil)
	h.advanceUntil(h.cfg.AckInterval, func() bool { return len(h.store.rangeCalls()) == 3 })
	require.Equal(t, []persistence.TaskKey{tk(7), tk(9), tk(10)}, h.persistedLevels())
	require.Equal(t, rangeCall{Min: tk(10), Max: tk(11)}, h.store.rangeCalls()[2])

	// The range delete fails: it is retried over the grown range.
	failed := errors.New("cassandra timeout")
	h.store.setRangeErr(failed)
	h.commitNew([]int64{11})
	h.advanceUntil(h.cfg.AckInterval, func() bool {
		l, _ := h.lastPersisted()
		return l == tk(11) && len(h.store.rangeCalls()) >= 4
	})
	h.commitNew([]int64{12})
	h.eventually(func() bool { return h.q.Pending() == 0 })
	h.store.setRangeErr(nil)
	h.advanceUntil(h.cfg.AckInterval, func() bool {
		rc := h.store.rangeCalls()
		return rc[len(rc)-1].Err == nil
	})
	rc := h.store.rangeCalls()
	for _, c := range rc[3 : len(rc)-1] {
		require.ErrorIs(t, c.Err, failed)
	}
	require.Equal(t, rangeCall{Min: tk(11), Max: tk(13)}, rc[len(rc)-1])
	require.Empty(t, h.store.ids(transfer))
	require.EqualValues(t, 5, counter(h.scope, MetricAckLevelMoves))
}

func TestImmediateStartLoadsExactlyAboveAck(t *testing.T) {
	h := newHarness(t, transfer, Config{BatchSize: 3})
	for id := int64(1); id <= 10; id++ {
		h.store.put(h.task(id, time.Time{}))
	}
	// Another category's task with an ID in range must not be read.
	h.store.put(&persistencepb.HistoryTask{Category: visCat, TaskId: 8})

	// As after a crash: the level 6 was persisted, the delete never ran.
	h.start(tk(6))
	h.eventually(func() bool { return h.q.Pending() == 0 })
	require.Equal(t, []int64{7, 8, 9, 10}, h.exec.doneIDs())
	for _, id := range []int64{7, 8, 9, 10} {
		require.Equal(t, 1, h.exec.doneCount(id))
	}
	gets := h.store.getCalls()
	require.Len(t, gets, 2, "4 tasks in pages of 3")
	require.Equal(t, tk(7), gets[0].MinKey)
	require.Equal(t, maxImmediateKey, gets[0].MaxKey)
	require.Equal(t, 3, gets[0].BatchSize)
	require.Equal(t, transfer, gets[0].Category)
	require.EqualValues(t, 7, gets[0].ShardID)
	require.Equal(t, tk(10), h.q.AckLevel())
	require.EqualValues(t, 4, counter(h.scope, MetricTasksLoaded))
}

func TestImmediateStopPersistsAndRestartResumes(t *testing.T) {
	h := newHarness(t, transfer, Config{Workers: 3, BatchSize: 2})
	for id := int64(1); id <= 10; id++ {
		h.store.put(h.task(id, time.Time{}))
	}
	// Task 7 runs until the queue stops and then fails.
	h.exec.behave = func(ctx context.Context, task *persistencepb.HistoryTask, _ int) error {
		if task.GetTaskId() == 7 {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	q := h.start(persistence.TaskKey{})
	h.eventually(func() bool { return len(h.exec.doneIDs()) == 9 && h.q.Pending() == 1 })
	require.Equal(t, tk(6), q.AckLevel())
	q.Stop()
	require.Equal(t, []persistence.TaskKey{tk(6)}, h.persistedLevels(), "Stop persists the level once more")
	require.Equal(t, []int64{7, 8, 9, 10}, h.store.ids(transfer))
	require.Equal(t, []rangeCall{{Min: tk(0), Max: tk(7)}}, h.store.rangeCalls())
	require.Equal(t, 1, h.exec.callCount(7))

	// Stop is idempotent; a stopped queue does not start again.
	q.Stop()
	require.ErrorIs(t, q.Start(persistence.TaskKey{}), ErrStopped)

	// The next owner starts from the persisted level and runs 7..10 again
	// (8..10 had run: executors are idempotent).
	h.exec.behave = nil
	ack, _ := h.lastPersisted()
	q2 := h.start(ack)
	h.eventually(func() bool { return q2.Pending() == 0 })
	require.Equal(t, 2, h.exec.doneCount(8))
	require.Equal(t, 1, h.exec.doneCount(7))
	require.Equal(t, 1, h.exec.doneCount(6))
	require.Equal(t, tk(10), q2.AckLevel())
}

func TestStartErrors(t *testing.T) {
	h := newHarness(t, transfer, Config{})
	boom := errors.New("unavailable")
	h.store.getErrs = []error{boom}
	q := h.newQueue()
	err := q.Start(persistence.TaskKey{})
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, q.Start(persistence.TaskKey{}), ErrStopped)
	q.Stop()

	q = h.start(persistence.TaskKey{})
	require.ErrorIs(t, q.Start(persistence.TaskKey{}), ErrStarted)

	q = h.newQueue()
	require.PanicsWithValue(t, "queues: Reserve called before Start", func() { q.Reserve([]persistence.TaskKey{tk(1)}) })
}

func TestCommitAfterStopIsIgnored(t *testing.T) {
	h := newHarness(t, transfer, Config{})
	q := h.start(persistence.TaskKey{})
	r := h.reserve([]int64{1})
	q.Stop()
	r.Commit(h.write(r))
	require.Zero(t, q.Pending())
	r2 := h.reserve([]int64{2})
	r2.Abandon()
}
