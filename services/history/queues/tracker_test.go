package queues

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/quick"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
)

// trackerModel is the naive reference for tracker: plain sets, scanned in
// full on every question.
type trackerModel struct {
	// open reservations: reservation index -> keys.
	open map[int]map[int64]persistence.TaskKey
	// inMemory: loaded or committed, not done.
	inMemory map[int64]persistence.TaskKey
	// beyond: written, above the window, not loaded yet.
	beyond map[int64]persistence.TaskKey
	// written: every task that reached the store, by ID; done: finished.
	written   map[int64]persistence.TaskKey
	done      map[int64]bool
	windowEnd persistence.TaskKey
	maxDone   persistence.TaskKey
}

// ack is the definition: the smallest of predecessor(every outstanding
// key), predecessor(windowEnd) and the largest finished key.
func (m *trackerModel) ack() persistence.TaskKey {
	ack := m.maxDone
	consider := func(k persistence.TaskKey) {
		if p := predecessor(k); keyLess(p, ack) {
			ack = p
		}
	}
	for _, keys := range m.open {
		for _, k := range keys {
			consider(k)
		}
	}
	for _, k := range m.inMemory {
		consider(k)
	}
	consider(m.windowEnd)
	return ack
}

// checkSafe: no written task at or below ack is unfinished, and no open
// reservation is at or below it.
func (m *trackerModel) checkSafe(ack persistence.TaskKey) error {
	for id, k := range m.written {
		if k.Compare(ack) <= 0 && !m.done[id] {
			return fmt.Errorf("ack %s passes unfinished task %s", keyString(ack), keyString(k))
		}
	}
	for _, keys := range m.open {
		for _, k := range keys {
			if k.Compare(ack) <= 0 {
				return fmt.Errorf("ack %s passes open reservation %s", keyString(ack), keyString(k))
			}
		}
	}
	return nil
}

// runTrackerScenario drives a tracker and the model with the same random
// operations and compares them after each one. It mirrors how Queue uses
// the tracker (Reserve's placement of timer keys, Commit keeping only keys
// below the window, loads moving the window).
func runTrackerScenario(seed uint64, scheduled bool, steps int) error {
	rng := rand.New(rand.NewPCG(seed, 3))
	start := persistence.TaskKey{TaskID: int64(rng.IntN(5))}
	if scheduled {
		start.FireTime = t0
	}
	tr := newTracker(start)
	m := &trackerModel{
		open:     map[int]map[int64]persistence.TaskKey{},
		inMemory: map[int64]persistence.TaskKey{},
		beyond:   map[int64]persistence.TaskKey{},
		written:  map[int64]persistence.TaskKey{},
		done:     map[int64]bool{},
		maxDone:  start,
	}
	m.windowEnd = successor(start)
	windowed := scheduled
	if !scheduled {
		// An immediate queue's start-up load covers everything.
		tr.setWindowEnd(maxImmediateKey)
		m.windowEnd = maxImmediateKey
	}
	nextID := start.TaskID
	nextRes := 0
	prev := tr.ack()
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	pick := func(ids map[int64]persistence.TaskKey) (int64, persistence.TaskKey, bool) {
		if len(ids) == 0 {
			return 0, persistence.TaskKey{}, false
		}
		sorted := sortedKeys(ids)
		id := sorted[rng.IntN(len(sorted))]
		return id, ids[id], true
	}
	pickRes := func() (int, bool) {
		if len(m.open) == 0 {
			return 0, false
		}
		sorted := sortedKeys(m.open)
		return sorted[rng.IntN(len(sorted))], true
	}
	keep := func(k persistence.TaskKey) bool { return keyLess(k, tr.windowEnd) }

	for step := 0; step < steps; step++ {
		switch op := rng.IntN(10); {
		case op < 3: // reserve 1..3 keys
			ack := tr.ack()
			r := &Reservation{}
			idx := nextRes
			nextRes++
			m.open[idx] = map[int64]persistence.TaskKey{}
			for j := 0; j < 1+rng.IntN(3); j++ {
				nextID++
				k := persistence.TaskKey{TaskID: nextID}
				if scheduled {
					k.FireTime = sec(rng.IntN(120))
					if k.Compare(ack) <= 0 {
						k.FireTime = ack.FireTime
					}
				}
				tr.reserve(k, r)
				m.open[idx][k.TaskID] = k
			}
		case op < 5: // commit a reservation, a random subset written
			idx, ok := pickRes()
			if !ok {
				continue
			}
			for _, id := range sortedKeys(m.open[idx]) {
				k := m.open[idx][id]
				if rng.IntN(4) == 0 {
					continue // reserved, no task
				}
				m.written[id] = k
				h := tr.holds[id]
				switch {
				case h.seen:
					// a load already has it
				case keep(k):
					tr.addTask(id, k)
					m.inMemory[id] = k
				default:
					m.beyond[id] = k
				}
			}
			for id := range m.open[idx] {
				tr.finishReservation(id)
			}
			delete(m.open, idx)
		case op < 6: // abandon
			idx, ok := pickRes()
			if !ok {
				continue
			}
			for id := range m.open[idx] {
				tr.finishReservation(id)
			}
			delete(m.open, idx)
		case op < 9: // a task finishes
			id, k, ok := pick(m.inMemory)
			if !ok {
				continue
			}
			tr.taskDone(id, k)
			delete(m.inMemory, id)
			m.done[id] = true
			m.maxDone = maxKey(m.maxDone, k)
		default: // timers: load the next window (and maybe a written, still reserved task in it)
			if !windowed {
				continue
			}
			end := persistence.TaskKey{FireTime: tr.windowEnd.FireTime.Add(time.Duration(1+rng.IntN(40)) * time.Second)}
			for id, k := range m.beyond {
				if keyLess(k, end) {
					tr.addTask(id, k)
					m.inMemory[id] = k
					delete(m.beyond, id)
				}
			}
			// A reservation whose write landed and whose Commit has not
			// come yet is found by the load.
			for _, idx := range sortedKeys(m.open) {
				for _, id := range sortedKeys(m.open[idx]) {
					k := m.open[idx][id]
					if !keyLess(k, tr.windowEnd) && keyLess(k, end) && rng.IntN(2) == 0 {
						tr.addTask(id, k)
						m.inMemory[id] = k
						m.written[id] = k
					}
				}
			}
			tr.setWindowEnd(end)
			m.windowEnd = maxKey(m.windowEnd, end)
		}
		got, want := tr.ack(), m.ack()
		if got != want {
			return fmt.Errorf("step %d: ack %s, reference %s", step, keyString(got), keyString(want))
		}
		if keyLess(got, prev) {
			return fmt.Errorf("step %d: ack went back from %s to %s", step, keyString(prev), keyString(got))
		}
		if err := m.checkSafe(got); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
		if len(tr.holds) != len(tr.byKey) {
			return fmt.Errorf("step %d: %d holds, %d in heap", step, len(tr.holds), len(tr.byKey))
		}
		prev = got
	}
	return nil
}

func sortedKeys[K int | int64, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestTrackerMatchesReference(t *testing.T) {
	for _, scheduled := range []bool{false, true} {
		t.Run(fmt.Sprint("scheduled=", scheduled), func(t *testing.T) {
			err := quick.Check(func(seed uint64) bool {
				if err := runTrackerScenario(seed, scheduled, 400); err != nil {
					t.Logf("seed %d: %v", seed, err)
					return false
				}
				return true
			}, &quick.Config{MaxCount: 200})
			require.NoError(t, err)
		})
	}
}

func TestKeySuccessorPredecessor(t *testing.T) {
	k := timerKey(5, t0)
	require.Equal(t, timerKey(6, t0), successor(k))
	require.Equal(t, timerKey(4, t0), predecessor(k))
	require.Equal(t, 1, successor(k).Compare(k))
	require.Equal(t, -1, predecessor(k).Compare(k))
	// Nothing lies strictly between k and its successor: a later fire time
	// with any ID is above the successor.
	require.Equal(t, -1, successor(k).Compare(timerKey(-1, t0.Add(time.Nanosecond))))
}
