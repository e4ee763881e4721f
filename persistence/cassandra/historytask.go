package cassandra

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// History tasks of one category are the task rows of a shard with that
// task_category (and empty namespace, workflow and run IDs): a clustering
// slice, read and deleted with multi-column bounds on (task_fire_time,
// task_id).
const (
	taskSliceWhere = `shard_id = ? AND row_type = ? AND namespace_id = '' AND workflow_id = '' AND run_id = '' AND task_category = ?` +
		` AND (task_fire_time, task_id) >= (?, ?) AND (task_fire_time, task_id) < (?, ?)`
	stmtTasksGet         = `SELECT task_fire_time, task_id, data FROM executions WHERE ` + taskSliceWhere + ` LIMIT ?`
	stmtTasksRangeDelete = `DELETE FROM executions WHERE ` + taskSliceWhere
)

// taskPos is a position in a category's (fire time, task ID) order.
type taskPos struct{ fire, id int64 }

func (p taskPos) less(o taskPos) bool {
	return p.fire < o.fire || (p.fire == o.fire && p.id < o.id)
}

// next is the smallest position after p; ok is false when p is the last.
func (p taskPos) next() (taskPos, bool) {
	switch {
	case p.id < math.MaxInt64:
		return taskPos{p.fire, p.id + 1}, true
	case p.fire < math.MaxInt64:
		return taskPos{p.fire + 1, math.MinInt64}, true
	}
	return p, false
}

func posOf(c persistencepb.TaskCategory, k persistence.TaskKey) taskPos {
	return taskPos{fireKey(c, k.FireTime), k.TaskID}
}

// token is the page token naming the last task returned.
func (p taskPos) token() []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(p.fire))
	return binary.BigEndian.AppendUint64(b, uint64(p.id))
}

func parseTaskToken(tok []byte) (taskPos, error) {
	if len(tok) != 16 {
		return taskPos{}, errors.New("cassandra: invalid history task page token")
	}
	return taskPos{int64(binary.BigEndian.Uint64(tok)), int64(binary.BigEndian.Uint64(tok[8:]))}, nil
}

// GetHistoryTasks pages through [MinKey, MaxKey); the token is the key of
// the last task returned. It reads BatchSize+1 rows to know whether a next
// page exists.
func (s *executionStore) GetHistoryTasks(ctx context.Context, req *persistence.GetHistoryTasksRequest) ([]*persistencepb.HistoryTask, []byte, error) {
	const op = "GetHistoryTasks"
	if err := ctxErr(ctx); err != nil {
		return nil, nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, nil, err
	}
	lower, upper := posOf(req.Category, req.MinKey), posOf(req.Category, req.MaxKey)
	if len(req.NextPageToken) > 0 {
		last, err := parseTaskToken(req.NextPageToken)
		if err != nil {
			return nil, nil, err
		}
		after, ok := last.next()
		if !ok {
			return nil, nil, nil
		}
		if lower.less(after) {
			lower = after
		}
	}
	if !lower.less(upper) {
		return nil, nil, nil
	}
	limit := min(int64(req.BatchSize)+1, math.MaxInt32)
	q := s.d.session.Query(stmtTasksGet, req.ShardID, rowTask, int32(req.Category), lower.fire, lower.id, upper.fire, upper.id, int32(limit))
	var (
		tasks   []*persistencepb.HistoryTask
		lastPos taskPos
		more    bool
		decErr  error
	)
	err := s.d.iterate(ctx, op, q, func(scan func(...any) bool) bool {
		var (
			pos  taskPos
			data []byte
		)
		if !scan(&pos.fire, &pos.id, &data) {
			return false
		}
		if len(tasks) == req.BatchSize {
			more = true
			return false
		}
		t := &persistencepb.HistoryTask{}
		if decErr = unmarshal(data, t); decErr != nil {
			decErr = fmt.Errorf("cassandra: shard %d %v task %d: %w", req.ShardID, req.Category, pos.id, decErr)
			return false
		}
		tasks = append(tasks, t)
		lastPos = pos
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	if decErr != nil {
		return nil, nil, decErr
	}
	if more {
		return tasks, lastPos.token(), nil
	}
	return tasks, nil, nil
}

// RangeCompleteHistoryTasks deletes [min, max) with one range tombstone (a
// plain write: CQL has no conditional range delete). Its timestamp comes
// from the coordinator, the clock of the LWTs that wrote the tasks.
func (s *executionStore) RangeCompleteHistoryTasks(ctx context.Context, shardID int32, category persistencepb.TaskCategory, min, max persistence.TaskKey) error {
	const op = "RangeCompleteHistoryTasks"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if category == persistencepb.TaskCategory_TASK_CATEGORY_UNSPECIFIED {
		return errors.New("cassandra: RangeCompleteHistoryTasks needs a category")
	}
	lower, upper := posOf(category, min), posOf(category, max)
	if !lower.less(upper) {
		return nil
	}
	return s.d.exec(ctx, op, stmtTasksRangeDelete, shardID, rowTask, int32(category), lower.fire, lower.id, upper.fire, upper.id)
}
