package rpc

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
)

// The caller's deadline is the handler's, through a client adapter and
// through a router; a call without one has none.
func TestDeadlinePropagation(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, []int32{1})
	host := r.hosts[0]
	deadlines := make(chan time.Time, 1)
	host.setHandle(func(ctx context.Context, _ string, _ any) (any, error, bool) {
		d, _ := ctx.Deadline() // zero without a deadline
		deadlines <- d
		return nil, nil, false
	})
	conn, err := newTestPool(t, ClientConfig{}).Conn(host.addr)
	require.NoError(t, err)
	direct := NewHistoryClient(conn)
	req := historyRequests("ns", "1")["StartWorkflowExecution"].(*historyservice.StartWorkflowExecutionRequest)

	for name, call := range map[string]func(context.Context) error{
		"adapter": func(ctx context.Context) error { _, err := direct.StartWorkflowExecution(ctx, req); return err },
		"router":  func(ctx context.Context) error { _, err := r.history.StartWorkflowExecution(ctx, req); return err },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			want, _ := ctx.Deadline()
			require.NoError(t, call(ctx))
			got := <-deadlines
			// The remote deadline is the remaining time measured on arrival
			// (grpc-timeout, rounded up to its unit): the caller's, give or
			// take transit time.
			require.WithinDuration(t, want, got, time.Second)

			require.NoError(t, call(context.Background()))
			require.True(t, (<-deadlines).IsZero(), "a call without a deadline has none remotely")
		})
	}

	// A handler that outlives the deadline: the caller gets DeadlineExceeded.
	host.setHandle(func(ctx context.Context, _ string, _ any) (any, error, bool) {
		<-ctx.Done()
		return nil, ctx.Err(), true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = direct.StartWorkflowExecution(ctx, req)
	require.IsType(t, &serviceerror.DeadlineExceeded{}, err)
}

// A panicking handler answers Internal and the server keeps serving.
func TestServerRecoversPanics(t *testing.T) {
	scope := tally.NewTestScope("", nil)
	host := startFakeHost(t, "a", ServerDeps{Metrics: scope}, 1)
	host.setHandle(func(context.Context, string, any) (any, error, bool) { panic("broken invariant") })
	conn, err := newTestPool(t, ClientConfig{}).Conn(host.addr)
	require.NoError(t, err)
	client := NewHistoryClient(conn)
	req := historyRequests("ns", "1")["StartWorkflowExecution"].(*historyservice.StartWorkflowExecutionRequest)
	_, err = client.StartWorkflowExecution(context.Background(), req)
	require.IsType(t, &serviceerror.Internal{}, err)
	require.Contains(t, err.Error(), "StartWorkflowExecution")

	host.setHandle(nil)
	_, err = client.StartWorkflowExecution(context.Background(), req)
	require.NoError(t, err)

	snap := scope.Snapshot()
	var panics, requests, errs int64
	for _, c := range snap.Counters() {
		switch c.Name() {
		case metricServerPanics:
			panics += c.Value()
		case metricServerRequests:
			if c.Tags()[metricOperationTag] == "StartWorkflowExecution" {
				requests += c.Value()
			}
		case metricServerErrors:
			if c.Tags()[metricCodeTag] == codes.Internal.String() {
				errs += c.Value()
			}
		}
	}
	require.Equal(t, int64(1), panics)
	require.Equal(t, int64(2), requests)
	require.Equal(t, int64(1), errs)
}

// The health service reports every registered service (and "") SERVING.
func TestServerHealth(t *testing.T) {
	host := startFakeHost(t, "a", ServerDeps{})
	cc, err := grpc.NewClient(host.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer func() { require.NoError(t, cc.Close()) }()
	health := healthpb.NewHealthClient(cc)
	for _, svc := range []string{"", historyservice.HistoryService_ServiceDesc.ServiceName, matchingservice.MatchingService_ServiceDesc.ServiceName} {
		resp, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: svc})
		require.NoError(t, err, svc)
		require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), svc)
	}
	_, err = health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "no.such.Service"})
	require.Equal(t, codes.NotFound, status.Code(err))
}

// A client that gzips its requests is understood.
func TestServerAcceptsGzip(t *testing.T) {
	r := newRegion(t, RouterConfig{}, nil, []int32{1})
	conn, err := newTestPool(t, ClientConfig{Compress: true}).Conn(r.hosts[0].addr)
	require.NoError(t, err)
	req := historyRequests("ns", "1")["StartWorkflowExecution"].(*historyservice.StartWorkflowExecutionRequest)
	_, err = NewHistoryClient(conn).StartWorkflowExecution(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, r.hosts[0].takeCalls(), 1)
}

// Stop waits for calls in flight, and cancels them when its context ends.
func TestServerStop(t *testing.T) {
	srv, err := NewServer(ServerConfig{}, ServerDeps{})
	require.NoError(t, err)
	started := make(chan struct{})
	srv.RegisterHistory(blockingHistory{started: started})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	conn, err := newTestPool(t, ClientConfig{}).Conn(lis.Addr().String())
	require.NoError(t, err)
	callErr := make(chan error, 1)
	go func() {
		_, err := NewHistoryClient(conn).DescribeWorkflowExecution(context.Background(), &historyservice.DescribeWorkflowExecutionRequest{})
		callErr <- err
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // do not wait: cancel the call in flight
	srv.Stop(ctx)
	require.NoError(t, <-served)
	require.Error(t, <-callErr)
}

// blockingHistory's DescribeWorkflowExecution blocks until its call ends.
type blockingHistory struct {
	historyservice.UnimplementedHistoryServiceServer
	started chan struct{}
}

func (b blockingHistory) DescribeWorkflowExecution(ctx context.Context, _ *historyservice.DescribeWorkflowExecutionRequest) (*historyservice.DescribeWorkflowExecutionResponse, error) {
	close(b.started)
	<-ctx.Done()
	return nil, ctx.Err()
}
