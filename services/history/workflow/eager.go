package workflow

import (
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Eager dispatch: a task handed straight back to the caller's own worker in
// the response of the call that created it (StartWorkflowExecution for the
// first workflow task, RespondWorkflowTaskCompleted for activities) is
// started in the same transaction, so it costs no durable write of its own.
// Its dispatch task (and schedule-to-start timer) is dropped: nothing is
// left to dispatch. Its start-to-close (and heartbeat) timers are written
// as for any started task, so a worker that never answers is timed out and
// the task retried through its queue.

// StartWorkflowTaskEagerly starts the workflow task scheduled by this
// transaction (attempt 1, on the run's normal queue) and reports whether it
// did. It does nothing for a run whose first task is delayed (start delay,
// cron) or already started.
func (m *MutableState) StartWorkflowTaskEagerly(requestID, identity string) bool {
	wt := m.WorkflowTask()
	if !m.IsRunning() || wt == nil || wt.StartedEventId != 0 || wt.Sticky || wt.Attempt != 1 {
		return false
	}
	if !m.dropTasks(func(t *persistencepb.HistoryTask) bool {
		return t.EventId == wt.ScheduledEventId && (t.Type == persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK ||
			(t.Type == persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK_TIMEOUT && t.TimeoutType == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START))
	}) {
		// Not scheduled by this transaction: matching may have it already.
		return false
	}
	// The started event reports the history's size before it, as when a
	// poll starts the task after these events were written.
	size := m.S.ExecutionInfo.HistorySizeBytes
	for _, e := range m.newEvents {
		size += int64(proto.Size(e))
	}
	m.StartWorkflowTask(requestID, identity, size)
	return true
}

// StartActivityEagerly starts the first attempt of an activity scheduled by
// this transaction and reports whether it did.
func (m *MutableState) StartActivityEagerly(ai *persistencepb.ActivityInfo, requestID, identity string) bool {
	if !m.IsRunning() || ai == nil || ai.Started || ai.Attempt != 1 {
		return false
	}
	if !m.dropTasks(func(t *persistencepb.HistoryTask) bool {
		return t.EventId == ai.ScheduledEventId && t.Attempt == ai.Attempt && t.Stamp == ai.Stamp &&
			(t.Type == persistencepb.TaskType_TASK_TYPE_ACTIVITY_TASK ||
				(t.Type == persistencepb.TaskType_TASK_TYPE_ACTIVITY_TIMEOUT && t.TimeoutType == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START))
	}) {
		return false
	}
	m.StartActivity(ai, requestID, identity)
	return true
}

// dropTasks removes this transaction's tasks that match, provided a
// dispatch (transfer) task is among them, and reports whether it did.
func (m *MutableState) dropTasks(match func(t *persistencepb.HistoryTask) bool) bool {
	dispatch := false
	for _, t := range m.tasks {
		if t.Category == persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER && match(t) {
			dispatch = true
			break
		}
	}
	if !dispatch {
		return false
	}
	kept := make([]*persistencepb.HistoryTask, 0, len(m.tasks))
	for _, t := range m.tasks {
		if !match(t) {
			kept = append(kept, t)
		}
	}
	m.tasks = kept
	return true
}
