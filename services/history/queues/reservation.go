package queues

import (
	"fmt"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Reservation is a transaction's claim on the task keys it allocated. It
// holds the ack level below its smallest key until it is finished, exactly
// once, by Commit or Abandon.
type Reservation struct {
	q    *Queue
	keys []persistence.TaskKey
	done bool // guarded by q.mu
}

// Reserve is called by the shard when it allocates task keys for a
// transaction, before the write. The ack level will not pass any of the
// keys until the reservation is finished.
//
// Keys must be reserved in allocation order (the shard calls Reserve under
// the lock that allocates task IDs), so that a new key is always above the
// ack level. For immediate queues a key is TaskKey{TaskID: id} and a key at
// or below the ack level is a broken invariant (panic). For the timer
// queue a key at or below the ack level (a timer due in the past) is moved
// forward to (ack level's fire time, its own ID): the ack level only
// reaches keys of timers that have fired, so this is still in the past and
// the timer fires at once. The shard must write each task with the fire
// time Keys returns. Fire times must be representable by the store exactly
// (milliseconds).
//
// Reserve panics if called before Start. After Stop it still returns a
// usable reservation.
func (q *Queue) Reserve(keys []persistence.TaskKey) *Reservation {
	r := &Reservation{q: q, keys: make([]persistence.TaskKey, len(keys))}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.tr == nil {
		panic("queues: Reserve called before Start")
	}
	ack := q.tr.ack()
	for i, k := range keys {
		if q.scheduled {
			if k.Compare(ack) <= 0 {
				k.FireTime = ack.FireTime
			}
		} else if !k.FireTime.IsZero() {
			panic(fmt.Sprintf("queues: immediate task key %s has a fire time", keyString(k)))
		}
		if k.Compare(ack) <= 0 {
			panic(fmt.Sprintf("queues: reserved task key %s is at or below the ack level %s; keys must be reserved in allocation order",
				keyString(k), keyString(ack)))
		}
		q.tr.reserve(k, r)
		r.keys[i] = k
	}
	return r
}

// Keys returns the keys as reserved: those passed to Reserve, except that
// timer keys due at or before the ack level carry a later fire time (see
// Reserve). The shard writes its tasks with these keys.
func (r *Reservation) Keys() []persistence.TaskKey {
	return append([]persistence.TaskKey(nil), r.keys...)
}

// Commit is called after the write succeeded, with the tasks written. Each
// task's key must be one of the reserved keys (reserved keys without a task
// are simply released). The tasks join the queue, except timers beyond the
// loaded window: those are not kept in memory and are read from the store
// when their window is loaded. A task that a concurrent load already read
// from the store is not queued twice. Panics on a task that was not
// reserved here or whose key differs from its reserved key (either would
// let the ack level pass a live task), and if the reservation was already
// finished.
func (r *Reservation) Commit(tasks []*persistencepb.HistoryTask) {
	q := r.q
	q.mu.Lock()
	defer q.mu.Unlock()
	r.finishLocked("Commit")
	now := q.clock.Now()
	added := false
	for _, t := range tasks {
		id := t.GetTaskId()
		h := q.tr.holds[id]
		if h == nil || h.res != r {
			panic(fmt.Sprintf("queues: committed task %d was not reserved by this reservation", id))
		}
		key := KeyOf(q.category, t)
		if key.Compare(h.key) != 0 {
			panic(fmt.Sprintf("queues: committed task key %s differs from its reserved key %s", keyString(key), keyString(h.key)))
		}
		if h.seen || q.state == stateStopped {
			continue
		}
		if !q.keepLocked(key) {
			continue
		}
		q.addEntryLocked(t, key, now)
		if q.loading {
			q.loadSeen[id] = struct{}{}
		}
		added = true
	}
	for _, k := range r.keys {
		q.tr.finishReservation(k.TaskID)
	}
	if added {
		q.wake()
	}
}

// Abandon is called when the write failed or its outcome is unknown: the
// keys stop holding the ack level back.
//
// If the write did land (unknown outcome), its tasks are in the store but
// not in memory, unless a load already found them (then they run). They
// are found by the next load, which starts above the last persisted ack
// level, only if that level has not passed them. The queue persists levels
// on its own every AckInterval, so on an unknown outcome the shard must
// first fence the write (take the shard's range again, or lose it), so that
// PersistAck fails from then on, and only then Abandon and reload the
// queue. A write known to have failed can be abandoned at once.
func (r *Reservation) Abandon() {
	q := r.q
	q.mu.Lock()
	defer q.mu.Unlock()
	r.finishLocked("Abandon")
	for _, k := range r.keys {
		q.tr.finishReservation(k.TaskID)
	}
}

func (r *Reservation) finishLocked(op string) {
	if r.done {
		panic("queues: reservation finished twice (" + op + ")")
	}
	r.done = true
}

// keepLocked reports whether a committed task with key belongs in memory:
// below the loaded window's end, or inside the window being loaded.
func (q *Queue) keepLocked(key persistence.TaskKey) bool {
	if keyLess(key, q.tr.windowEnd) {
		return true
	}
	return q.loading && keyLess(key, q.loadingEnd)
}
