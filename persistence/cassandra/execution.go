package cassandra

import (
	"context"
	"errors"
	"fmt"

	"github.com/gocql/gocql"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

const (
	stmtRunGet    = `SELECT data FROM executions WHERE ` + execKeyWhere
	stmtRunCreate = `INSERT INTO executions (` + execKeyColumns + `, db_record_version, data) VALUES (` + execKeyMarkers + `, ?, ?) IF NOT EXISTS`
	stmtRunUpdate = `UPDATE executions SET db_record_version = ?, data = ? WHERE ` + execKeyWhere + ` IF db_record_version = ?`
	stmtRunDelete = `DELETE FROM executions WHERE ` + execKeyWhere + ` IF EXISTS`

	stmtCurrentGet    = `SELECT current_run_id, data FROM executions WHERE ` + execKeyWhere
	stmtCurrentCreate = `INSERT INTO executions (` + execKeyColumns + `, current_run_id, last_write_version, data) VALUES (` + execKeyMarkers + `, ?, ?, ?) IF NOT EXISTS`
	// stmtCurrentMove points the workflow ID at another run if it still
	// points at the previous one with the expected last write version.
	stmtCurrentMove = `UPDATE executions SET current_run_id = ?, last_write_version = ?, data = ? WHERE ` + execKeyWhere + ` IF current_run_id = ? AND last_write_version = ?`
	// stmtCurrentSet rewrites the record (a new state and status, or a new
	// run) if it still points at the given run.
	stmtCurrentSet    = `UPDATE executions SET current_run_id = ?, last_write_version = ?, data = ? WHERE ` + execKeyWhere + ` IF current_run_id = ?`
	stmtCurrentDelete = `DELETE FROM executions WHERE ` + execKeyWhere + ` IF current_run_id = ?`

	stmtTaskInsert = `INSERT INTO executions (` + execKeyColumns + `, data) VALUES (` + execKeyMarkers + `, ?)`
)

type executionStore struct{ d *db }

var _ persistence.ExecutionStore = (*executionStore)(nil)

// runID names one run.
type runID struct {
	namespaceID, workflowID, runID string
}

func snapshotRun(s *persistence.WorkflowSnapshot) (runID, error) {
	if s == nil || s.State == nil || s.State.ExecutionInfo == nil {
		return runID{}, errors.New("cassandra: workflow snapshot without execution info")
	}
	info := s.State.ExecutionInfo
	if info.NamespaceId == "" || info.WorkflowId == "" || info.RunId == "" {
		return runID{}, errors.New("cassandra: workflow snapshot needs namespace, workflow and run IDs")
	}
	return runID{info.NamespaceId, info.WorkflowId, info.RunId}, nil
}

// CreateWorkflowExecution is one conditional batch in the shard's
// partition: the range_id fence, the current record (INSERT IF NOT EXISTS
// for a brand-new workflow, UPDATE IF current_run_id AND
// last_write_version for UpdateCurrent, nothing for BypassCurrent), the
// run (INSERT IF NOT EXISTS) and its tasks.
func (s *executionStore) CreateWorkflowExecution(ctx context.Context, req *persistence.CreateWorkflowExecutionRequest) error {
	const op = "CreateWorkflowExecution"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if req == nil {
		return errors.New("cassandra: CreateWorkflowExecution: nil request")
	}
	id, err := snapshotRun(&req.NewWorkflow)
	if err != nil {
		return err
	}
	switch req.Mode {
	case persistence.CreateModeBrandNew, persistence.CreateModeBypassCurrent:
	case persistence.CreateModeUpdateCurrent:
		if req.PreviousRunID == "" {
			return errors.New("cassandra: CreateModeUpdateCurrent needs PreviousRunID")
		}
	default:
		return fmt.Errorf("cassandra: unknown create mode %d", req.Mode)
	}

	b := s.d.newBatch()
	b.Query(stmtShardFence, args([]any{req.RangeID}, shardKey(req.ShardID), []any{req.RangeID})...)
	cur := newCurrent(req.NewWorkflow.State)
	curKey := currentKey(req.ShardID, id.namespaceID, id.workflowID)
	switch req.Mode {
	case persistence.CreateModeBrandNew:
		v, err := marshal(cur)
		if err != nil {
			return err
		}
		b.Query(stmtCurrentCreate, args(curKey, []any{cur.RunId, cur.LastWriteVersion, v})...)
	case persistence.CreateModeUpdateCurrent:
		v, err := marshal(cur)
		if err != nil {
			return err
		}
		b.Query(stmtCurrentMove, args([]any{cur.RunId, cur.LastWriteVersion, v}, curKey, []any{req.PreviousRunID, req.PreviousLastWriteVersion})...)
	}
	if err := addRun(b, req.ShardID, id, &req.NewWorkflow, true); err != nil {
		return err
	}
	applied, rows, err := s.d.casBatch(ctx, op, b)
	if err != nil {
		return err
	}
	if applied {
		return nil
	}
	res := parseShardRows(rows)
	if err := res.fenced(req.ShardID, req.RangeID); err != nil {
		return err
	}
	switch req.Mode {
	case persistence.CreateModeBrandNew:
		if res.current != nil {
			return s.currentConditionFailed(ctx, op, req.ShardID, id, res.current)
		}
	case persistence.CreateModeUpdateCurrent:
		if res.current == nil {
			return &persistence.CurrentWorkflowConditionFailedError{}
		}
		if res.current.string("current_run_id") != req.PreviousRunID || res.current.int64("last_write_version") != req.PreviousLastWriteVersion {
			return s.currentConditionFailed(ctx, op, req.ShardID, id, res.current)
		}
	}
	if res.runs[id.runID] != nil {
		return fmt.Errorf("%w: run %s", persistence.ErrAlreadyExists, id.runID)
	}
	return fmt.Errorf("%w: create of run %s not applied, and no condition explains it", persistence.ErrConditionFailed, id.runID)
}

// UpdateWorkflowExecution reads the current record (a plain read), then
// writes one conditional batch: the range_id fence, the run (UPDATE IF
// db_record_version), its tasks and, when the run is current, the current
// record's state (UPDATE IF current_run_id). With NewWorkflow the batch
// also inserts the new run (IF NOT EXISTS) and moves the current record to
// it (IF current_run_id is the updated run).
//
// The read is safe without Paxos: the current record moves to a run only
// when that run is created, so a run that is not current when read cannot
// become current before this write; one that is current is re-checked by
// the batch's condition.
func (s *executionStore) UpdateWorkflowExecution(ctx context.Context, req *persistence.UpdateWorkflowExecutionRequest) error {
	const op = "UpdateWorkflowExecution"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if req == nil {
		return errors.New("cassandra: UpdateWorkflowExecution: nil request")
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
			return errors.New("cassandra: NewWorkflow must have the updated run's namespace and workflow ID")
		}
		if newID.runID == id.runID {
			return errors.New("cassandra: NewWorkflow must be a different run")
		}
	}
	curKey := currentKey(req.ShardID, id.namespaceID, id.workflowID)
	var cur *persistencepb.CurrentExecution
	if req.NewWorkflow == nil {
		if cur, err = s.getCurrent(ctx, op, curKey); err != nil {
			return err
		}
	}

	b := s.d.newBatch()
	b.Query(stmtShardFence, args([]any{req.RangeID}, shardKey(req.ShardID), []any{req.RangeID})...)
	if err := addRun(b, req.ShardID, id, &req.Workflow, false); err != nil {
		return err
	}
	switch {
	case req.NewWorkflow != nil:
		if err := addRun(b, req.ShardID, newID, req.NewWorkflow, true); err != nil {
			return err
		}
		next := newCurrent(req.NewWorkflow.State)
		v, err := marshal(next)
		if err != nil {
			return err
		}
		b.Query(stmtCurrentSet, args([]any{next.RunId, next.LastWriteVersion, v}, curKey, []any{id.runID})...)
	case cur != nil && cur.RunId == id.runID:
		st := req.Workflow.State
		cur.State = st.GetExecutionState().GetState()
		cur.Status = st.GetExecutionState().GetStatus()
		cur.LastWriteVersion = lastWriteVersion(st)
		v, err := marshal(cur)
		if err != nil {
			return err
		}
		b.Query(stmtCurrentSet, args([]any{cur.RunId, cur.LastWriteVersion, v}, curKey, []any{id.runID})...)
	}
	applied, rows, err := s.d.casBatch(ctx, op, b)
	if err != nil {
		return err
	}
	if applied {
		return nil
	}
	res := parseShardRows(rows)
	if err := res.fenced(req.ShardID, req.RangeID); err != nil {
		return err
	}
	want := req.Workflow.State.DbRecordVersion - 1
	run := res.runs[id.runID]
	if run == nil {
		return fmt.Errorf("%w: run %s does not exist", persistence.ErrConditionFailed, id.runID)
	}
	if stored := run.int64("db_record_version"); stored != want {
		return fmt.Errorf("%w: run %s db_record_version is %d, update expects %d", persistence.ErrConditionFailed, id.runID, stored, want)
	}
	if req.NewWorkflow != nil {
		if res.current == nil {
			return &persistence.CurrentWorkflowConditionFailedError{}
		}
		if res.current.string("current_run_id") != id.runID {
			return s.currentConditionFailed(ctx, op, req.ShardID, id, res.current)
		}
		if res.runs[newID.runID] != nil {
			return fmt.Errorf("%w: run %s", persistence.ErrAlreadyExists, newID.runID)
		}
	}
	// The current record moved or vanished between the read and the write
	// (a concurrent delete): reload and retry.
	return fmt.Errorf("%w: the current record of workflow %s changed during the update of run %s", persistence.ErrConditionFailed, id.workflowID, id.runID)
}

func (s *executionStore) GetWorkflowExecution(ctx context.Context, shardID int32, namespaceID, workflowID, runID string) (*persistencepb.WorkflowMutableState, error) {
	const op = "GetWorkflowExecution"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var data []byte
	if err := s.d.scanOne(ctx, op, stmtRunGet, runKey(shardID, namespaceID, workflowID, runID), &data); err != nil {
		return nil, err
	}
	st := &persistencepb.WorkflowMutableState{}
	if err := unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("cassandra: run %s: %w", runID, err)
	}
	return st, nil
}

func (s *executionStore) GetCurrentExecution(ctx context.Context, shardID int32, namespaceID, workflowID string) (*persistencepb.CurrentExecution, error) {
	const op = "GetCurrentExecution"
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	cur, err := s.getCurrent(ctx, op, currentKey(shardID, namespaceID, workflowID))
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("cassandra: workflow %s has no current run: %w", workflowID, persistence.ErrNotFound)
	}
	return cur, nil
}

// DeleteWorkflowExecution deletes the current record if it points at the
// run (DELETE IF current_run_id: an LWT, so that a run made current
// concurrently keeps its record), then the run (DELETE IF EXISTS: an LWT,
// so that the delete is ordered after the run's last conditional write).
func (s *executionStore) DeleteWorkflowExecution(ctx context.Context, shardID int32, namespaceID, workflowID, runID string) error {
	const op = "DeleteWorkflowExecution"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	curKey := currentKey(shardID, namespaceID, workflowID)
	cur, err := s.getCurrent(ctx, op, curKey)
	if err != nil {
		return err
	}
	if cur != nil && cur.RunId == runID {
		if _, _, err := s.d.cas(ctx, op, stmtCurrentDelete, args(curKey, []any{runID})...); err != nil {
			return err
		}
	}
	_, _, err = s.d.cas(ctx, op, stmtRunDelete, runKey(shardID, namespaceID, workflowID, runID)...)
	return err
}

// getCurrent returns the current record, or nil when there is none.
func (s *executionStore) getCurrent(ctx context.Context, op string, key []any) (*persistencepb.CurrentExecution, error) {
	var (
		runID string
		data  []byte
	)
	err := s.d.scanOne(ctx, op, stmtCurrentGet, key, &runID, &data)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cur := &persistencepb.CurrentExecution{}
	if err := unmarshal(data, cur); err != nil {
		return nil, fmt.Errorf("cassandra: current record: %w", err)
	}
	cur.RunId = runID
	return cur, nil
}

// currentConditionFailed builds the error from the current row of a failed
// batch. The row carries the whole record when the batch inserted a row IF
// NOT EXISTS (Cassandra then returns every column); otherwise it is read.
func (s *executionStore) currentConditionFailed(ctx context.Context, op string, shardID int32, id runID, row casRow) error {
	cur := &persistencepb.CurrentExecution{}
	if data := row.bytes("data"); len(data) > 0 {
		if err := unmarshal(data, cur); err != nil {
			return fmt.Errorf("cassandra: current record: %w", err)
		}
	} else {
		read, err := s.getCurrent(ctx, op, currentKey(shardID, id.namespaceID, id.workflowID))
		if err != nil {
			return err
		}
		if read != nil {
			cur = read
		}
	}
	cur.RunId = row.string("current_run_id")
	cur.LastWriteVersion = row.int64("last_write_version")
	return &persistence.CurrentWorkflowConditionFailedError{
		RunID:            cur.RunId,
		CreateRequestID:  cur.CreateRequestId,
		State:            cur.State,
		Status:           cur.Status,
		LastWriteVersion: cur.LastWriteVersion,
	}
}

// addRun adds a run's state (INSERT IF NOT EXISTS when create, else UPDATE
// IF db_record_version = version-1) and its tasks to b.
func addRun(b *gocql.Batch, shardID int32, id runID, snap *persistence.WorkflowSnapshot, create bool) error {
	v, err := marshal(snap.State)
	if err != nil {
		return err
	}
	key := runKey(shardID, id.namespaceID, id.workflowID, id.runID)
	version := snap.State.DbRecordVersion
	if create {
		b.Query(stmtRunCreate, args(key, []any{version, v})...)
	} else {
		b.Query(stmtRunUpdate, args([]any{version, v}, key, []any{version - 1})...)
	}
	for category, tasks := range snap.Tasks {
		if category == persistencepb.TaskCategory_TASK_CATEGORY_UNSPECIFIED {
			return errors.New("cassandra: history task without category")
		}
		for _, t := range tasks {
			if t == nil {
				return fmt.Errorf("cassandra: nil %v task", category)
			}
			if isScheduledCategory(category) && t.VisibilityTime == nil {
				return fmt.Errorf("cassandra: %v task %d without visibility_time", category, t.TaskId)
			}
			tv, err := marshal(t)
			if err != nil {
				return err
			}
			b.Query(stmtTaskInsert, args(taskKey(shardID, category, fireKey(category, t.GetVisibilityTime().AsTime()), t.TaskId), []any{tv})...)
		}
	}
	return nil
}

// shardRows sorts the rows of a failed shard batch by row type.
type shardRows struct {
	shard   casRow
	current casRow
	// runs by run ID.
	runs map[string]casRow
}

func parseShardRows(rows []casRow) shardRows {
	res := shardRows{runs: map[string]casRow{}}
	for _, r := range rows {
		switch r.int64("row_type") {
		case rowShard:
			res.shard = r
		case rowCurrent:
			res.current = r
		case rowRun:
			res.runs[r.string("run_id")] = r
		}
	}
	return res
}

// fenced returns *ShardOwnershipLostError unless the shard row exists with
// rangeID.
func (r shardRows) fenced(shardID int32, rangeID int64) error {
	if r.shard == nil {
		return &persistence.ShardOwnershipLostError{ShardID: shardID, RangeID: rangeID}
	}
	if stored := r.shard.int64("range_id"); stored != rangeID {
		return &persistence.ShardOwnershipLostError{ShardID: shardID, RangeID: rangeID, StoredRangeID: stored}
	}
	return nil
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
