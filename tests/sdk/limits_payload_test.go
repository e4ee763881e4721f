package sdk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// limOversized is a payload over the 2 MiB blob size limit.
var limOversized = strings.Repeat("x", 3<<20)

// limRequireHealthy runs a small workflow with an activity to completion on
// e, proving that the server still serves after a rejected request.
func limRequireHealthy(t *testing.T, e *env) {
	t.Helper()
	tq := actName(t, "healthy")
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflow(helloWorkflow)
		w.RegisterActivity(greet)
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "healthy"), TaskQueue: tq}, helloWorkflow, "limits")
	require.NoError(t, err)
	var out string
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, "Hello, limits!", out)
}

// TestLimitsActivityResultTooLargeFromWorker: the server advertises its
// 2 MiB blob limit in DescribeNamespace, so an SDK worker whose activity
// returns a bigger result fails the attempt instead of sending it; the
// workflow gets an ActivityError wrapping an ApplicationError.
func TestLimitsActivityResultTooLargeFromWorker(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	big := func(ctx context.Context) (string, error) { return limOversized, nil }
	wf := func(ctx workflow.Context) (int, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 10 * time.Second,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		var out string
		err := workflow.ExecuteActivity(ctx, "big").Get(ctx, &out)
		return len(out), err
	}
	actStartWorker(t, e.client, tq, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "big"})
		w.RegisterActivityWithOptions(big, activity.RegisterOptions{Name: "big"})
	})
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "big")
	require.NoError(t, err)
	err = run.Get(ctx, nil)
	require.Error(t, err)
	var actErr *temporal.ActivityError
	require.ErrorAs(t, err, &actErr)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Contains(t, appErr.Error(), "exceeded the error limit")
	limRequireHealthy(t, e)
}

// TestLimitsActivityResultTooLargeAsync: a client completing an activity
// with a result over the blob limit gets InvalidArgument; the activity is
// left open, so a completion within the limit still succeeds.
func TestLimitsActivityResultTooLargeAsync(t *testing.T) {
	t.Parallel()
	a := newActAsyncEnv(t)
	token := a.token(t)
	ctx := actContext(t)
	err := a.e.client.CompleteActivity(ctx, token, limOversized, nil)
	var invalid *serviceerror.InvalidArgument
	require.ErrorAs(t, err, &invalid)
	require.Contains(t, err.Error(), "size exceeds limit")

	pas := actDescribe(t, a.e.client, a.run.GetID(), a.run.GetRunID()).GetPendingActivities()
	require.Len(t, pas, 1, "the rejected completion must leave the activity open")
	require.Equal(t, enumspb.PENDING_ACTIVITY_STATE_STARTED, pas[0].GetState())

	require.NoError(t, a.e.client.CompleteActivity(ctx, token, "small enough", nil))
	var out string
	require.NoError(t, a.run.Get(ctx, &out))
	require.Equal(t, "small enough", out)
	limRequireHealthy(t, a.e)
}

// TestLimitsWorkflowResultTooLarge: a workflow task completion whose
// CompleteWorkflowExecution result is over the blob limit (sent through the
// raw API, as the SDK would refuse to) is rejected with InvalidArgument and
// recorded as a failed workflow task; the run stays open and the next
// attempt can complete it.
func TestLimitsWorkflowResultTooLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tq := actName(t, "tq")
	ctx := actContext(t)
	run, err := e.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: actName(t, "wf"), TaskQueue: tq}, "raw")
	require.NoError(t, err)
	svc := e.client.WorkflowService()
	dc := converter.GetDefaultDataConverter()
	poll := func() *workflowservice.PollWorkflowTaskQueueResponse {
		t.Helper()
		task, err := svc.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{
			Namespace: "default", TaskQueue: &taskqueuepb.TaskQueue{Name: tq}, Identity: "raw-worker",
		})
		require.NoError(t, err)
		require.NotEmpty(t, task.GetTaskToken())
		return task
	}
	complete := func(task *workflowservice.PollWorkflowTaskQueueResponse, result string) error {
		payloads, err := dc.ToPayloads(result)
		require.NoError(t, err)
		_, err = svc.RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{
			Namespace: "default", TaskToken: task.GetTaskToken(), Identity: "raw-worker",
			Commands: []*commandpb.Command{{
				CommandType: enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
				Attributes: &commandpb.Command_CompleteWorkflowExecutionCommandAttributes{
					CompleteWorkflowExecutionCommandAttributes: &commandpb.CompleteWorkflowExecutionCommandAttributes{Result: payloads},
				},
			}},
		})
		return err
	}

	err = complete(poll(), limOversized)
	var invalid *serviceerror.InvalidArgument
	require.ErrorAs(t, err, &invalid)
	desc := actDescribe(t, e.client, run.GetID(), run.GetRunID())
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
	events := actHistory(t, e.client, run.GetID(), run.GetRunID())
	failed := actEvents(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED)
	require.Len(t, failed, 1)
	failedAttrs := failed[0].GetWorkflowTaskFailedEventAttributes()
	require.Equal(t, enumspb.WORKFLOW_TASK_FAILED_CAUSE_PAYLOADS_TOO_LARGE, failedAttrs.GetCause())
	require.Contains(t, failedAttrs.GetFailure().GetMessage(), "exceeds size limit")

	task := poll()
	require.Equal(t, int32(2), task.GetAttempt())
	require.NoError(t, complete(task, "fits"))
	var out string
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, "fits", out)
	limRequireHealthy(t, e)
}
