package persistence

import (
	"math"
	"time"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// IsScheduledCategory reports whether tasks of c are ordered by fire time
// before task ID (see TaskKey). Tasks of other categories have no fire time
// in their key.
func IsScheduledCategory(c persistencepb.TaskCategory) bool {
	return c == persistencepb.TaskCategory_TASK_CATEGORY_TIMER
}

var (
	minUnixNanoTime = time.Unix(0, math.MinInt64)
	maxUnixNanoTime = time.Unix(0, math.MaxInt64)
)

// FireTimeNanos maps a fire time to Unix nanoseconds for a storage key,
// clamping times outside int64 range (the zero time included) to its ends
// so that order is kept.
func FireTimeNanos(t time.Time) int64 {
	switch {
	case t.Before(minUnixNanoTime):
		return math.MinInt64
	case t.After(maxUnixNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}
