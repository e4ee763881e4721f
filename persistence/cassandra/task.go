package cassandra

import (
	"context"
	"errors"
	"fmt"
	"math"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// A backlog is one partition of the tasks table: the lease in the static
// columns (range_id, task_queue), the tasks in rows keyed by task_id.
const (
	tqWhere         = `namespace_id = ? AND task_queue_name = ? AND task_queue_type = ?`
	stmtLeaseGet    = `SELECT range_id, task_queue FROM tasks WHERE ` + tqWhere + ` LIMIT 1`
	stmtLeaseCreate = `INSERT INTO tasks (namespace_id, task_queue_name, task_queue_type, range_id, task_queue) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`
	stmtLeaseBump   = `UPDATE tasks SET range_id = ?, task_queue = ? WHERE ` + tqWhere + ` IF range_id = ?`
	stmtLeaseUpdate = `UPDATE tasks SET task_queue = ? WHERE ` + tqWhere + ` IF range_id = ?`
	// stmtLeaseFence opens CreateTasks' batch: it fails the batch unless the
	// lease is still rangeID.
	stmtLeaseFence     = `UPDATE tasks SET range_id = ? WHERE ` + tqWhere + ` IF range_id = ?`
	stmtTaskCreate     = `INSERT INTO tasks (namespace_id, task_queue_name, task_queue_type, task_id, data) VALUES (?, ?, ?, ?, ?)`
	stmtTasksRead      = `SELECT task_id, data FROM tasks WHERE ` + tqWhere + ` AND task_id > ? AND task_id <= ? LIMIT ?`
	stmtTasksComplete  = `DELETE FROM tasks WHERE ` + tqWhere + ` AND task_id < ?`
	stmtTaskQueuesList = `SELECT DISTINCT namespace_id, task_queue_name, task_queue_type, range_id, task_queue FROM tasks`
)

// maxLeaseAttempts bounds LeaseTaskQueue's read-and-bump loop when
// prevRangeID < 0 and other hosts keep taking the lease first.
const maxLeaseAttempts = 64

type taskStore struct{ d *db }

var _ persistence.TaskStore = (*taskStore)(nil)

func tqKey(k persistence.TaskQueueKey) []any {
	return []any{k.NamespaceID, k.Name, k.TaskType}
}

// getLease returns the stored lease, or nil when the backlog has none.
func (s *taskStore) getLease(ctx context.Context, op string, k persistence.TaskQueueKey) (*persistencepb.TaskQueueInfo, error) {
	var (
		rangeID int64
		data    []byte
	)
	err := s.d.scanOne(ctx, op, stmtLeaseGet, tqKey(k), &rangeID, &data)
	if errors.Is(err, persistence.ErrNotFound) || (err == nil && rangeID == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	info := &persistencepb.TaskQueueInfo{}
	if err := unmarshal(data, info); err != nil {
		return nil, fmt.Errorf("cassandra: task queue %s/%s: %w", k.NamespaceID, k.Name, err)
	}
	info.RangeId = rangeID
	return info, nil
}

// LeaseTaskQueue reads the lease and takes it with one LWT: INSERT IF NOT
// EXISTS for a new backlog, else UPDATE IF range_id = the range read. With
// prevRangeID < 0 a lost race is retried with the winner's range.
func (s *taskStore) LeaseTaskQueue(ctx context.Context, key persistence.TaskQueueKey, kind int32, prevRangeID int64) (*persistencepb.TaskQueueInfo, error) {
	const op = "LeaseTaskQueue"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if err := key.Validate(); err != nil {
		return nil, err
	}
	for range maxLeaseAttempts {
		stored, err := s.getLease(ctx, op, key)
		if err != nil {
			return nil, err
		}
		if stored == nil {
			info := &persistencepb.TaskQueueInfo{
				NamespaceId: key.NamespaceID,
				Name:        key.Name,
				TaskType:    enumspb.TaskQueueType(key.TaskType),
				Kind:        enumspb.TaskQueueKind(kind),
				RangeId:     1,
			}
			v, err := marshal(info)
			if err != nil {
				return nil, err
			}
			applied, _, err := s.d.cas(ctx, op, stmtLeaseCreate, args(tqKey(key), []any{info.RangeId, v})...)
			if err != nil {
				return nil, err
			}
			if applied {
				return info, nil
			}
			continue // created concurrently: decide again on what is stored
		}
		if prevRangeID >= 0 && stored.RangeId != prevRangeID {
			return nil, fmt.Errorf("%w: task queue %s/%s range_id is %d, not %d", persistence.ErrConditionFailed, key.NamespaceID, key.Name, stored.RangeId, prevRangeID)
		}
		info := stored
		prev := info.RangeId
		info.RangeId++
		info.Kind = enumspb.TaskQueueKind(kind)
		v, err := marshal(info)
		if err != nil {
			return nil, err
		}
		applied, row, err := s.d.cas(ctx, op, stmtLeaseBump, args([]any{info.RangeId, v}, tqKey(key), []any{prev})...)
		if err != nil {
			return nil, err
		}
		if applied {
			return info, nil
		}
		if prevRangeID >= 0 {
			return nil, fmt.Errorf("%w: task queue %s/%s range_id is %d, not %d", persistence.ErrConditionFailed, key.NamespaceID, key.Name, row.int64("range_id"), prevRangeID)
		}
	}
	return nil, fmt.Errorf("%w: task queue %s/%s: lease lost to other writers %d times in a row", persistence.ErrConditionFailed, key.NamespaceID, key.Name, maxLeaseAttempts)
}

// UpdateTaskQueue is one LWT: UPDATE task_queue IF range_id.
func (s *taskStore) UpdateTaskQueue(ctx context.Context, info *persistencepb.TaskQueueInfo) error {
	const op = "UpdateTaskQueue"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if info == nil {
		return errors.New("cassandra: UpdateTaskQueue: nil info")
	}
	key := persistence.TaskQueueKey{NamespaceID: info.NamespaceId, Name: info.Name, TaskType: int32(info.TaskType)}
	if err := key.Validate(); err != nil {
		return err
	}
	v, err := marshal(info)
	if err != nil {
		return err
	}
	applied, row, err := s.d.cas(ctx, op, stmtLeaseUpdate, args([]any{v}, tqKey(key), []any{info.RangeId})...)
	if err != nil {
		return err
	}
	if applied {
		return nil
	}
	if row == nil || row.int64("range_id") == 0 {
		return fmt.Errorf("%w: task queue %s/%s has no lease", persistence.ErrConditionFailed, key.NamespaceID, key.Name)
	}
	return fmt.Errorf("%w: task queue %s/%s range_id is %d, not %d", persistence.ErrConditionFailed, key.NamespaceID, key.Name, row.int64("range_id"), info.RangeId)
}

// CreateTasks is one conditional batch in the backlog's partition: the
// range_id fence and the task rows.
func (s *taskStore) CreateTasks(ctx context.Context, key persistence.TaskQueueKey, rangeID int64, tasks []*persistencepb.TaskQueueTask) error {
	const op = "CreateTasks"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if err := key.Validate(); err != nil {
		return err
	}
	b := s.d.newBatch()
	b.Query(stmtLeaseFence, args([]any{rangeID}, tqKey(key), []any{rangeID})...)
	for _, t := range tasks {
		if t == nil {
			return errors.New("cassandra: CreateTasks: nil task")
		}
		v, err := marshal(t)
		if err != nil {
			return err
		}
		b.Query(stmtTaskCreate, args(tqKey(key), []any{t.TaskId, v})...)
	}
	applied, rows, err := s.d.casBatch(ctx, op, b)
	if err != nil {
		return err
	}
	if applied {
		return nil
	}
	if len(rows) == 0 || rows[0].int64("range_id") == 0 {
		return fmt.Errorf("%w: task queue %s/%s has no lease", persistence.ErrConditionFailed, key.NamespaceID, key.Name)
	}
	return fmt.Errorf("%w: task queue %s/%s range_id is %d, not %d", persistence.ErrConditionFailed, key.NamespaceID, key.Name, rows[0].int64("range_id"), rangeID)
}

func (s *taskStore) GetTasks(ctx context.Context, key persistence.TaskQueueKey, minTaskID, maxTaskID int64, batchSize int) ([]*persistencepb.TaskQueueTask, error) {
	const op = "GetTasks"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if minTaskID >= maxTaskID || batchSize <= 0 {
		return nil, nil
	}
	limit := int32(min(int64(batchSize), math.MaxInt32))
	q := s.d.session.Query(stmtTasksRead, args(tqKey(key), []any{minTaskID, maxTaskID, limit})...)
	var (
		tasks  []*persistencepb.TaskQueueTask
		decErr error
	)
	err := s.d.iterate(ctx, op, q, func(scan func(...any) bool) bool {
		var (
			id   int64
			data []byte
		)
		if !scan(&id, &data) {
			return false
		}
		t := &persistencepb.TaskQueueTask{}
		if decErr = unmarshal(data, t); decErr != nil {
			decErr = fmt.Errorf("cassandra: task queue %s/%s task %d: %w", key.NamespaceID, key.Name, id, decErr)
			return false
		}
		tasks = append(tasks, t)
		return true
	})
	if err != nil {
		return nil, err
	}
	return tasks, decErr
}

// CompleteTasksLessThan deletes the tasks below the ID with one range
// tombstone (the lease, in static columns, stays).
func (s *taskStore) CompleteTasksLessThan(ctx context.Context, key persistence.TaskQueueKey, exclusiveMaxTaskID int64) error {
	const op = "CompleteTasksLessThan"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if err := key.Validate(); err != nil {
		return err
	}
	return s.d.exec(ctx, op, stmtTasksComplete, args(tqKey(key), []any{exclusiveMaxTaskID})...)
}

// ListTaskQueues reads the static columns of every partition of the tasks
// table (SELECT DISTINCT): a full scan of partition heads, for operators.
func (s *taskStore) ListTaskQueues(ctx context.Context) ([]*persistencepb.TaskQueueInfo, error) {
	const op = "ListTaskQueues"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var (
		out    []*persistencepb.TaskQueueInfo
		decErr error
	)
	err := s.d.iterate(ctx, op, s.d.session.Query(stmtTaskQueuesList), func(scan func(...any) bool) bool {
		var (
			ns, name string
			typ      int32
			rangeID  int64
			data     []byte
		)
		if !scan(&ns, &name, &typ, &rangeID, &data) {
			return false
		}
		if rangeID == 0 {
			return true // tasks without a lease: nothing to list
		}
		info := &persistencepb.TaskQueueInfo{}
		if decErr = unmarshal(data, info); decErr != nil {
			decErr = fmt.Errorf("cassandra: task queue %s/%s: %w", ns, name, decErr)
			return false
		}
		info.RangeId = rangeID
		out = append(out, info)
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, decErr
}
