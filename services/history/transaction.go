package history

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

var errRunNotFound = serviceerror.NewNotFound("workflow execution not found")

// errAlreadyCompleted is what Temporal answers for writes to a closed run.
func errAlreadyCompleted() error {
	return serviceerror.NewNotFound("workflow execution already completed")
}

// createArgs says how a new run relates to its workflow ID's current run.
type createArgs struct {
	mode            persistence.CreateMode
	prevRunID       string
	prevLastVersion int64
}

// loadLocked makes sure rc.state is loaded; the caller holds rc's lock.
func (sh *shard) loadLocked(ctx context.Context, rc *runContext) error {
	if rc.state != nil {
		return nil
	}
	sh.svc.metrics.Counter(metricCacheMiss).Inc(1)
	s, err := sh.svc.deps.Stores.Execution.GetWorkflowExecution(ctx, sh.id, rc.key.namespaceID, rc.key.workflowID, rc.key.runID)
	if errors.Is(err, persistence.ErrNotFound) {
		return errRunNotFound
	}
	if err != nil {
		return toServiceError(err)
	}
	rc.state = s
	return nil
}

// readRun calls fn with the run's state under its lock. fn must not modify it.
func (sh *shard) readRun(ctx context.Context, k runKey, fn func(s *persistencepb.WorkflowMutableState) error) error {
	rc := sh.cache.pin(k)
	defer sh.cache.unpin(rc)
	if err := rc.acquire(ctx); err != nil {
		return toServiceError(err)
	}
	defer rc.release()
	if err := sh.loadLocked(ctx, rc); err != nil {
		return err
	}
	return fn(rc.state)
}

// updateRun runs one transaction on a run: fn changes the state through ms;
// whatever it produced is persisted atomically. If fn fails after changing
// state, the cached state is dropped.
func (sh *shard) updateRun(ctx context.Context, k runKey, fn func(ms *workflow.MutableState) error) error {
	return sh.transact(ctx, k, func(_ *runContext, ms *workflow.MutableState) error { return fn(ms) }, nil)
}

// transact is updateRun with access to the run's context (its update
// registry): fn runs the transaction, and committed, when set, runs after
// the transaction committed (or changed nothing), still under the run's
// lock, so that nothing sees the committed state before it ran. A run
// that is closed afterwards has its admitted updates dropped.
func (sh *shard) transact(ctx context.Context, k runKey, fn func(rc *runContext, ms *workflow.MutableState) error, committed func(rc *runContext)) error {
	rc := sh.cache.pin(k)
	defer sh.cache.unpin(rc)
	if err := rc.acquire(ctx); err != nil {
		return toServiceError(err)
	}
	defer rc.release()
	if err := sh.loadLocked(ctx, rc); err != nil {
		return err
	}
	ns, err := sh.svc.deps.Namespaces.GetByID(ctx, k.namespaceID)
	if err != nil {
		return err
	}
	ms := workflow.Load(rc.state, sh.svc.deps.Clock.Now(), ns.FailoverVersion(), ns.Retention())
	ms.In.Namespace = ns.Name()
	if err := fn(rc, ms); err != nil {
		if ms.Dirty() {
			rc.state = nil
		}
		return err
	}
	if ms.Dirty() {
		sh.enforceHistoryLimits(ms)
		if err := sh.persist(ctx, rc, ms, nil); err != nil {
			rc.state = nil
			return toServiceError(err)
		}
	}
	if committed != nil {
		committed(rc)
	}
	if rc.updates.len() > 0 && !ms.IsRunning() {
		rc.updates.drop(updateAbortedError(rc.state))
	}
	return nil
}

// createRun persists a new run built by workflow.NewRun. created, when
// set, runs after the write, still under the run's lock (update-with-start
// admits its update there, so the first workflow task carries it).
func (sh *shard) createRun(ctx context.Context, ms *workflow.MutableState, args createArgs, created func(rc *runContext)) error {
	ei := ms.Info()
	k := runKey{ei.NamespaceId, ei.WorkflowId, ei.RunId}
	rc := sh.cache.pin(k)
	defer sh.cache.unpin(rc)
	if err := rc.acquire(ctx); err != nil {
		return toServiceError(err)
	}
	defer rc.release()
	if err := setBranch(ms); err != nil {
		return err
	}
	if err := sh.persist(ctx, rc, ms, &args); err != nil {
		rc.state = nil
		return err
	}
	if created != nil {
		created(rc)
	}
	return nil
}

// setBranch gives a new run its history branch (a tree of its own).
func setBranch(ms *workflow.MutableState) error {
	ei := ms.Info()
	branch, err := proto.Marshal(&persistencepb.HistoryBranch{TreeId: ei.RunId, BranchId: ei.RunId})
	if err != nil {
		return serviceerror.NewInternal("encode branch token: " + err.Error())
	}
	ei.VersionHistories.Histories[ei.VersionHistories.CurrentIndex].BranchToken = branch
	return nil
}

// appendNewRunHistory writes the first events of a run created by another
// run's transaction, before the state write that makes it exist (an
// orphaned branch is harmless, as for any append).
func (sh *shard) appendNewRunHistory(ctx context.Context, next *workflow.MutableState, txnID int64) error {
	if err := setBranch(next); err != nil {
		return err
	}
	events := next.NewEvents()
	size, err := sh.appendEvents(ctx, branchToken(next.S), events, txnID)
	if err != nil {
		return err
	}
	ei := next.Info()
	ei.HistorySizeBytes += int64(size)
	ei.LastFirstEventId = events[0].EventId
	next.S.DbRecordVersion++
	ei.StateTransitionCount++
	return nil
}

// maxHistoryNodeBytes bounds the events of one history node a transaction
// appends: a reset run copies a whole history in one transaction, which
// must not become one oversized row.
const maxHistoryNodeBytes = 1 << 20

// appendEvents appends a transaction's events (stamped with its ID) as one
// history node, or as several when they are large; the first node of a
// branch (event 1) creates it. Returns the encoded size.
func (sh *shard) appendEvents(ctx context.Context, branch []byte, events []*historypb.HistoryEvent, txnID int64) (int, error) {
	total := 0
	for len(events) > 0 {
		n, bytes := 0, 0
		for n < len(events) && (n == 0 || bytes+proto.Size(events[n]) <= maxHistoryNodeBytes) {
			events[n].TaskId = txnID
			bytes += proto.Size(events[n])
			n++
		}
		size, err := sh.svc.deps.Stores.History.AppendHistoryNodes(ctx, &persistence.AppendHistoryNodesRequest{
			ShardID:       sh.id,
			BranchToken:   branch,
			Events:        events[:n],
			TransactionID: txnID,
			IsNewBranch:   events[0].EventId == 1,
		})
		if err != nil {
			return total, err
		}
		total += size
		events = events[n:]
	}
	return total, nil
}

// enforceHistoryLimits terminates a run whose history outgrew its limits.
func (sh *shard) enforceHistoryLimits(ms *workflow.MutableState) {
	if !ms.IsRunning() {
		return
	}
	cfg := sh.svc.cfg
	count := ms.S.NextEventId - 1
	size := ms.Info().HistorySizeBytes
	for _, e := range ms.NewEvents() {
		size += int64(proto.Size(e))
	}
	if count >= cfg.HistoryCountLimit || size >= cfg.HistorySizeLimit {
		sh.svc.metrics.Counter(metricHistoryLimitExceeded).Inc(1)
		ms.Terminate("Workflow history size / count exceeds limit.", nil, "history-service")
	}
}

// branchToken returns the run's current history branch.
func branchToken(s *persistencepb.WorkflowMutableState) []byte {
	vhs := s.GetExecutionInfo().GetVersionHistories()
	if vhs == nil || len(vhs.Histories) == 0 {
		return nil
	}
	return vhs.Histories[vhs.CurrentIndex].BranchToken
}

// persist writes one transaction: history events first, then the state with
// its tasks in one range-fenced write, through the shard's committer
// (which may write it in one batch with other runs' transactions). Tasks
// join the queues only after the write succeeded.
func (sh *shard) persist(ctx context.Context, rc *runContext, ms *workflow.MutableState, create *createArgs) error {
	start := sh.svc.deps.Clock.Now()
	tasks := ms.Tasks()
	next := ms.NextRun()
	if next != nil {
		// The run this transaction created (continue-as-new, retry, cron)
		// is written with it; its tasks share the allocation.
		tasks = append(append([]*persistencepb.HistoryTask(nil), tasks...), next.Tasks()...)
	}
	txnID, reservations, err := sh.allocate(ctx, tasks)
	if err != nil {
		return err
	}
	byCat := persistence.Tasks{}   // every task, for the queues
	ownCat := persistence.Tasks{}  // this run's
	nextCat := persistence.Tasks{} // the new run's
	for _, t := range tasks {
		byCat[t.Category] = append(byCat[t.Category], t)
		if next != nil && t.RunId == next.Info().RunId {
			nextCat[t.Category] = append(nextCat[t.Category], t)
		} else {
			ownCat[t.Category] = append(ownCat[t.Category], t)
		}
	}
	abandon := func() {
		for _, r := range reservations {
			r.Abandon()
		}
	}
	s := ms.S
	events := ms.NewEvents()
	eventBytes := 0
	if len(events) > 0 {
		size, err := sh.appendEvents(ctx, branchToken(s), events, txnID)
		if err != nil {
			abandon()
			return err
		}
		s.ExecutionInfo.HistorySizeBytes += int64(size)
		s.ExecutionInfo.LastFirstEventId = events[0].EventId
		eventBytes = size
	}
	var nextSnap *persistence.WorkflowSnapshot
	if next != nil {
		if err := sh.appendNewRunHistory(ctx, next, txnID); err != nil {
			abandon()
			return err
		}
		nextSnap = &persistence.WorkflowSnapshot{State: next.S, Tasks: nextCat}
	}
	s.DbRecordVersion++
	s.ExecutionInfo.StateTransitionCount++
	snap := persistence.WorkflowSnapshot{State: s, Tasks: ownCat}
	err = sh.write(ctx, func(rangeID int64) error {
		var w persistence.ShardWrite
		if create != nil {
			w.Create = &persistence.CreateWorkflowExecutionRequest{
				ShardID: sh.id, RangeID: rangeID, Mode: create.mode,
				PreviousRunID: create.prevRunID, PreviousLastWriteVersion: create.prevLastVersion,
				NewWorkflow: snap,
			}
		} else {
			w.Update = &persistence.UpdateWorkflowExecutionRequest{
				ShardID: sh.id, RangeID: rangeID, Workflow: snap, NewWorkflow: nextSnap,
			}
		}
		return sh.committer.commit(ctx, rangeID, w)
	})
	if err != nil {
		sh.svc.metrics.Counter(metricTransactionErrors).Inc(1)
		if errors.Is(err, persistence.ErrTimeout) {
			// The write may have landed: keep its tasks. Executors check
			// every task against the run's stored state, so tasks of a write
			// that did not land are dropped when they run.
			for cat, r := range reservations {
				r.Commit(byCat[cat])
			}
		} else {
			abandon()
		}
		return err
	}
	for cat, r := range reservations {
		r.Commit(byCat[cat])
	}
	rc.state = s
	rc.events.add(s, events, eventBytes, sh.svc.cfg.EventCacheBytes)
	for _, e := range events {
		switch e.EventType {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			if rc.scheduled == nil {
				rc.scheduled = map[int64]*historypb.HistoryEvent{}
			}
			rc.scheduled[e.EventId] = e
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED,
			enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			delete(rc.scheduled, activityScheduledID(e))
		}
	}
	rc.notify()
	m := sh.svc.metrics
	m.Counter(metricTransactions).Inc(1)
	m.Counter(metricEventsWritten).Inc(int64(len(events)))
	m.Timer(metricTransactionLatency).Record(sh.svc.deps.Clock.Now().Sub(start))
	if create != nil || next != nil {
		m.Counter(metricWorkflowsStarted).Inc(1)
	}
	if len(events) > 0 && s.ExecutionState.State == persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED &&
		s.ExecutionInfo.CompletionEventId >= events[0].EventId {
		m.Counter(metricWorkflowsClosed).Inc(1)
	}
	return nil
}

// write runs one range-fenced write with the shard's current range_id; range
// renewal waits for in-flight writes so that it never fences its own host.
func (sh *shard) write(ctx context.Context, fn func(rangeID int64) error) error {
	sh.mu.Lock()
	if sh.closed {
		err := sh.notOwnedLocked()
		sh.mu.Unlock()
		return err
	}
	rangeID := sh.info.RangeId
	sh.writers.Add(1)
	sh.mu.Unlock()
	err := fn(rangeID)
	sh.writers.Done()
	if err != nil {
		sh.handleWriteError(err)
	}
	return err
}

func activityScheduledID(e *historypb.HistoryEvent) int64 {
	switch e.EventType {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		return e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		return e.GetActivityTaskFailedEventAttributes().GetScheduledEventId()
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		return e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		return e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()
	}
	return 0
}

// deadlineFor bounds a long poll: the caller's deadline less a margin, and
// at most the configured long-poll timeout.
func (s *Service) deadlineFor(ctx context.Context) time.Duration {
	d := s.cfg.LongPollTimeout
	if dl, ok := ctx.Deadline(); ok {
		left := dl.Sub(s.deps.Clock.Now()) - time.Second
		if left < d {
			d = left
		}
	}
	return d
}
