package sdk_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Eager execution: the first workflow task returned with
// StartWorkflowExecution (client StartWorkflowOptions.EnableEagerStart) and
// activities returned with RespondWorkflowTaskCompleted (the SDK asks for
// them by default).

// eagerCounter counts, on the wire, the tasks the server handed out
// eagerly to the client it is installed on.
type eagerCounter struct {
	workflowTasks atomic.Int32
	activityTasks atomic.Int32
}

func (c *eagerCounter) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	switch r := reply.(type) {
	case *workflowservice.StartWorkflowExecutionResponse:
		if r.GetEagerWorkflowTask() != nil {
			c.workflowTasks.Add(1)
		}
	case *workflowservice.RespondWorkflowTaskCompletedResponse:
		c.activityTasks.Add(int32(len(r.GetActivityTasks())))
	}
	return err
}

// eagerClient dials e's server with a counter on the connection.
func eagerClient(t *testing.T, e *env) (client.Client, *eagerCounter) {
	t.Helper()
	counter := &eagerCounter{}
	c, err := client.Dial(client.Options{
		HostPort:  e.dev.Address(),
		Namespace: "default",
		ConnectionOptions: client.ConnectionOptions{
			DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(counter.intercept)},
		},
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, counter
}

func eagerGreet(_ context.Context, name string) (string, error) { return "hello " + name, nil }

func eagerWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, eagerGreet, name).Get(ctx, &out)
	return out, err
}

func TestEagerStartAndActivity(t *testing.T) {
	e := newEnv(t)
	c, counter := eagerClient(t, e)
	queue := wfName(t)
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(eagerWorkflow)
	w.RegisterActivity(eagerGreet)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	run, err := c.ExecuteWorkflow(wfCtx(t), client.StartWorkflowOptions{
		ID: queue + "-1", TaskQueue: queue, EnableEagerStart: true,
	}, eagerWorkflow, "eager")
	require.NoError(t, err)
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "hello eager", out)
	require.Equal(t, int32(1), counter.workflowTasks.Load(), "the first workflow task came with the start")
	require.Equal(t, int32(1), counter.activityTasks.Load(), "the activity came with the completion")

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, []enumspb.EventType{
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
		enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
		enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED,
		enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
	}, wfEventTypes(events))
	require.Equal(t, int32(1), events[5].GetActivityTaskStartedEventAttributes().GetAttempt())
	require.Equal(t, int64(2), events[2].GetWorkflowTaskStartedEventAttributes().GetScheduledEventId())
	require.Equal(t, enumspb.TASK_QUEUE_KIND_NORMAL, events[1].GetWorkflowTaskScheduledEventAttributes().GetTaskQueue().GetKind())
	wfReplay(t, e, run.GetID(), run.GetRunID(), eagerWorkflow)

	// Without EnableEagerStart the first task goes through matching.
	run, err = c.ExecuteWorkflow(wfCtx(t), client.StartWorkflowOptions{ID: queue + "-2", TaskQueue: queue}, eagerWorkflow, "polled")
	require.NoError(t, err)
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "hello polled", out)
	require.Equal(t, int32(1), counter.workflowTasks.Load())
	require.Equal(t, int32(2), counter.activityTasks.Load())
}

// An eager workflow task whose worker never answers (crashed with it) is
// timed out by the timer written in the create transaction, which a
// restart does not lose, and its retry goes through the queue.
func TestEagerStartLostTaskSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	queue := wfName(t)
	resp, err := e.client.WorkflowService().StartWorkflowExecution(wfCtx(t), &workflowservice.StartWorkflowExecutionRequest{
		Namespace:             "default",
		WorkflowId:            queue,
		WorkflowType:          &commonpb.WorkflowType{Name: "eagerWorkflow"},
		TaskQueue:             &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:                 mustPayloads(t, "restart"),
		WorkflowTaskTimeout:   durationpb.New(3 * time.Second),
		Identity:              "crashing-worker",
		RequestId:             "eager-restart-1",
		RequestEagerExecution: true,
	})
	require.NoError(t, err)
	task := resp.GetEagerWorkflowTask()
	require.NotNil(t, task, "the start asked for eager execution")
	require.Equal(t, int64(3), task.GetStartedEventId())
	require.Equal(t, int32(1), task.GetAttempt())
	require.Equal(t, int64(0), task.GetPreviousStartedEventId())
	require.NotEmpty(t, task.GetTaskToken())
	require.Equal(t, []enumspb.EventType{
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
	}, wfEventTypes(task.GetHistory().GetEvents()))

	// The same start again (the SDK's retry) returns the run, no task.
	again, err := e.client.WorkflowService().StartWorkflowExecution(wfCtx(t), &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: queue, WorkflowType: &commonpb.WorkflowType{Name: "eagerWorkflow"},
		TaskQueue: &taskqueuepb.TaskQueue{Name: queue}, RequestId: "eager-restart-1", RequestEagerExecution: true,
	})
	require.NoError(t, err)
	require.Equal(t, resp.GetRunId(), again.GetRunId())
	require.Nil(t, again.GetEagerWorkflowTask())

	// The worker holding the task is gone; so is the server.
	e.restart(t)
	wfWorker(t, e, queue, worker.Options{}, []any{eagerWorkflow}, []any{eagerGreet})
	var out string
	require.NoError(t, e.client.GetWorkflow(wfCtx(t), queue, resp.GetRunId()).Get(wfCtx(t), &out))
	require.Equal(t, "hello restart", out)
	events := wfHistory(t, e, queue, resp.GetRunId())
	requireWellFormed(t, events)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, events[3].GetEventType())
	started := wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED)
	require.Equal(t, "crashing-worker", started[0].GetWorkflowTaskStartedEventAttributes().GetIdentity())
	require.Equal(t, int32(2), wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)[1].GetWorkflowTaskScheduledEventAttributes().GetAttempt())
}

// At the protocol level: only activities on the run's own task queue that
// asked for it start eagerly, at most as many as asked; the others are
// polled from matching.
func TestEagerActivityOnlyOwnQueue(t *testing.T) {
	e := newEnv(t)
	queue := wfName(t)
	other := queue + "-other"
	svc := e.client.WorkflowService()
	ctx := wfCtx(t)
	start, err := svc.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: queue, WorkflowType: &commonpb.WorkflowType{Name: "raw"},
		TaskQueue: &taskqueuepb.TaskQueue{Name: queue}, RequestId: "raw-1", RequestEagerExecution: true,
		Identity: "raw-worker",
	})
	require.NoError(t, err)
	task := start.GetEagerWorkflowTask()
	require.NotNil(t, task)
	schedule := func(id, tq string, eager bool) *commandpb.Command {
		return &commandpb.Command{
			CommandType: enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
			Attributes: &commandpb.Command_ScheduleActivityTaskCommandAttributes{ScheduleActivityTaskCommandAttributes: &commandpb.ScheduleActivityTaskCommandAttributes{
				ActivityId: id, ActivityType: &commonpb.ActivityType{Name: "act"},
				TaskQueue:              &taskqueuepb.TaskQueue{Name: tq},
				StartToCloseTimeout:    durationpb.New(30 * time.Second),
				RequestEagerExecution:  eager,
				ScheduleToCloseTimeout: durationpb.New(time.Minute),
			}},
		}
	}
	done, err := svc.RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{
		Namespace: "default", TaskToken: task.GetTaskToken(), Identity: "raw-worker",
		Commands: []*commandpb.Command{
			schedule("own-eager", queue, true),
			schedule("own-polled", queue, false),
			schedule("other-eager", other, true),
		},
	})
	require.NoError(t, err)
	require.Len(t, done.GetActivityTasks(), 1)
	got := done.GetActivityTasks()[0]
	require.Equal(t, "own-eager", got.GetActivityId())
	require.Equal(t, int32(1), got.GetAttempt())
	require.Equal(t, 30*time.Second, got.GetStartToCloseTimeout().AsDuration())
	require.NotNil(t, got.GetStartedTime())
	require.NotEmpty(t, got.GetTaskToken())

	// The other two wait in matching.
	for _, q := range []struct{ queue, id string }{{queue, "own-polled"}, {other, "other-eager"}} {
		p, err := svc.PollActivityTaskQueue(ctx, &workflowservice.PollActivityTaskQueueRequest{
			Namespace: "default", TaskQueue: &taskqueuepb.TaskQueue{Name: q.queue}, Identity: "raw-worker",
		})
		require.NoError(t, err)
		require.Equal(t, q.id, p.GetActivityId())
	}
	// The eager one completes like any other.
	_, err = svc.RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{
		Namespace: "default", TaskToken: got.GetTaskToken(), Identity: "raw-worker",
	})
	require.NoError(t, err)
}

func mustPayloads(t *testing.T, values ...any) *commonpb.Payloads {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayloads(values...)
	require.NoError(t, err)
	return p
}
