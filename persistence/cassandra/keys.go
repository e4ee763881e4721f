package cassandra

import (
	"math"
	"time"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Row types of the executions table (schema/cassandra/0001_initial.cql).
// Values are stored: never reuse one.
const (
	rowShard   = 1
	rowCurrent = 2
	rowRun     = 3
	rowTask    = 4
)

// The primary key of the executions table. Every statement on one row
// binds all eight columns, in this order, via one of the key functions
// below; columns a row type does not use hold "" or 0.
const (
	execKeyColumns = `shard_id, row_type, namespace_id, workflow_id, run_id, task_category, task_fire_time, task_id`
	execKeyMarkers = `?, ?, ?, ?, ?, ?, ?, ?`
	execKeyWhere   = `shard_id = ? AND row_type = ? AND namespace_id = ? AND workflow_id = ? AND run_id = ? AND task_category = ? AND task_fire_time = ? AND task_id = ?`
)

func shardKey(shardID int32) []any {
	return []any{shardID, rowShard, "", "", "", 0, int64(0), int64(0)}
}

func currentKey(shardID int32, namespaceID, workflowID string) []any {
	return []any{shardID, rowCurrent, namespaceID, workflowID, "", 0, int64(0), int64(0)}
}

func runKey(shardID int32, namespaceID, workflowID, runID string) []any {
	return []any{shardID, rowRun, namespaceID, workflowID, runID, 0, int64(0), int64(0)}
}

func taskKey(shardID int32, c persistencepb.TaskCategory, fire, taskID int64) []any {
	return []any{shardID, rowTask, "", "", "", int32(c), fire, taskID}
}

// args joins bind values: values first, then a key, then conditions.
func args(parts ...[]any) []any {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]any, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// isScheduledCategory reports whether tasks of c are ordered by fire time
// before task ID. Other categories store fire time 0.
func isScheduledCategory(c persistencepb.TaskCategory) bool {
	return c == persistencepb.TaskCategory_TASK_CATEGORY_TIMER
}

var (
	minUnixNanoTime = time.Unix(0, math.MinInt64)
	maxUnixNanoTime = time.Unix(0, math.MaxInt64)
)

// timeKey maps t to Unix nanoseconds, clamping times outside int64 range
// (the zero time included) to its ends so that order is kept.
func timeKey(t time.Time) int64 {
	switch {
	case t.Before(minUnixNanoTime):
		return math.MinInt64
	case t.After(maxUnixNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fireKey is the task_fire_time column of a task key of category c.
func fireKey(c persistencepb.TaskCategory, t time.Time) int64 {
	if !isScheduledCategory(c) {
		return 0
	}
	return timeKey(t)
}
