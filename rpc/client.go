package rpc

import (
	"context"

	"google.golang.org/grpc"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
)

// NewHistoryClient returns the history service on the other end of cc as
// the in-process interface: each method calls the generated gRPC client
// and returns its response, and errors come back as the handler returned
// them (FromStatusError). cc is usually a Pool's connection; any
// connection works.
func NewHistoryClient(cc grpc.ClientConnInterface) historyservice.HistoryServiceServer {
	return historyClient{historyservice.NewHistoryServiceClient(errorConn{cc})}
}

// NewMatchingClient is NewHistoryClient for the matching service.
func NewMatchingClient(cc grpc.ClientConnInterface) matchingservice.MatchingServiceServer {
	return matchingClient{matchingservice.NewMatchingServiceClient(errorConn{cc})}
}

// errorConn converts the errors of unary calls with FromStatusError.
// Converting twice (a Pool's connection converts already) changes nothing.
type errorConn struct{ grpc.ClientConnInterface }

func (c errorConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return FromStatusError(c.ClientConnInterface.Invoke(ctx, method, args, reply, opts...))
}
