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

// runID names one run.
type runID struct {
	namespaceID, workflowID, runID string
}

func snapshotRun(s *persistence.WorkflowSnapshot) (runID, error) {
	if s == nil || s.State == nil || s.State.ExecutionInfo == nil {
		return runID{}, errors.New("embedded: workflow snapshot without execution info")
	}
	info := s.State.ExecutionInfo
	if info.NamespaceId == "" || info.WorkflowId == "" || info.RunId == "" {
		return runID{}, errors.New("embedded: workflow snapshot needs namespace, workflow and run IDs")
	}
	return runID{info.NamespaceId, info.WorkflowId, info.RunId}, nil
}

func (s *executionStore) CreateWorkflowExecution(ctx context.Context, req *persistence.CreateWorkflowExecutionRequest) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	id, err := snapshotRun(&req.NewWorkflow)
	if err != nil {
		return err
	}
	switch req.Mode {
	case persistence.CreateModeBrandNew, persistence.CreateModeBypassCurrent:
	case persistence.CreateModeUpdateCurrent:
		if req.PreviousRunID == "" {
			return errors.New("embedded: CreateModeUpdateCurrent needs PreviousRunID")
		}
	default:
		return fmt.Errorf("embedded: unknown create mode %d", req.Mode)
	}

	shard, err := s.d.lockShardShared(req.ShardID)
	if err != nil {
		return err
	}
	defer shard.mu.RUnlock()
	if err := shard.checkRange(req.ShardID, req.RangeID); err != nil {
		return err
	}
	unlock := s.d.workflows.lock(workflowHash(req.ShardID, id.namespaceID, id.workflowID))
	defer unlock()

	curKey := currentExecutionKey(req.ShardID, id.namespaceID, id.workflowID)
	cur, err := getCurrent(s.d.pebble, curKey)
	if err != nil {
		return err
	}
	switch req.Mode {
	case persistence.CreateModeBrandNew:
		if cur != nil {
			return currentConditionFailed(cur)
		}
	case persistence.CreateModeUpdateCurrent:
		if cur == nil {
			return &persistence.CurrentWorkflowConditionFailedError{}
		}
		if cur.RunId != req.PreviousRunID || cur.LastWriteVersion != req.PreviousLastWriteVersion {
			return currentConditionFailed(cur)
		}
	}
	runKey := executionKey(req.ShardID, id.namespaceID, id.workflowID, id.runID)
	if ok, err := exists(s.d.pebble, runKey); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("%w: run %s", persistence.ErrAlreadyExists, id.runID)
	}

	b := s.d.pebble.NewBatch()
	if err := s.addSnapshot(b, req.ShardID, runKey, &req.NewWorkflow); err != nil {
		return discard(b, err)
	}
	if req.Mode != persistence.CreateModeBypassCurrent {
		if err := setProto(b, curKey, newCurrent(req.NewWorkflow.State)); err != nil {
			return discard(b, err)
		}
	}
	return commit(b)
}

func (s *executionStore) UpdateWorkflowExecution(ctx context.Context, req *persistence.UpdateWorkflowExecutionRequest) (err error) {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	id, err := snapshotRun(&req.Workflow)
	if err != nil {
		return err
	}
	var newID runID
	if req.NewWorkflow != nil {
		if newID, err = snapshotRun(req.NewWorkflow); err != nil {
			return err
		}
		if newID.namespaceID != id.namespaceID || newID.workflowID != id.workflowID {
			return errors.New("embedded: NewWorkflow must have the updated run's namespace and workflow ID")
		}
		if newID.runID == id.runID {
			return errors.New("embedded: NewWorkflow must be a different run")
		}
	}

	shard, err := s.d.lockShardShared(req.ShardID)
	if err != nil {
		return err
	}
	defer shard.mu.RUnlock()
	if err := shard.checkRange(req.ShardID, req.RangeID); err != nil {
		return err
	}
	unlock := s.d.workflows.lock(workflowHash(req.ShardID, id.namespaceID, id.workflowID))
	defer unlock()

	runKey := executionKey(req.ShardID, id.namespaceID, id.workflowID, id.runID)
	stored, err := storedRecordVersion(s.d.pebble, runKey)
	if errors.Is(err, persistence.ErrNotFound) {
		return fmt.Errorf("%w: run %s does not exist", persistence.ErrConditionFailed, id.runID)
	}
	if err != nil {
		return err
	}
	if want := req.Workflow.State.DbRecordVersion - 1; stored != want {
		return fmt.Errorf("%w: run %s db_record_version is %d, update expects %d", persistence.ErrConditionFailed, id.runID, stored, want)
	}
	curKey := currentExecutionKey(req.ShardID, id.namespaceID, id.workflowID)
	cur, err := getCurrent(s.d.pebble, curKey)
	if err != nil {
		return err
	}

	b := s.d.pebble.NewBatch()
	defer closeInto(&err, b, "batch")
	if err := s.addSnapshot(b, req.ShardID, runKey, &req.Workflow); err != nil {
		return err
	}
	switch {
	case req.NewWorkflow != nil:
		if cur == nil || cur.RunId != id.runID {
			if cur == nil {
				return &persistence.CurrentWorkflowConditionFailedError{}
			}
			return currentConditionFailed(cur)
		}
		newKey := executionKey(req.ShardID, newID.namespaceID, newID.workflowID, newID.runID)
		if ok, err := exists(s.d.pebble, newKey); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%w: run %s", persistence.ErrAlreadyExists, newID.runID)
		}
		if err := s.addSnapshot(b, req.ShardID, newKey, req.NewWorkflow); err != nil {
			return err
		}
		if err := setProto(b, curKey, newCurrent(req.NewWorkflow.State)); err != nil {
			return err
		}
	case cur != nil && cur.RunId == id.runID:
		st := req.Workflow.State
		cur.State = st.GetExecutionState().GetState()
		cur.Status = st.GetExecutionState().GetStatus()
		cur.LastWriteVersion = lastWriteVersion(st)
		if err := setProto(b, curKey, cur); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("embedded: commit: %w", err)
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
	if err := setProto(b, runKey, snap.State); err != nil {
		return err
	}
	for category, tasks := range snap.Tasks {
		if category == persistencepb.TaskCategory_TASK_CATEGORY_UNSPECIFIED {
			return errors.New("embedded: history task without category")
		}
		for _, t := range tasks {
			if isScheduledCategory(category) && t.VisibilityTime == nil {
				return fmt.Errorf("embedded: %v task %d without visibility_time", category, t.TaskId)
			}
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

func currentConditionFailed(cur *persistencepb.CurrentExecution) error {
	return &persistence.CurrentWorkflowConditionFailedError{
		RunID:            cur.RunId,
		CreateRequestID:  cur.CreateRequestId,
		State:            cur.State,
		Status:           cur.Status,
		LastWriteVersion: cur.LastWriteVersion,
	}
}

// newCurrent is the current record pointing at st's run.
func newCurrent(st *persistencepb.WorkflowMutableState) *persistencepb.CurrentExecution {
	info := st.GetExecutionInfo()
	return &persistencepb.CurrentExecution{
		RunId:            info.GetRunId(),
		CreateRequestId:  info.GetCreateRequestId(),
		State:            st.GetExecutionState().GetState(),
		Status:           st.GetExecutionState().GetStatus(),
		LastWriteVersion: lastWriteVersion(st),
		StartTime:        info.GetStartTime(),
	}
}

// lastWriteVersion is the failover version of the run's last event: the last
// item of its current version history (0 when it has none).
func lastWriteVersion(st *persistencepb.WorkflowMutableState) int64 {
	vh := st.GetExecutionInfo().GetVersionHistories()
	hs := vh.GetHistories()
	i := int(vh.GetCurrentIndex())
	if i < 0 || i >= len(hs) {
		return 0
	}
	items := hs[i].GetItems()
	if len(items) == 0 {
		return 0
	}
	return items[len(items)-1].GetVersion()
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
