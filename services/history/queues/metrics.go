package queues

// Metric names. Every metric of a queue is emitted on deps.Metrics tagged
// with category=transfer|timer|visibility; the shard tags its scope with
// whatever else it wants (the shard ID is left to it, as it is
// high-cardinality).
const (
	// MetricTasksExecuted counts tasks whose Execute returned nil.
	MetricTasksExecuted = "history_queue_tasks_executed"
	// MetricTaskErrors counts Execute calls that returned an error.
	MetricTaskErrors = "history_queue_task_errors"
	// MetricTaskRetries counts retries scheduled after an error (errors
	// while the queue stops are not retried).
	MetricTaskRetries = "history_queue_task_retries"
	// MetricTaskLatency times a task from when it became runnable (its
	// fire time for timers, the moment the queue learned of it for
	// immediate tasks) to its successful completion.
	MetricTaskLatency = "history_queue_task_latency"
	// MetricPending gauges the tasks known and not done (Queue.Pending),
	// sampled every ack interval.
	MetricPending = "history_queue_pending"
	// MetricTasksLoaded counts tasks read from the store (start-up and
	// timer window loads) that were not already known.
	MetricTasksLoaded = "history_queue_tasks_loaded"
	// MetricLoadErrors counts failed GetHistoryTasks calls.
	MetricLoadErrors = "history_queue_load_errors"
	// MetricAckLevelMoves counts ack levels persisted with PersistAck.
	MetricAckLevelMoves = "history_queue_ack_level_moves"
	// MetricAckPersistErrors counts failed PersistAck calls.
	MetricAckPersistErrors = "history_queue_ack_persist_errors"
	// MetricRangeCompleteErrors counts failed RangeCompleteHistoryTasks
	// calls.
	MetricRangeCompleteErrors = "history_queue_range_complete_errors"
)

// tagCategory is the tag key carrying categoryName.
const tagCategory = "category"
