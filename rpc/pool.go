package rpc

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/keepalive"
)

// ErrPoolClosed is returned by Pool.Conn after Close.
var ErrPoolClosed = errors.New("rpc: connection pool is closed")

// Pool keeps one gRPC connection per remote address, dialed on first use
// and shared by every caller (a grpc.ClientConn multiplexes concurrent
// calls over HTTP/2 and reconnects by itself). A Pool is safe for
// concurrent use.
type Pool struct {
	opts []grpc.DialOption

	mu     sync.RWMutex
	conns  map[string]*grpc.ClientConn
	closed bool
}

// NewPool returns a pool whose connections use cfg plus opts (appended
// after Meridian's own options, so they may override them; a deployment
// with TLS passes its transport credentials here).
func NewPool(cfg ClientConfig, opts ...grpc.DialOption) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Pool{opts: append(DialOptions(cfg), opts...), conns: map[string]*grpc.ClientConn{}}, nil
}

// DialOptions are the options of every internal connection: plaintext
// (override with credentials in NewPool's opts), keepalive pings, message
// size limits, optional gzip, and an interceptor that turns error statuses
// back into the errors the remote handler returned (FromStatusError).
func DialOptions(cfg ClientConfig) []grpc.DialOption {
	cfg = cfg.withDefaults()
	callOpts := []grpc.CallOption{
		grpc.MaxCallRecvMsgSize(cfg.MaxMessageSize),
		grpc.MaxCallSendMsgSize(cfg.MaxMessageSize),
	}
	if cfg.Compress {
		callOpts = append(callOpts, grpc.UseCompressor(gzip.Name))
	}
	return []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                cfg.KeepAliveTime,
			Timeout:             cfg.KeepAliveTimeout,
			PermitWithoutStream: true,
		}),
		grpc.WithDefaultCallOptions(callOpts...),
		grpc.WithChainUnaryInterceptor(errorInterceptor),
	}
}

// errorInterceptor converts a failed call's status back to the handler's
// error.
func errorInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return FromStatusError(invoker(ctx, method, req, reply, cc, opts...))
}

// Conn returns the connection to addr (host:port), creating it if needed.
// Creating a connection does no I/O: it connects on first use, and a
// call to an unreachable address fails with Unavailable.
func (p *Pool) Conn(addr string) (*grpc.ClientConn, error) {
	p.mu.RLock()
	c, closed := p.conns[addr], p.closed
	p.mu.RUnlock()
	if c != nil {
		return c, nil
	}
	if closed {
		return nil, ErrPoolClosed
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrPoolClosed
	}
	if c := p.conns[addr]; c != nil {
		return c, nil
	}
	c, err := grpc.NewClient(addr, p.opts...)
	if err != nil {
		return nil, fmt.Errorf("rpc: connect to %q: %w", addr, err)
	}
	p.conns[addr] = c
	return c, nil
}

// Forget closes and drops the connection to addr, if any (a host that left
// the ring for good). Calls in flight on it fail with Canceled; a later
// Conn(addr) dials again.
func (p *Pool) Forget(addr string) {
	p.mu.Lock()
	c := p.conns[addr]
	delete(p.conns, addr)
	p.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// Close closes every connection; later Conn calls fail with ErrPoolClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[string]*grpc.ClientConn{}
	p.closed = true
	p.mu.Unlock()
	var errs []error
	for _, c := range conns {
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
