package fakeserver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

func client(t *testing.T) workflowservice.WorkflowServiceClient {
	t.Helper()
	s, err := Start("127.0.0.1:0", nil)
	require.NoError(t, err)
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(s.Address(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return workflowservice.NewWorkflowServiceClient(conn)
}

var tq = &taskqueuepb.TaskQueue{Name: "q", Kind: enumspb.TASK_QUEUE_KIND_NORMAL}

func command(typ enumspb.CommandType) *commandpb.Command {
	c := &commandpb.Command{CommandType: typ}
	switch typ {
	case enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
		c.Attributes = &commandpb.Command_ScheduleActivityTaskCommandAttributes{
			ScheduleActivityTaskCommandAttributes: &commandpb.ScheduleActivityTaskCommandAttributes{
				ActivityId: "1", ActivityType: &commonpb.ActivityType{Name: "a"}, TaskQueue: tq,
			},
		}
	case enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
		c.Attributes = &commandpb.Command_CompleteWorkflowExecutionCommandAttributes{
			CompleteWorkflowExecutionCommandAttributes: &commandpb.CompleteWorkflowExecutionCommandAttributes{},
		}
	case enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
		c.Attributes = &commandpb.Command_ContinueAsNewWorkflowExecutionCommandAttributes{
			ContinueAsNewWorkflowExecutionCommandAttributes: &commandpb.ContinueAsNewWorkflowExecutionCommandAttributes{},
		}
	}
	return c
}

func types(es []*historypb.HistoryEvent) []enumspb.EventType {
	out := make([]enumspb.EventType, len(es))
	for i, e := range es {
		out[i] = e.GetEventType()
	}
	return out
}

func requireContiguous(t *testing.T, es []*historypb.HistoryEvent) {
	t.Helper()
	for i, e := range es {
		require.Equal(t, int64(i+1), e.GetEventId())
	}
}

func TestWorkflowWithOneActivity(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	_, err := c.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: "w", WorkflowType: &commonpb.WorkflowType{Name: "t"}, TaskQueue: tq,
	})
	require.NoError(t, err)
	_, err = c.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: "w", WorkflowType: &commonpb.WorkflowType{Name: "t"}, TaskQueue: tq,
	})
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	require.ErrorAs(t, serviceerror.FromStatus(statusOf(err)), &already)

	wt, err := c.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	require.Equal(t, []enumspb.EventType{
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
	}, types(wt.GetHistory().GetEvents()))
	require.Equal(t, int64(3), wt.GetStartedEventId())
	require.False(t, wt.GetStartedTime().AsTime().Before(wt.GetScheduledTime().AsTime()))
	_, err = c.RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{
		TaskToken: wt.GetTaskToken(), Commands: []*commandpb.Command{command(enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK)},
	})
	require.NoError(t, err)

	at, err := c.PollActivityTaskQueue(ctx, &workflowservice.PollActivityTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	require.Equal(t, "1", at.GetActivityId())
	_, err = c.RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{TaskToken: at.GetTaskToken()})
	require.NoError(t, err)
	_, err = c.RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{TaskToken: at.GetTaskToken()})
	require.Error(t, err, "an activity completes once")

	wt, err = c.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	es := wt.GetHistory().GetEvents()
	requireContiguous(t, es)
	require.Equal(t, int64(3), wt.GetPreviousStartedEventId())
	require.Equal(t, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, es[6].GetEventType())
	require.Equal(t, int64(6), es[6].GetActivityTaskCompletedEventAttributes().GetStartedEventId())
	_, err = c.RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{
		TaskToken: wt.GetTaskToken(), Commands: []*commandpb.Command{command(enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION)},
	})
	require.NoError(t, err)
	_, err = c.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: "w", WorkflowType: &commonpb.WorkflowType{Name: "t"}, TaskQueue: tq,
	})
	require.NoError(t, err, "a closed workflow's ID can be reused")
}

func TestContinueAsNewStartsANewRun(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	_, err := c.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: "w", WorkflowType: &commonpb.WorkflowType{Name: "t"}, TaskQueue: tq,
	})
	require.NoError(t, err)
	first, err := c.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	_, err = c.RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{
		TaskToken: first.GetTaskToken(), Commands: []*commandpb.Command{command(enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION)},
	})
	require.NoError(t, err)
	next, err := c.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	require.Equal(t, "w", next.GetWorkflowExecution().GetWorkflowId())
	require.NotEqual(t, first.GetWorkflowExecution().GetRunId(), next.GetWorkflowExecution().GetRunId())
	started := next.GetHistory().GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	require.Equal(t, first.GetWorkflowExecution().GetRunId(), started.GetContinuedExecutionRunId())
	require.Equal(t, "t", started.GetWorkflowType().GetName(), "the type carries over")
}

func TestBufferedActivityResult(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	_, err := c.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: "w", WorkflowType: &commonpb.WorkflowType{Name: "t"}, TaskQueue: tq,
	})
	require.NoError(t, err)
	wt, err := c.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	two := command(enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK)
	two.GetScheduleActivityTaskCommandAttributes().ActivityId = "2"
	_, err = c.RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{
		TaskToken: wt.GetTaskToken(), Commands: []*commandpb.Command{command(enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK), two},
	})
	require.NoError(t, err)
	a1, err := c.PollActivityTaskQueue(ctx, &workflowservice.PollActivityTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	a2, err := c.PollActivityTaskQueue(ctx, &workflowservice.PollActivityTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	_, err = c.RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{TaskToken: a1.GetTaskToken()})
	require.NoError(t, err)
	wt, err = c.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	// The second result arrives while that workflow task is started.
	_, err = c.RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{TaskToken: a2.GetTaskToken()})
	require.NoError(t, err)
	_, err = c.RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{TaskToken: wt.GetTaskToken()})
	require.NoError(t, err)
	wt, err = c.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	es := wt.GetHistory().GetEvents()
	requireContiguous(t, es)
	require.Equal(t, []enumspb.EventType{
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
		enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
		enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
		enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
	}, types(es))
	require.Equal(t, int64(12), es[12].GetActivityTaskCompletedEventAttributes().GetStartedEventId())
	require.Equal(t, int64(6), es[12].GetActivityTaskCompletedEventAttributes().GetScheduledEventId())
}

func TestUnsupportedCommand(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	_, err := c.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: "w", WorkflowType: &commonpb.WorkflowType{Name: "t"}, TaskQueue: tq,
	})
	require.NoError(t, err)
	wt, err := c.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	_, err = c.RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{
		TaskToken: wt.GetTaskToken(), Commands: []*commandpb.Command{{CommandType: enumspb.COMMAND_TYPE_START_TIMER}},
	})
	var invalid *serviceerror.InvalidArgument
	require.ErrorAs(t, serviceerror.FromStatus(statusOf(err)), &invalid)
	require.Contains(t, invalid.Error(), "StartTimer")
}

func statusOf(err error) *status.Status {
	s, _ := status.FromError(err)
	return s
}
