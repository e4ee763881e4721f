package queues

import (
	"fmt"
	"math"
	"time"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// timePrecision is the resolution the queue uses for the timer keys it makes
// up itself (window boundaries). Stores keep timestamps to the millisecond,
// and a key the queue hands back to the shard (see Reservation.Keys) must
// survive a round trip through the store unchanged.
const timePrecision = time.Millisecond

// maxImmediateKey bounds the whole key space of an immediate queue.
var maxImmediateKey = persistence.TaskKey{TaskID: math.MaxInt64}

// isScheduled reports whether tasks of category c wait for their fire time.
func isScheduled(c persistencepb.TaskCategory) bool {
	return c == persistencepb.TaskCategory_TASK_CATEGORY_TIMER
}

// KeyOf returns the queue key of a task of the given category:
// (visibility_time, task_id) for timer tasks, (zero, task_id) for the
// immediate categories. It is the key the store orders and ranges tasks by.
func KeyOf(category persistencepb.TaskCategory, task *persistencepb.HistoryTask) persistence.TaskKey {
	if isScheduled(category) {
		return persistence.TaskKey{FireTime: task.GetVisibilityTime().AsTime(), TaskID: task.GetTaskId()}
	}
	return persistence.TaskKey{TaskID: task.GetTaskId()}
}

// successor is the smallest key greater than k. Keys are ordered by
// (FireTime, TaskID), so the successor keeps the fire time and adds one to
// the ID. It turns the inclusive ack level into the exclusive or inclusive
// bound of a store range: keys > k are keys >= successor(k).
func successor(k persistence.TaskKey) persistence.TaskKey {
	return persistence.TaskKey{FireTime: k.FireTime, TaskID: k.TaskID + 1}
}

// predecessor is the largest key smaller than k.
func predecessor(k persistence.TaskKey) persistence.TaskKey {
	return persistence.TaskKey{FireTime: k.FireTime, TaskID: k.TaskID - 1}
}

func keyLess(a, b persistence.TaskKey) bool { return a.Compare(b) < 0 }

func minKey(a, b persistence.TaskKey) persistence.TaskKey {
	if keyLess(b, a) {
		return b
	}
	return a
}

func maxKey(a, b persistence.TaskKey) persistence.TaskKey {
	if keyLess(a, b) {
		return b
	}
	return a
}

// keyString formats a key for logs and panics.
func keyString(k persistence.TaskKey) string {
	if k.FireTime.IsZero() {
		return fmt.Sprintf("#%d", k.TaskID)
	}
	return fmt.Sprintf("%s#%d", k.FireTime.UTC().Format(time.RFC3339Nano), k.TaskID)
}

// categoryName is the short name used in metric tags and logs.
func categoryName(c persistencepb.TaskCategory) string {
	switch c {
	case persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER:
		return "transfer"
	case persistencepb.TaskCategory_TASK_CATEGORY_TIMER:
		return "timer"
	case persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY:
		return "visibility"
	case persistencepb.TaskCategory_TASK_CATEGORY_REPLICATION:
		return "replication"
	}
	return "unspecified"
}
