package scheduler

import (
	"context"
	"errors"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/common/clock"
)

// Activity names, as registered by Register.
const (
	activityStart     = "SchedulerStartWorkflow"
	activityCancel    = "SchedulerCancelWorkflow"
	activityTerminate = "SchedulerTerminateWorkflow"
	activityWatch     = "SchedulerWatchWorkflows"
)

// Activities act on a namespace's workflows for its scheduler workflows,
// through the frontend like any client.
type Activities struct {
	Client    client.Client
	Namespace string
	Clock     clock.Clock
	// WatchFor bounds one Watch call; the workflow calls again.
	WatchFor time.Duration
	// PollFor is the longest wait between two checks of the watched
	// workflows; checks start MinPoll apart and back off to it.
	PollFor time.Duration
}

// Default Activities timings.
const (
	// DefaultWatchFor: a watch returns this often so that the scheduler
	// can continue-as-new and watch workflows it started meanwhile.
	DefaultWatchFor = time.Minute
	// DefaultPollFor: a long-running workflow is seen closed within this.
	DefaultPollFor = 10 * time.Second
	// minPoll is the first wait between checks: short workflows are seen
	// closed quickly.
	minPoll = 250 * time.Millisecond
)

func (a *Activities) service() workflowservice.WorkflowServiceClient {
	return a.Client.WorkflowService()
}

// StartWorkflow starts one action's workflow; a workflow already running
// with the ID is reported, not retried. Bad requests do not retry.
func (a *Activities) StartWorkflow(ctx context.Context, req *workflowservice.StartWorkflowExecutionRequest) (*StartResult, error) {
	req.Namespace = a.Namespace
	resp, err := a.service().StartWorkflowExecution(ctx, req)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		return &StartResult{RunID: started.RunId, AlreadyStarted: true}, nil
	case err != nil:
		return nil, classify(err)
	}
	return &StartResult{RunID: resp.GetRunId()}, nil
}

// CancelWorkflow asks a workflow (its current run) to cancel.
func (a *Activities) CancelWorkflow(ctx context.Context, ex Execution) error {
	_, err := a.service().RequestCancelWorkflowExecution(ctx, &workflowservice.RequestCancelWorkflowExecutionRequest{
		Namespace:         a.Namespace,
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ex.WorkflowID},
		Identity:          identity,
		Reason:            "schedule overlap policy CANCEL_OTHER",
	})
	if isGone(err) {
		return nil
	}
	return classify(err)
}

// TerminateWorkflow terminates a workflow (its current run).
func (a *Activities) TerminateWorkflow(ctx context.Context, ex Execution) error {
	_, err := a.service().TerminateWorkflowExecution(ctx, &workflowservice.TerminateWorkflowExecutionRequest{
		Namespace:         a.Namespace,
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ex.WorkflowID},
		Identity:          identity,
		Reason:            "schedule overlap policy TERMINATE_OTHER",
	})
	if isGone(err) {
		return nil
	}
	return classify(err)
}

// Watch waits until at least one of the workflows closes and returns the
// closed ones, or returns none after WatchFor. A workflow is followed by
// ID, so a chain of runs (continue-as-new, retries) counts as one. It
// checks with DescribeWorkflowExecution, backing off from minPoll to
// PollFor: a long poll on one workflow's close event would miss the
// others.
func (a *Activities) Watch(ctx context.Context, running []Execution) ([]Closed, error) {
	watchFor, pollFor := a.WatchFor, a.PollFor
	if watchFor <= 0 {
		watchFor = DefaultWatchFor
	}
	if pollFor <= 0 {
		pollFor = DefaultPollFor
	}
	deadline := a.Clock.Now().Add(watchFor)
	wait := minPoll
	for {
		var closed []Closed
		for _, ex := range running {
			c, ok, err := a.closed(ctx, ex)
			if err != nil {
				return nil, err
			}
			if ok {
				closed = append(closed, c)
			}
		}
		if len(closed) > 0 || len(running) == 0 || !a.Clock.Now().Before(deadline) {
			return closed, nil
		}
		activity.RecordHeartbeat(ctx)
		if err := clock.Sleep(ctx, a.Clock, wait); err != nil {
			return nil, err
		}
		wait = min(2*wait, pollFor)
	}
}

// closed reports whether ex's current run is closed, with its outcome.
func (a *Activities) closed(ctx context.Context, ex Execution) (Closed, bool, error) {
	out := Closed{WorkflowID: ex.WorkflowID, RunID: ex.RunID}
	desc, err := a.service().DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{
		Namespace: a.Namespace,
		Execution: &commonpb.WorkflowExecution{WorkflowId: ex.WorkflowID},
	})
	if isGone(err) {
		// Deleted after its retention: closed, outcome unknown.
		return out, true, nil
	}
	if err != nil {
		return out, false, classify(err)
	}
	out.Status = desc.GetWorkflowExecutionInfo().GetStatus()
	if out.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return out, false, nil
	}
	hist, err := a.service().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace:              a.Namespace,
		Execution:              &commonpb.WorkflowExecution{WorkflowId: ex.WorkflowID, RunId: desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()},
		HistoryEventFilterType: enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
	})
	if err != nil {
		return out, false, classify(err)
	}
	for _, e := range hist.GetHistory().GetEvents() {
		closeOutcome(e, &out)
	}
	return out, true, nil
}

func closeOutcome(e *historypb.HistoryEvent, out *Closed) {
	marshal := func(m proto.Message) []byte {
		b, _ := proto.Marshal(m)
		return b
	}
	switch {
	case e.GetWorkflowExecutionCompletedEventAttributes() != nil:
		if r := e.GetWorkflowExecutionCompletedEventAttributes().GetResult(); r != nil {
			out.Result = marshal(r)
		}
	case e.GetWorkflowExecutionFailedEventAttributes() != nil:
		if f := e.GetWorkflowExecutionFailedEventAttributes().GetFailure(); f != nil {
			out.Failure = marshal(f)
		}
	}
}

func isGone(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

// classify makes errors a retry cannot fix non-retryable.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var (
		invalid *serviceerror.InvalidArgument
		nsGone  *serviceerror.NamespaceNotFound
	)
	if errors.As(err, &invalid) || errors.As(err, &nsGone) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "SchedulerBadRequest", err)
	}
	return err
}
