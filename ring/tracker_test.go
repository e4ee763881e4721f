package ring

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/common/clock"
)

const testDebounce = 100 * time.Millisecond

// trackerHarness drives a tracker with a fake clock inside a synctest
// bubble: synctest.Wait lets every goroutine settle, so "no event yet" is a
// fact rather than a race.
type trackerHarness struct {
	t     *testing.T
	clock *clock.Fake
	scope tally.TestScope
	tr    *tracker
}

func newTrackerHarness(t *testing.T) *trackerHarness {
	h := &trackerHarness{
		t:     t,
		clock: clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)),
		scope: tally.NewTestScope("", nil),
	}
	h.tr = newTracker(DefaultRingConfig(), h.clock, testDebounce, zaptest.NewLogger(t), h.scope)
	t.Cleanup(h.tr.close)
	return h
}

func node(name string, roles ...string) Node {
	n := Node{Name: name, GossipAddr: name + ":7946", RPCAddresses: map[string]string{}}
	for _, r := range roles {
		n.RPCAddresses[r] = name + ":7233"
	}
	return n
}

// advance moves the fake clock and lets the tracker and subscribers settle.
func (h *trackerHarness) advance(d time.Duration) {
	synctest.Wait()
	h.clock.Advance(d)
	synctest.Wait()
}

// next returns the subscription's pending event, failing if there is none.
func (h *trackerHarness) next(s *Subscription) ChangeEvent {
	h.t.Helper()
	synctest.Wait()
	select {
	case ev, ok := <-s.C():
		require.True(h.t, ok, "subscription closed")
		return ev
	default:
		require.FailNow(h.t, "no event pending")
		return ChangeEvent{}
	}
}

// none fails if the subscription has an event pending.
func (h *trackerHarness) none(s *Subscription) {
	h.t.Helper()
	synctest.Wait()
	select {
	case ev := <-s.C():
		require.FailNow(h.t, "unexpected event", "%+v", ev)
	default:
	}
}

func names(ms []Member) []string { return memberNames(ms) }

func TestTrackerDebounceCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newTrackerHarness(t)
		sub := h.tr.subscribe("history")

		h.tr.upsert(node("a", "history"))
		h.advance(testDebounce / 2)
		h.tr.upsert(node("b", "history", "frontend"))
		h.tr.upsert(node("c", "history"))
		h.none(sub)
		require.Zero(t, h.tr.ring("history").Len(), "rings change only when the debounce fires")

		h.advance(testDebounce / 2) // the first change's timer fires
		ev := h.next(sub)
		require.Equal(t, "history", ev.Role)
		require.Equal(t, uint64(1), ev.Seq)
		require.Equal(t, []string{"a", "b", "c"}, names(ev.Added))
		require.Empty(t, ev.Removed)
		require.Zero(t, ev.Previous.Len())
		require.Same(t, ev.Ring, h.tr.ring("history"))
		require.Equal(t, 1, h.tr.ring("frontend").Len())
		h.none(sub)

		// A burst of changes arriving after that is one more event.
		h.tr.remove("a")
		h.tr.upsert(node("d", "history"))
		h.advance(testDebounce)
		ev2 := h.next(sub)
		require.Equal(t, uint64(2), ev2.Seq)
		require.Same(t, ev.Ring, ev2.Previous)
		require.Equal(t, []string{"d"}, names(ev2.Added))
		require.Equal(t, []string{"a"}, names(ev2.Removed))
		h.none(sub)

		snap := h.scope.Snapshot()
		require.Equal(t, int64(2), snap.Counters()["ring_membership_changes+role=history"].Value())
		require.Equal(t, int64(1), snap.Counters()["ring_membership_changes+role=frontend"].Value())
		require.Equal(t, float64(3), snap.Gauges()["ring_members+role=history"].Value())
	})
}

func TestTrackerNoEventWithoutChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newTrackerHarness(t)
		h.tr.upsert(node("a", "history"))
		h.advance(testDebounce)
		sub := h.tr.subscribe("history")
		require.Equal(t, []string{"a"}, names(h.next(sub).Added), "a new subscriber gets the current ring first")

		before := h.tr.ring("history")
		h.tr.upsert(node("a", "history")) // gossip refresh, same metadata
		h.tr.upsert(node("x", "matching"))
		h.advance(testDebounce)
		h.none(sub)
		require.Same(t, before, h.tr.ring("history"), "an unchanged ring keeps its identity")

		// Joined and left within one window: nothing to report.
		h.tr.upsert(node("b", "history"))
		h.tr.remove("b")
		h.advance(testDebounce)
		h.none(sub)
	})
}

func TestTrackerAddressUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newTrackerHarness(t)
		sub := h.tr.subscribe("history")
		h.tr.upsert(node("a", "history"))
		h.advance(testDebounce)
		h.next(sub)

		moved := node("a", "history")
		moved.RPCAddresses["history"] = "a:9999"
		h.tr.upsert(moved)
		h.advance(testDebounce)
		ev := h.next(sub)
		require.Empty(t, ev.Added)
		require.Empty(t, ev.Removed)
		require.Equal(t, []Member{{Name: "a", Addr: "a:9999"}}, ev.Updated)
	})
}

// A subscriber that does not read never blocks the tracker; when it reads,
// it gets one event from the last ring it saw to the newest.
func TestTrackerSlowSubscriberCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newTrackerHarness(t)
		slow := h.tr.subscribe("history")
		fast := h.tr.subscribe("history")

		var fastEvents []ChangeEvent
		for _, name := range []string{"a", "b", "c", "d"} {
			h.tr.upsert(node(name, "history"))
			h.advance(testDebounce)
			fastEvents = append(fastEvents, h.next(fast))
		}
		h.tr.remove("b")
		h.advance(testDebounce)
		fastEvents = append(fastEvents, h.next(fast))
		for i, ev := range fastEvents {
			require.Equal(t, uint64(i+1), ev.Seq)
			if i > 0 {
				require.Same(t, fastEvents[i-1].Ring, ev.Previous, "events chain")
			}
		}

		// slow's first event (ring [a]) was ready when it stopped reading;
		// the next one jumps to the newest ring.
		ev := h.next(slow)
		require.Equal(t, uint64(1), ev.Seq)
		require.Equal(t, []string{"a"}, names(ev.Ring.Members()))
		ev = h.next(slow)
		require.Equal(t, uint64(2), ev.Seq)
		require.Equal(t, []string{"a", "c", "d"}, names(ev.Ring.Members()))
		require.Equal(t, []string{"c", "d"}, names(ev.Added))
		require.Empty(t, ev.Removed, "b came and went while slow was not looking")
		h.none(slow)
	})
}

func TestTrackerRoleEmpties(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newTrackerHarness(t)
		sub := h.tr.subscribe("matching")
		h.tr.upsert(node("a", "matching"))
		h.advance(testDebounce)
		h.next(sub)
		h.tr.remove("a")
		h.advance(testDebounce)
		ev := h.next(sub)
		require.Equal(t, []string{"a"}, names(ev.Removed))
		require.Zero(t, ev.Ring.Len())
		require.Zero(t, h.tr.ring("matching").Len())
		require.Equal(t, float64(0), h.scope.Snapshot().Gauges()["ring_members+role=matching"].Value())
		_, ok := h.tr.ring("no-such-role").Lookup("1")
		require.False(t, ok)
	})
}

func TestTrackerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newTrackerHarness(t)
		h.tr.upsert(node("a", "history"))
		h.advance(testDebounce)
		sub := h.tr.subscribe("history")
		other := h.tr.subscribe("history")
		other.Close()
		other.Close() // idempotent
		_, ok := <-other.C()
		require.False(t, ok)

		h.tr.close()
		h.tr.close()        // idempotent
		for range sub.C() { // pending events may be dropped; the channel closes
		}
		sub.Close() // after the tracker closed: a no-op

		late := h.tr.subscribe("history")
		_, ok = <-late.C()
		require.False(t, ok, "subscribing after close gives a closed channel")

		// Delegates may still report after close; nothing blocks or panics.
		h.tr.upsert(node("b", "history"))
		h.advance(testDebounce)
		require.Equal(t, []string{"a"}, names(h.tr.ring("history").Members()), "rings keep their last value")
	})
}
