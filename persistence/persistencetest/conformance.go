package persistencetest

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
)

// RunConformance runs the whole suite against the stores newStores returns.
func RunConformance(t *testing.T, newStores func(t *testing.T) *persistence.Stores) {
	t.Run("Shard", func(t *testing.T) { testShard(t, newStores(t)) })
	t.Run("Execution", func(t *testing.T) { testExecution(t, newStores(t)) })
	t.Run("ShardBatch", func(t *testing.T) { testShardBatch(t, newStores(t)) })
	t.Run("HistoryTasks", func(t *testing.T) { testHistoryTasks(t, newStores(t)) })
	t.Run("History", func(t *testing.T) { testHistory(t, newStores(t)) })
	t.Run("Task", func(t *testing.T) { testTask(t, newStores(t)) })
	t.Run("Namespace", func(t *testing.T) { testNamespace(t, newStores(t)) })
	t.Run("ClusterMetadata", func(t *testing.T) { testClusterMetadata(t, newStores(t)) })
	t.Run("Queue", func(t *testing.T) { testQueue(t, newStores(t)) })
	t.Run("Visibility", func(t *testing.T) { testVisibility(t, newStores(t)) })
	t.Run("Races", func(t *testing.T) { testRaces(t, newStores(t)) })
}

const (
	// raceWriters is how many goroutines each race runs.
	raceWriters = 16
	// raceRounds is how many times each race runs, on fresh keys: one round
	// rarely interleaves on a fast store.
	raceRounds = 20
)

// baseTime anchors every timestamp the suite writes (whole seconds, so that
// millisecond-precision backends keep them exactly).
var baseTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// newID returns prefix plus 12 random hex digits.
func newID(prefix string) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("persistencetest: crypto/rand failed: " + err.Error())
	}
	return prefix + "-" + hex.EncodeToString(b[:])
}

// newShardID returns a random shard ID in [1<<20, 1<<30), so that runs
// sharing a store do not meet.
func newShardID() int32 {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("persistencetest: crypto/rand failed: " + err.Error())
	}
	return int32(1<<20 + binary.BigEndian.Uint32(b[:])%(1<<30-1<<20))
}

// requireProtoEqual fails unless want and got are equal messages.
func requireProtoEqual(t testing.TB, want, got proto.Message, msgAndArgs ...any) {
	t.Helper()
	if proto.Equal(want, got) {
		return
	}
	require.Fail(t, "proto messages differ\nwant: "+prototext.Format(want)+"\ngot:  "+prototext.Format(got), msgAndArgs...)
}

// requireShardOwnershipLost checks err is a *ShardOwnershipLostError for
// the shard and the range the writer held.
func requireShardOwnershipLost(t testing.TB, err error, shardID int32, heldRangeID, storedRangeID int64) {
	t.Helper()
	var lost *persistence.ShardOwnershipLostError
	require.ErrorAs(t, err, &lost)
	require.True(t, persistence.IsShardOwnershipLost(err))
	require.Equal(t, shardID, lost.ShardID)
	require.Equal(t, heldRangeID, lost.RangeID)
	if lost.StoredRangeID != 0 { // "when known"
		require.Equal(t, storedRangeID, lost.StoredRangeID)
	}
}

// race runs f(i) for i in [0, n) at once (released together) and returns
// each call's error.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// requireOneWinner checks exactly one error is nil and every other one
// satisfies isLoss; it returns the winner's index.
func requireOneWinner(t testing.TB, errs []error, isLoss func(error) bool) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "writers %d and %d both won", winner, i)
			winner = i
			continue
		}
		require.True(t, isLoss(err), "writer %d: unexpected error %v", i, err)
	}
	require.NotEqual(t, -1, winner, "no writer won")
	return winner
}

func isConditionFailed(err error) bool { return errors.Is(err, persistence.ErrConditionFailed) }
