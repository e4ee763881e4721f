// Package worker is Meridian's system worker (DESIGN.md §2): it runs
// system jobs as ordinary workflows, through the region's own frontend,
// with the official Go SDK. Today its one job is schedules: package
// scheduler holds the scheduler workflow and its activities.
//
// Invariants:
//
//   - The worker is a client like any other: it reaches the server only
//     through the frontend's public API, never history, matching or the
//     stores directly. Its state lives in its workflows, so restarting it
//     (or running it on another host) loses nothing.
//   - One SDK worker per namespace, on the task queue
//     schedule.TaskQueue, started within Config.NamespaceRefresh of a
//     namespace appearing and stopped when it is deleted.
//   - Each schedule is one scheduler workflow (ID schedule.WorkflowID,
//     search attribute TemporalNamespaceDivision=TemporalScheduler) in
//     the schedule's namespace. It is deterministic: times come from
//     workflow.Now and the pure common/schedule package, and every action
//     (start, cancel, terminate, watch) is an activity with a request ID
//     derived from the run and a sequence number, so retries and replays
//     never start a workflow twice.
//   - The scheduler continues-as-new to bound its history; its state
//     (scheduler.State) travels in the new run's input.
package worker
