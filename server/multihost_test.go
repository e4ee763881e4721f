package server

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	commonpb "go.temporal.io/api/common/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/embedded"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestSingleMemberRegion runs one host with membership on the embedded
// store: every call between services goes over the internal gRPC server
// through the ring, and the host owns every shard.
func TestSingleMemberRegion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	logger := zaptest.NewLogger(t)
	cfg := Config{
		FrontendAddress: freeAddr(t),
		NumShards:       4,
		Membership: &MembershipConfig{
			NodeName: "solo", BindAddress: "127.0.0.1:0", RPCAddress: freeAddr(t), JoinTimeout: time.Second,
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Start(ctx, cfg, func(tally.Scope) (*persistence.Stores, error) {
		return embedded.Open(dir, embedded.Options{Logger: logger})
	}, logger)
	require.NoError(t, err)
	defer r.Stop()
	require.NotNil(t, r.member)
	node := r.member.ring.LocalNode()
	require.Equal(t, "solo", node.Name)
	require.Equal(t, []string{"frontend", "history", "matching"}, node.Roles())

	cc, err := grpc.NewClient(r.Address(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer func() { _ = cc.Close() }()
	fe := workflowservice.NewWorkflowServiceClient(cc)
	_, err = fe.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: DefaultNamespace, WorkflowId: "wf-1", RequestId: "req-1",
		WorkflowType: &commonpb.WorkflowType{Name: "T"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"},
	})
	require.NoError(t, err)
	desc, err := fe.DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{
		Namespace: DefaultNamespace, Execution: &commonpb.WorkflowExecution{WorkflowId: "wf-1"},
	})
	require.NoError(t, err)
	require.Equal(t, "T", desc.GetWorkflowExecutionInfo().GetType().GetName())

	// The workflow task reaches a poller through matching's router.
	poll, err := fe.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{
		Namespace: DefaultNamespace, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}, Identity: "test",
	})
	require.NoError(t, err)
	require.Equal(t, "wf-1", poll.GetWorkflowExecution().GetWorkflowId())

	r.Stop()
	r.Stop() // safe twice
}
