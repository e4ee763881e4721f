package history

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
	tokenpb "github.com/meridian-dev/meridian/common/commonpb"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// The executors of child, signal, cancel and close tasks must tolerate
// running more than once (a crash after the work but before the ack): these
// tests run every such task again, concurrently with the shard's own
// queue, and check that each outcome is recorded exactly once.

const (
	testNS   = "default"
	testNSID = "ns-1"
)

// nopMatching accepts every task and dispatches nothing: the tests drive
// workflow tasks by hand.
type nopMatching struct {
	matchingservice.UnimplementedMatchingServiceServer
}

func (nopMatching) AddWorkflowTask(context.Context, *matchingservice.AddWorkflowTaskRequest) (*matchingservice.AddWorkflowTaskResponse, error) {
	return &matchingservice.AddWorkflowTaskResponse{}, nil
}

func (nopMatching) AddActivityTask(context.Context, *matchingservice.AddActivityTaskRequest) (*matchingservice.AddActivityTaskResponse, error) {
	return &matchingservice.AddActivityTaskResponse{}, nil
}

func newTestService(t *testing.T) *Service {
	t.Helper()
	stores, err := embedded.Open(t.Name(), embedded.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = stores.Close() })
	ctx := context.Background()
	require.NoError(t, stores.Namespace.CreateNamespace(ctx, &persistencepb.NamespaceDetail{
		Info:   &namespacepb.NamespaceInfo{Id: testNSID, Name: testNS, State: enumspb.NAMESPACE_STATE_REGISTERED},
		Config: &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(24 * time.Hour)},
	}))
	c := clock.Real()
	s, err := NewService(Config{NumShards: 2}, Deps{
		Stores: stores, Namespaces: namespace.NewRegistry(stores.Namespace, c, 0), Matching: nopMatching{}, Clock: c, HostID: "test",
	})
	require.NoError(t, err)
	require.NoError(t, s.Start(ctx))
	t.Cleanup(s.Stop)
	return s
}

func start(t *testing.T, s *Service, workflowID string) *commonpb.WorkflowExecution {
	t.Helper()
	resp, err := s.StartWorkflowExecution(context.Background(), &historyservice.StartWorkflowExecutionRequest{
		NamespaceId: testNSID,
		Request: &workflowservice.StartWorkflowExecutionRequest{
			Namespace: testNS, WorkflowId: workflowID, WorkflowType: &commonpb.WorkflowType{Name: "W"},
			TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}, RequestId: "start-" + workflowID,
		},
	})
	require.NoError(t, err)
	return &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: resp.RunId}
}

func history(t *testing.T, s *Service, ex *commonpb.WorkflowExecution) []*historypb.HistoryEvent {
	t.Helper()
	resp, err := s.GetWorkflowExecutionHistory(context.Background(), &historyservice.GetWorkflowExecutionHistoryRequest{
		NamespaceId: testNSID,
		Request:     &workflowservice.GetWorkflowExecutionHistoryRequest{Namespace: testNS, Execution: ex},
	})
	require.NoError(t, err)
	return resp.Response.History.Events
}

func count(events []*historypb.HistoryEvent, typ enumspb.EventType) int {
	n := 0
	for _, e := range events {
		if e.EventType == typ {
			n++
		}
	}
	return n
}

// completeTask starts ex's pending workflow task (scheduled as the last
// event) and completes it with cmds.
func completeTask(t *testing.T, s *Service, ex *commonpb.WorkflowExecution, cmds ...*commandpb.Command) {
	t.Helper()
	ctx := context.Background()
	var scheduled int64
	require.Eventually(t, func() bool {
		d, err := s.DescribeWorkflowExecution(ctx, &historyservice.DescribeWorkflowExecutionRequest{
			NamespaceId: testNSID, Request: &workflowservice.DescribeWorkflowExecutionRequest{Namespace: testNS, Execution: ex},
		})
		require.NoError(t, err)
		p := d.Response.PendingWorkflowTask
		if p == nil || p.State != enumspb.PENDING_WORKFLOW_TASK_STATE_SCHEDULED {
			return false
		}
		events := history(t, s, ex)
		scheduled = events[len(events)-1].EventId
		return events[len(events)-1].EventType == enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
	}, 5*time.Second, 10*time.Millisecond, "no workflow task scheduled")
	started, err := s.RecordWorkflowTaskStarted(ctx, &historyservice.RecordWorkflowTaskStartedRequest{
		NamespaceId: testNSID, Execution: ex, ScheduledEventId: scheduled, RequestId: "poll",
		PollRequest: &workflowservice.PollWorkflowTaskQueueRequest{Identity: "worker"},
	})
	require.NoError(t, err)
	var tok tokenpb.TaskToken
	require.NoError(t, proto.Unmarshal(started.Response.TaskToken, &tok))
	_, err = s.RespondWorkflowTaskCompleted(ctx, &historyservice.RespondWorkflowTaskCompletedRequest{
		NamespaceId: testNSID, Token: &tok,
		Request: &workflowservice.RespondWorkflowTaskCompletedRequest{Namespace: testNS, Identity: "worker", Commands: cmds},
	})
	require.NoError(t, err)
}

// rerun executes the task twice more, concurrently.
func rerun(t *testing.T, s *Service, ex *commonpb.WorkflowExecution, typ persistencepb.TaskType, eventID int64) {
	t.Helper()
	ctx := context.Background()
	sh, err := s.shardFor(ctx, testNSID, ex.WorkflowId)
	require.NoError(t, err)
	x := &executor{sh: sh}
	task := &persistencepb.HistoryTask{
		Category: persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, Type: typ,
		NamespaceId: testNSID, WorkflowId: ex.WorkflowId, RunId: ex.RunId, EventId: eventID,
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = x.Execute(ctx, proto.Clone(task).(*persistencepb.HistoryTask))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

func waitFor(t *testing.T, s *Service, ex *commonpb.WorkflowExecution, typ enumspb.EventType) {
	t.Helper()
	require.Eventually(t, func() bool { return count(history(t, s, ex), typ) > 0 }, 5*time.Second, 10*time.Millisecond, "no %v", typ)
}

func TestChildAndExternalExecutorsAreIdempotent(t *testing.T) {
	s := newTestService(t)
	target := start(t, s, "target")
	parent := start(t, s, "parent")
	completeTask(t, s, parent,
		&commandpb.Command{
			CommandType: enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_StartChildWorkflowExecutionCommandAttributes{StartChildWorkflowExecutionCommandAttributes: &commandpb.StartChildWorkflowExecutionCommandAttributes{
				WorkflowId: "child", WorkflowType: &commonpb.WorkflowType{Name: "C"},
			}},
		},
		&commandpb.Command{
			CommandType: enumspb.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_SignalExternalWorkflowExecutionCommandAttributes{SignalExternalWorkflowExecutionCommandAttributes: &commandpb.SignalExternalWorkflowExecutionCommandAttributes{
				Execution: &commonpb.WorkflowExecution{WorkflowId: target.WorkflowId}, SignalName: "ping",
			}},
		},
		&commandpb.Command{
			CommandType: enumspb.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_RequestCancelExternalWorkflowExecutionCommandAttributes{RequestCancelExternalWorkflowExecutionCommandAttributes: &commandpb.RequestCancelExternalWorkflowExecutionCommandAttributes{
				WorkflowId: target.WorkflowId,
			}},
		},
	)
	// Events 5-7 are the initiated events; run each task again while the
	// queue runs it.
	rerun(t, s, parent, persistencepb.TaskType_TASK_TYPE_START_CHILD_EXECUTION, 5)
	rerun(t, s, parent, persistencepb.TaskType_TASK_TYPE_SIGNAL_EXECUTION, 6)
	rerun(t, s, parent, persistencepb.TaskType_TASK_TYPE_CANCEL_EXECUTION, 7)
	waitFor(t, s, parent, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
	waitFor(t, s, parent, enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED)
	waitFor(t, s, parent, enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
	rerun(t, s, parent, persistencepb.TaskType_TASK_TYPE_START_CHILD_EXECUTION, 5)
	rerun(t, s, parent, persistencepb.TaskType_TASK_TYPE_SIGNAL_EXECUTION, 6)
	rerun(t, s, parent, persistencepb.TaskType_TASK_TYPE_CANCEL_EXECUTION, 7)

	events := history(t, s, parent)
	require.Equal(t, 1, count(events, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED))
	require.Equal(t, 1, count(events, enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED))
	require.Equal(t, 1, count(events, enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED))
	targetEvents := history(t, s, target)
	require.Equal(t, 1, count(targetEvents, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))
	require.Equal(t, 1, count(targetEvents, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED))

	// The child closes; its close task reports to the parent once.
	var childEx *commonpb.WorkflowExecution
	for _, e := range events {
		if e.EventType == enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED {
			childEx = e.GetChildWorkflowExecutionStartedEventAttributes().GetWorkflowExecution()
		}
	}
	completeTask(t, s, childEx, &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
		Attributes:  &commandpb.Command_CompleteWorkflowExecutionCommandAttributes{CompleteWorkflowExecutionCommandAttributes: &commandpb.CompleteWorkflowExecutionCommandAttributes{}},
	})
	childEvents := history(t, s, childEx)
	closeID := childEvents[len(childEvents)-1].EventId
	rerun(t, s, childEx, persistencepb.TaskType_TASK_TYPE_CLOSE_EXECUTION, closeID)
	waitFor(t, s, parent, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
	rerun(t, s, childEx, persistencepb.TaskType_TASK_TYPE_CLOSE_EXECUTION, closeID)
	require.Equal(t, 1, count(history(t, s, parent), enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED))
}

func TestParentCloseTaskIsIdempotent(t *testing.T) {
	s := newTestService(t)
	parent := start(t, s, "parent")
	completeTask(t, s, parent, &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
		Attributes: &commandpb.Command_StartChildWorkflowExecutionCommandAttributes{StartChildWorkflowExecutionCommandAttributes: &commandpb.StartChildWorkflowExecutionCommandAttributes{
			WorkflowId: "child", WorkflowType: &commonpb.WorkflowType{Name: "C"},
			ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		}},
	})
	waitFor(t, s, parent, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
	completeTask(t, s, parent, &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
		Attributes:  &commandpb.Command_CompleteWorkflowExecutionCommandAttributes{CompleteWorkflowExecutionCommandAttributes: &commandpb.CompleteWorkflowExecutionCommandAttributes{}},
	})
	events := history(t, s, parent)
	rerun(t, s, parent, persistencepb.TaskType_TASK_TYPE_CLOSE_EXECUTION, events[len(events)-1].EventId)
	child := &commonpb.WorkflowExecution{WorkflowId: "child"}
	waitFor(t, s, child, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
	rerun(t, s, parent, persistencepb.TaskType_TASK_TYPE_CLOSE_EXECUTION, events[len(events)-1].EventId)
	childEvents := history(t, s, child)
	require.Equal(t, 1, count(childEvents, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED))
	for _, e := range childEvents {
		if a := e.GetWorkflowExecutionCancelRequestedEventAttributes(); a != nil {
			require.Equal(t, parent.RunId, a.GetExternalWorkflowExecution().GetRunId())
			require.Equal(t, reasonParentClose, a.GetCause())
		}
	}
}
