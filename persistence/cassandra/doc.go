// Package cassandra is Meridian's production storage backend: every store
// of package persistence on Apache Cassandra (5.0; tested on 5.0.9) through
// gocql. It passes the persistencetest conformance suite on a real node.
//
//	stores, err := cassandra.Open(cassandra.Config{Hosts: []string{"cass1"}, Metrics: scope}, logger)
//
// The keyspace is created and upgraded by `meridian schema setup|update`
// (schema/cassandra); Open refuses a keyspace older than
// RequiredSchemaVersion and names the command to run.
//
// # Tables and partitions
//
// Records are persistencepb messages stored as protobuf blobs (data); only
// keys and the columns that conditions test are columns of their own.
//
//	executions      ((shard_id), row_type, namespace_id, workflow_id, run_id, task_category, task_fire_time, task_id)
//	                one partition per history shard holding every row of the shard:
//	                  1 shard row    range_id, data = ShardInfo
//	                  2 current row  current_run_id, last_write_version, data = CurrentExecution
//	                  3 run row      db_record_version, data = WorkflowMutableState
//	                  4 task rows    data = HistoryTask; timers keyed (fire time ns, task_id),
//	                                 other categories (0, task_id)
//	                unused key columns hold "" or 0
//	history_node    ((tree_id, branch_id), node_id, txn_id DESC)   data = History batch
//	history_tree    ((tree_id), branch_id)                         branch token
//	tasks           ((namespace_id, task_queue_name, task_queue_type), task_id)
//	                static range_id + task_queue (the lease, TaskQueueInfo); rows: TaskQueueTask
//	namespaces      ((partition_id = 0), row_type, key)   a row by name and a row by ID, both whole
//	cluster_metadata ((cluster_name))                     version, data
//	queue_messages  ((queue_name), message_id)            static last_id; rows: payload
//	visibility      ((namespace_id), workflow_id, run_id) data = VisibilityRecord
//	schema_version  ((schema_name), version)              written by schema/cassandra
//
// A shard's partition grows with its open runs and pending tasks; size
// numShards so that a shard holds thousands, not millions, of runs.
// Completed tasks leave range tombstones that compaction drops after
// gc_grace_seconds.
//
// # Lightweight transactions
//
// Every conditional write is one lightweight transaction (LWT, one Paxos
// round) on one partition. These are the LWTs, each counted by
// persistence_cassandra_lwt{operation} (metrics.go):
//
//	CreateWorkflowExecution   1 batch: UPDATE shard SET range_id IF range_id = R;
//	                          current INSERT IF NOT EXISTS (brand new) or UPDATE IF
//	                          current_run_id AND last_write_version (update current);
//	                          run INSERT IF NOT EXISTS; task INSERTs
//	UpdateWorkflowExecution   1 batch: the range_id fence; run UPDATE IF db_record_version = v-1;
//	                          tasks; current UPDATE IF current_run_id = run (when current);
//	                          with NewWorkflow also the new run IF NOT EXISTS and the
//	                          current record moved IF current_run_id = run
//	                          (plus one plain read of the current record when there is
//	                          no NewWorkflow: the request does not say whether the run
//	                          is current)
//	WriteShardBatch           1 batch: the range_id fence, then each write's statements as
//	                          its own Create/UpdateWorkflowExecution would add them (plus
//	                          one plain read of the current records of the updates
//	                          without NewWorkflow: a multi-row IN on the partition)
//	DeleteWorkflowExecution   DELETE current IF current_run_id (when it points at the run),
//	                          DELETE run IF EXISTS
//	GetOrCreateShard          INSERT IF NOT EXISTS, only when a read found no shard row
//	UpdateShard               UPDATE IF range_id
//	LeaseTaskQueue            INSERT IF NOT EXISTS or UPDATE IF range_id (after a read)
//	UpdateTaskQueue           UPDATE IF range_id
//	CreateTasks               1 batch: UPDATE SET range_id IF range_id, task INSERTs
//	CreateNamespace           1 batch: name row and ID row IF NOT EXISTS
//	UpdateNamespace           1 batch: both rows IF namespace_id AND config_version
//	SaveClusterMetadata       INSERT IF NOT EXISTS (version 1) or UPDATE IF version
//	Enqueue                   1 batch: UPDATE SET last_id IF last_id, message INSERT
//
// Everything else is a plain read or write: AppendHistoryNodes (events are
// appended before the fenced state write; readers trust next_event_id, so
// an orphaned append is harmless), ReadHistoryBranch, history and task
// reads, RangeCompleteHistoryTasks and CompleteTasksLessThan (range
// deletes), queue reads and deletes, visibility.
//
// So a workflow with one activity costs at most 7 LWTs in the history
// service's transaction sequence (fewer under load, when the history
// service's group commit writes several workflows' transactions of a
// shard in one WriteShardBatch): CreateWorkflowExecution, then one
// UpdateWorkflowExecution each for workflow task started, completed
// (activity scheduled), activity started, completed, workflow task started,
// completed (workflow closed). A task handed to a waiting poller (sync
// match) writes no backlog; lease renewals and shard range renewals are
// amortized over many workflows.
//
// A batch that is not applied returns, for each conditioned row that
// exists, its current values; the stores decode them into the contract's
// errors, in this order: the shard row's range_id differs or the row is
// missing: *persistence.ShardOwnershipLostError (with the stored range);
// the run's db_record_version differs or the run is missing:
// persistence.ErrConditionFailed; the current row differs:
// *persistence.CurrentWorkflowConditionFailedError with its run ID, create
// request ID, state, status and last write version (the batch inserts a run
// IF NOT EXISTS, so Cassandra returns every column of the current row); a
// run to create exists: persistence.ErrAlreadyExists. The writes of a
// WriteShardBatch touch different workflows, hence different rows, so the
// same rows decode each write's own outcome; writes whose conditions held
// get persistence.ErrShardBatchAborted.
//
// A shard batch is a single-partition batch: Cassandra applies it as one
// mutation and does not hold it to batch_size_warn_threshold or
// batch_size_fail_threshold (those apply to multi-partition batches; the
// conformance suite writes a ~200 KB batch). What bounds it is
// max_mutation_size (half of commitlog_segment_size: 16 MiB by default);
// persistence.MaxShardBatchWrites and MaxShardBatchBytes stay well below.
//
// # Consistency
//
// Reads and writes use Config.Consistency (LOCAL_QUORUM); the Paxos phase
// of LWTs uses Config.SerialConsistency (LOCAL_SERIAL) and their commit
// Config.Consistency. Each region is its own Cassandra cluster (replication
// between regions is Meridian's, DESIGN.md §6), so LOCAL_SERIAL is
// linearizable for everything a region writes.
//
// # Invariants
//
//   - A shard's writes are one partition: a shard transaction is atomic and
//     isolated, and the range_id fence is in the same Paxos round as the
//     write it fences. UpdateShard's Paxos round completes any proposal a
//     fenced-out owner left in flight on the partition, so once it returns,
//     plain LOCAL_QUORUM reads see everything the old owner wrote and
//     nothing it writes later.
//   - Only idempotent reads are retried (readRetryPolicy); writes never
//     are: the driver's retry policy is off.
//   - Errors are classified once (errors.go): timeouts and
//     outcome-unknown LWTs are persistence.ErrTimeout (the caller must
//     reload before retrying a conditional write), unavailable or
//     overloaded replicas persistence.ErrUnavailable.
//   - Write timestamps are assigned by the coordinator, never by the
//     client (ClusterConfig sets DefaultTimestamp false), so plain writes
//     and range deletes on rows that LWTs also write are ordered by the
//     same clocks as Paxos ballots. No statement uses USING TIMESTAMP: the
//     rows whose order matters are written by LWTs, or (deletes of runs and
//     current records) deleted by LWTs. Retention deletes go through the
//     server; no TTL is set.
//   - Queue message IDs start at 1 and only grow: the last issued ID is a
//     static column that range deletes of messages leave in place, and
//     message n+1 is written by the batch conditioned on message n's.
//
// # Scale
//
// Visibility List and Count read the namespace's whole partition, filter
// with the request's Filter, sort and page by offset: bounded by the number
// of runs a namespace keeps within retention (fine for tens of thousands,
// not for millions). Production visibility at scale wants an index
// (Cassandra 5 storage-attached indexes, or a search engine).
// ListTaskQueues scans the partition heads of the tasks table (SELECT
// DISTINCT), for operators only. Namespaces live in one partition: fine
// for the thousands a cluster has.
package cassandra
