package persistence

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func TestFireTimeNanos(t *testing.T) {
	for _, c := range []struct {
		name string
		t    time.Time
		want int64
	}{
		{"Zero", time.Time{}, math.MinInt64},
		{"Epoch", time.Unix(0, 0), 0},
		{"Nanos", time.Unix(1, 5), 1e9 + 5},
		{"FarFuture", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
	} {
		require.Equal(t, c.want, FireTimeNanos(c.t), c.name)
	}
}

func TestIsScheduledCategory(t *testing.T) {
	for c, want := range map[persistencepb.TaskCategory]bool{
		persistencepb.TaskCategory_TASK_CATEGORY_TIMER:       true,
		persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER:    false,
		persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY:  false,
		persistencepb.TaskCategory_TASK_CATEGORY_REPLICATION: false,
	} {
		require.Equal(t, want, IsScheduledCategory(c), c)
	}
}
