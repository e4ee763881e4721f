package cassandra

import (
	"time"

	"github.com/meridian-dev/meridian/persistence"
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

// fireKey is the task_fire_time column of a task key of category c: 0 for
// categories that are not scheduled.
func fireKey(c persistencepb.TaskCategory, t time.Time) int64 {
	if !persistence.IsScheduledCategory(c) {
		return 0
	}
	return persistence.FireTimeNanos(t)
}
