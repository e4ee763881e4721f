// Package fakeserver is a trivial in-memory Temporal WorkflowService:
// StartWorkflowExecution, the workflow and activity task polls and their
// completions, answered at once from memory with no persistence, no
// timeouts and no retries. It exists to measure the bench tool's own
// ceiling: a worker or driver that cannot go faster against this server is
// the bottleneck, whatever server it is pointed at.
//
// It supports what the lean driver of package benchmarks sends: the
// ScheduleActivityTask, CompleteWorkflowExecution, FailWorkflowExecution
// and ContinueAsNewWorkflowExecution commands on normal (not sticky) task
// queues. Other commands are answered with InvalidArgument.
//
// Invariants, as on a real server: a workflow has at most one workflow
// task outstanding; events that arrive while one is started are buffered
// and written after its completion, and they schedule the next one;
// event IDs are contiguous from 1. A closed run is forgotten at once, so
// memory stays proportional to the workflows in flight and a closed
// workflow's ID can be started again.
package fakeserver
