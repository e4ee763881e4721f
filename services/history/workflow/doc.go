// Package workflow is the pure core of the history service: a run's mutable
// state and the rules that change it. It does no I/O and reads no clock; the
// shell (package history) passes in the time and the namespace's failover
// version, persists what a transaction produced, and dispatches its tasks.
//
// Events are the truth. Apply(state, event) is the one function that changes
// state for an event; it serves the active region (commands -> events ->
// Apply), replication (replicated events -> Apply) and rebuilds. The few
// changes that are not events (an activity attempt starting, a heartbeat, a
// retry) are explicit methods on MutableState.
//
// Invariants:
//   - Event IDs are contiguous from 1; NextEventId is the next one.
//   - While a workflow task is started, events that do not belong to its
//     completion are buffered (ID BufferedEventID) and written, with IDs, right
//     after the completion's command events — so a worker's history always
//     ends at its task's started event.
//   - Every event carries the failover version current when it was written,
//     and the version history records (last event ID, version) per version.
//   - Tasks are derived from state changes in the same transaction and carry
//     enough (event ID, attempt, stamp) for the executor to drop them when
//     stale; the shell assigns their IDs.
//   - A pending child, signal or cancellation request to another workflow
//     exists exactly from its *Initiated event until its outcome event; an
//     outcome is written at most once (child.go, external.go).
//   - A run that closes into a new one (continue-as-new, retry, cron) names
//     it in its close event and builds it in the same transaction
//     (NextRun); the new run's WorkflowExecutionStarted links back to it and
//     to its chain's first run (chain.go).
//   - What the core cannot know itself (namespace names, the new run's ID,
//     the run's start attributes, whether admitted updates wait, the
//     namespaces' custom search attributes) comes in as Inputs from the
//     shell.
//   - Search attributes a command sets (upsert, child start,
//     continue-as-new) are predefined or custom attributes of the target
//     namespace with values of their type, within Limits.SearchAttributes;
//     otherwise the completion fails with BAD_SEARCH_ATTRIBUTES and
//     changes nothing else (searchattributes.go).
//   - A task started eagerly, in the transaction that scheduled it (the
//     first workflow task of a run, an activity's first attempt), has no
//     dispatch task or schedule-to-start timer but the start-to-close (and
//     heartbeat) timers of any started task (eager.go).
//   - A workflow update is accepted at most once and completed at most once,
//     after its acceptance; UpdateInfos holds exactly the accepted updates,
//     with the outcomes of the most recent completions (update.go). A
//     rejection writes no event.
//   - A reset run (reset.go) is built by applying the base run's events up
//     to a workflow task's started event, then WorkflowTaskFailed with cause
//     RESET_WORKFLOW (applying it restarts the run's timeouts and the
//     pending activities' schedule-to-close), the re-applied signals and a
//     new workflow task; its started event is the base run's.
package workflow
