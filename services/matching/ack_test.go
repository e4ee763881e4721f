package matching

import (
	"math/rand"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/require"
)

func TestAckTracker(t *testing.T) {
	type step struct {
		read     []int64 // addRead
		readTo   int64   // setReadLevel, when non-zero
		done     []int64 // markDone
		wantAck  int64
		wantOpen int
	}
	tests := []struct {
		name  string
		floor int64
		steps []step
	}{
		{"empty store: ack follows the read level", 10, []step{
			{wantAck: 10},
			{readTo: 50, wantAck: 50},
		}},
		{"in-order completion", 0, []step{
			{read: []int64{3, 5, 9}, wantAck: 2, wantOpen: 3},
			{done: []int64{3}, wantAck: 4, wantOpen: 2},
			{done: []int64{5}, wantAck: 8, wantOpen: 1},
			{done: []int64{9}, wantAck: 9},
			{readTo: 20, wantAck: 20},
		}},
		{"out-of-order completion waits for the oldest", 0, []step{
			{read: []int64{3, 5, 9}, readTo: 12, wantAck: 2, wantOpen: 3},
			{done: []int64{9, 5}, wantAck: 2, wantOpen: 1},
			{done: []int64{3}, wantAck: 12},
		}},
		{"repeated and unknown IDs are ignored", 0, []step{
			{read: []int64{3, 5}, wantAck: 2, wantOpen: 2},
			{done: []int64{4, 5, 5}, wantAck: 2, wantOpen: 1},
			{read: []int64{5, 1}, wantAck: 2, wantOpen: 1},
			{done: []int64{3}, wantAck: 5},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAckTracker(tt.floor)
			for i, s := range tt.steps {
				for _, id := range s.read {
					a.addRead(id)
				}
				if s.readTo != 0 {
					a.setReadLevel(s.readTo)
				}
				for _, id := range s.done {
					a.markDone(id)
				}
				require.Equal(t, s.wantAck, a.ackLevel(), "step %d ack level", i)
				require.Equal(t, s.wantOpen, a.outstanding(), "step %d outstanding", i)
			}
		})
	}
}

// TestAckTrackerMatchesNaive checks the tracker against a direct definition:
// the ack level is the read level when every read task is done, else just
// below the smallest read task not done; and it never decreases.
func TestAckTrackerMatchesNaive(t *testing.T) {
	check := func(seed int64) bool {
		rng := rand.New(rand.NewSource(seed))
		a := newAckTracker(0)
		read := map[int64]bool{} // id -> done
		readLevel, next, prevAck := int64(0), int64(1), int64(0)
		for op := 0; op < 200; op++ {
			switch rng.Intn(3) {
			case 0:
				next += int64(rng.Intn(3))
				a.addRead(next)
				read[next] = false
				readLevel = next
				next++
			case 1:
				if len(read) > 0 {
					id := int64(rng.Intn(int(next)))
					if _, ok := read[id]; ok {
						read[id] = true
					}
					a.markDone(id)
				}
			case 2:
				readLevel = next + int64(rng.Intn(3))
				next = readLevel + 1
				a.setReadLevel(readLevel)
			}
			want := readLevel
			for id, done := range read {
				if !done && id-1 < want {
					want = id - 1
				}
			}
			got := a.ackLevel()
			if got != want || got < prevAck {
				t.Logf("seed %d op %d: ack %d, want %d (previous %d)", seed, op, got, want, prevAck)
				return false
			}
			prevAck = got
		}
		return true
	}
	require.NoError(t, quick.Check(check, &quick.Config{MaxCount: 200}))
}
