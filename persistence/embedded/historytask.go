package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func taskKeyOf(shardID int32, c persistencepb.TaskCategory, k persistence.TaskKey) []byte {
	return historyTaskKey(shardID, c, k.FireTime, k.TaskID)
}

// GetHistoryTasks pages through [MinKey, MaxKey). The page token is the key
// of the last task returned; the next page starts just after it.
func (s *executionStore) GetHistoryTasks(ctx context.Context, req *persistence.GetHistoryTasksRequest) (_ []*persistencepb.HistoryTask, _ []byte, err error) {
	if err := ctxErr(ctx); err != nil {
		return nil, nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, nil, err
	}
	lower := taskKeyOf(req.ShardID, req.Category, req.MinKey)
	upper := taskKeyOf(req.ShardID, req.Category, req.MaxKey)
	if len(req.NextPageToken) > 0 {
		prefix := historyTaskPrefix(req.ShardID, req.Category)
		if len(req.NextPageToken) != len(lower)-len(prefix) {
			return nil, nil, errors.New("embedded: invalid history task page token")
		}
		after := successor(append(prefix, req.NextPageToken...))
		if bytes.Compare(after, lower) > 0 {
			lower = after
		}
	}
	if bytes.Compare(lower, upper) >= 0 {
		return nil, nil, nil
	}
	it, err := s.d.pebble.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, nil, fmt.Errorf("embedded: iterate history tasks: %w", err)
	}
	defer closeInto(&err, it, "iterator")
	var (
		tasks   []*persistencepb.HistoryTask
		lastKey []byte
	)
	for ok := it.First(); ok; ok = it.Next() {
		if len(tasks) == req.BatchSize {
			// One more task exists past this page.
			prefixLen := len(historyTaskPrefix(req.ShardID, req.Category))
			return tasks, append([]byte(nil), lastKey[prefixLen:]...), nil
		}
		t := &persistencepb.HistoryTask{}
		if err := proto.Unmarshal(it.Value(), t); err != nil {
			return nil, nil, fmt.Errorf("embedded: decode history task: %w", err)
		}
		tasks = append(tasks, t)
		lastKey = append(lastKey[:0], it.Key()...)
	}
	if err := it.Error(); err != nil {
		return nil, nil, fmt.Errorf("embedded: iterate history tasks: %w", err)
	}
	return tasks, nil, nil
}

func (s *executionStore) RangeCompleteHistoryTasks(ctx context.Context, shardID int32, category persistencepb.TaskCategory, min, max persistence.TaskKey) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if category == persistencepb.TaskCategory_TASK_CATEGORY_UNSPECIFIED {
		return errors.New("embedded: RangeCompleteHistoryTasks needs a category")
	}
	lower := taskKeyOf(shardID, category, min)
	upper := taskKeyOf(shardID, category, max)
	if bytes.Compare(lower, upper) >= 0 {
		return nil
	}
	b := s.d.pebble.NewBatch()
	if err := b.DeleteRange(lower, upper, nil); err != nil {
		return discard(b, err)
	}
	return commit(b)
}
