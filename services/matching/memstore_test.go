package matching

import (
	"context"
	"fmt"
	"sort"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// memTaskStore is a small in-memory persistence.TaskStore for tests. It keeps
// the range_id fencing of the contract: every write is conditional on the
// record's range_id and a lease bumps it.
type memTaskStore struct {
	mu     sync.Mutex
	queues map[persistence.TaskQueueKey]*memQueue
}

type memQueue struct {
	info  *persistencepb.TaskQueueInfo
	tasks map[int64]*persistencepb.TaskQueueTask
}

var _ persistence.TaskStore = (*memTaskStore)(nil)

func newMemTaskStore() *memTaskStore {
	return &memTaskStore{queues: make(map[persistence.TaskQueueKey]*memQueue)}
}

func (s *memTaskStore) LeaseTaskQueue(ctx context.Context, key persistence.TaskQueueKey, kind int32, prevRangeID int64) (*persistencepb.TaskQueueInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[key]
	switch {
	case q == nil:
		q = &memQueue{
			info: &persistencepb.TaskQueueInfo{
				NamespaceId: key.NamespaceID,
				Name:        key.Name,
				TaskType:    enumspb.TaskQueueType(key.TaskType),
				RangeId:     1,
			},
			tasks: make(map[int64]*persistencepb.TaskQueueTask),
		}
		s.queues[key] = q
	case prevRangeID >= 0 && q.info.RangeId != prevRangeID:
		return nil, fmt.Errorf("%w: range_id is %d, not %d", persistence.ErrConditionFailed, q.info.RangeId, prevRangeID)
	default:
		q.info.RangeId++
	}
	q.info.Kind = enumspb.TaskQueueKind(kind)
	return proto.Clone(q.info).(*persistencepb.TaskQueueInfo), nil
}

func (s *memTaskStore) checkRange(key persistence.TaskQueueKey, rangeID int64) (*memQueue, error) {
	q := s.queues[key]
	if q == nil {
		return nil, fmt.Errorf("%w: no lease", persistence.ErrConditionFailed)
	}
	if q.info.RangeId != rangeID {
		return nil, fmt.Errorf("%w: range_id is %d, not %d", persistence.ErrConditionFailed, q.info.RangeId, rangeID)
	}
	return q, nil
}

func (s *memTaskStore) UpdateTaskQueue(ctx context.Context, info *persistencepb.TaskQueueInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := persistence.TaskQueueKey{NamespaceID: info.NamespaceId, Name: info.Name, TaskType: int32(info.TaskType)}
	q, err := s.checkRange(key, info.RangeId)
	if err != nil {
		return err
	}
	q.info = proto.Clone(info).(*persistencepb.TaskQueueInfo)
	return nil
}

func (s *memTaskStore) CreateTasks(ctx context.Context, key persistence.TaskQueueKey, rangeID int64, tasks []*persistencepb.TaskQueueTask) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.checkRange(key, rangeID)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		q.tasks[t.TaskId] = proto.Clone(t).(*persistencepb.TaskQueueTask)
	}
	return nil
}

func (s *memTaskStore) GetTasks(ctx context.Context, key persistence.TaskQueueKey, minTaskID, maxTaskID int64, batchSize int) ([]*persistencepb.TaskQueueTask, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[key]
	if q == nil {
		return nil, nil
	}
	ids := make([]int64, 0, len(q.tasks))
	for id := range q.tasks {
		if id > minTaskID && id <= maxTaskID {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) > batchSize {
		ids = ids[:batchSize]
	}
	out := make([]*persistencepb.TaskQueueTask, 0, len(ids))
	for _, id := range ids {
		out = append(out, proto.Clone(q.tasks[id]).(*persistencepb.TaskQueueTask))
	}
	return out, nil
}

func (s *memTaskStore) CompleteTasksLessThan(ctx context.Context, key persistence.TaskQueueKey, exclusiveMaxTaskID int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[key]; q != nil {
		for id := range q.tasks {
			if id < exclusiveMaxTaskID {
				delete(q.tasks, id)
			}
		}
	}
	return nil
}

func (s *memTaskStore) ListTaskQueues(ctx context.Context) ([]*persistencepb.TaskQueueInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*persistencepb.TaskQueueInfo, 0, len(s.queues))
	for _, q := range s.queues {
		out = append(out, proto.Clone(q.info).(*persistencepb.TaskQueueInfo))
	}
	return out, nil
}
