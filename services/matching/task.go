package matching

import (
	"container/list"
	"time"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// taskSource says where a task handed to a poller came from.
type taskSource uint8

const (
	// sourceSync: straight from Add; Add waits on result.
	sourceSync taskSource = iota + 1
	// sourceBacklog: read from the partition's backlog.
	sourceBacklog
	// sourceQuery: a legacy query task from QueryWorkflow; never persisted.
	sourceQuery
)

// outcome is what became of a task a poller obtained.
type outcome uint8

const (
	// outcomeStarted: history recorded the start; the task is done.
	outcomeStarted outcome = iota + 1
	// outcomeDropped: the task is stale (history refused it for good, or it
	// expired); it is done.
	outcomeDropped
	// outcomeReturned: the poller went away before history recorded the
	// start; deliver the task again, ahead of newer tasks.
	outcomeReturned
	// outcomeFailed: history failed transiently; deliver the task again,
	// behind the tasks already waiting.
	outcomeFailed
)

// internalTask is a task on its way to a poller.
type internalTask struct {
	source taskSource
	// info is the backlog entry (task_id is 0 for a sync-match task). Nil
	// for query tasks.
	info *persistencepb.TaskQueueTask
	// result receives the poller's outcome of a sync-match task (buffered 1).
	result chan outcome
	// mgr is the partition whose backlog holds a backlog task.
	mgr *taskQueueManager
	// query is set for query tasks.
	query *queryTask
	// elem is the task's place in the manager's syncWait or queries list
	// while queued there (guarded by the manager's mutex).
	elem *list.Element
}

func newSyncTask(info *persistencepb.TaskQueueTask) *internalTask {
	return &internalTask{source: sourceSync, info: info, result: make(chan outcome, 1)}
}

// finish reports what the poller did with the task. Call it exactly once per
// delivery.
func (t *internalTask) finish(o outcome) {
	switch t.source {
	case sourceSync:
		t.result <- o
	case sourceBacklog:
		t.mgr.finishBacklogTask(t, o)
	case sourceQuery:
		if o == outcomeReturned || o == outcomeFailed {
			t.query.redeliver()
		}
	}
}

// expired reports whether a task's expiry time has passed. A zero or absent
// expiry means never.
func expired(info *persistencepb.TaskQueueTask, now time.Time) bool {
	ts := info.GetExpiryTime()
	if ts == nil || (ts.GetSeconds() == 0 && ts.GetNanos() == 0) {
		return false
	}
	return !now.Before(ts.AsTime())
}
