// Package matching is Meridian's matching service: it owns task queues.
//
// A task-queue partition is (namespace ID, name, task type, partition
// number) with kind NORMAL or STICKY; each loaded partition has one
// taskQueueManager holding the partition's lease, its in-memory matcher
// (waiting pollers, pending legacy queries, buffered backlog tasks) and its
// backlog (durable tasks in the persistence.TaskStore). Managers load on
// first use and unload after Config.IdleTimeout without calls.
//
// Partitions (partition.go): a normal queue has Config.PartitionCount(name)
// partitions (default 1), a sticky queue one. The router picks one for each
// Add and Poll; non-root partitions forward what they cannot match to the
// root (unmatched Adds, a bounded number of polls, buffered backlog tasks),
// so a task never waits in one partition while a poller waits in another.
// Legacy queries go to the root; the root's DescribeTaskQueue reports every
// partition.
//
// Ownership (ownership.go): with Deps.Ownership a host serves only the
// partitions its ring places on it; a call for another partition answers
// rpc.NotOwnedError, which routers retry on the owner. When the ring moves
// a loaded partition away the host unloads it at once: parked polls answer
// empty, queued Adds and queries answer NotOwned, buffered backlog tasks
// are dropped from memory (they are durable), and the ack level, fenced by
// the lease, is its last write. The new owner loads the partition on first
// use, bumping range_id, and continues from the durable backlog.
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
//     with the stale lease; with Deps.Ownership the host then refuses the
//     partition for Config.LeaseLostBackoff, so two hosts whose rings
//     disagree briefly do not take it back and forth.
//   - A forwarded task is never written by the root: either a root poller
//     starts it or the forwarding partition keeps (writes, or still holds)
//     it. The root never forwards.
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
