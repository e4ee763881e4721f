// Package frontend is Meridian's public API: Temporal's WorkflowService
// (and the search-attribute part of OperatorService) over gRPC, so that
// the official Temporal SDKs and CLI run against Meridian unchanged.
//
// The frontend owns validation, limits, namespace management and routing.
// It keeps no workflow state: workflow calls go to history (which owns the
// shard of the workflow), long polls and query answers to matching, list
// calls to the visibility store, namespace calls to the namespace store.
//
// Invariants:
//
//   - Every request is validated before anything is looked up or routed
//     (validate*.go, pure functions over the request and Config). A bad
//     request gets serviceerror.InvalidArgument naming the field, never a
//     panic; payload blobs over Config.BlobSizeLimitError are rejected with
//     "Blob data size exceeds limit.".
//   - Every error that leaves the package is a serviceerror (errors.go):
//     serviceerrors from history and matching pass through unchanged,
//     context errors become DeadlineExceeded/Canceled, store failures
//     Unavailable, anything else Internal. A handler panic is recovered by
//     the gRPC interceptor and answered Internal.
//   - Namespaces are resolved through the namespace.Registry. Writes
//     (start, signal, cancel, terminate, task completions) to a global
//     namespace are accepted only in its active cluster: elsewhere they get
//     NamespaceNotActive. Reads and polls are served in any cluster.
//   - Namespace updates are read-modify-write conditional on config_version
//     and retried on conflict; the registry entry is invalidated after
//     every write.
//   - Custom search attributes live in the namespace record, in
//     NamespaceConfig.custom_search_attribute_aliases keyed by a field name
//     whose prefix encodes the type (searchattributes.go,
//     common/searchattribute). Start and signal-with-start requests may
//     set only custom and predefined attributes, with values of their
//     type, within the size limits; history checks commands by the same
//     rules.
//   - Visibility answers (List, Scan, the legacy lists) carry every
//     search attribute's type in its payload's "type" metadata, and never
//     a nil memo or search attributes; queries are parsed against the
//     namespace's current attributes, so a removed attribute is an
//     InvalidArgument. CountWorkflowExecutions groups by ExecutionStatus
//     only; lists refuse GROUP BY.
//   - Task tokens are marshaled TaskToken / QueryTaskToken messages; the
//     namespace of a token-carrying request must be the token's.
//   - Workflow updates (UpdateWorkflowExecution, PollWorkflowExecutionUpdate
//     and update-with-start through ExecuteMultiOperation) are validated
//     here and owned by history; a wait policy other than COMPLETED waits
//     for ACCEPTED.
//   - ResetWorkflowExecution and DeleteWorkflowExecution are validated here
//     (the reset point itself is checked by history against the run's
//     events) and owned by history; a reset without a request ID gets one.
//     Reset's post_reset_operations are refused with InvalidArgument.
//   - Schedules (schedule_handler.go) are scheduler workflows run by the
//     system worker (services/worker): Create starts one through history
//     (ID schedule.WorkflowID, search attribute
//     TemporalNamespaceDivision=TemporalScheduler, which callers cannot
//     set themselves), Update and Patch are workflow updates that return
//     once the scheduler applied them, Describe is a query, Delete
//     terminates it; GetSystemInfo and DescribeNamespace report
//     supports_schedules. Workflow list and count calls hide records that carry
//     TemporalNamespaceDivision unless the query names it (division.go).
//   - GetWorkflowExecutionHistoryReverse (history_reverse.go) reads the
//     run forward through history and pages it newest first; its page
//     token pins the run, so later pages read the same run.
//
// Not implemented (Unimplemented): batch operations,
// worker versioning and deployments, Nexus, archival,
// ListTaskQueuePartitions, and the OperatorService calls other than
// Add/Remove/ListSearchAttributes.
package frontend
