package embedded

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

type taskStore struct{ d *db }

var _ persistence.TaskStore = (*taskStore)(nil)

func infoKey(info *persistencepb.TaskQueueInfo) persistence.TaskQueueKey {
	return persistence.TaskQueueKey{NamespaceID: info.NamespaceId, Name: info.Name, TaskType: int32(info.TaskType)}
}

func (s *taskStore) lockShared(k persistence.TaskQueueKey) func() {
	return s.d.taskQueues.rlock(taskQueueHash(k.NamespaceID, k.Name, k.TaskType))
}

// checkRange returns ErrConditionFailed unless the backlog record exists
// with rangeID. Caller holds the queue's stripe.
func (s *taskStore) checkRange(k persistence.TaskQueueKey, rangeID int64) error {
	var info persistencepb.TaskQueueInfo
	err := get(s.d.pebble, taskQueueKey(k.NamespaceID, k.Name, k.TaskType), &info)
	if errors.Is(err, persistence.ErrNotFound) {
		return fmt.Errorf("%w: task queue %s/%s has no lease", persistence.ErrConditionFailed, k.NamespaceID, k.Name)
	}
	if err != nil {
		return err
	}
	if info.RangeId != rangeID {
		return fmt.Errorf("%w: task queue %s/%s range_id is %d, not %d", persistence.ErrConditionFailed, k.NamespaceID, k.Name, info.RangeId, rangeID)
	}
	return nil
}

func (s *taskStore) LeaseTaskQueue(ctx context.Context, key persistence.TaskQueueKey, kind int32, prevRangeID int64) (*persistencepb.TaskQueueInfo, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if err := key.Validate(); err != nil {
		return nil, err
	}
	defer s.d.taskQueues.lock(taskQueueHash(key.NamespaceID, key.Name, key.TaskType))()
	rowKey := taskQueueKey(key.NamespaceID, key.Name, key.TaskType)
	info := &persistencepb.TaskQueueInfo{}
	err := get(s.d.pebble, rowKey, info)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		info = &persistencepb.TaskQueueInfo{
			NamespaceId: key.NamespaceID,
			Name:        key.Name,
			TaskType:    enumspb.TaskQueueType(key.TaskType),
			RangeId:     1,
		}
	case err != nil:
		return nil, err
	case prevRangeID >= 0 && info.RangeId != prevRangeID:
		return nil, fmt.Errorf("%w: task queue %s/%s range_id is %d, not %d", persistence.ErrConditionFailed, key.NamespaceID, key.Name, info.RangeId, prevRangeID)
	default:
		info.RangeId++
	}
	info.Kind = enumspb.TaskQueueKind(kind)
	b := s.d.pebble.NewBatch()
	if err := setProto(b, rowKey, info); err != nil {
		return nil, discard(b, err)
	}
	if err := commit(b); err != nil {
		return nil, err
	}
	return info, nil
}

func (s *taskStore) UpdateTaskQueue(ctx context.Context, info *persistencepb.TaskQueueInfo) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	key := infoKey(info)
	if err := key.Validate(); err != nil {
		return err
	}
	defer s.lockShared(key)()
	if err := s.checkRange(key, info.RangeId); err != nil {
		return err
	}
	b := s.d.pebble.NewBatch()
	if err := setProto(b, taskQueueKey(key.NamespaceID, key.Name, key.TaskType), info); err != nil {
		return discard(b, err)
	}
	return commit(b)
}

func (s *taskStore) CreateTasks(ctx context.Context, key persistence.TaskQueueKey, rangeID int64, tasks []*persistencepb.TaskQueueTask) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if err := key.Validate(); err != nil {
		return err
	}
	// Shared: writers with the same range_id may commit together; a lease
	// (exclusive) waits for them and fences the ones after it.
	defer s.lockShared(key)()
	if err := s.checkRange(key, rangeID); err != nil {
		return err
	}
	prefix := taskQueueTaskPrefix(key.NamespaceID, key.Name, key.TaskType)
	b := s.d.pebble.NewBatch()
	for _, t := range tasks {
		if err := setProto(b, taskQueueTaskKey(prefix, t.TaskId), t); err != nil {
			return discard(b, err)
		}
	}
	return commit(b)
}

func (s *taskStore) GetTasks(ctx context.Context, key persistence.TaskQueueKey, minTaskID, maxTaskID int64, batchSize int) (_ []*persistencepb.TaskQueueTask, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	if minTaskID >= maxTaskID || batchSize <= 0 {
		return nil, nil
	}
	prefix := taskQueueTaskPrefix(key.NamespaceID, key.Name, key.TaskType)
	// (min, max] as [min+1, max+1).
	upper := prefixEnd(prefix)
	if maxTaskID < math.MaxInt64 {
		upper = taskQueueTaskKey(prefix, maxTaskID+1)
	}
	it, err := s.d.pebble.NewIter(&pebble.IterOptions{
		LowerBound: taskQueueTaskKey(prefix, minTaskID+1),
		UpperBound: upper,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: iterate tasks: %w", err)
	}
	defer closeInto(&err, it, "iterator")
	var tasks []*persistencepb.TaskQueueTask
	for ok := it.First(); ok && len(tasks) < batchSize; ok = it.Next() {
		t := &persistencepb.TaskQueueTask{}
		if err := proto.Unmarshal(it.Value(), t); err != nil {
			return nil, fmt.Errorf("embedded: decode task: %w", err)
		}
		tasks = append(tasks, t)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("embedded: iterate tasks: %w", err)
	}
	return tasks, nil
}

func (s *taskStore) CompleteTasksLessThan(ctx context.Context, key persistence.TaskQueueKey, exclusiveMaxTaskID int64) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	prefix := taskQueueTaskPrefix(key.NamespaceID, key.Name, key.TaskType)
	b := s.d.pebble.NewBatch()
	if err := b.DeleteRange(prefix, taskQueueTaskKey(prefix, exclusiveMaxTaskID), nil); err != nil {
		return discard(b, err)
	}
	return commit(b)
}

func (s *taskStore) ListTaskQueues(ctx context.Context) (_ []*persistencepb.TaskQueueInfo, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	it, err := s.d.pebble.NewIter(&pebble.IterOptions{
		LowerBound: []byte{tableTaskQueue},
		UpperBound: []byte{tableTaskQueue + 1},
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: iterate task queues: %w", err)
	}
	defer closeInto(&err, it, "iterator")
	var out []*persistencepb.TaskQueueInfo
	for ok := it.First(); ok; ok = it.Next() {
		info := &persistencepb.TaskQueueInfo{}
		if err := proto.Unmarshal(it.Value(), info); err != nil {
			return nil, fmt.Errorf("embedded: decode task queue: %w", err)
		}
		out = append(out, info)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("embedded: iterate task queues: %w", err)
	}
	return out, nil
}
