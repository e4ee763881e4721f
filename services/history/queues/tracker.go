package queues

import (
	"container/heap"
	"fmt"

	"github.com/meridian-dev/meridian/persistence"
)

// tracker computes a queue's ack level. It is the pure core of the queue: no
// I/O, no clock, no locking (the Queue holds its mutex around every call).
//
// A hold is one task ID that keeps the ack level back: reserved by a
// transaction that has not finished, or a task in memory that is not done
// (queued, running or waiting to retry). The ack level is
//
//	min( predecessor(smallest held key),
//	     predecessor(windowEnd),
//	     maxDone )
//
// where windowEnd is the exclusive bound below which every stored task is
// known, and maxDone is the largest key of a task that finished (or the
// level the queue started from). Capping by maxDone keeps the level on keys
// the queue has seen finish: the level never runs ahead into key space a
// later transaction may still allocate (for timers: never past "now").
type tracker struct {
	holds     map[int64]*hold
	byKey     holdHeap
	maxDone   persistence.TaskKey
	windowEnd persistence.TaskKey
}

type hold struct {
	id  int64
	key persistence.TaskKey
	// reserved: the reservation that allocated the key has not finished.
	res *Reservation
	// task: the task is in memory and not done.
	task bool
	// seen: the task entered memory while its reservation was open (a load
	// found it before Commit); Commit must not queue it a second time.
	seen bool
	// index in byKey.
	index int
}

func newTracker(start persistence.TaskKey) *tracker {
	return &tracker{
		holds:     map[int64]*hold{},
		maxDone:   start,
		windowEnd: successor(start),
	}
}

// ack returns the current ack level.
func (t *tracker) ack() persistence.TaskKey {
	ack := minKey(t.maxDone, predecessor(t.windowEnd))
	if len(t.byKey) > 0 {
		ack = minKey(ack, predecessor(t.byKey[0].key))
	}
	return ack
}

// reserve records key as allocated by res.
func (t *tracker) reserve(key persistence.TaskKey, res *Reservation) {
	if _, ok := t.holds[key.TaskID]; ok {
		panic(fmt.Sprintf("queues: task ID %d reserved twice", key.TaskID))
	}
	h := &hold{id: key.TaskID, key: key, res: res}
	t.holds[key.TaskID] = h
	heap.Push(&t.byKey, h)
}

// finishReservation releases the reservation's hold on id; the task's own
// hold, if it is in memory, stays.
func (t *tracker) finishReservation(id int64) {
	h := t.holds[id]
	if h == nil || h.res == nil {
		panic(fmt.Sprintf("queues: finishing reservation of task %d that is not reserved", id))
	}
	h.res = nil
	t.release(h)
}

// addTask records that the task with id and key is in memory and not done.
func (t *tracker) addTask(id int64, key persistence.TaskKey) {
	h := t.holds[id]
	if h == nil {
		h = &hold{id: id, key: key}
		t.holds[id] = h
		heap.Push(&t.byKey, h)
	}
	h.task = true
	if h.res != nil {
		h.seen = true
	}
}

// taskDone records that the task finished.
func (t *tracker) taskDone(id int64, key persistence.TaskKey) {
	h := t.holds[id]
	if h == nil || !h.task {
		panic(fmt.Sprintf("queues: task %d done but not in memory", id))
	}
	h.task = false
	t.maxDone = maxKey(t.maxDone, key)
	t.release(h)
}

// setWindowEnd moves the known-window bound up (never down).
func (t *tracker) setWindowEnd(k persistence.TaskKey) {
	t.windowEnd = maxKey(t.windowEnd, k)
}

func (t *tracker) release(h *hold) {
	if h.res != nil || h.task {
		return
	}
	delete(t.holds, h.id)
	heap.Remove(&t.byKey, h.index)
}

// holdHeap is a min-heap of holds by key.
type holdHeap []*hold

func (h holdHeap) Len() int           { return len(h) }
func (h holdHeap) Less(i, j int) bool { return keyLess(h[i].key, h[j].key) }
func (h holdHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *holdHeap) Push(x any) {
	e := x.(*hold)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *holdHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	old[n-1] = nil
	x.index = -1
	*h = old[:n-1]
	return x
}
