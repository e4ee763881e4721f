package matching

import "sort"

// ackTracker computes a backlog's ack level from the tasks read from the
// store: the ack level is the highest task ID at or below which every task
// read is done. It is pure bookkeeping (no I/O, no locking; the owning
// manager holds its mutex).
//
// Tasks are registered with addRead in increasing ID order; setReadLevel
// records that the store holds no further tasks up to a level. The ack level
// never moves backwards.
type ackTracker struct {
	// readLevel is the highest task ID the store has been read through.
	readLevel int64
	// pending holds the IDs of read tasks not yet known done, ascending,
	// possibly with done IDs behind the first not-done one.
	pending []int64
	// done marks pending IDs finished out of order.
	done map[int64]struct{}
	// floor is the ack level loaded from the store.
	floor int64
}

func newAckTracker(ackLevel int64) ackTracker {
	return ackTracker{readLevel: ackLevel, floor: ackLevel, done: make(map[int64]struct{})}
}

// addRead registers a task read from the store. IDs at or below the read
// level are ignored (reported false).
func (a *ackTracker) addRead(id int64) bool {
	if id <= a.readLevel {
		return false
	}
	a.pending = append(a.pending, id)
	a.readLevel = id
	return true
}

// setReadLevel records that the store has no unread task at or below level.
func (a *ackTracker) setReadLevel(level int64) {
	if level > a.readLevel {
		a.readLevel = level
	}
}

// markDone records that task id is finished. Unknown or repeated IDs are
// ignored.
func (a *ackTracker) markDone(id int64) {
	i := sort.Search(len(a.pending), func(i int) bool { return a.pending[i] >= id })
	if i == len(a.pending) || a.pending[i] != id {
		return
	}
	if i > 0 {
		a.done[id] = struct{}{}
		return
	}
	a.pending = a.pending[1:]
	for len(a.pending) > 0 {
		if _, ok := a.done[a.pending[0]]; !ok {
			break
		}
		delete(a.done, a.pending[0])
		a.pending = a.pending[1:]
	}
	if len(a.pending) == 0 {
		a.pending = nil // let the backing array go
	}
}

// ackLevel returns the highest ID at or below which every read task is done.
func (a *ackTracker) ackLevel() int64 {
	level := a.readLevel
	if len(a.pending) > 0 {
		level = a.pending[0] - 1
	}
	if level < a.floor {
		return a.floor
	}
	return level
}

// outstanding is the number of read tasks not yet done.
func (a *ackTracker) outstanding() int {
	return len(a.pending) - len(a.done)
}
