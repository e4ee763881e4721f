package embedded

import (
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

type executionStore struct{ d *db }

var _ persistence.ExecutionStore = (*executionStore)(nil)

// lockWrite readies a write to run id's workflow: it holds the shard
// shared, checks that rangeID still owns it (else
// *ShardOwnershipLostError), then locks the workflow ID. unlock releases
// both, in reverse order.
func (s *executionStore) lockWrite(shardID int32, rangeID int64, id persistence.RunKey) (unlock func(), err error) {
	shard, err := s.d.lockShardShared(shardID)
	if err != nil {
		return nil, err
	}
	if err := shard.checkRange(shardID, rangeID); err != nil {
		shard.mu.RUnlock()
		return nil, err
	}
	unlockWorkflow := s.d.workflows.lock(workflowHash(shardID, id.NamespaceID, id.WorkflowID))
	return func() {
		unlockWorkflow()
		shard.mu.RUnlock()
	}, nil
}

func (s *executionStore) CreateWorkflowExecution(ctx context.Context, req *persistence.CreateWorkflowExecutionRequest) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	id, err := req.Validate()
	if err != nil {
		return err
	}

	unlock, err := s.lockWrite(req.ShardID, req.RangeID, id)
	if err != nil {
		return err
	}
	defer unlock()

	b := s.d.pebble.NewBatch()
	if err := s.addCreate(b, req, id); err != nil {
		return discard(b, err)
	}
	return commit(b)
}

func (s *executionStore) UpdateWorkflowExecution(ctx context.Context, req *persistence.UpdateWorkflowExecutionRequest) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	id, newID, err := req.Validate()
	if err != nil {
		return err
	}

	unlock, err := s.lockWrite(req.ShardID, req.RangeID, id)
	if err != nil {
		return err
	}
	defer unlock()

	b := s.d.pebble.NewBatch()
	if err := s.addUpdate(b, req, id, newID); err != nil {
		return discard(b, err)
	}
	return commit(b)
}

// WriteShardBatch checks every write's conditions and commits them as one
// pebble batch, holding the shard shared (the range_id fence) and every
// written workflow's lock from the first read to the commit.
func (s *executionStore) WriteShardBatch(ctx context.Context, req *persistence.ShardBatchRequest) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	keys, err := req.Validate()
	if err != nil {
		return err
	}
	shard, err := s.d.lockShardShared(req.ShardID)
	if err != nil {
		return err
	}
	defer shard.mu.RUnlock()
	if err := shard.checkRange(req.ShardID, req.RangeID); err != nil {
		return err
	}
	hashes := make([]uint64, len(keys))
	for i, k := range keys {
		hashes[i] = workflowHash(req.ShardID, k.NamespaceID, k.WorkflowID)
	}
	defer s.d.workflows.lock(hashes...)()

	b := s.d.pebble.NewBatch()
	outcomes := make([]error, len(req.Writes))
	failed := false
	for i, w := range req.Writes {
		// Validate checked each request; this only reads the run keys.
		if w.Create != nil {
			id, _ := w.Create.Validate()
			outcomes[i] = s.addCreate(b, w.Create, id)
		} else {
			id, newID, _ := w.Update.Validate()
			outcomes[i] = s.addUpdate(b, w.Update, id, newID)
		}
		failed = failed || outcomes[i] != nil
	}
	if failed {
		return discard(b, persistence.NewShardBatchError(outcomes))
	}
	return commit(b)
}

// addCreate checks a create's conditions (the current record as req.Mode
// expects, no run id yet) and adds its writes to b. The caller holds the
// shard shared and the workflow's lock.
func (s *executionStore) addCreate(b *pebble.Batch, req *persistence.CreateWorkflowExecutionRequest, id persistence.RunKey) error {
	curKey := currentExecutionKey(req.ShardID, id.NamespaceID, id.WorkflowID)
	cur, err := getCurrent(s.d.pebble, curKey)
	if err != nil {
		return err
	}
	if !req.CurrentMatches(cur) {
		return persistence.NewCurrentWorkflowConditionFailedError(cur)
	}
	runKey := executionKey(req.ShardID, id.NamespaceID, id.WorkflowID, id.RunID)
	if ok, err := exists(s.d.pebble, runKey); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("%w: run %s", persistence.ErrAlreadyExists, id.RunID)
	}
	if err := s.addSnapshot(b, req.ShardID, runKey, &req.NewWorkflow); err != nil {
		return err
	}
	if req.Mode != persistence.CreateModeBypassCurrent {
		return setProto(b, curKey, persistence.NewCurrentExecution(req.NewWorkflow.State))
	}
	return nil
}

// addUpdate checks an update's conditions (db_record_version; with
// NewWorkflow the current record and the new run's absence) and adds its
// writes to b, the current record's too when the run is current. The
// caller holds the shard shared and the workflow's lock.
func (s *executionStore) addUpdate(b *pebble.Batch, req *persistence.UpdateWorkflowExecutionRequest, id, newID persistence.RunKey) error {
	runKey := executionKey(req.ShardID, id.NamespaceID, id.WorkflowID, id.RunID)
	stored, err := storedRecordVersion(s.d.pebble, runKey)
	if errors.Is(err, persistence.ErrNotFound) {
		return fmt.Errorf("%w: run %s does not exist", persistence.ErrConditionFailed, id.RunID)
	}
	if err != nil {
		return err
	}
	if want := req.Workflow.State.DbRecordVersion - 1; stored != want {
		return fmt.Errorf("%w: run %s db_record_version is %d, update expects %d", persistence.ErrConditionFailed, id.RunID, stored, want)
	}
	curKey := currentExecutionKey(req.ShardID, id.NamespaceID, id.WorkflowID)
	cur, err := getCurrent(s.d.pebble, curKey)
	if err != nil {
		return err
	}

	if err := s.addSnapshot(b, req.ShardID, runKey, &req.Workflow); err != nil {
		return err
	}
	switch {
	case req.NewWorkflow != nil:
		if cur.GetRunId() != id.RunID {
			return persistence.NewCurrentWorkflowConditionFailedError(cur)
		}
		newKey := executionKey(req.ShardID, newID.NamespaceID, newID.WorkflowID, newID.RunID)
		if ok, err := exists(s.d.pebble, newKey); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%w: run %s", persistence.ErrAlreadyExists, newID.RunID)
		}
		if err := s.addSnapshot(b, req.ShardID, newKey, req.NewWorkflow); err != nil {
			return err
		}
		return setProto(b, curKey, persistence.NewCurrentExecution(req.NewWorkflow.State))
	case cur != nil && cur.RunId == id.RunID:
		persistence.SyncCurrentExecution(cur, req.Workflow.State)
		return setProto(b, curKey, cur)
	}
	return nil
}

func (s *executionStore) GetWorkflowExecution(ctx context.Context, shardID int32, namespaceID, workflowID, runID string) (*persistencepb.WorkflowMutableState, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var st persistencepb.WorkflowMutableState
	if err := get(s.d.pebble, executionKey(shardID, namespaceID, workflowID, runID), &st); err != nil {
		return nil, err
	}
	return &st, nil
}

func (s *executionStore) GetCurrentExecution(ctx context.Context, shardID int32, namespaceID, workflowID string) (*persistencepb.CurrentExecution, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var cur persistencepb.CurrentExecution
	if err := get(s.d.pebble, currentExecutionKey(shardID, namespaceID, workflowID), &cur); err != nil {
		return nil, err
	}
	return &cur, nil
}

func (s *executionStore) DeleteWorkflowExecution(ctx context.Context, shardID int32, namespaceID, workflowID, runID string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	unlock := s.d.workflows.lock(workflowHash(shardID, namespaceID, workflowID))
	defer unlock()
	curKey := currentExecutionKey(shardID, namespaceID, workflowID)
	cur, err := getCurrent(s.d.pebble, curKey)
	if err != nil {
		return err
	}
	b := s.d.pebble.NewBatch()
	if err := b.Delete(executionKey(shardID, namespaceID, workflowID, runID), nil); err != nil {
		return discard(b, err)
	}
	if cur != nil && cur.RunId == runID {
		if err := b.Delete(curKey, nil); err != nil {
			return discard(b, err)
		}
	}
	return commit(b)
}

// addSnapshot adds a run's state and tasks to b.
func (s *executionStore) addSnapshot(b *pebble.Batch, shardID int32, runKey []byte, snap *persistence.WorkflowSnapshot) error {
	if err := persistence.CheckHistoryTasks(snap.Tasks); err != nil {
		return err
	}
	if err := setProto(b, runKey, snap.State); err != nil {
		return err
	}
	for category, tasks := range snap.Tasks {
		for _, t := range tasks {
			key := historyTaskKey(shardID, category, t.GetVisibilityTime().AsTime(), t.TaskId)
			if err := setProto(b, key, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// getCurrent returns the current record, or nil when there is none.
func getCurrent(r pebble.Reader, key []byte) (*persistencepb.CurrentExecution, error) {
	var cur persistencepb.CurrentExecution
	err := get(r, key, &cur)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &cur, nil
}

// storedRecordVersion returns the db_record_version of the run at key, or
// persistence.ErrNotFound.
func storedRecordVersion(r pebble.Reader, key []byte) (_ int64, err error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, persistence.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("embedded: get: %w", err)
	}
	defer closeInto(&err, closer, "value")
	return dbRecordVersion(v)
}

// dbRecordVersion reads WorkflowMutableState.db_record_version from its
// encoding without decoding the rest of the state.
func dbRecordVersion(raw []byte) (int64, error) {
	const field = 7 // WorkflowMutableState.db_record_version
	var v int64
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return 0, fmt.Errorf("embedded: corrupt mutable state: %w", protowire.ParseError(n))
		}
		raw = raw[n:]
		if num == field && typ == protowire.VarintType {
			x, m := protowire.ConsumeVarint(raw)
			if m < 0 {
				return 0, fmt.Errorf("embedded: corrupt mutable state: %w", protowire.ParseError(m))
			}
			v = int64(x) // last occurrence wins, as in proto decoding
			raw = raw[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, raw)
		if m < 0 {
			return 0, fmt.Errorf("embedded: corrupt mutable state: %w", protowire.ParseError(m))
		}
		raw = raw[m:]
	}
	return v, nil
}
