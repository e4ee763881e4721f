package matching

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/api/matchingservice"
)

// lateServer lets a service forward to itself: Server is set after the
// service is built.
type lateServer struct {
	matchingservice.MatchingServiceServer
}

// newForwardingService starts a service whose Deps.Forward is itself, as a
// one-host region's router would be.
func (h *harness) newForwardingService() *Service {
	h.t.Helper()
	fwd := &lateServer{}
	s, err := NewService(h.cfg, Deps{
		TaskStore: h.store, History: h.hist, Clock: h.clock, Logger: zaptest.NewLogger(h.t),
		Metrics: h.scope, Forward: fwd,
	})
	require.NoError(h.t, err)
	fwd.MatchingServiceServer = s
	require.NoError(h.t, s.Start())
	h.t.Cleanup(s.Stop)
	return s
}

func wfPartition(name string, p int32) partitionKey {
	k := wfKey(name)
	k.partition = p
	return k
}

func addWorkflowTaskTo(ctx context.Context, s matchingservice.MatchingServiceServer, tq *taskqueuepb.TaskQueue, partition int32, workflowID string, scheduledEventID int64) error {
	_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{
		NamespaceId:      testNamespaceID,
		Execution:        &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: "run-" + workflowID},
		TaskQueue:        tq,
		ScheduledEventId: scheduledEventID,
		Partition:        partition,
	})
	return err
}

func pollWorkflowAt(ctx context.Context, s matchingservice.MatchingServiceServer, tq *taskqueuepb.TaskQueue, partition int32, pollerID, identity string) pollResult {
	resp, err := s.PollWorkflowTaskQueue(ctx, &matchingservice.PollWorkflowTaskQueueRequest{
		NamespaceId: testNamespaceID,
		PollerId:    pollerID,
		Partition:   partition,
		Request: &workflowservice.PollWorkflowTaskQueueRequest{
			Namespace: "default",
			TaskQueue: tq,
			Identity:  identity,
		},
	})
	return pollResult{resp: resp.GetResponse(), err: err}
}

func pollWorkflowAtAsync(ctx context.Context, s matchingservice.MatchingServiceServer, tq *taskqueuepb.TaskQueue, partition int32, pollerID, identity string) <-chan pollResult {
	c := make(chan pollResult, 1)
	go func() { c <- pollWorkflowAt(ctx, s, tq, partition, pollerID, identity) }()
	return c
}

// An Add on a partition without pollers reaches a poller waiting at the
// root, without a backlog write.
func TestAddForwardedToRootPoller(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	h.cfg.Partitions = 3
	s := h.newForwardingService()
	ctx := context.Background()
	tq := normalQueue("orders")

	c := pollWorkflowAtAsync(ctx, s, tq, 0, "p0", "worker")
	waitForPollers(t, s, wfPartition("orders", 0), 1)
	require.NoError(t, addWorkflowTaskTo(ctx, s, tq, 2, "wf-a", 2))
	r := receive(t, c)
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-a", 2), r.token())
	require.Zero(t, h.store.created.Load(), "a task handed to the root's poller is never written")
	require.EqualValues(t, 1, h.counter(metricForwardedAdds, map[string]string{tagForwardResult: forwardMatched}))
}

// A poll on a partition without tasks waits at the root (up to
// MaxForwardedPolls of them); the rest wait locally. Tasks added to the
// root and to the partition both find a poller.
func TestPollForwardedToRoot(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	h.cfg.TaskQueuePartitions = map[string]int{"orders": 2}
	s := h.newForwardingService()
	ctx := context.Background()
	tq := normalQueue("orders")

	c1 := pollWorkflowAtAsync(ctx, s, tq, 1, "p1", "worker-1")
	waitForPollers(t, s, wfPartition("orders", 0), 1)
	c2 := pollWorkflowAtAsync(ctx, s, tq, 1, "p2", "worker-2")
	waitForPollers(t, s, wfPartition("orders", 1), 1)
	require.EqualValues(t, 1, h.counter(metricForwardedPolls, nil), "one forwarded poll at a time")

	require.NoError(t, addWorkflowTaskTo(ctx, s, tq, 0, "wf-root", 2))
	require.NoError(t, addWorkflowTaskTo(ctx, s, tq, 1, "wf-local", 2))
	got := map[string]bool{receive(t, c1).token(): true, receive(t, c2).token(): true}
	require.Equal(t, map[string]bool{tokenOf("wf-root", 2): true, tokenOf("wf-local", 2): true}, got)
	require.Zero(t, h.store.created.Load())
}

// A task in a partition's backlog reaches a poller that waits only at the
// root: the partition offers its backlog to the root until one takes it.
func TestBacklogForwardedToRootPoller(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	h.cfg.Partitions = 3
	s := h.newForwardingService()
	ctx := context.Background()
	tq := normalQueue("orders")

	require.NoError(t, addWorkflowTaskTo(ctx, s, tq, 2, "wf-a", 2))
	require.EqualValues(t, 1, h.store.created.Load(), "nobody polls: the partition keeps the task")
	require.Len(t, storedTasks(t, h.store, wfPartition("orders", 2)), 1)
	require.Empty(t, storedTasks(t, h.store, wfPartition("orders", 0)))

	c := pollWorkflowAtAsync(ctx, s, tq, 0, "p0", "worker")
	var r pollResult
	h.advanceUntil(50*time.Millisecond, func() bool {
		select {
		case r = <-c:
			return true
		default:
			return false
		}
	})
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-a", 2), r.token())
	require.EqualValues(t, 1, h.counter(metricForwardedBacklogTasks, map[string]string{tagForwardResult: forwardMatched}))
	m := s.loadedManager(wfPartition("orders", 2))
	require.NotNil(t, m)
	waitFor(t, func() bool { return m.describe().stats.GetApproximateBacklogCount() == 0 }, "the forwarded task is done in its partition")
}

// The root describes every partition: pollers seen anywhere, backlogs
// summed.
func TestDescribeReportsEveryPartition(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	h.cfg.Partitions = 3
	s := h.newForwardingService()
	ctx := context.Background()
	tq := normalQueue("orders")

	require.NoError(t, addWorkflowTaskTo(ctx, s, tq, 0, "wf-a", 2))
	require.NoError(t, addWorkflowTaskTo(ctx, s, tq, 2, "wf-b", 2))
	require.NoError(t, addWorkflowTaskTo(ctx, s, tq, 2, "wf-c", 2))
	describe := func(queue string, partition int32, single bool) *workflowservice.DescribeTaskQueueResponse {
		resp, err := s.DescribeTaskQueue(ctx, &matchingservice.DescribeTaskQueueRequest{
			NamespaceId: testNamespaceID,
			Request: &workflowservice.DescribeTaskQueueRequest{
				Namespace: "default", TaskQueue: normalQueue(queue), TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
				ReportStats: true,
			},
			Partition:       partition,
			SinglePartition: single,
		})
		require.NoError(t, err)
		return resp.GetResponse()
	}
	require.EqualValues(t, 3, describe("orders", 0, false).GetStats().GetApproximateBacklogCount())
	require.EqualValues(t, 1, describe("orders", 0, true).GetStats().GetApproximateBacklogCount())
	require.EqualValues(t, 2, describe("orders", 2, false).GetStats().GetApproximateBacklogCount())

	// Pollers of another queue: the first poll on partition 1 waits at the
	// root, the second at partition 1, where only the root's describe of
	// every partition sees it.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	billing := normalQueue("billing")
	pollWorkflowAtAsync(pctx, s, billing, 0, "a", "w0")
	waitForPollers(t, s, wfPartition("billing", 0), 1)
	pollWorkflowAtAsync(pctx, s, billing, 1, "b", "w1a")
	waitForPollers(t, s, wfPartition("billing", 0), 2)
	pollWorkflowAtAsync(pctx, s, billing, 1, "c", "w1b")
	waitForPollers(t, s, wfPartition("billing", 1), 1)
	var ids []string
	for _, p := range describe("billing", 0, false).GetPollers() {
		ids = append(ids, p.GetIdentity())
	}
	require.ElementsMatch(t, []string{"w0", "w1a", "w1b"}, ids)
}

func TestPartitionRequestsValidated(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	sticky := &taskqueuepb.TaskQueue{Name: "host:1", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: "orders"}
	cases := map[string]struct {
		err  error
		want string
	}{
		"negative partition": {addWorkflowTaskTo(ctx, s, normalQueue("orders"), -1, "wf", 2), "partition"},
		"partition too big":  {addWorkflowTaskTo(ctx, s, normalQueue("orders"), MaxPartitions, "wf", 2), "partition"},
		"sticky partition":   {addWorkflowTaskTo(ctx, s, sticky, 1, "wf", 2), "sticky"},
		"reserved name":      {addWorkflowTaskTo(ctx, s, normalQueue("/_sys/orders/1"), 0, "wf", 2), "task_queue.name"},
		"forwarded to non-root": {func() error {
			_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{
				NamespaceId: testNamespaceID, Execution: &commonpb.WorkflowExecution{WorkflowId: "wf", RunId: "r"},
				TaskQueue: normalQueue("orders"), ScheduledEventId: 2, Partition: 1, ForwardedFrom: 2,
			})
			return err
		}(), "forwarded_from"},
		"poll partition": {pollWorkflowAt(ctx, s, normalQueue("orders"), -3, "p", "w").err, "partition"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			requireInvalidArgument(t, tc.err, tc.want)
		})
	}
}

// requireInvalidArgument checks that err is InvalidArgument mentioning want.
func requireInvalidArgument(t *testing.T, err error, want string) {
	t.Helper()
	var invalid *serviceerror.InvalidArgument
	require.ErrorAs(t, err, &invalid)
	require.Contains(t, invalid.Error(), want)
}

// A non-root partition persists its ack level in its own record, under its
// stored name, with its own lease: the write neither fails (losing the
// lease) nor touches the root's record.
func TestPartitionAckLevelPersistsInItsOwnRecord(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	h.cfg.Partitions = 3
	s := h.newForwardingService()
	ctx := context.Background()
	tq := normalQueue("orders")

	require.NoError(t, addWorkflowTaskTo(ctx, s, tq, 2, "wf-a", 2))
	stored := storedTasks(t, h.store, wfPartition("orders", 2))
	require.Len(t, stored, 1)
	// The poll may wait at the root (forwarded) while the partition offers
	// its backlog there on the fake clock's backoff.
	c := pollWorkflowAtAsync(ctx, s, tq, 2, "p2", "worker")
	var r pollResult
	h.advanceUntil(50*time.Millisecond, func() bool {
		select {
		case r = <-c:
			return true
		default:
			return false
		}
	})
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-a", 2), r.token())
	m := s.loadedManager(wfPartition("orders", 2))
	require.NotNil(t, m)
	waitFor(t, func() bool { return m.describe().stats.GetApproximateBacklogCount() == 0 }, "the task is done in its partition")
	s.Stop() // a clean stop flushes the ack level

	require.Zero(t, h.counter(metricLeaseLost, nil), "the partition's ack write must not lose its lease")
	infos, err := h.store.ListTaskQueues(ctx)
	require.NoError(t, err)
	acks := map[string]int64{}
	for _, info := range infos {
		acks[info.GetName()] = info.GetAckLevel()
	}
	require.GreaterOrEqual(t, acks[wfPartition("orders", 2).storedName()], stored[0].GetTaskId(),
		"partition 2's own record has its ack level: %v", acks)
	require.Less(t, acks["orders"], stored[0].GetTaskId(), "the root's record keeps its own ack level: %v", acks)
}
