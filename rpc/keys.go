package rpc

import (
	"sync/atomic"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
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
// task type, the request's partition). Legacy queries and their answers
// go to the root partition (0), where the pollers of every partition meet.
func matchingKey(req any) (string, bool) {
	const (
		wf  = enumspb.TASK_QUEUE_TYPE_WORKFLOW
		act = enumspb.TASK_QUEUE_TYPE_ACTIVITY
	)
	var (
		ns, tq string
		tt     enumspb.TaskQueueType
		p      int32
	)
	switch r := req.(type) {
	case *matchingservice.AddWorkflowTaskRequest:
		ns, tq, tt, p = r.GetNamespaceId(), r.GetTaskQueue().GetName(), wf, r.GetPartition()
	case *matchingservice.AddActivityTaskRequest:
		ns, tq, tt, p = r.GetNamespaceId(), r.GetTaskQueue().GetName(), act, r.GetPartition()
	case *matchingservice.PollWorkflowTaskQueueRequest:
		ns, tq, tt, p = r.GetNamespaceId(), r.GetRequest().GetTaskQueue().GetName(), wf, r.GetPartition()
	case *matchingservice.PollActivityTaskQueueRequest:
		ns, tq, tt, p = r.GetNamespaceId(), r.GetRequest().GetTaskQueue().GetName(), act, r.GetPartition()
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
		// The legacy mode describes one type (workflow when unspecified);
		// the enhanced mode goes to the workflow root, which asks the
		// owners of the other types' roots. A root asks its other
		// partitions itself.
		ns, tq, tt, p = r.GetNamespaceId(), r.GetRequest().GetTaskQueue().GetName(), r.GetRequest().GetTaskQueueType(), r.GetPartition()
		if tt == enumspb.TASK_QUEUE_TYPE_UNSPECIFIED || r.GetRequest().GetApiMode() == enumspb.DESCRIBE_TASK_QUEUE_MODE_ENHANCED { //nolint:staticcheck // deprecated ENHANCED mode is still sent by older CLIs
			tt = wf
		}
	default:
		return "", false
	}
	return ring.TaskQueuePartitionKey(ns, tq, int32(tt), p), true
}

// PartitionCounter tells a MatchingRouter how many partitions a normal
// task queue has (matching.Config.PartitionCount); a result below 2 means
// one.
type PartitionCounter func(namespaceID, taskQueue string, taskType enumspb.TaskQueueType) int

// partitionPicker spreads Adds and Polls of normal task queues over their
// partitions, round-robin.
type partitionPicker struct {
	count PartitionCounter
	next  atomic.Uint32
}

// pick sets the partition of an Add or Poll that names none and was not
// forwarded by a partition, on a normal queue with several partitions.
// Sticky queues have one partition. The request is changed in place.
func (pp *partitionPicker) pick(req any) {
	if pp.count == nil {
		return
	}
	var (
		ns      string
		q       *taskqueuepb.TaskQueue
		tt      enumspb.TaskQueueType
		set     func(int32)
		already bool
	)
	switch r := req.(type) {
	case *matchingservice.AddWorkflowTaskRequest:
		ns, q, tt = r.GetNamespaceId(), r.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_WORKFLOW
		already = r.GetPartition() != 0 || r.GetForwardedFrom() != 0
		set = func(p int32) { r.Partition = p }
	case *matchingservice.AddActivityTaskRequest:
		ns, q, tt = r.GetNamespaceId(), r.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_ACTIVITY
		already = r.GetPartition() != 0 || r.GetForwardedFrom() != 0
		set = func(p int32) { r.Partition = p }
	case *matchingservice.PollWorkflowTaskQueueRequest:
		ns, q, tt = r.GetNamespaceId(), r.GetRequest().GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_WORKFLOW
		already = r.GetPartition() != 0 || r.GetForwardedFrom() != 0
		set = func(p int32) { r.Partition = p }
	case *matchingservice.PollActivityTaskQueueRequest:
		ns, q, tt = r.GetNamespaceId(), r.GetRequest().GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_ACTIVITY
		already = r.GetPartition() != 0 || r.GetForwardedFrom() != 0
		set = func(p int32) { r.Partition = p }
	default:
		return
	}
	if already || q.GetKind() == enumspb.TASK_QUEUE_KIND_STICKY || q.GetName() == "" {
		return
	}
	n := pp.count(ns, q.GetName(), tt)
	if n < 2 {
		return
	}
	set(int32(pp.next.Add(1) % uint32(n)))
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
