package rpc

import (
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	tokenspb "github.com/meridian-dev/meridian/common/commonpb"
	"github.com/meridian-dev/meridian/ring"
)

// The routing keys of every request, one case per method. A request with a
// missing field still gets a key (of empty strings): its owner answers
// InvalidArgument, as the in-process service would. A request type with
// no case is a bug that TestRoutingKeysCoverEveryMethod catches; at run
// time it fails with Internal.

// historyKey returns the namespace and workflow whose shard serves req.
// They must be the ones the history handler passes to its shard lookup.
func historyKey(req any) (namespaceID, workflowID string, ok bool) {
	switch r := req.(type) {
	case *historyservice.StartWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetRequest().GetWorkflowId(), true
	case *historyservice.SignalWithStartWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetRequest().GetWorkflowId(), true
	case *historyservice.SignalWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetRequest().GetWorkflowExecution().GetWorkflowId(), true
	case *historyservice.RequestCancelWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetRequest().GetWorkflowExecution().GetWorkflowId(), true
	case *historyservice.TerminateWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetRequest().GetWorkflowExecution().GetWorkflowId(), true
	case *historyservice.DescribeWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetRequest().GetExecution().GetWorkflowId(), true
	case *historyservice.GetWorkflowExecutionHistoryRequest:
		return r.GetNamespaceId(), r.GetRequest().GetExecution().GetWorkflowId(), true
	case *historyservice.QueryWorkflowRequest:
		return r.GetNamespaceId(), r.GetRequest().GetExecution().GetWorkflowId(), true
	case *historyservice.RecordWorkflowTaskStartedRequest:
		return r.GetNamespaceId(), r.GetExecution().GetWorkflowId(), true
	case *historyservice.RecordActivityTaskStartedRequest:
		return r.GetNamespaceId(), r.GetExecution().GetWorkflowId(), true
	// Task-token requests: the frontend decoded the worker's token into
	// the typed token field.
	case *historyservice.RespondWorkflowTaskCompletedRequest:
		return r.GetNamespaceId(), r.GetToken().GetWorkflowId(), true
	case *historyservice.RespondWorkflowTaskFailedRequest:
		return r.GetNamespaceId(), r.GetToken().GetWorkflowId(), true
	case *historyservice.RecordActivityTaskHeartbeatRequest:
		return r.GetNamespaceId(), r.GetToken().GetWorkflowId(), true
	case *historyservice.RespondActivityTaskCompletedRequest:
		return r.GetNamespaceId(), r.GetToken().GetWorkflowId(), true
	case *historyservice.RespondActivityTaskFailedRequest:
		return r.GetNamespaceId(), r.GetToken().GetWorkflowId(), true
	case *historyservice.RespondActivityTaskCanceledRequest:
		return r.GetNamespaceId(), r.GetToken().GetWorkflowId(), true
	case *historyservice.ResetStickyTaskQueueRequest:
		return r.GetNamespaceId(), r.GetExecution().GetWorkflowId(), true
	// The parent's shard records its child's completion.
	case *historyservice.RecordChildExecutionCompletedRequest:
		return r.GetNamespaceId(), r.GetParentExecution().GetWorkflowId(), true
	case *historyservice.UpdateWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetRequest().GetWorkflowExecution().GetWorkflowId(), true
	case *historyservice.PollWorkflowExecutionUpdateRequest:
		return r.GetNamespaceId(), r.GetRequest().GetUpdateRef().GetWorkflowExecution().GetWorkflowId(), true
	case *historyservice.UpdateWithStartWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetStartRequest().GetWorkflowId(), true
	case *historyservice.ResetWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetRequest().GetWorkflowExecution().GetWorkflowId(), true
	case *historyservice.DeleteWorkflowExecutionRequest:
		return r.GetNamespaceId(), r.GetRequest().GetWorkflowExecution().GetWorkflowId(), true
	}
	return "", "", false
}

// matchingKey returns the placement key of the task-queue partition that
// serves req: ring.TaskQueuePartitionKey(namespace ID, task queue name,
// task type, partition 0). Task queues have one partition for now.
func matchingKey(req any) (string, bool) {
	const (
		wf  = enumspb.TASK_QUEUE_TYPE_WORKFLOW
		act = enumspb.TASK_QUEUE_TYPE_ACTIVITY
	)
	var (
		ns, tq string
		tt     enumspb.TaskQueueType
	)
	switch r := req.(type) {
	case *matchingservice.AddWorkflowTaskRequest:
		ns, tq, tt = r.GetNamespaceId(), r.GetTaskQueue().GetName(), wf
	case *matchingservice.AddActivityTaskRequest:
		ns, tq, tt = r.GetNamespaceId(), r.GetTaskQueue().GetName(), act
	case *matchingservice.PollWorkflowTaskQueueRequest:
		ns, tq, tt = r.GetNamespaceId(), r.GetRequest().GetTaskQueue().GetName(), wf
	case *matchingservice.PollActivityTaskQueueRequest:
		ns, tq, tt = r.GetNamespaceId(), r.GetRequest().GetTaskQueue().GetName(), act
	case *matchingservice.QueryWorkflowRequest:
		// Legacy query tasks go to workflow workers.
		ns, tq, tt = r.GetNamespaceId(), r.GetTaskQueue().GetName(), wf
	case *matchingservice.RespondQueryTaskCompletedRequest:
		// The query waits on the partition that handed out its task. The
		// frontend fills task_queue from the QueryTaskToken; decode the
		// token when it did not.
		ns, tq, tt = r.GetNamespaceId(), r.GetTaskQueue(), wf
		if tq == "" {
			tq = queryTokenTaskQueue(r.GetRequest().GetTaskToken())
		}
	case *matchingservice.DescribeTaskQueueRequest:
		// The legacy mode describes one type (workflow when unspecified).
		// The enhanced mode may span types yet reaches only the workflow
		// partition's owner: on a region of many hosts it needs a fan-out
		// (in the frontend or matching) that does not exist yet.
		ns, tq, tt = r.GetNamespaceId(), r.GetRequest().GetTaskQueue().GetName(), r.GetRequest().GetTaskQueueType()
		if tt == enumspb.TASK_QUEUE_TYPE_UNSPECIFIED {
			tt = wf
		}
	default:
		return "", false
	}
	return ring.TaskQueuePartitionKey(ns, tq, int32(tt), 0), true
}

// queryTokenTaskQueue returns the task queue a legacy query task token
// names, or "" if b is not one.
func queryTokenTaskQueue(b []byte) string {
	var t tokenspb.QueryTaskToken
	if err := proto.Unmarshal(b, &t); err != nil {
		return ""
	}
	return t.GetTaskQueue()
}
