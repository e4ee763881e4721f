package matching

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/matchingservice"
)

func TestDescribeTaskQueueListsPollers(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	tq := normalQueue("orders")

	polled := pollWorkflowAsync(ctx, s, tq, "p", "worker-1@host")
	waitForPollers(t, s, wfKey("orders"), 1)
	pollTime := h.clock.Now()
	require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-a", 2))
	require.NoError(t, receive(t, polled).err)
	require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-b", 2)) // backlog of one

	// Legacy mode, as `temporal task-queue describe` calls it.
	resp, err := s.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{
		NamespaceId: testNamespaceID,
		Request: &workflowservice.DescribeTaskQueueRequest{
			Namespace:              "default",
			TaskQueue:              tq,
			IncludeTaskQueueStatus: true, //nolint:staticcheck // exercises the deprecated legacy/ENHANCED describe API
			ReportStats:            true,
		},
	})
	require.NoError(t, err)
	pollers := resp.GetResponse().GetPollers()
	require.Len(t, pollers, 1)
	require.Equal(t, "worker-1@host", pollers[0].GetIdentity())
	require.Equal(t, pollTime, pollers[0].GetLastAccessTime().AsTime())
	require.EqualValues(t, 1, resp.GetResponse().GetTaskQueueStatus().GetBacklogCountHint()) //nolint:staticcheck // exercises the deprecated legacy/ENHANCED describe API
	require.EqualValues(t, 1, resp.GetResponse().GetStats().GetApproximateBacklogCount())
	require.NotNil(t, resp.GetResponse().GetTaskQueueStatus().GetTaskIdBlock()) //nolint:staticcheck // exercises the deprecated legacy/ENHANCED describe API

	// Activity pollers are listed under the activity type only.
	resp, err = s.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{
		NamespaceId: testNamespaceID,
		Request: &workflowservice.DescribeTaskQueueRequest{
			TaskQueue:     tq,
			TaskQueueType: enumspb.TASK_QUEUE_TYPE_ACTIVITY,
		},
	})
	require.NoError(t, err)
	require.Empty(t, resp.GetResponse().GetPollers())

	// Pollers are forgotten after PollerHistoryTTL.
	h.clock.Advance(DefaultConfig().PollerHistoryTTL + 1)
	resp, err = s.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{
		NamespaceId: testNamespaceID,
		Request:     &workflowservice.DescribeTaskQueueRequest{TaskQueue: tq},
	})
	require.NoError(t, err)
	require.Empty(t, resp.GetResponse().GetPollers())
}

func TestDescribeTaskQueueEnhancedMode(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	tq := normalQueue("orders")

	polled := pollWorkflowAsync(ctx, s, tq, "p", "worker-1")
	waitForPollers(t, s, wfKey("orders"), 1)
	require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-a", 2))
	require.NoError(t, receive(t, polled).err)

	resp, err := s.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{
		NamespaceId: testNamespaceID,
		Request: &workflowservice.DescribeTaskQueueRequest{
			TaskQueue:     tq,
			ApiMode:       enumspb.DESCRIBE_TASK_QUEUE_MODE_ENHANCED, //nolint:staticcheck // exercises the deprecated legacy/ENHANCED describe API
			ReportPollers: true,                                      //nolint:staticcheck // exercises the deprecated legacy/ENHANCED describe API
			ReportStats:   true,
		},
	})
	require.NoError(t, err)
	info := resp.GetResponse().GetVersionsInfo()[""] //nolint:staticcheck // exercises the deprecated legacy/ENHANCED describe API
	require.NotNil(t, info)
	wf := info.GetTypesInfo()[int32(enumspb.TASK_QUEUE_TYPE_WORKFLOW)]
	require.Len(t, wf.GetPollers(), 1)
	require.Equal(t, "worker-1", wf.GetPollers()[0].GetIdentity())
	require.NotNil(t, wf.GetStats())
	require.Empty(t, info.GetTypesInfo()[int32(enumspb.TASK_QUEUE_TYPE_ACTIVITY)].GetPollers())
}
