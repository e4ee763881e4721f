package historyservice

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

func TestShardNotOwnedErrorStatus(t *testing.T) {
	err := &ShardNotOwnedError{ShardID: 7, Owner: "host-b"}
	require.Equal(t, "shard not owned: shard 7, owner host-b", err.Error())
	st := status.Convert(err)
	require.Equal(t, codes.Unavailable, st.Code())
	require.Equal(t, err.Error(), st.Message())
	// A serviceerror, so the frontend passes it through and the SDKs
	// retry it like any Unavailable.
	var se serviceerror.ServiceError
	require.ErrorAs(t, err, &se)
	require.Equal(t, codes.Unavailable, serviceerror.ToStatus(err).Code())
	require.Equal(t, "shard not owned: shard 7 (owner unknown)", (&ShardNotOwnedError{ShardID: 7}).Error())
}

func TestAsShardNotOwned(t *testing.T) {
	named := &ShardNotOwnedError{ShardID: 3, Owner: "history-2"}
	unknown := &ShardNotOwnedError{ShardID: 3}
	// What a caller holds after the error crossed gRPC: the status error
	// itself, or the serviceerror the frontend builds from it.
	remote := func(e error) error { return status.Convert(e).Err() }
	converted := func(e error) error { return serviceerror.FromStatus(status.Convert(e)) }
	messageOnly := func(e error) error { return status.Error(codes.Unavailable, e.Error()) }
	for _, c := range []struct {
		name  string
		err   error
		owner string
		ok    bool
	}{
		{"in process", named, "history-2", true},
		{"wrapped", fmt.Errorf("start workflow: %w", named), "history-2", true},
		{"owner unknown", unknown, "", true},
		{"status error", remote(named), "history-2", true},
		{"status error, owner unknown", remote(unknown), "", true},
		{"serviceerror from status", converted(named), "history-2", true},
		{"wrapped serviceerror from status", fmt.Errorf("history: %w", converted(named)), "history-2", true},
		{"message only", messageOnly(named), "history-2", true},
		{"message only, owner unknown", messageOnly(unknown), "", true},
		{"nil", nil, "", false},
		{"other error", errors.New("disk on fire"), "", false},
		{"other unavailable", serviceerror.NewUnavailable("overloaded"), "", false},
		{"other status", status.Error(codes.Unavailable, "shard closed"), "", false},
		{"not unavailable", status.Error(codes.Internal, named.Error()), "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			owner, ok := AsShardNotOwned(c.err)
			require.Equal(t, c.ok, ok)
			require.Equal(t, c.owner, owner)
		})
	}
}

// notOwnedHistory answers every DescribeWorkflowExecution with
// ShardNotOwnedError.
type notOwnedHistory struct {
	UnimplementedHistoryServiceServer
	err error
}

func (h notOwnedHistory) DescribeWorkflowExecution(context.Context, *DescribeWorkflowExecutionRequest) (*DescribeWorkflowExecutionResponse, error) {
	return nil, h.err
}

// The error survives a real gRPC round trip: a client of a remote history
// host recognizes it and reads the owner.
func TestShardNotOwnedOverGRPC(t *testing.T) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	RegisterHistoryServiceServer(srv, notOwnedHistory{err: fmt.Errorf("describe: %w", &ShardNotOwnedError{ShardID: 5, Owner: "history-3"})})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return lis.Dial() }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })

	_, err = NewHistoryServiceClient(conn).DescribeWorkflowExecution(context.Background(), &DescribeWorkflowExecutionRequest{})
	require.Equal(t, codes.Unavailable, status.Code(err))
	owner, ok := AsShardNotOwned(err)
	require.True(t, ok, "not recognized: %v", err)
	require.Equal(t, "history-3", owner)
}
