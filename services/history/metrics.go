package history

// Metric names of the history service.
const (
	metricTransactions         = "history_transactions"
	metricTransactionErrors    = "history_transaction_errors"
	metricTransactionLatency   = "history_transaction_latency"
	metricEventsWritten        = "history_events_written"
	metricShardAcquired        = "history_shard_acquired"
	metricShardAcquireLatency  = "history_shard_acquire_latency"
	metricShardAcquireErrors   = "history_shard_acquire_errors"
	metricShardReleased        = "history_shard_released"
	metricShardHandoffLatency  = "history_shard_handoff_latency"
	metricShardHandoffTimeouts = "history_shard_handoff_timeouts"
	metricShardDrainTimeouts   = "history_shard_drain_timeouts"
	metricShardOwnershipLost   = "history_shard_ownership_lost"
	metricShardNotOwned        = "history_shard_not_owned"
	metricShardsOwned          = "history_shards_owned"
	metricCacheMiss            = "history_cache_miss"
	metricConditionalWrites    = "persistence_conditional_writes"
	metricCommitBatchSize      = "history_commit_batch_size"
	metricTasksDispatched      = "history_tasks_dispatched"
	metricWorkflowsStarted     = "history_workflows_started"
	metricWorkflowsClosed      = "history_workflows_closed"
	metricHistoryLimitExceeded = "history_limit_exceeded"
	metricUpdatesAdmitted      = "history_updates_admitted"
	metricUpdatesRejected      = "history_updates_rejected"
	// Workflow tasks started in the start's own transaction and returned
	// with it (eager workflow start).
	metricEagerWorkflowTasks = "history_eager_workflow_tasks"
	// Activities started in a workflow task completion's transaction and
	// returned with it (eager activity dispatch).
	metricEagerActivityTasks = "history_eager_activity_tasks"
)
