package matching

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/matchingservice"
)

func TestBadRequestsAreInvalidArgument(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	ex := &commonpb.WorkflowExecution{WorkflowId: "wf", RunId: "r"}
	tq := normalQueue("orders")

	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"nil add workflow", func() error { _, err := s.AddWorkflowTask(ctx, nil); return err }, "request"},
		{"no namespace", func() error {
			_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{Execution: ex, TaskQueue: tq, ScheduledEventId: 2})
			return err
		}, "namespace_id"},
		{"no task queue", func() error {
			_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{NamespaceId: testNamespaceID, Execution: ex, ScheduledEventId: 2})
			return err
		}, "task_queue"},
		{"no task queue name", func() error {
			_, err := s.AddActivityTask(ctx, &matchingservice.AddActivityTaskRequest{NamespaceId: testNamespaceID, Execution: ex, TaskQueue: &taskqueuepb.TaskQueue{}, ScheduledEventId: 2})
			return err
		}, "task_queue.name"},
		{"bad kind", func() error {
			_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{NamespaceId: testNamespaceID, Execution: ex, TaskQueue: &taskqueuepb.TaskQueue{Name: "q", Kind: 42}, ScheduledEventId: 2})
			return err
		}, "task_queue.kind"},
		{"no execution", func() error {
			_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{NamespaceId: testNamespaceID, TaskQueue: tq, ScheduledEventId: 2})
			return err
		}, "execution"},
		{"no run id", func() error {
			_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{NamespaceId: testNamespaceID, TaskQueue: tq, Execution: &commonpb.WorkflowExecution{WorkflowId: "wf"}, ScheduledEventId: 2})
			return err
		}, "execution.run_id"},
		{"no scheduled event", func() error {
			_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{NamespaceId: testNamespaceID, TaskQueue: tq, Execution: ex})
			return err
		}, "scheduled_event_id"},
		{"negative schedule-to-start", func() error {
			_, err := s.AddActivityTask(ctx, &matchingservice.AddActivityTaskRequest{NamespaceId: testNamespaceID, TaskQueue: tq, Execution: ex, ScheduledEventId: 2, ScheduleToStartTimeout: durationpb.New(-1)})
			return err
		}, "schedule_to_start_timeout"},
		{"nil poll", func() error { _, err := s.PollWorkflowTaskQueue(ctx, nil); return err }, "request"},
		{"poll without inner request", func() error {
			_, err := s.PollActivityTaskQueue(ctx, &matchingservice.PollActivityTaskQueueRequest{NamespaceId: testNamespaceID})
			return err
		}, "request"},
		{"poll without task queue", func() error {
			_, err := s.PollWorkflowTaskQueue(ctx, &matchingservice.PollWorkflowTaskQueueRequest{NamespaceId: testNamespaceID, Request: &workflowservice.PollWorkflowTaskQueueRequest{}})
			return err
		}, "request.task_queue"},
		{"query without task", func() error {
			_, err := s.QueryWorkflow(ctx, &matchingservice.QueryWorkflowRequest{NamespaceId: testNamespaceID, TaskQueue: tq})
			return err
		}, "task"},
		{"query without query", func() error {
			_, err := s.QueryWorkflow(ctx, &matchingservice.QueryWorkflowRequest{NamespaceId: testNamespaceID, TaskQueue: tq, Task: &workflowservice.PollWorkflowTaskQueueResponse{}})
			return err
		}, "task.query"},
		{"respond without query id", func() error {
			_, err := s.RespondQueryTaskCompleted(ctx, &matchingservice.RespondQueryTaskCompletedRequest{NamespaceId: testNamespaceID, Request: &workflowservice.RespondQueryTaskCompletedRequest{}})
			return err
		}, "query_id"},
		{"describe without task queue", func() error {
			_, err := s.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{NamespaceId: testNamespaceID, Request: &workflowservice.DescribeTaskQueueRequest{}})
			return err
		}, "request.task_queue"},
		{"describe sticky in enhanced mode", func() error {
			_, err := s.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{NamespaceId: testNamespaceID, Request: &workflowservice.DescribeTaskQueueRequest{
				TaskQueue: &taskqueuepb.TaskQueue{Name: "h:1", Kind: enumspb.TASK_QUEUE_KIND_STICKY},
				ApiMode:   enumspb.DESCRIBE_TASK_QUEUE_MODE_ENHANCED, //nolint:staticcheck // exercises the deprecated legacy/ENHANCED describe API
			}})
			return err
		}, "sticky"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var invalid *serviceerror.InvalidArgument
			require.ErrorAs(t, err, &invalid)
			require.True(t, strings.Contains(err.Error(), tt.field), "error %q names %q", err, tt.field)
		})
	}
	require.Zero(t, h.store.created.Load())
}
