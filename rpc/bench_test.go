package rpc

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/api/historyservice"
)

// BenchmarkHistoryRouterCall is one routed StartWorkflowExecution: key
// extraction, owner lookup, pooled connection, a loopback gRPC round trip
// to a fake host that answers at once. BenchmarkHistoryClientCall is the
// same call through a client adapter on one connection: the difference is
// the router's cost.
func BenchmarkHistoryRouterCall(b *testing.B) {
	r := newRegion(b, RouterConfig{}, nil, []int32{1, 2}, []int32{3, 4})
	req := historyRequests("ns", "3")["StartWorkflowExecution"].(*historyservice.StartWorkflowExecutionRequest)
	ctx := context.Background()
	require.NoError(b, r.start(ctx, "3"))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.history.StartWorkflowExecution(ctx, req); err != nil {
			b.Fatal(err)
		}
		r.hosts[1].takeCalls()
	}
}

func BenchmarkHistoryClientCall(b *testing.B) {
	host := startFakeHost(b, "a", ServerDeps{}, 3)
	conn, err := newTestPool(b, ClientConfig{}).Conn(host.addr)
	require.NoError(b, err)
	client := NewHistoryClient(conn)
	req := historyRequests("ns", "3")["StartWorkflowExecution"].(*historyservice.StartWorkflowExecutionRequest)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.StartWorkflowExecution(ctx, req); err != nil {
			b.Fatal(err)
		}
		host.takeCalls()
	}
}

// BenchmarkRoutingKey is the router's own work before the call.
func BenchmarkRoutingKey(b *testing.B) {
	hreq := historyRequests("ns", "3")["RespondWorkflowTaskCompleted"]
	mreq := matchingRequests("ns", "tq")["PollWorkflowTaskQueue"].req
	b.Run("history", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			historyKey(hreq)
		}
	})
	b.Run("matching", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			matchingKey(mreq)
		}
	})
}
