// Package queues runs a history shard's task queues: the transfer and
// visibility queues (immediate tasks, run in task ID order) and the timer
// queue (scheduled tasks, run when the clock reaches their fire time, in
// (fire time, task ID) order). One Queue serves one category of one shard.
//
// # What it owns
//
//   - Which of the shard's tasks of its category are in memory, and handing
//     them to the Executor with Config.Workers goroutines.
//   - Retrying failed tasks: doubling backoff from RetryBackoff, capped at
//     MaxRetryBackoff, jittered into [d/2, d] with the injected rand;
//     forever, until the queue stops.
//   - The ack level, persisted through Deps.PersistAck, and deleting the
//     store's tasks at or below it (RangeCompleteHistoryTasks), both from
//     one ack loop every AckInterval.
//   - For the timer queue, the lookahead window: timers firing before the
//     window's end are in memory; later ones stay in the store and are read
//     (GetHistoryTasks over [windowEnd, now+TimerLookahead)) once the clock
//     is within TimerLookahead/2 of the window's end.
//
// It does not own task IDs (the shard allocates them), the meaning of a task
// (the Executor's), nor the shard record (PersistAck writes it with the
// shard's range_id condition).
//
// # Keys
//
// A task's key is TaskKey{TaskID: id} for immediate categories and
// TaskKey{FireTime: visibility_time, TaskID: id} for timers (see KeyOf),
// ordered by TaskKey.Compare. Timer fire times must round-trip through the
// store unchanged (the shard truncates them to milliseconds before it
// reserves them; the queue's own window boundaries are whole milliseconds).
//
// # Life of a task
//
// The shard calls Reserve with the keys it allocated, under its allocation
// lock, before the write; then Commit with the tasks written, or Abandon if
// the write failed. Committed tasks join the queue in memory (there is no
// read-back), except timers beyond the loaded window. Start reads every
// task above the given ack level (for timers: in the first window) from the
// store: tasks left by a crash, a shard move, or writes whose Commit never
// came.
//
// # Ack level
//
// The ack level A is inclusive: every task with key <= A is done, and no
// open reservation has a key <= A. It is the smallest of
//
//   - the predecessor of the smallest key still held: reserved and not
//     finished, or in memory and not done (queued, running or retrying);
//   - the predecessor of the loaded window's end (a timer load in
//     progress included), below which every stored task is known;
//   - the largest key of a task that finished (or the starting level), so
//     that the level never runs into key space still to be allocated.
//
// It never decreases. Reservation keys at or below it are a broken
// invariant (panic) for immediate queues; for the timer queue a timer due
// at or before it is moved to its fire time, still in the past, so it
// fires at once (Reservation.Keys tells the shard). The one exception: a
// starting level inherited from a host whose clock ran ahead delays such
// timers until this clock reaches it.
//
// Persisting: PersistAck(A), then RangeCompleteHistoryTasks over
// [successor(D), successor(A)), where successor(k) = (k.FireTime,
// k.TaskID+1) and D is the level deleted up to before (the first delete
// after Start starts at the zero key instead, sweeping leftovers of a crash
// between the two calls). Nothing above the last accepted PersistAck level
// is deleted. After a crash, the tasks above the persisted level run again:
// executors are idempotent.
//
// # Exactly once in memory
//
// A task is queued at most once per Queue, even when a Commit races a load
// of the same key range: a load marks [windowEnd, loadEnd) as loading
// before it reads, Commit keeps tasks in that range in memory and records
// their IDs, and the load skips IDs it already knows (queued, committed
// during the load, or loaded earlier while the reservation was open, in
// which case Commit skips them). A task committed beyond the window and
// before the load began is in the store by then, and the load reads it.
//
// # Unknown write outcomes
//
// Abandon releases the keys. A write with an unknown outcome that in fact
// landed is found by the next load (the next Queue's Start) only if the
// persisted ack level has not passed it by then. The shard must therefore
// fence such a write first (re-acquire the shard's range, or lose it, so
// that this queue's PersistAck fails from then on), then Abandon and reload.
//
// # Memory
//
// Immediate queues are not bounded: every task above the ack level is in
// memory (the start-up load reads them all), and a task that keeps failing
// holds the ack level, so the backlog and the tasks behind it in the store
// grow while it retries. Memory per task is the HistoryTask plus about 200
// bytes. The timer queue holds only the timers firing within the window
// (plus retries). A future bound for immediate queues would load in pages
// up to a read level, as the timer window does, and let Commit drop tasks
// above it.
package queues
