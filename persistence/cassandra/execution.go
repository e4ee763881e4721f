package cassandra

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gocql/gocql"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

const (
	stmtRunGet    = `SELECT data FROM executions WHERE ` + execKeyWhere
	stmtRunCreate = `INSERT INTO executions (` + execKeyColumns + `, db_record_version, data) VALUES (` + execKeyMarkers + `, ?, ?) IF NOT EXISTS`
	stmtRunUpdate = `UPDATE executions SET db_record_version = ?, data = ? WHERE ` + execKeyWhere + ` IF db_record_version = ?`
	stmtRunDelete = `DELETE FROM executions WHERE ` + execKeyWhere + ` IF EXISTS`

	stmtCurrentGet = `SELECT current_run_id, data FROM executions WHERE ` + execKeyWhere
	// stmtCurrentsGet reads several current records of a shard: the caller
	// appends one (row_type, ..., task_id) tuple per record and ")".
	stmtCurrentsGet   = `SELECT namespace_id, workflow_id, current_run_id, data FROM executions WHERE shard_id = ? AND (row_type, namespace_id, workflow_id, run_id, task_category, task_fire_time, task_id) IN (`
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
	id, err := req.Validate()
	if err != nil {
		return err
	}
	b := newFencedBatch(s.d, req.ShardID, req.RangeID)
	if err := addCreate(b, req, id); err != nil {
		return err
	}
	applied, res, err := execFenced(ctx, s.d, op, b, req.ShardID, req.RangeID)
	if err != nil || applied {
		return err
	}
	if err := s.createFailure(ctx, op, req, id, res); err != nil {
		return err
	}
	return fmt.Errorf("%w: create of run %s not applied, and no condition explains it", persistence.ErrConditionFailed, id.RunID)
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
	id, newID, err := req.Validate()
	if err != nil {
		return err
	}
	var cur *persistencepb.CurrentExecution
	if req.NewWorkflow == nil {
		if cur, err = s.getCurrent(ctx, op, currentKey(req.ShardID, id.NamespaceID, id.WorkflowID)); err != nil {
			return err
		}
	}
	b := newFencedBatch(s.d, req.ShardID, req.RangeID)
	if err := addUpdate(b, req, id, newID, cur); err != nil {
		return err
	}
	applied, res, err := execFenced(ctx, s.d, op, b, req.ShardID, req.RangeID)
	if err != nil || applied {
		return err
	}
	if err := s.updateFailure(ctx, op, req, id, newID, cur, res); err != nil {
		return err
	}
	return fmt.Errorf("%w: update of run %s not applied, and no condition explains it", persistence.ErrConditionFailed, id.RunID)
}

// WriteShardBatch is one conditional batch in the shard's partition: the
// range_id fence, then each write's statements exactly as its own call
// would add them (after one plain read of the current records of the
// updates without NewWorkflow). The writes touch different workflows, so
// their conditions test different rows: when the batch is not applied,
// the returned rows tell each write's outcome.
func (s *executionStore) WriteShardBatch(ctx context.Context, req *persistence.ShardBatchRequest) error {
	const op = "WriteShardBatch"
	if err := ctxErr(ctx); err != nil {
		return err
	}
	keys, err := req.Validate()
	if err != nil {
		return err
	}
	var reads []persistence.WorkflowKey
	for i, w := range req.Writes {
		if w.Update != nil && w.Update.NewWorkflow == nil {
			reads = append(reads, keys[i])
		}
	}
	currents, err := s.getCurrents(ctx, op, req.ShardID, reads)
	if err != nil {
		return err
	}
	b := newFencedBatch(s.d, req.ShardID, req.RangeID)
	ids := make([][2]persistence.RunKey, len(req.Writes))
	for i, w := range req.Writes {
		if w.Create != nil {
			ids[i][0], _ = w.Create.Validate() // checked by req.Validate
			err = addCreate(b, w.Create, ids[i][0])
		} else {
			ids[i][0], ids[i][1], _ = w.Update.Validate()
			err = addUpdate(b, w.Update, ids[i][0], ids[i][1], currents[keys[i]])
		}
		if err != nil {
			return fmt.Errorf("cassandra: %s: write %d: %w", op, i, err)
		}
	}
	applied, res, err := execFenced(ctx, s.d, op, b, req.ShardID, req.RangeID)
	if err != nil || applied {
		return err
	}
	outcomes := make([]error, len(req.Writes))
	for i, w := range req.Writes {
		if w.Create != nil {
			outcomes[i] = s.createFailure(ctx, op, w.Create, ids[i][0], res)
		} else {
			outcomes[i] = s.updateFailure(ctx, op, w.Update, ids[i][0], ids[i][1], currents[keys[i]], res)
		}
	}
	return persistence.NewShardBatchError(outcomes)
}

// addCreate adds a create's statements to b: the current record as
// req.Mode says, the run and its tasks.
func addCreate(b *gocql.Batch, req *persistence.CreateWorkflowExecutionRequest, id persistence.RunKey) error {
	cur := persistence.NewCurrentExecution(req.NewWorkflow.State)
	curKey := currentKey(req.ShardID, id.NamespaceID, id.WorkflowID)
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
	return addRun(b, req.ShardID, id, &req.NewWorkflow, true)
}

// createFailure explains why a batch holding the create was not applied
// (the fence held): its error, or nil when its own conditions held.
func (s *executionStore) createFailure(ctx context.Context, op string, req *persistence.CreateWorkflowExecutionRequest, id persistence.RunKey, res shardRows) error {
	wf := persistence.WorkflowKey{NamespaceID: id.NamespaceID, WorkflowID: id.WorkflowID}
	if !req.CurrentMatches(res.currentPointer(wf)) {
		return s.currentConditionFailed(ctx, op, req.ShardID, id, res.current[wf])
	}
	if res.runs[id] != nil {
		return fmt.Errorf("%w: run %s", persistence.ErrAlreadyExists, id.RunID)
	}
	return nil
}

// addUpdate adds an update's statements to b: the run and its tasks; with
// NewWorkflow the new run and the current record moved to it; else, when
// cur (the current record as read, nil when none) points at the run, the
// current record's state.
func addUpdate(b *gocql.Batch, req *persistence.UpdateWorkflowExecutionRequest, id, newID persistence.RunKey, cur *persistencepb.CurrentExecution) error {
	curKey := currentKey(req.ShardID, id.NamespaceID, id.WorkflowID)
	if err := addRun(b, req.ShardID, id, &req.Workflow, false); err != nil {
		return err
	}
	switch {
	case req.NewWorkflow != nil:
		if err := addRun(b, req.ShardID, newID, req.NewWorkflow, true); err != nil {
			return err
		}
		next := persistence.NewCurrentExecution(req.NewWorkflow.State)
		v, err := marshal(next)
		if err != nil {
			return err
		}
		b.Query(stmtCurrentSet, args([]any{next.RunId, next.LastWriteVersion, v}, curKey, []any{id.RunID})...)
	case cur != nil && cur.RunId == id.RunID:
		cur = proto.Clone(cur).(*persistencepb.CurrentExecution)
		persistence.SyncCurrentExecution(cur, req.Workflow.State)
		v, err := marshal(cur)
		if err != nil {
			return err
		}
		b.Query(stmtCurrentSet, args([]any{cur.RunId, cur.LastWriteVersion, v}, curKey, []any{id.RunID})...)
	}
	return nil
}

// updateFailure explains why a batch holding the update was not applied
// (the fence held): its error, or nil when its own conditions held. cur is
// what addUpdate was given.
func (s *executionStore) updateFailure(ctx context.Context, op string, req *persistence.UpdateWorkflowExecutionRequest, id, newID persistence.RunKey, cur *persistencepb.CurrentExecution, res shardRows) error {
	want := req.Workflow.State.DbRecordVersion - 1
	run := res.runs[id]
	if run == nil {
		return fmt.Errorf("%w: run %s does not exist", persistence.ErrConditionFailed, id.RunID)
	}
	if stored := run.int64("db_record_version"); stored != want {
		return fmt.Errorf("%w: run %s db_record_version is %d, update expects %d", persistence.ErrConditionFailed, id.RunID, stored, want)
	}
	wf := persistence.WorkflowKey{NamespaceID: id.NamespaceID, WorkflowID: id.WorkflowID}
	switch {
	case req.NewWorkflow != nil:
		// A missing current row reads as run "": it fails too.
		if res.current[wf].string("current_run_id") != id.RunID {
			return s.currentConditionFailed(ctx, op, req.ShardID, id, res.current[wf])
		}
		if res.runs[newID] != nil {
			return fmt.Errorf("%w: run %s", persistence.ErrAlreadyExists, newID.RunID)
		}
	case cur != nil && cur.RunId == id.RunID:
		if res.current[wf].string("current_run_id") != id.RunID {
			// The current record moved or vanished between the read and
			// the write (a concurrent delete): reload and retry.
			return fmt.Errorf("%w: the current record of workflow %s changed during the update of run %s", persistence.ErrConditionFailed, id.WorkflowID, id.RunID)
		}
	}
	return nil
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

// getCurrents returns the current records of workflows of one shard
// (absent: no record), in one read of the shard's partition.
func (s *executionStore) getCurrents(ctx context.Context, op string, shardID int32, wfs []persistence.WorkflowKey) (map[persistence.WorkflowKey]*persistencepb.CurrentExecution, error) {
	out := make(map[persistence.WorkflowKey]*persistencepb.CurrentExecution, len(wfs))
	switch len(wfs) {
	case 0:
		return out, nil
	case 1:
		cur, err := s.getCurrent(ctx, op, currentKey(shardID, wfs[0].NamespaceID, wfs[0].WorkflowID))
		if err == nil && cur != nil {
			out[wfs[0]] = cur
		}
		return out, err
	}
	var (
		stmt strings.Builder
		vals = []any{shardID}
	)
	stmt.WriteString(stmtCurrentsGet)
	for i, wf := range wfs {
		if i > 0 {
			stmt.WriteString(", ")
		}
		stmt.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		vals = append(vals, currentKey(shardID, wf.NamespaceID, wf.WorkflowID)[1:]...)
	}
	stmt.WriteString(")")
	var (
		nsID, wfID, runID string
		data              []byte
		decodeErr         error
	)
	err := s.d.iterate(ctx, op, s.d.session.Query(stmt.String(), vals...), func(scan func(dest ...any) bool) bool {
		if !scan(&nsID, &wfID, &runID, &data) {
			return false
		}
		cur := &persistencepb.CurrentExecution{}
		if decodeErr = unmarshal(data, cur); decodeErr != nil {
			return false
		}
		cur.RunId = runID
		out[persistence.WorkflowKey{NamespaceID: nsID, WorkflowID: wfID}] = cur
		return true
	})
	if err != nil {
		return nil, err
	}
	if decodeErr != nil {
		return nil, fmt.Errorf("cassandra: current record: %w", decodeErr)
	}
	return out, nil
}

// currentConditionFailed builds the error from the current row of a failed
// batch (nil when there is no current record). The row carries the whole
// record when the batch inserted a row IF NOT EXISTS (Cassandra then
// returns every column); otherwise it is read.
func (s *executionStore) currentConditionFailed(ctx context.Context, op string, shardID int32, id persistence.RunKey, row casRow) error {
	if row == nil {
		return persistence.NewCurrentWorkflowConditionFailedError(nil)
	}
	cur := &persistencepb.CurrentExecution{}
	if data := row.bytes("data"); len(data) > 0 {
		if err := unmarshal(data, cur); err != nil {
			return fmt.Errorf("cassandra: current record: %w", err)
		}
	} else {
		read, err := s.getCurrent(ctx, op, currentKey(shardID, id.NamespaceID, id.WorkflowID))
		if err != nil {
			return err
		}
		if read != nil {
			cur = read
		}
	}
	cur.RunId = row.string("current_run_id")
	cur.LastWriteVersion = row.int64("last_write_version")
	return persistence.NewCurrentWorkflowConditionFailedError(cur)
}

// addRun adds a run's state (INSERT IF NOT EXISTS when create, else UPDATE
// IF db_record_version = version-1) and its tasks to b.
func addRun(b *gocql.Batch, shardID int32, id persistence.RunKey, snap *persistence.WorkflowSnapshot, create bool) error {
	if err := persistence.CheckHistoryTasks(snap.Tasks); err != nil {
		return err
	}
	v, err := marshal(snap.State)
	if err != nil {
		return err
	}
	key := runKey(shardID, id.NamespaceID, id.WorkflowID, id.RunID)
	version := snap.State.DbRecordVersion
	if create {
		b.Query(stmtRunCreate, args(key, []any{version, v})...)
	} else {
		b.Query(stmtRunUpdate, args([]any{version, v}, key, []any{version - 1})...)
	}
	for category, tasks := range snap.Tasks {
		for _, t := range tasks {
			tv, err := marshal(t)
			if err != nil {
				return err
			}
			b.Query(stmtTaskInsert, args(taskKey(shardID, category, fireKey(category, t.GetVisibilityTime().AsTime()), t.TaskId), []any{tv})...)
		}
	}
	return nil
}

// newFencedBatch starts a conditional batch in the shard's partition that
// applies only while rangeID owns the shard (stmtShardFence).
func newFencedBatch(d *db, shardID int32, rangeID int64) *gocql.Batch {
	b := d.newBatch()
	b.Query(stmtShardFence, args([]any{rangeID}, shardKey(shardID), []any{rangeID})...)
	return b
}

// execFenced runs a batch of newFencedBatch. When it was not applied, the
// fence explains it first (*ShardOwnershipLostError); otherwise res holds
// the rows whose conditions the caller checks.
func execFenced(ctx context.Context, d *db, op string, b *gocql.Batch, shardID int32, rangeID int64) (applied bool, res shardRows, err error) {
	applied, rows, err := d.casBatch(ctx, op, b)
	if err != nil || applied {
		return applied, shardRows{}, err
	}
	res = parseShardRows(rows)
	if err := res.fenced(shardID, rangeID); err != nil {
		return false, shardRows{}, err
	}
	return false, res, nil
}

// shardRows sorts the rows of a failed shard batch by row type.
type shardRows struct {
	shard casRow
	// current records and runs by key.
	current map[persistence.WorkflowKey]casRow
	runs    map[persistence.RunKey]casRow
}

// currentPointer is wf's current record's run ID and last write version as
// the failed batch saw them (what its conditions checked); nil when there
// is no current record.
func (r shardRows) currentPointer(wf persistence.WorkflowKey) *persistencepb.CurrentExecution {
	row := r.current[wf]
	if row == nil {
		return nil
	}
	return &persistencepb.CurrentExecution{RunId: row.string("current_run_id"), LastWriteVersion: row.int64("last_write_version")}
}

func parseShardRows(rows []casRow) shardRows {
	res := shardRows{current: map[persistence.WorkflowKey]casRow{}, runs: map[persistence.RunKey]casRow{}}
	for _, r := range rows {
		switch r.int64("row_type") {
		case rowShard:
			res.shard = r
		case rowCurrent:
			res.current[persistence.WorkflowKey{NamespaceID: r.string("namespace_id"), WorkflowID: r.string("workflow_id")}] = r
		case rowRun:
			res.runs[persistence.RunKey{NamespaceID: r.string("namespace_id"), WorkflowID: r.string("workflow_id"), RunID: r.string("run_id")}] = r
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
