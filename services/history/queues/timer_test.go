package queues

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func timerKey(id int64, fire time.Time) persistence.TaskKey {
	return persistence.TaskKey{FireTime: fire, TaskID: id}
}

func TestTimerFiresAtFireTimeAndNotBefore(t *testing.T) {
	h := newHarness(t, timerCat, Config{AckInterval: time.Hour})
	h.start(persistence.TaskKey{})
	fire := t0.Add(10 * time.Second)
	h.commitNew([]int64{1}, fire)

	h.clk.Advance(10*time.Second - time.Millisecond)
	// Barrier: a timer already due. Once it has run, the dispatcher has
	// looked at the queue with the clock 1ms short of task 1's fire time.
	h.commitNew([]int64{2}, t0)
	h.eventually(func() bool { return h.exec.doneCount(2) == 1 && h.q.Pending() == 1 })
	require.Zero(t, h.exec.callCount(1), "fired early")

	h.clk.Advance(time.Millisecond)
	h.eventually(func() bool { return h.exec.doneCount(1) == 1 })
	require.False(t, h.exec.doneAt(1).Before(fire), "fired at %v, before %v", h.exec.doneAt(1), fire)
	h.eventually(func() bool { return h.q.AckLevel() == timerKey(1, fire) })
}

func TestTimerOrderByFireTimeThenID(t *testing.T) {
	h := newHarness(t, timerCat, Config{Workers: 1, AckInterval: time.Hour})
	h.start(persistence.TaskKey{})
	s := time.Second
	fires := map[int64]time.Time{
		1: t0.Add(3 * s), 2: t0.Add(5 * s), 3: t0.Add(5 * s),
		4: t0.Add(1 * s), 5: t0.Add(4 * s), 6: t0.Add(1 * s), 7: t0.Add(2 * s),
	}
	res := map[int64]*Reservation{}
	for id := int64(1); id <= 7; id++ {
		res[id] = h.reserve([]int64{id}, fires[id])
	}
	for _, id := range []int64{5, 3, 7, 1, 6, 2, 4} {
		res[id].Commit(h.write(res[id]))
	}
	require.Equal(t, 7, h.q.Pending())
	h.clk.Advance(10 * s)
	h.eventually(func() bool { return h.q.Pending() == 0 })
	require.Equal(t, []int64{4, 6, 7, 1, 5, 2, 3}, h.exec.doneOrder())
}

func TestTimerPastFireTimeFiresAtOnce(t *testing.T) {
	h := newHarness(t, timerCat, Config{AckInterval: time.Hour})
	// The previous owner acked up to (t0, 100).
	h.start(timerKey(100, t0))

	// Due before the ack level: moved to the ack level's fire time.
	r := h.q.Reserve([]persistence.TaskKey{timerKey(101, t0.Add(-time.Minute)), timerKey(102, t0.Add(time.Minute))})
	require.Equal(t, []persistence.TaskKey{timerKey(101, t0), timerKey(102, t0.Add(time.Minute))}, r.Keys())
	// Due in the past but above the ack level: unchanged.
	r2 := h.q.Reserve([]persistence.TaskKey{timerKey(103, t0.Add(-time.Millisecond).Add(time.Millisecond))})
	require.Equal(t, timerKey(103, t0), r2.Keys()[0])
	r.Commit(h.write(r))
	r2.Commit(h.write(r2))
	h.eventually(func() bool { return h.exec.doneCount(101) == 1 && h.exec.doneCount(103) == 1 })
	require.Zero(t, h.exec.callCount(102))
	// An ID below the ack level's cannot be placed above it.
	require.Panics(t, func() { h.q.Reserve([]persistence.TaskKey{timerKey(99, t0.Add(-time.Second))}) })
}

func TestTimerBeyondLookaheadLoadedAsClockAdvances(t *testing.T) {
	h := newHarness(t, timerCat, Config{TimerLookahead: time.Minute, BatchSize: 2, AckInterval: time.Hour})
	m := time.Minute
	stored := map[int64]time.Time{1: t0.Add(30 * time.Second), 2: t0.Add(5 * m), 3: t0.Add(10 * m), 4: t0.Add(10 * m)}
	for id, f := range stored {
		h.store.put(h.task(id, f))
	}
	h.start(persistence.TaskKey{})
	require.Equal(t, 1, h.q.Pending(), "only the first window is in memory")

	// Committed beyond the window: not kept in memory, read back later.
	h.commitNew([]int64{5}, t0.Add(7*m))
	require.Equal(t, 1, h.q.Pending())
	// Committed inside the window: kept.
	h.commitNew([]int64{6}, t0.Add(45*time.Second))
	require.Equal(t, 2, h.q.Pending())
	all := map[int64]time.Time{5: t0.Add(7 * m), 6: t0.Add(45 * time.Second)}
	for id, f := range stored {
		all[id] = f
	}

	for step := 1; step <= 66; step++ {
		h.clk.Advance(10 * time.Second)
		now := h.clk.Now()
		h.eventually(func() bool {
			for id, f := range all {
				if !f.After(now) && h.exec.doneCount(id) == 0 {
					return false
				}
			}
			return true
		}, "step %d", step)
		for id, f := range all {
			if f.After(now) {
				require.Zero(t, h.exec.callCount(id), "task %d fired early at %v", id, now)
			}
		}
	}
	for id, f := range all {
		require.Equal(t, 1, h.exec.callCount(id), "task %d", id)
		require.False(t, h.exec.doneAt(id).Before(f), "task %d", id)
	}
	h.eventually(func() bool { return h.q.Pending() == 0 })

	// The loads tile the key space: each starts where the last ended.
	var end persistence.TaskKey
	for i, g := range h.store.getCalls() {
		if g.NextPageToken != nil {
			continue
		}
		if i > 0 {
			require.Equal(t, end, g.MinKey, "load %d", i)
		}
		end = g.MaxKey
	}
}

// TestTimerCommitDuringWindowLoad pins the races between a Commit and a
// load of the window holding the committed key. The second window,
// [t0+60s, t0+90s), is loaded when the clock reaches t0+30s; the task fires
// at t0+70s.
func TestTimerCommitDuringWindowLoad(t *testing.T) {
	fire := t0.Add(70 * time.Second)
	cases := []struct {
		name string
		run  func(h *harness, blocked <-chan []*persistencepb.HistoryTask, release chan<- struct{})
	}{{
		// The write lands after the load read past it; Commit arrives
		// during the load: Commit must keep the task or it is lost.
		name: "written after the read",
		run: func(h *harness, blocked <-chan []*persistencepb.HistoryTask, release chan<- struct{}) {
			r := h.reserve([]int64{1}, fire)
			h.clk.Advance(30 * time.Second)
			page := <-blocked
			require.Empty(h.t, page)
			r.Commit(h.write(r))
			release <- struct{}{}
		},
	}, {
		// The load read the task; Commit arrives during the load, and
		// the task even runs before the load installs its page.
		name: "read, committed and done during the load",
		run: func(h *harness, blocked <-chan []*persistencepb.HistoryTask, release chan<- struct{}) {
			r := h.reserve([]int64{1}, fire)
			tasks := h.write(r)
			h.clk.Advance(30 * time.Second)
			page := <-blocked
			require.Len(h.t, page, 1)
			r.Commit(tasks)
			h.clk.Advance(time.Minute)
			h.eventually(func() bool { return h.exec.doneCount(1) == 1 && h.q.Pending() == 0 })
			// Stored tasks between the window's start and the done
			// task may not be read yet: the level stays below the window.
			require.Equal(h.t, timerKey(-1, t0.Add(time.Minute)), h.q.AckLevel())
			release <- struct{}{}
		},
	}, {
		// The load installs the task while its reservation is open; it
		// runs; then Commit arrives.
		name: "loaded and done before Commit",
		run: func(h *harness, blocked <-chan []*persistencepb.HistoryTask, release chan<- struct{}) {
			r := h.reserve([]int64{1}, fire)
			tasks := h.write(r)
			h.clk.Advance(30 * time.Second)
			require.Len(h.t, <-blocked, 1)
			release <- struct{}{}
			h.eventually(func() bool { return h.q.Pending() == 1 })
			h.clk.Advance(time.Minute)
			h.eventually(func() bool { return h.exec.doneCount(1) == 1 && h.q.Pending() == 0 })
			r.Commit(tasks)
		},
	}, {
		// Committed beyond the window before the load began: dropped from
		// memory, then read by the load.
		name: "committed before the load",
		run: func(h *harness, blocked <-chan []*persistencepb.HistoryTask, release chan<- struct{}) {
			h.commitNew([]int64{1}, fire)
			require.Zero(h.t, h.q.Pending())
			h.clk.Advance(30 * time.Second)
			require.Len(h.t, <-blocked, 1)
			release <- struct{}{}
		},
	}, {
		// Abandoned with an unknown outcome after the load had found the
		// task: it was written, and it runs.
		name: "loaded then abandoned",
		run: func(h *harness, blocked <-chan []*persistencepb.HistoryTask, release chan<- struct{}) {
			r := h.reserve([]int64{1}, fire)
			h.write(r)
			h.clk.Advance(30 * time.Second)
			require.Len(h.t, <-blocked, 1)
			release <- struct{}{}
			h.eventually(func() bool { return h.q.Pending() == 1 })
			r.Abandon()
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, timerCat, Config{TimerLookahead: time.Minute, AckInterval: time.Hour})
			blocked := make(chan []*persistencepb.HistoryTask)
			release := make(chan struct{})
			abort := make(chan struct{})
			window := timerKey(0, t0.Add(time.Minute))
			h.store.afterRead = func(req persistence.GetHistoryTasksRequest, page []*persistencepb.HistoryTask) {
				if req.MinKey != window {
					return
				}
				select {
				case blocked <- page:
				case <-abort:
					return
				}
				select {
				case <-release:
				case <-abort:
				}
			}
			h.start(persistence.TaskKey{})
			t.Cleanup(func() { close(abort) }) // runs before the queue's Stop
			tc.run(h, blocked, release)
			// The load has installed its last page.
			h.eventually(func() bool { return h.windowEnd().Compare(timerKey(0, t0.Add(90*time.Second))) >= 0 })
			h.advanceUntil(time.Minute, func() bool { return h.exec.doneCount(1) >= 1 && h.q.Pending() == 0 })
			h.clk.Advance(10 * time.Minute)
			h.eventually(func() bool { return h.q.Pending() == 0 })
			h.q.Stop()
			require.Equal(t, 1, h.exec.callCount(1))
			require.False(t, h.exec.doneAt(1).Before(fire))
		})
	}
}

// TestTimerConcurrentCommitsRandomized races commits (some due in the past,
// some beyond the window, some abandoned) against window loads and clock
// moves. Every written task must run exactly once, and every persisted ack
// level must be below every task not yet done.
func TestTimerConcurrentCommitsRandomized(t *testing.T) {
	iterations := 60
	if testing.Short() {
		iterations = 10
	}
	for i := 0; i < iterations; i++ {
		seed := uint64(i + 1)
		ok := t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("failing seed: %d", seed)
				}
			}()
			runRandomTimerScenario(t, seed)
		})
		if !ok {
			break // one failing seed is enough to debug
		}
	}
}

func runRandomTimerScenario(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 42))
	h := newHarness(t, timerCat, Config{
		Workers:        1 + rng.IntN(4),
		BatchSize:      1 + rng.IntN(4),
		TimerLookahead: time.Duration(20+rng.IntN(60)) * time.Second,
		AckInterval:    time.Duration(1+rng.IntN(10)) * time.Second,
	})
	h.seed = seed

	var mu sync.Mutex
	written := map[int64]persistence.TaskKey{}
	// Persisted levels must never pass a task that has not run.
	h.checkAck = func(ack persistence.TaskKey) {
		mu.Lock()
		defer mu.Unlock()
		for id, k := range written {
			if k.Compare(ack) <= 0 && h.exec.doneCount(id) == 0 {
				t.Errorf("seed %d: ack level %s persisted above task %s not done", seed, keyString(ack), keyString(k))
			}
		}
	}
	// Loads yield at random to shuffle them against commits.
	getRng := rand.New(rand.NewPCG(seed, 7))
	var getMu sync.Mutex
	h.store.afterRead = func(persistence.GetHistoryTasksRequest, []*persistencepb.HistoryTask) {
		getMu.Lock()
		n := getRng.IntN(3)
		getMu.Unlock()
		for j := 0; j < n; j++ {
			runtime.Gosched()
		}
	}

	var nextID int64
	for j := 0; j < 10+rng.IntN(20); j++ {
		nextID++
		f := t0.Add(time.Duration(rng.IntN(300)) * time.Second)
		h.store.put(h.task(nextID, f))
		written[nextID] = timerKey(nextID, f)
	}
	h.start(persistence.TaskKey{})

	// The committer allocates IDs in order and reserves under one lock, as
	// the shard does; writes and commits then proceed concurrently.
	var alloc sync.Mutex
	commitRng := rand.New(rand.NewPCG(seed, 99))
	var rngMu sync.Mutex
	draw := func(n int) int {
		rngMu.Lock()
		defer rngMu.Unlock()
		return commitRng.IntN(n)
	}
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 40; j++ {
				n := 1 + draw(3)
				alloc.Lock()
				keys := make([]persistence.TaskKey, n)
				for k := range keys {
					nextID++
					// From 20s in the past to 3 minutes ahead.
					fire := h.clk.Now().Truncate(time.Millisecond).Add(time.Duration(draw(200_000)-20_000) * time.Millisecond)
					keys[k] = timerKey(nextID, fire)
				}
				r := h.q.Reserve(keys)
				alloc.Unlock()
				if draw(8) == 0 {
					r.Abandon() // the write failed
					continue
				}
				var tasks []*persistencepb.HistoryTask
				for _, k := range r.Keys() {
					tasks = append(tasks, h.task(k.TaskID, k.FireTime))
				}
				mu.Lock()
				for _, k := range r.Keys() {
					written[k.TaskID] = k
				}
				mu.Unlock()
				h.store.put(tasks...)
				if draw(2) == 0 {
					runtime.Gosched()
				}
				r.Commit(tasks)
			}
		}()
	}
	for j := 0; j < 60; j++ {
		h.clk.Advance(time.Duration(rng.IntN(8000)) * time.Millisecond)
		if rng.IntN(2) == 0 {
			runtime.Gosched()
		}
	}
	wg.Wait()

	mu.Lock()
	var last time.Time
	for _, k := range written {
		if k.FireTime.After(last) {
			last = k.FireTime
		}
	}
	mu.Unlock()
	h.advanceUntil(10*time.Second, func() bool {
		if h.clk.Now().Before(last) || h.q.Pending() != 0 {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		for id := range written {
			if h.exec.doneCount(id) == 0 {
				return false
			}
		}
		return true
	}, "seed %d: not every task ran", seed)
	h.q.Stop()

	mu.Lock()
	defer mu.Unlock()
	for id, k := range written {
		require.Equal(t, 1, h.exec.callCount(id), "seed %d: task %s", seed, keyString(k))
		require.False(t, h.exec.doneAt(id).Before(k.FireTime), "seed %d: task %s fired early", seed, keyString(k))
	}
	var doneIDs []int64
	for id := range written {
		doneIDs = append(doneIDs, id)
	}
	slices.Sort(doneIDs)
	require.Equal(t, doneIDs, h.exec.doneIDs(), "seed %d: a task ran that was never written", seed)
}

func TestTimerStopStartResumes(t *testing.T) {
	h := newHarness(t, timerCat, Config{TimerLookahead: 5 * time.Minute, AckInterval: time.Hour})
	m := time.Minute
	for id, f := range map[int64]time.Time{1: t0.Add(m), 2: t0.Add(2 * m), 3: t0.Add(3 * m), 4: t0.Add(9 * m)} {
		h.store.put(h.task(id, f))
	}
	q := h.start(persistence.TaskKey{})
	require.Equal(t, 3, q.Pending())
	h.clk.Advance(m)
	h.eventually(func() bool { return h.exec.doneCount(1) == 1 && q.Pending() == 2 })
	q.Stop()
	require.Equal(t, []persistence.TaskKey{timerKey(1, t0.Add(m))}, h.persistedLevels())
	require.Equal(t, []int64{2, 3, 4}, h.store.ids(timerCat))

	q2 := h.start(timerKey(1, t0.Add(m)))
	require.Equal(t, 2, q2.Pending(), "window [t0+1m, t0+6m): 2 and 3")
	// A new timer committed through the new queue.
	h.commitNew([]int64{5}, t0.Add(4*m))
	require.Equal(t, 3, q2.Pending())
	h.advanceUntil(30*time.Second, func() bool { return h.exec.doneCount(4) == 1 && q2.Pending() == 0 })
	for id := int64(1); id <= 5; id++ {
		require.Equal(t, 1, h.exec.callCount(id), "task %d", id)
	}
	require.Equal(t, timerKey(4, t0.Add(9*m)), q2.AckLevel())
}

func TestTimerWindowLoadRetriesStoreErrors(t *testing.T) {
	h := newHarness(t, timerCat, Config{TimerLookahead: time.Minute, AckInterval: time.Hour,
		RetryBackoff: 100 * time.Millisecond, MaxRetryBackoff: time.Second})
	fire := t0.Add(70 * time.Second)
	h.store.put(h.task(1, fire))
	h.start(persistence.TaskKey{})
	require.Zero(t, h.q.Pending())

	h.store.failGets(errors.New("unavailable"), errors.New("unavailable"))
	h.clk.Advance(30 * time.Second) // the next window's load is due, and fails twice
	h.advanceUntil(100*time.Millisecond, func() bool { return h.q.Pending() == 1 })
	require.EqualValues(t, 2, counter(h.scope, MetricLoadErrors))
	require.Zero(t, h.exec.callCount(1))
	h.advanceUntil(time.Second, func() bool { return h.exec.doneCount(1) == 1 })
	require.False(t, h.exec.doneAt(1).Before(fire))
}
