package queues

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// call is one Execute waiting for the test's verdict.
type call struct {
	id    int64
	reply chan error
}

// gateExec hands every Execute to the test and returns what it is told.
type gateExec struct{ calls chan call }

func (g *gateExec) Execute(ctx context.Context, t *persistencepb.HistoryTask) error {
	c := call{id: t.GetTaskId(), reply: make(chan error, 1)}
	select {
	case g.calls <- c:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-c.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestQueueAckMatchesModel drives a whole transfer queue with random
// interleavings of Reserve, Commit (of a random subset of the reserved
// keys), Abandon, task success and task failure, and checks after every
// step that AckLevel equals the naive reference: the smallest of the
// predecessors of all open reserved keys and unfinished tasks, capped by
// the largest finished key.
func TestQueueAckMatchesModel(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		ok := t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("failing seed: %d", seed)
				}
			}()
			runQueueModel(t, seed)
		})
		if !ok {
			break
		}
	}
}

func runQueueModel(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 11))
	h := newHarness(t, transfer, Config{Workers: 1 + rng.IntN(4), RetryBackoff: time.Millisecond, MaxRetryBackoff: 4 * time.Millisecond})
	h.seed = seed
	gate := &gateExec{calls: make(chan call, 64)}
	start := tk(int64(rng.IntN(3)))
	h.store.put(h.task(start.TaskID+1, time.Time{})) // one left from before

	q, err := New(h.cfg, Deps{ShardID: 7, Category: transfer, Store: h.store, Executor: gate,
		PersistAck: h.persistAck, Clock: h.clk, Rand: rand.New(rand.NewPCG(seed, 0))})
	require.NoError(t, err)
	t.Cleanup(q.Stop)
	require.NoError(t, q.Start(start))

	type openRes struct {
		r    *Reservation
		keys []int64
	}
	var open []openRes
	pending := map[int64]bool{start.TaskID + 1: true} // committed, not done
	maxDone := start
	nextID := start.TaskID + 1
	var waiting []call
	reference := func() persistence.TaskKey {
		ack := maxDone
		for _, o := range open {
			for _, id := range o.keys {
				ack = minKey(ack, tk(id-1))
			}
		}
		for id := range pending {
			ack = minKey(ack, tk(id-1))
		}
		return ack
	}
	drain := func() {
		for {
			select {
			case c := <-gate.calls:
				waiting = append(waiting, c)
			default:
				return
			}
		}
	}

	for step := 0; step < 300; step++ {
		drain()
		async := false
		require.Equal(t, len(pending), q.Pending(), "seed %d step %d", seed, step)
		switch op := rng.IntN(10); {
		case op < 3:
			n := 1 + rng.IntN(3)
			var keys []persistence.TaskKey
			var idl []int64
			for j := 0; j < n; j++ {
				nextID++
				keys = append(keys, tk(nextID))
				idl = append(idl, nextID)
			}
			open = append(open, openRes{r: q.Reserve(keys), keys: idl})
		case op < 5 && len(open) > 0:
			i := rng.IntN(len(open))
			o := open[i]
			open = append(open[:i], open[i+1:]...)
			var tasks []*persistencepb.HistoryTask
			for _, id := range o.keys {
				if rng.IntN(4) > 0 {
					tasks = append(tasks, h.task(id, time.Time{}))
					pending[id] = true
				}
			}
			h.store.put(tasks...)
			o.r.Commit(tasks)
		case op < 6 && len(open) > 0:
			i := rng.IntN(len(open))
			open[i].r.Abandon()
			open = append(open[:i], open[i+1:]...)
		case op < 9 && len(waiting) > 0:
			i := rng.IntN(len(waiting))
			c := waiting[i]
			waiting = append(waiting[:i], waiting[i+1:]...)
			if rng.IntN(4) == 0 {
				c.reply <- errors.New("transient")
			} else {
				c.reply <- nil
				delete(pending, c.id)
				maxDone = maxKey(maxDone, tk(c.id))
				async = true
			}
		default:
			h.clk.Advance(h.cfg.MaxRetryBackoff) // retries come due
		}
		want := reference()
		if async {
			// The worker records the result after Execute returns; it has
			// once the queue's pending count matches the model's (the ack
			// level alone may already match before it has).
			require.Eventually(t, func() bool { return q.Pending() == len(pending) }, waitFor, tick,
				"seed %d step %d: pending %d, model %d", seed, step, q.Pending(), len(pending))
			require.Equal(t, want, q.AckLevel(), "seed %d step %d", seed, step)
		} else {
			require.Equal(t, want, q.AckLevel(), "seed %d step %d", seed, step)
		}
	}

	// Finish everything: every pending task eventually succeeds.
	for _, o := range open {
		o.r.Abandon()
	}
	open = nil
	require.Eventually(t, func() bool {
		drain()
		for _, c := range waiting {
			c.reply <- nil
			delete(pending, c.id)
			maxDone = maxKey(maxDone, tk(c.id))
		}
		waiting = nil
		h.clk.Advance(h.cfg.MaxRetryBackoff)
		return len(pending) == 0 && q.Pending() == 0
	}, waitFor, tick, "seed %d: pending %v", seed, pending)
	require.Equal(t, reference(), q.AckLevel(), "seed %d", seed)
}
