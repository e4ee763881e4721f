// Package persistence defines Meridian's storage contracts: one small
// interface per store (shard, execution, history, task, namespace, cluster
// metadata, queue, visibility), the request types they take and the errors
// they return. Backends live in sub-packages (embedded, cassandra) and all
// pass the conformance suite in persistencetest.
//
// It also holds the logic every backend applies alike, as code that does
// no I/O of its own (reads go through a small interface or func the
// backend passes in), so that backends keep only keys, encoding and storage
// access: request checks (validate.go), the current-record rules
// (currentexecution.go), which stored history nodes make up a page
// (historynode.go: newest transaction per node, whole batches, ancestors),
// visibility filtering and paging (visibility.go), the order of task
// keys (taskkey.go) and the shard batch's checks and outcomes
// (shardbatch.go).
//
// Invariants every backend keeps:
//   - A shard's writes are atomic and conditional on the shard's range_id;
//     a write whose range_id is stale fails with *ShardOwnershipLostError and
//     changes nothing.
//   - A workflow update is also conditional on the run's db_record_version;
//     a stale one fails with ErrConditionFailed.
//   - A shard batch (WriteShardBatch: creates and updates of different
//     workflows of one shard) is one write: all or nothing, fenced by the
//     range_id and conditional on every write's own conditions. When a
//     write's condition fails, *ShardBatchError gives each write's outcome
//     (its own error, or ErrShardBatchAborted for writes to resubmit), and
//     at least one outcome is not ErrShardBatchAborted, so resubmitting the
//     aborted writes always makes progress.
//   - History events are appended before the state write that makes them
//     visible (next_event_id); events at or above next_event_id are ignored
//     by readers, so an orphaned append is harmless.
//   - Records are stored as the persistencepb messages; backends own keys and
//     encoding, not meaning.
package persistence
