package history

// Metric names of the history service.
const (
	metricTransactions         = "history_transactions"
	metricTransactionErrors    = "history_transaction_errors"
	metricTransactionLatency   = "history_transaction_latency"
	metricEventsWritten        = "history_events_written"
	metricShardAcquired        = "history_shard_acquired"
	metricShardOwnershipLost   = "history_shard_ownership_lost"
	metricCacheMiss            = "history_cache_miss"
	metricConditionalWrites    = "persistence_conditional_writes"
	metricTasksDispatched      = "history_tasks_dispatched"
	metricWorkflowsStarted     = "history_workflows_started"
	metricWorkflowsClosed      = "history_workflows_closed"
	metricHistoryLimitExceeded = "history_limit_exceeded"
	metricUpdatesAdmitted      = "history_updates_admitted"
	metricUpdatesRejected      = "history_updates_rejected"
)
