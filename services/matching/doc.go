// Package matching is Meridian's matching service: it owns task queues.
//
// A task-queue partition is (namespace ID, name, task type) with kind NORMAL
// or STICKY; each loaded partition has one taskQueueManager holding the
// partition's lease, its in-memory matcher (waiting pollers, pending legacy
// queries, buffered backlog tasks) and its backlog (durable tasks in the
// persistence.TaskStore). Managers load on first use and unload after
// Config.IdleTimeout without calls.
//
// How a task travels:
//   - AddWorkflowTask/AddActivityTask first offer the task to a poller that
//     is already waiting (sync match). If none takes it, the task is written
//     to the backlog with TaskStore.CreateTasks before Add returns. A
//     sync-matched Add returns only once the poller has had history record
//     the start (or history refused the task), so a nil return always means
//     the task is started, dropped as stale, or durable.
//   - A reader loads backlog tasks in ID order into a bounded buffer and hands
//     them to pollers. Legacy query tasks are never persisted and go to
//     pollers before any other task.
//   - A poll that obtains a task asks history to record the start, using the
//     poller ID as request ID. NotFound and AlreadyExists from history mean
//     the task is stale: it is dropped and the same poll keeps waiting. If
//     the poller went away first, the task is given back (to the head of the
//     buffer, or from a sync match to the backlog).
//
// Invariants:
//   - A task handed to a poller by sync match is never written to the backlog
//     (unless the poller failed to start it, in which case it was never
//     handed over in effect).
//   - Every backlog write is fenced by the partition's range_id. Task IDs come
//     from the block [rangeID<<idBlockBits, (rangeID+1)<<idBlockBits), so a
//     later owner's IDs are always larger. A failed condition means another
//     owner took the lease: the manager unloads at once and never writes
//     with the stale lease.
//   - The ack level (every backlog task at or below it is done) only moves
//     forward; it is persisted with UpdateTaskQueue and tasks below it are
//     deleted with CompleteTasksLessThan, both periodically in batches and on
//     a clean stop.
//   - A poll response's backlog_count_hint counts only tasks a poller could
//     still take, never those other pollers hold while history records
//     their start. The Go SDK moves all its pollers to a sticky queue whose
//     last hint was positive, so a sticky poll starting shortly after a
//     positive hint waits only briefly: a poller must not sit out a long
//     poll on an empty sticky queue while its normal queue goes unpolled.
//   - Time comes only from the injected clock.Clock.
package matching
