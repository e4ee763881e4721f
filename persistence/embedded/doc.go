// Package embedded is Meridian's single-node storage backend: every store of
// package persistence on one pebble database in a local directory. It is
// what `meridian server start-dev` runs on: durable, no external process,
// nothing to install. Open(dir, Options{}) opens it on disk;
// Options{InMemory: true} keeps it in memory for unit tests. It passes the
// persistencetest conformance suite.
//
// # What it owns
//
// The key layout and encodings below, the in-process locks, and the cache
// of each shard's range_id. Values are the persistencepb messages, proto
// encoded (history nodes: a temporal historypb.History of the batch; queue
// messages: the raw payload). Meaning belongs to the callers.
//
// # Key layout
//
// Every key starts with a one-byte table prefix. Strings are encoded in an
// order-preserving, prefix-free form (0x00 escaped as 00 ff, terminated by
// 00 01); integers are big-endian with the sign bit flipped, so byte order
// is value order. Shard-scoped rows start with the shard ID, so one shard's
// rows are contiguous.
//
//	01 shard:i32 01                                   ShardInfo
//	01 shard:i32 02 ns wf run                         WorkflowMutableState
//	01 shard:i32 03 ns wf                             CurrentExecution
//	01 shard:i32 04 category:u8 task_id:i64           HistoryTask (transfer, visibility, replication)
//	01 shard:i32 04 category:u8 fire:i64 task_id:i64  HistoryTask (timer; fire = Unix nanos)
//	02 tree branch first_event_id:i64 ^txn:i64         historypb.History (one batch)
//	03 tree branch                                    branch token (written by IsNewBranch)
//	04 namespace_id                                   NamespaceDetail
//	05 namespace_name                                 namespace ID (name index)
//	06 cluster_name                                   ClusterMetadata
//	07 queue id:i64                                   payload
//	08 queue                                          last issued message ID (u64)
//	09 ns task_queue type:i32                         TaskQueueInfo
//	0a ns task_queue type:i32 task_id:i64             TaskQueueTask
//	0b ns wf run                                      VisibilityRecord
//
// History node keys sort a node's transactions newest first, so a read
// keeps the first key of each first_event_id and skips the rest.
//
// # Invariants
//
//   - Every write an interface describes as atomic is one pebble batch
//     committed with pebble.Sync: acknowledged means on disk and survives
//     kill -9 or power loss. Concurrent commits share WAL fsyncs (pebble's
//     group commit); no lock is global across an fsync.
//   - Conditions are checked and committed under one lock, held from the
//     read through the commit. A shard's range_id is fenced by a per-shard
//     RWMutex: execution writes hold it shared (so writes of one shard
//     commit together), UpdateShard and GetOrCreateShard exclusively, so a
//     range change waits for in-flight writes and fences every later one.
//     db_record_version and the current-run record are checked under a
//     lock striped by (shard, namespace, workflow ID) (a shard batch takes
//     the stripes of all its workflows, in stripe order); task-queue range_id
//     under a per-queue RWMutex (CreateTasks shared, LeaseTaskQueue
//     exclusive); namespaces and cluster metadata under one mutex each;
//     queue IDs under a per-queue mutex.
//   - The range_id cache changes only after a successful commit and is
//     reloaded from disk after a failed one. pebble locks the directory, so
//     no other process writes behind the cache.
//   - Queue message IDs start at 1 and only grow, across deletes and
//     restarts (the last issued ID is stored).
//   - Reading history returns, per batch, the newest transaction, and skips
//     a batch that overlaps events already returned (a late append from a
//     fenced-out owner). Pages hold whole batches; PageSize counts events.
//
// # Scale
//
// Visibility List and Count scan, filter and sort every record of the
// namespace, and page by offset. That is fine at dev scale (thousands of
// runs), not for production; production visibility lives elsewhere.
package embedded
