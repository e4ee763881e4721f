package rpc

import (
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/ring"
)

// The router spreads Adds and Polls of a partitioned queue over its
// partitions and routes each request to the key of the partition it names.
func TestPartitionPickerSpreadsAndKeysFollow(t *testing.T) {
	pp := &partitionPicker{count: func(ns, tq string, tt enumspb.TaskQueueType) int {
		require.Equal(t, "ns", ns)
		if tq == "orders" {
			return 3
		}
		return 1
	}}
	normal := &taskqueuepb.TaskQueue{Name: "orders", Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	keyOf := func(req any) string {
		pp.pick(req)
		k, ok := matchingKey(req)
		require.True(t, ok)
		return k
	}
	const wf, act = 1, 2
	seen := map[string]int{}
	for range 6 {
		seen[keyOf(&matchingservice.AddWorkflowTaskRequest{NamespaceId: "ns", TaskQueue: normal})]++
		seen[keyOf(&matchingservice.PollActivityTaskQueueRequest{NamespaceId: "ns",
			Request: &workflowservice.PollActivityTaskQueueRequest{TaskQueue: normal}})]++
	}
	for p := range int32(3) {
		require.Positive(t, seen[ring.TaskQueuePartitionKey("ns", "orders", wf, p)], "workflow partition %d", p)
		require.Positive(t, seen[ring.TaskQueuePartitionKey("ns", "orders", act, p)], "activity partition %d", p)
	}

	root := ring.TaskQueuePartitionKey("ns", "orders", wf, 0)
	sticky := &taskqueuepb.TaskQueue{Name: "host:1", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: "orders"}
	for name, tc := range map[string]struct {
		req  any
		want string
	}{
		"forwarded goes to the root": {&matchingservice.AddWorkflowTaskRequest{NamespaceId: "ns", TaskQueue: normal, ForwardedFrom: 2}, root},
		"explicit partition kept": {&matchingservice.PollWorkflowTaskQueueRequest{NamespaceId: "ns", Partition: 2,
			Request: &workflowservice.PollWorkflowTaskQueueRequest{TaskQueue: normal}}, ring.TaskQueuePartitionKey("ns", "orders", wf, 2)},
		"sticky has one partition": {&matchingservice.AddWorkflowTaskRequest{NamespaceId: "ns", TaskQueue: sticky},
			ring.TaskQueuePartitionKey("ns", "host:1", wf, 0)},
		"one-partition queue": {&matchingservice.AddWorkflowTaskRequest{NamespaceId: "ns",
			TaskQueue: &taskqueuepb.TaskQueue{Name: "small"}}, ring.TaskQueuePartitionKey("ns", "small", wf, 0)},
		"queries go to the root": {&matchingservice.QueryWorkflowRequest{NamespaceId: "ns", TaskQueue: normal}, root},
		"describe names its partition": {&matchingservice.DescribeTaskQueueRequest{NamespaceId: "ns", Partition: 1,
			Request: &workflowservice.DescribeTaskQueueRequest{TaskQueue: normal}}, ring.TaskQueuePartitionKey("ns", "orders", wf, 1)},
	} {
		require.Equal(t, tc.want, keyOf(tc.req), name)
	}
}
