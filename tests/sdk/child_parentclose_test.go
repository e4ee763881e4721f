package sdk_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Parent close policies: when a parent closes, its started children are
// terminated, asked to cancel, or left alone.

// parentLeavesChild starts childSleeps with policy, waits until it started
// and completes, leaving the child running.
func parentLeavesChild(ctx workflow.Context, childID string, policy enumspb.ParentClosePolicy) (string, error) {
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: childID, ParentClosePolicy: policy})
	var ex workflow.Execution
	if err := workflow.ExecuteChildWorkflow(ctx, childSleeps).GetChildWorkflowExecution().Get(ctx, &ex); err != nil {
		return "", err
	}
	return ex.RunID, nil
}

// parentLeavesTwo starts an abandoned child, then a child it terminates
// on close, and completes once both started.
func parentLeavesTwo(ctx workflow.Context, abandonedID, terminatedID string) (string, error) {
	var runID string
	for _, c := range []struct {
		id     string
		policy enumspb.ParentClosePolicy
	}{{abandonedID, enumspb.PARENT_CLOSE_POLICY_ABANDON}, {terminatedID, enumspb.PARENT_CLOSE_POLICY_TERMINATE}} {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: c.id, ParentClosePolicy: c.policy})
		var ex workflow.Execution
		if err := workflow.ExecuteChildWorkflow(cctx, childSleeps).GetChildWorkflowExecution().Get(ctx, &ex); err != nil {
			return "", err
		}
		if runID == "" {
			runID = ex.RunID
		}
	}
	return runID, nil
}

// waitChildStatus waits until the child's current run has status want.
func waitChildStatus(t *testing.T, e *env, childID string, want enumspb.WorkflowExecutionStatus) {
	t.Helper()
	require.Eventually(t, func() bool {
		d, err := e.client.DescribeWorkflowExecution(wfCtx(t), childID, "")
		require.NoError(t, err)
		return d.GetWorkflowExecutionInfo().GetStatus() == want
	}, 10*time.Second, 50*time.Millisecond, "child never reached %v", want)
}

func TestChildParentClosePolicies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	queue := wfName(t)
	wfWorker(t, e, queue, worker.Options{}, []any{parentLeavesChild, parentLeavesTwo, childSleeps}, nil)
	for _, tc := range []struct {
		name   string
		policy enumspb.ParentClosePolicy
		want   enumspb.WorkflowExecutionStatus
	}{
		{"terminate", enumspb.PARENT_CLOSE_POLICY_TERMINATE, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED},
		{"request-cancel", enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			childID := wfName(t) + "-child"
			run := wfStart(t, e, "parent", client.StartWorkflowOptions{TaskQueue: queue}, parentLeavesChild, childID, tc.policy)
			var childRunID string
			require.NoError(t, run.Get(wfCtx(t), &childRunID))
			waitChildStatus(t, e, childID, tc.want)

			events := wfHistory(t, e, childID, childRunID)
			requireWellFormed(t, events)
			last := events[len(events)-1]
			switch tc.policy {
			case enumspb.PARENT_CLOSE_POLICY_TERMINATE:
				require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, last.GetEventType())
				require.Equal(t, "by parent close policy", last.GetWorkflowExecutionTerminatedEventAttributes().GetReason())
			case enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL:
				require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, last.GetEventType())
				req := wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
				require.Len(t, req, 1)
				require.Equal(t, run.GetRunID(), req[0].GetWorkflowExecutionCancelRequestedEventAttributes().GetExternalWorkflowExecution().GetRunId())
			}
			// The parent's history is unaffected by its children's fate.
			parentEvents := wfHistory(t, e, run.GetID(), run.GetRunID())
			require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, parentEvents[len(parentEvents)-1].GetEventType())
		})
	}

	t.Run("abandon", func(t *testing.T) {
		// The parent's close task acts on its children in the order they
		// were initiated: once the second child is terminated, the task is
		// past the point where a wrong policy would have hit the first.
		abandoned, terminated := wfName(t)+"-abandoned", wfName(t)+"-terminated"
		run := wfStart(t, e, "parent", client.StartWorkflowOptions{TaskQueue: queue}, parentLeavesTwo, abandoned, terminated)
		var abandonedRunID string
		require.NoError(t, run.Get(wfCtx(t), &abandonedRunID))
		waitChildStatus(t, e, terminated, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
		d, err := e.client.DescribeWorkflowExecution(wfCtx(t), abandoned, abandonedRunID)
		require.NoError(t, err)
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, d.GetWorkflowExecutionInfo().GetStatus())
		events := wfHistory(t, e, abandoned, abandonedRunID)
		require.Zero(t, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED))
		require.NoError(t, e.client.TerminateWorkflow(wfCtx(t), abandoned, "", "test done"))
	})
}
