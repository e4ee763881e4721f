// Package history is the shell around the workflow state machine
// (package workflow): it owns history shards, loads and caches each run's
// mutable state, serializes transactions per run, persists them atomically
// per shard (fenced by the shard's range_id), and executes the tasks they
// derive through the queues package.
//
// Invariants:
//   - A shard is used only while this host holds its range_id; any write that
//     finds the range moved drops the shard at once (ownership lost), and
//     so does the controller's periodic read of the records of the shards
//     it holds (ControllerConfig.VerifyInterval), which catches idle ones.
//   - The shard controller (controller.go) holds exactly the shards that
//     Deps.Ownership assigns (all of them in a single-host region; a
//     ring's share otherwise, ownership.go). A released shard takes no new
//     transaction, drains the running ones, stops its queues and clears
//     its record's owner before it is forgotten; an acquirer waits for a
//     live previous owner's release (bounded) before bumping the range. A
//     request for a shard not held fails with
//     *historyservice.ShardNotOwnedError naming the owner when known.
//   - One transaction at a time per run (the run's context lock); a failed
//     transaction drops the cached state so the next one reloads from the store.
//   - Events are appended before the state write that makes them visible.
//     Only committed events enter a run's event window (events.go), which
//     serves workflow tasks their history without a store read.
//   - A shard has at most one conditional state write in flight: its
//     committer (committer.go) writes a transaction at once when none is,
//     and otherwise batches the transactions that queued meanwhile into
//     one persistence.ExecutionStore.WriteShardBatch (group commit). A
//     batch never holds two writes of one workflow ID; each transaction
//     gets its own outcome, and a lost range_id drops the shard as for a
//     single write.
//   - A task handed out eagerly (the first workflow task with its start,
//     activities with the completion that scheduled them) is started in
//     the transaction that scheduled it, with its start-to-close timers,
//     and is returned only after that transaction committed.
//   - Tasks reach the queues only after their transaction committed; the
//     queues' ack level never passes a task that is reserved or unfinished.
//   - Task executors are idempotent: each checks the run's state (event ID,
//     attempt, stamp) and drops a task that no longer applies. Executors
//     that act on other workflows (child start, signal and cancel of other
//     workflows, a closed run's report to its parent and parent close
//     policy) go through the Service's own HistoryService methods with a
//     request ID derived from the run and the initiating event, and record
//     an outcome only while its pending info exists (api_child.go).
//   - A run created by another run's transaction (continue-as-new, retry,
//     cron) is written in that transaction: its history first, then both
//     states in one write that moves the workflow ID's current record.
//   - Admitted workflow updates live in the run context's registry, in
//     memory only, changed under the run's lock and only after the
//     transaction that justifies the change committed; every workflow task
//     that starts carries them all. Accepted updates are in the run's state
//     (update.go, api_update.go).
//   - A reset (api_reset.go) writes its new run in the transaction that
//     terminates the running current run, or creates it conditionally on
//     the current record when that run is closed; the base run's history
//     is read under its lock when it is the running current run. A delete
//     (api_delete.go) and the retention timer delete a closed run under its
//     lock: visibility record, state, history.
package history
