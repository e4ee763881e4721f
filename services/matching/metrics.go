package matching

// Metric names and tags of the matching service, all emitted under the
// "matching" sub-scope of Deps.Metrics. Every metric is tagged with
// tagTaskType; task-queue names are not tags (sticky queues would make the
// cardinality unbounded).
const (
	// metricSyncMatch counts tasks handed straight from Add to a waiting
	// poller (never written to the backlog).
	metricSyncMatch = "sync_match"
	// metricBacklogWrites counts tasks written to a backlog with CreateTasks.
	metricBacklogWrites = "backlog_writes"
	// metricBacklogSize is a gauge of backlog tasks known to this host
	// (loaded and not done, plus written and not yet loaded).
	metricBacklogSize = "backlog_size"
	// metricPollTimeouts counts polls answered empty because they expired.
	metricPollTimeouts = "poll_timeouts"
	// metricTasksDropped counts tasks dropped, tagged with tagReason.
	metricTasksDropped = "tasks_dropped"
	// metricTasksReturned counts tasks given back because the poller could
	// not start them (its context ended, or history failed transiently).
	metricTasksReturned = "tasks_returned"
	// metricStickyUnavailable counts workflow tasks refused by a sticky
	// queue nobody polls lately (history sends them to the normal queue).
	metricStickyUnavailable = "sticky_worker_unavailable"
	// metricQueryTasks counts legacy query tasks received by QueryWorkflow.
	metricQueryTasks = "query_tasks"
	// metricLeaseLost counts partitions unloaded because another owner took
	// their lease.
	metricLeaseLost = "lease_lost"
	// metricTaskQueueLoads / metricTaskQueueUnloads count partition loads
	// (lease taken, backlog opened) and unloads (idle, lease lost, moved
	// away, or service stop).
	metricTaskQueueLoads   = "task_queue_loads"
	metricTaskQueueUnloads = "task_queue_unloads"
	// metricOwnershipLost counts partitions unloaded because the ring
	// moved them to another host.
	metricOwnershipLost = "partition_ownership_lost"
	// metricForwardedAdds counts Adds a non-root partition offered to its
	// root, tagged with tagForwardResult; metricForwardedBacklogTasks the
	// same for backlog tasks; metricForwardedPolls counts polls forwarded
	// to the root.
	metricForwardedAdds         = "forwarded_adds"
	metricForwardedBacklogTasks = "forwarded_backlog_tasks"
	metricForwardedPolls        = "forwarded_polls"

	// tagTaskType is "workflow" or "activity".
	tagTaskType = "task_type"
	// tagReason says why a task was dropped: dropReasonNotFound,
	// dropReasonAlreadyStarted or dropReasonExpired.
	tagReason = "reason"
	// tagForwardResult is forwardMatched (a poller at the root took the
	// task), forwardUnmatched (none was waiting) or forwardFailed (the
	// root could not be asked).
	tagForwardResult = "result"

	forwardMatched   = "matched"
	forwardUnmatched = "unmatched"
	forwardFailed    = "failed"

	dropReasonNotFound       = "not_found"
	dropReasonAlreadyStarted = "already_started"
	dropReasonExpired        = "expired"

	metricsSubScope = "matching"
)
