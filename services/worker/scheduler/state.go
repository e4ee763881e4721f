package scheduler

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// State is what a scheduler workflow carries across continue-as-new
// besides its schedule. It is JSON (the SDK's default converter), so it
// holds only plain Go values; protos travel marshaled.
type State struct {
	CreateTime time.Time
	UpdateTime time.Time
	// LastProcessed is the end of the time range already turned into
	// actions; scheduled times after it are still to come.
	LastProcessed time.Time
	// ConflictToken changes with every update and patch.
	ConflictToken int64
	// Seq numbers started actions; it makes their request IDs.
	Seq int64

	ActionCount    int64
	MissedCatchup  int64
	OverlapSkipped int64
	BufferDropped  int64

	Buffer  []Start
	Running []Execution
	Recent  []Action
	// CancelRequested lists running workflow IDs already asked to cancel.
	CancelRequested []string

	// LastCompletionResult (commonpb.Payloads) and ContinuedFailure
	// (failurepb.Failure), marshaled, are handed to the next start as
	// Temporal does: workflows read them with GetLastCompletionResult.
	LastCompletionResult []byte
	ContinuedFailure     []byte
}

// Start is an action waiting in the buffer.
type Start struct {
	Nominal time.Time
	Actual  time.Time
	// Overlap overrides the schedule's overlap policy when set.
	Overlap enumspb.ScheduleOverlapPolicy
	// Manual actions (trigger, backfill) run while paused and do not use
	// up remaining actions.
	Manual bool
}

// Execution is a workflow the schedule started.
type Execution struct {
	WorkflowID string
	RunID      string
}

// Action is one started action, for describe's recent actions.
type Action struct {
	Scheduled  time.Time // actual time, with jitter
	Taken      time.Time
	WorkflowID string
	RunID      string
	Status     enumspb.WorkflowExecutionStatus
}

// Closed is a watched workflow that closed.
type Closed struct {
	WorkflowID string
	RunID      string
	Status     enumspb.WorkflowExecutionStatus
	// Result (commonpb.Payloads) or Failure (failurepb.Failure), marshaled.
	Result  []byte
	Failure []byte
}

// StartResult is what the StartWorkflow activity returns.
type StartResult struct {
	RunID string
	// AlreadyStarted: a workflow with the ID was running; nothing started.
	AlreadyStarted bool
}
