package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	"github.com/meridian-dev/meridian/services/history"
)

const crossChildren = 8

// crossParent starts children, signals a workflow it did not start, starts
// a child it leaves running (policy TERMINATE) and completes with the sum
// of its children's results.
func crossParent(ctx workflow.Context, sink string) (int, error) {
	futures := make([]workflow.ChildWorkflowFuture, crossChildren)
	for i := range futures {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: fmt.Sprintf("%s-child-%d", sink, i)})
		futures[i] = workflow.ExecuteChildWorkflow(cctx, crossChild, i)
	}
	sum := 0
	for _, f := range futures {
		var n int
		if err := f.Get(ctx, &n); err != nil {
			return 0, err
		}
		sum += n
	}
	if err := workflow.SignalExternalWorkflow(ctx, sink, "", "done", sum).Get(ctx, nil); err != nil {
		return 0, err
	}
	lctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: sink + "-lingering", ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_TERMINATE,
	})
	lingering := workflow.ExecuteChildWorkflow(lctx, crossSink)
	if err := lingering.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		return 0, err
	}
	return sum, nil
}

func crossChild(_ workflow.Context, i int) (int, error) { return 2 * i, nil }

// crossSink waits for one "done" signal and returns it.
func crossSink(ctx workflow.Context) (int, error) {
	var n int
	workflow.GetSignalChannel(ctx, "done").Receive(ctx, &n)
	return n, nil
}

// TestCrossHostWorkflowCalls runs three hosts in one process on the real
// Cassandra: a parent's children, its signal to another workflow and its
// parent-close policy reach workflows whose shards other hosts own.
func TestCrossHostWorkflowCalls(t *testing.T) {
	ccfg := cassandratest.NewKeyspace(t, cassandratest.Config(t))
	if testing.Short() {
		t.Skip("starts three hosts on Cassandra: skipped with -short")
	}
	const numShards = 8
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	gossip := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	regions := make([]*Region, len(gossip))
	for i := range regions {
		cfg := Config{
			FrontendAddress: freeAddr(t),
			NumShards:       numShards,
			Membership: &MembershipConfig{
				NodeName: fmt.Sprintf("host%d", i+1), BindAddress: gossip[i], Seeds: gossip[:i],
				RPCAddress: freeAddr(t), JoinTimeout: 5 * time.Second,
			},
		}
		r, err := Start(ctx, cfg, func(tally.Scope) (*persistence.Stores, error) {
			return cassandra.Open(ccfg, logger)
		}, logger.Named(cfg.Membership.NodeName))
		require.NoError(t, err)
		t.Cleanup(r.Stop)
		regions[i] = r
	}
	// Every host owns shards before the load starts, so that some calls
	// must cross hosts.
	owner := func(shard int32) string {
		for _, r := range regions {
			for _, st := range r.history.Shards() {
				if st.ID == shard {
					return r.member.ring.LocalNode().Name
				}
			}
		}
		return ""
	}
	require.Eventually(t, func() bool {
		seen := map[string]bool{}
		for id := int32(1); id <= numShards; id++ {
			o := owner(id)
			if o == "" {
				return false
			}
			seen[o] = true
		}
		return len(seen) == len(regions)
	}, 60*time.Second, 100*time.Millisecond, "every host should own shards")

	c, err := client.Dial(client.Options{
		HostPort: regions[0].Address(), Namespace: DefaultNamespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	require.NoError(t, err)
	defer c.Close()
	const queue = "cross-host"
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(crossParent)
	w.RegisterWorkflow(crossChild)
	w.RegisterWorkflow(crossSink)
	require.NoError(t, w.Start())
	defer w.Stop()

	sink, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "sink", TaskQueue: queue}, crossSink)
	require.NoError(t, err)
	parent, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "parent", TaskQueue: queue}, crossParent, "sink")
	require.NoError(t, err)
	var sum, got int
	require.NoError(t, parent.Get(ctx, &sum))
	want := 0
	for i := range crossChildren {
		want += 2 * i
	}
	require.Equal(t, want, sum)
	require.NoError(t, sink.Get(ctx, &got))
	require.Equal(t, want, got, "the parent's signal reached the sink")

	// The lingering child is terminated by its parent's close policy.
	var term *temporal.TerminatedError
	err = c.GetWorkflow(ctx, "sink-lingering", "").Get(ctx, nil)
	require.True(t, errors.As(err, &term), "lingering child: want terminated, got %v", err)

	// The calls did cross hosts: some child lives on a shard another host
	// owns than the parent's.
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: DefaultNamespace})
	require.NoError(t, err)
	nsID := ns.GetNamespaceInfo().GetId()
	shardOf := func(wf string) int32 { return history.ShardID(nsID, wf, numShards) }
	crossed := owner(shardOf("sink")) != owner(shardOf("parent"))
	for i := range crossChildren {
		crossed = crossed || owner(shardOf(fmt.Sprintf("sink-child-%d", i))) != owner(shardOf("parent"))
	}
	require.True(t, crossed, "no call crossed hosts: every workflow's shard is on the parent's host")
}
