package frontend

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/matchingservice"
)

// serve runs NewGRPCServer(env.svc) on a loopback port until the test ends
// and returns its address.
func serve(t *testing.T, env *testEnv) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := NewGRPCServer(env.svc)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		require.NoError(t, <-done)
	})
	return lis.Addr().String()
}

func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func dialSDK(t *testing.T, addr string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Namespace: "default", Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func rawConn(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestGRPCSDKDial(t *testing.T) {
	env := newTestEnv(t)
	addr := serve(t, env)
	c := dialSDK(t, addr)
	ctx := testCtx(t)

	info, err := c.WorkflowService().GetSystemInfo(ctx, &workflowservice.GetSystemInfoRequest{})
	require.NoError(t, err)
	require.Equal(t, ServerVersion, info.GetServerVersion())
	require.True(t, info.GetCapabilities().GetSdkMetadata())

	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	require.NoError(t, err)
	h, err := healthpb.NewHealthClient(rawConn(t, addr)).Check(ctx, &healthpb.HealthCheckRequest{Service: operatorservice.OperatorService_ServiceDesc.ServiceName})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, h.GetStatus())

	// Metrics were recorded per operation.
	require.GreaterOrEqual(t, requestCount(env, "GetSystemInfo"), int64(2), "Dial and the explicit call")

	env.svc.Stop()
	h, err = healthpb.NewHealthClient(rawConn(t, addr)).Check(ctx, &healthpb.HealthCheckRequest{Service: ""})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, h.GetStatus())
}

func TestGRPCStartWorkflowWithoutTaskQueue(t *testing.T) {
	env := newTestEnv(t)
	c := dialSDK(t, serve(t, env))
	ctx := testCtx(t)

	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wf-1"}, "SomeWorkflow")
	require.Error(t, err)
	var ia *serviceerror.InvalidArgument
	require.ErrorAs(t, err, &ia)
	require.Contains(t, ia.Message, "TaskQueue")
	require.Zero(t, env.history.count("StartWorkflowExecution"))

	// The same start with a task queue reaches history.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wf-1", TaskQueue: "q"}, "SomeWorkflow")
	require.NoError(t, err)
	require.Equal(t, fakeRunID, run.GetRunID())

	// The readiness probe of external test runners.
	_, err = c.DescribeWorkflowExecution(ctx, "does-not-exist", "not-a-uuid")
	require.ErrorAs(t, err, &ia)
	require.Contains(t, ia.Message, "Invalid RunId")

	// A history serviceerror reaches the SDK with its details.
	env.history.setHook(func(context.Context, string, proto.Message) error {
		return serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "req", fakeRunID)
	})
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wf-1", TaskQueue: "q", WorkflowExecutionErrorWhenAlreadyStarted: true}, "SomeWorkflow")
	var as *serviceerror.WorkflowExecutionAlreadyStarted
	require.ErrorAs(t, err, &as)
	require.Equal(t, fakeRunID, as.RunId)

	// Errors are counted by operation and serviceerror type.
	require.Equal(t, int64(1), errorCount(env, "StartWorkflowExecution", "InvalidArgument"))
	require.Equal(t, int64(1), errorCount(env, "StartWorkflowExecution", "WorkflowExecutionAlreadyStarted"))
	require.Equal(t, int64(1), errorCount(env, "DescribeWorkflowExecution", "InvalidArgument"))
}

// errorCount reads the MetricErrors counter of one operation and type.
func errorCount(env *testEnv, op, errType string) int64 {
	var n int64
	for _, ctr := range env.metrics.Snapshot().Counters() {
		if ctr.Name() == MetricErrors && ctr.Tags()[TagOperation] == op && ctr.Tags()[TagErrorType] == errType {
			n += ctr.Value()
		}
	}
	return n
}

func TestGRPCNamespaceClient(t *testing.T) {
	env := newTestEnv(t)
	addr := serve(t, env)
	ctx := testCtx(t)
	nc, err := client.NewNamespaceClient(client.Options{HostPort: addr, Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(nc.Close)

	require.NoError(t, nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        "orders",
		Description:                      "order processing",
		OwnerEmail:                       "orders@example.com",
		WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
	}))
	err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: "orders"})
	var exists *serviceerror.NamespaceAlreadyExists
	require.ErrorAs(t, err, &exists)

	d, err := nc.Describe(ctx, "orders")
	require.NoError(t, err)
	require.Equal(t, "order processing", d.GetNamespaceInfo().GetDescription())
	require.Equal(t, 72*time.Hour, d.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())
	require.True(t, isUUID(d.GetNamespaceInfo().GetId()))
	require.Equal(t, testCluster, d.GetReplicationConfig().GetActiveClusterName())

	_, err = nc.Describe(ctx, "nope")
	var nf *serviceerror.NamespaceNotFound
	require.ErrorAs(t, err, &nf)

	require.NoError(t, nc.Update(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace:  "orders",
		UpdateInfo: &namespacepb.UpdateNamespaceInfo{Description: "updated"},
		Config:     &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(48 * time.Hour)},
	}))
	d, err = nc.Describe(ctx, "orders")
	require.NoError(t, err)
	require.Equal(t, "updated", d.GetNamespaceInfo().GetDescription())
	require.Equal(t, 48*time.Hour, d.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())

	c := dialSDK(t, addr)
	list, err := c.WorkflowService().ListNamespaces(ctx, &workflowservice.ListNamespacesRequest{PageSize: 1})
	require.NoError(t, err)
	require.Len(t, list.GetNamespaces(), 1)
	require.NotEmpty(t, list.GetNextPageToken())
	list, err = c.WorkflowService().ListNamespaces(ctx, &workflowservice.ListNamespacesRequest{NextPageToken: list.GetNextPageToken()})
	require.NoError(t, err)
	require.Len(t, list.GetNamespaces(), 1)

	// The operator service shares the connection.
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: "orders", SearchAttributes: map[string]enumspb.IndexedValueType{"CustomKeywordField": enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	require.NoError(t, err)
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "orders"})
	require.NoError(t, err)
	require.Contains(t, sa.GetCustomAttributes(), "CustomKeywordField")
}

func TestGRPCGzipRequests(t *testing.T) {
	env := newTestEnv(t)
	conn := rawConn(t, serve(t, env), grpc.WithDefaultCallOptions(grpc.UseCompressor(gzip.Name)))
	ctx := testCtx(t)
	wf := workflowservice.NewWorkflowServiceClient(conn)
	_, err := wf.GetSystemInfo(ctx, &workflowservice.GetSystemInfoRequest{})
	require.NoError(t, err, "without the gzip codec this fails with Unimplemented (decompressor not installed)")
	// A compressible request large enough to be worth compressing.
	_, err = wf.SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "wf"}, SignalName: "s",
		Input: &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: make([]byte, 1<<20)}}},
	})
	require.NoError(t, err)
	require.Equal(t, 1<<20, len(env.history.last("SignalWorkflowExecution").(interface {
		GetRequest() *workflowservice.SignalWorkflowExecutionRequest
	}).GetRequest().GetInput().GetPayloads()[0].GetData()))
}

func TestGRPCLargeMessages(t *testing.T) {
	env := newTestEnv(t)
	conn := rawConn(t, serve(t, env), grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(128<<20)))
	ctx := testCtx(t)
	// 8 MiB passes gRPC's default 4 MiB receive limit, and is then rejected
	// by validation as a blob over 2 MiB rather than as a transport error.
	_, err := workflowservice.NewWorkflowServiceClient(conn).SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "wf"}, SignalName: "s",
		Input: &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: make([]byte, 8<<20)}}},
	})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	require.Contains(t, status.Convert(err).Message(), "Blob data size exceeds limit.")
}

func TestGRPCPanicBecomesInternal(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	env := newTestEnv(t, func(_ *Config, d *Deps) { d.Logger = zap.New(core) })
	addr := serve(t, env)
	c := dialSDK(t, addr)
	ctx := testCtx(t)
	env.history.setHook(func(_ context.Context, method string, _ proto.Message) error {
		if method == "TerminateWorkflowExecution" {
			panic("fake history exploded")
		}
		return nil
	})
	wf := workflowservice.NewWorkflowServiceClient(rawConn(t, addr))
	_, err := wf.TerminateWorkflowExecution(ctx, &workflowservice.TerminateWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "wf"},
	})
	require.Equal(t, codes.Internal, status.Code(err))
	require.NotContains(t, status.Convert(err).Message(), "exploded", "panic details stay in the server log")

	// The server is still up.
	_, err = c.WorkflowService().GetSystemInfo(ctx, &workflowservice.GetSystemInfoRequest{})
	require.NoError(t, err)
	require.NoError(t, c.SignalWorkflow(ctx, "wf", "", "sig", nil))

	var panics int64
	for _, ctr := range env.metrics.Snapshot().Counters() {
		if ctr.Name() == MetricPanics {
			panics += ctr.Value()
		}
	}
	require.Equal(t, int64(1), panics)

	entries := logs.FilterMessage("panic in API handler").All()
	require.Len(t, entries, 1)
	fields := entries[0].ContextMap()
	require.Equal(t, "fake history exploded", fields["panic"])
	require.Contains(t, fields["stack"], "TerminateWorkflowExecution", "the stack is logged")
	require.NotEmpty(t, logs.FilterMessage("API call").All(), "calls are debug-logged")
}

func TestGRPCUnimplemented(t *testing.T) {
	env := newTestEnv(t)
	c := dialSDK(t, serve(t, env))
	_, err := c.WorkflowService().StartBatchOperation(testCtx(t), &workflowservice.StartBatchOperationRequest{Namespace: "default"})
	var un *serviceerror.Unimplemented
	require.ErrorAs(t, err, &un)
}

func pollerCount(env *testEnv, method string) int { return env.matching.count(method) }

// requestCount reads the MetricRequests counter of one operation.
func requestCount(env *testEnv, op string) int64 {
	var n int64
	for _, ctr := range env.metrics.Snapshot().Counters() {
		if ctr.Name() == MetricRequests && ctr.Tags()[TagOperation] == op {
			n += ctr.Value()
		}
	}
	return n
}

// A Go SDK worker starts against the frontend: GetSystemInfo,
// DescribeNamespace, then long polls that come back empty; Stop calls
// ShutdownWorker.
func TestGRPCSDKWorkerStarts(t *testing.T) {
	env := newTestEnv(t)
	env.matching.pollHold = 100 * time.Millisecond
	c := dialSDK(t, serve(t, env))

	w := worker.New(c, "orders", worker.Options{})
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "Noop"})
	w.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: "Act"})
	require.NoError(t, w.Start())
	require.Eventually(t, func() bool {
		return pollerCount(env, "PollWorkflowTaskQueue") >= 2 && pollerCount(env, "PollActivityTaskQueue") >= 1
	}, 20*time.Second, 20*time.Millisecond)
	w.Stop()
	require.GreaterOrEqual(t, requestCount(env, "DescribeNamespace"), int64(1), "worker start reads namespace capabilities")
	require.GreaterOrEqual(t, requestCount(env, "ShutdownWorker"), int64(1), "worker stop says goodbye")

	req := env.matching.last("PollWorkflowTaskQueue").(*matchingservice.PollWorkflowTaskQueueRequest)
	require.Equal(t, env.defaultID, req.GetNamespaceId())
	require.True(t, isUUID(req.GetPollerId()))
	var sawNormal bool
	env.matching.mu.Lock()
	for _, c := range env.matching.calls {
		if r, ok := c.req.(*matchingservice.PollWorkflowTaskQueueRequest); ok && r.GetRequest().GetTaskQueue().GetName() == "orders" {
			sawNormal = true
		}
	}
	env.matching.mu.Unlock()
	require.True(t, sawNormal, "polled the normal queue")

	var errs int64
	for _, ctr := range env.metrics.Snapshot().Counters() {
		if ctr.Name() == MetricErrors && ctr.Tags()[TagErrorType] != "Canceled" {
			errs += ctr.Value()
		}
	}
	require.Zero(t, errs, "a worker's start and stop cause no errors")
}
