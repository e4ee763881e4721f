package sdk_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
)

// wfPanicRuns counts executions of wfPanicky; only
// TestWorkflowTaskPanicRetried runs it.
var wfPanicRuns atomic.Int32

// wfPanicky panics in its first two workflow tasks and completes in the
// third. The SDK answers the first failure with RespondWorkflowTaskFailed
// and stays silent on the second (attempt > 1), so the server must both
// retry a failed task and time out an unanswered one.
func wfPanicky(ctx workflow.Context) (int32, error) {
	n := wfPanicRuns.Add(1)
	if n < 3 {
		panic("wfPanicky: deliberate panic")
	}
	return n, nil
}

func TestWorkflowTaskPanicRetried(t *testing.T) {
	t.Parallel()
	wfPanicRuns.Store(0) // -count=N reruns the test in this process
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfPanicky}, nil)

	run := wfStart(t, e, "1", client.StartWorkflowOptions{WorkflowTaskTimeout: time.Second}, wfPanicky)
	var n int32
	require.NoError(t, run.Get(wfCtx(t), &n))
	require.GreaterOrEqual(t, n, int32(3))

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	failed := wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED)
	require.Len(t, failed, 1, "only the first attempt reports its failure: %v", wfEventTypes(events))
	attrs := failed[0].GetWorkflowTaskFailedEventAttributes()
	require.Equal(t, enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, attrs.GetCause())
	require.Contains(t, attrs.GetFailure().GetMessage(), "deliberate panic")
	// The task that finally completed is a retry: attempt 3.
	scheduled := wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
	require.Equal(t, int32(3), scheduled[len(scheduled)-1].GetWorkflowTaskScheduledEventAttributes().GetAttempt(), "%v", wfEventTypes(events))
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, events[len(events)-1].GetEventType())
}

// wfSleepHour sleeps an hour.
func wfSleepHour(ctx workflow.Context) error {
	return workflow.Sleep(ctx, time.Hour)
}

func TestWorkflowRunTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfSleepHour}, nil)

	run := wfStart(t, e, "1", client.StartWorkflowOptions{WorkflowRunTimeout: 2 * time.Second}, wfSleepHour)
	err := run.Get(wfCtx(t), nil)
	var wee *temporal.WorkflowExecutionError
	require.Truef(t, errors.As(err, &wee), "want WorkflowExecutionError, got %T %v", err, err)
	var te *temporal.TimeoutError
	require.Truef(t, errors.As(err, &te), "want TimeoutError, got %T %v", err, err)
	require.Equal(t, enumspb.TIMEOUT_TYPE_START_TO_CLOSE, te.TimeoutType())

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, events[len(events)-1].GetEventType())
	require.Equal(t, 0, wfCount(events, enumspb.EVENT_TYPE_TIMER_FIRED))

	desc, err := e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, desc.GetWorkflowExecutionInfo().GetStatus())
}

func TestWorkflowExecutionTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// No worker at all: the timeout must fire even if no task ever ran.
	run := wfStart(t, e, "1", client.StartWorkflowOptions{WorkflowExecutionTimeout: 2 * time.Second}, wfSleepHour)
	err := run.Get(wfCtx(t), nil)
	var wee *temporal.WorkflowExecutionError
	require.Truef(t, errors.As(err, &wee), "want WorkflowExecutionError, got %T %v", err, err)
	var te *temporal.TimeoutError
	require.Truef(t, errors.As(err, &te), "want TimeoutError, got %T %v", err, err)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	started := events[0].GetWorkflowExecutionStartedEventAttributes()
	require.Equal(t, 2*time.Second, started.GetWorkflowExecutionTimeout().AsDuration())
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, events[len(events)-1].GetEventType())

	// And with a worker that is sleeping in the workflow.
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfSleepHour}, nil)
	run = wfStart(t, e, "2", client.StartWorkflowOptions{WorkflowExecutionTimeout: 2 * time.Second}, wfSleepHour)
	err = run.Get(wfCtx(t), nil)
	require.Truef(t, errors.As(err, &te), "want TimeoutError, got %T %v", err, err)
	events = wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_TIMER_STARTED))
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, events[len(events)-1].GetEventType())
}

// TestWorkflowTaskReturnNew drives the raw API the way the SDK's
// local-activity heartbeat does: a completion with
// force_create_new_workflow_task and return_new_workflow_task must hand the
// next task straight back, its history ending at its started event and, for
// a sticky worker, starting after the task just completed.
func TestWorkflowTaskReturnNew(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.client.WorkflowService()
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfSleepHour)

	poll, err := svc.PollWorkflowTaskQueue(wfCtx(t), &workflowservice.PollWorkflowTaskQueueRequest{
		Namespace: "default", TaskQueue: &taskqueuepb.TaskQueue{Name: wfName(t), Kind: enumspb.TASK_QUEUE_KIND_NORMAL}, Identity: "raw",
	})
	require.NoError(t, err)
	require.NotEmpty(t, poll.GetTaskToken())
	require.Equal(t, int64(3), poll.GetStartedEventId())

	sticky := &taskqueuepb.StickyExecutionAttributes{
		WorkerTaskQueue:        &taskqueuepb.TaskQueue{Name: wfName(t) + "-sticky", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: wfName(t)},
		ScheduleToStartTimeout: durationpb.New(5 * time.Second),
	}
	resp, err := svc.RespondWorkflowTaskCompleted(wfCtx(t), &workflowservice.RespondWorkflowTaskCompletedRequest{
		Namespace: "default", TaskToken: poll.GetTaskToken(), Identity: "raw",
		StickyAttributes: sticky, ReturnNewWorkflowTask: true, ForceCreateNewWorkflowTask: true,
	})
	require.NoError(t, err)
	next := resp.GetWorkflowTask()
	require.NotNil(t, next, "force_create_new_workflow_task with return_new_workflow_task must return the new task")
	require.NotEmpty(t, next.GetTaskToken())
	require.Equal(t, int64(3), next.GetPreviousStartedEventId())
	require.Equal(t, int64(6), next.GetStartedEventId())
	require.Equal(t, int32(1), next.GetAttempt())
	require.Equal(t, []enumspb.EventType{
		enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
	}, wfEventTypes(next.GetHistory().GetEvents()))
	require.Equal(t, int64(4), next.GetHistory().GetEvents()[0].GetEventId())

	// Without sticky attributes the worker has nothing cached: full history.
	resp, err = svc.RespondWorkflowTaskCompleted(wfCtx(t), &workflowservice.RespondWorkflowTaskCompletedRequest{
		Namespace: "default", TaskToken: next.GetTaskToken(), Identity: "raw",
		ReturnNewWorkflowTask: true, ForceCreateNewWorkflowTask: true,
	})
	require.NoError(t, err)
	next = resp.GetWorkflowTask()
	require.NotNil(t, next)
	require.Equal(t, int64(9), next.GetStartedEventId())
	events := next.GetHistory().GetEvents()
	requireWellFormed(t, events)
	require.Equal(t, int64(9), events[len(events)-1].GetEventId())

	// Not asking for it: the new task goes through matching instead.
	resp, err = svc.RespondWorkflowTaskCompleted(wfCtx(t), &workflowservice.RespondWorkflowTaskCompletedRequest{
		Namespace: "default", TaskToken: next.GetTaskToken(), Identity: "raw", ForceCreateNewWorkflowTask: true,
	})
	require.NoError(t, err)
	require.Nil(t, resp.GetWorkflowTask())
	poll, err = svc.PollWorkflowTaskQueue(wfCtx(t), &workflowservice.PollWorkflowTaskQueueRequest{
		Namespace: "default", TaskQueue: &taskqueuepb.TaskQueue{Name: wfName(t), Kind: enumspb.TASK_QUEUE_KIND_NORMAL}, Identity: "raw",
	})
	require.NoError(t, err)
	require.Equal(t, int64(12), poll.GetStartedEventId())

	// The tasks returned inline were never dispatched a second time: the
	// history has exactly one Started per Scheduled.
	all := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, all)
	require.Equal(t, 4, wfCount(all, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED))
	require.Equal(t, 4, wfCount(all, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED))
}
