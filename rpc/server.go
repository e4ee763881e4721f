package rpc

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/uber-go/tally/v4"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip from clients that compress
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
)

// Server serves internal services (history, matching) over gRPC. Every
// call goes through one interceptor that recovers a panicking handler
// into Internal (the process keeps serving), converts the handler's error
// to a status (ToStatus) and counts and times the call. Deadlines need no
// work: the client's deadline travels in the grpc-timeout header and is
// the handler's ctx deadline. The server accepts gzip, tolerates client
// keepalive pings every ServerConfig.KeepAliveMinTime with or without
// calls, pings idle clients itself, and serves the gRPC health service:
// each registered service (and "") reports SERVING until Stop.
type Server struct {
	srv     *grpc.Server
	health  *health.Server
	clock   clock.Clock
	logger  *zap.Logger
	metrics tally.Scope
	panics  tally.Counter

	mu       sync.Mutex
	services []string

	opMu sync.RWMutex
	ops  map[string]*serverOp
}

// ServerDeps are a Server's optional collaborators.
type ServerDeps struct {
	// Clock times calls; nil means clock.Real().
	Clock clock.Clock
	// Logger receives recovered panics and Internal errors; nil means none.
	Logger *zap.Logger
	// Metrics is the scope for the names in metrics.go; nil means none.
	Metrics tally.Scope
}

// NewServer returns a Server configured by cfg. opts are appended after
// the Server's own options (TLS credentials go here); interceptors in opts
// run inside the Server's.
func NewServer(cfg ServerConfig, deps ServerDeps, opts ...grpc.ServerOption) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if deps.Clock == nil {
		deps.Clock = clock.Real()
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if deps.Metrics == nil {
		deps.Metrics = tally.NoopScope
	}
	s := &Server{
		health:  health.NewServer(),
		clock:   deps.Clock,
		logger:  deps.Logger.Named("rpc"),
		metrics: deps.Metrics,
		panics:  deps.Metrics.Counter(metricServerPanics),
		ops:     map[string]*serverOp{},
	}
	base := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxMessageSize),
		grpc.MaxSendMsgSize(cfg.MaxMessageSize),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             cfg.KeepAliveMinTime,
			PermitWithoutStream: true,
		}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:    cfg.KeepAliveTime,
			Timeout: cfg.KeepAliveTimeout,
		}),
		grpc.ChainUnaryInterceptor(s.unary),
	}
	s.srv = grpc.NewServer(append(base, opts...)...)
	healthpb.RegisterHealthServer(s.srv, s.health)
	return s, nil
}

// RegisterHistory serves impl as meridian.historyservice.v1.HistoryService.
// Call it before Serve.
func (s *Server) RegisterHistory(impl historyservice.HistoryServiceServer) {
	historyservice.RegisterHistoryServiceServer(s.srv, impl)
	s.serving(historyservice.HistoryService_ServiceDesc.ServiceName)
}

// RegisterMatching serves impl as meridian.matchingservice.v1.MatchingService.
// Call it before Serve.
func (s *Server) RegisterMatching(impl matchingservice.MatchingServiceServer) {
	matchingservice.RegisterMatchingServiceServer(s.srv, impl)
	s.serving(matchingservice.MatchingService_ServiceDesc.ServiceName)
}

func (s *Server) serving(service string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services = append(s.services, service)
	s.health.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
}

// GRPCServer returns the underlying server, to register more services.
func (s *Server) GRPCServer() *grpc.Server { return s.srv }

// Serve accepts connections on lis until Stop; it returns nil after Stop.
func (s *Server) Serve(lis net.Listener) error {
	if err := s.srv.Serve(lis); err != nil && err != grpc.ErrServerStopped {
		return err
	}
	return nil
}

// Stop reports NOT_SERVING for every service, so that health-checking
// clients stop sending, then stops gracefully: it waits for calls in
// flight until ctx ends, then cancels them.
func (s *Server) Stop(ctx context.Context) {
	s.health.Shutdown()
	done := make(chan struct{})
	go func() {
		s.srv.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.srv.Stop()
		<-done
	}
}

// serverOp are one method's metrics, created on first use.
type serverOp struct {
	name     string
	scope    tally.Scope
	requests tally.Counter
	latency  tally.Timer
	mu       sync.Mutex
	errors   map[codes.Code]tally.Counter
}

func (s *Server) op(fullMethod string) *serverOp {
	s.opMu.RLock()
	m := s.ops[fullMethod]
	s.opMu.RUnlock()
	if m != nil {
		return m
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	if m := s.ops[fullMethod]; m != nil {
		return m
	}
	name := fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]
	scope := s.metrics.Tagged(map[string]string{metricOperationTag: name})
	m = &serverOp{
		name:     name,
		scope:    scope,
		requests: scope.Counter(metricServerRequests),
		latency:  scope.Timer(metricServerLatency),
		errors:   map[codes.Code]tally.Counter{},
	}
	s.ops[fullMethod] = m
	return m
}

func (m *serverOp) errorCounter(code codes.Code) tally.Counter {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.errors[code]
	if c == nil {
		c = m.scope.Tagged(map[string]string{metricCodeTag: code.String()}).Counter(metricServerErrors)
		m.errors[code] = c
	}
	return c
}

func (s *Server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	m := s.op(info.FullMethod)
	m.requests.Inc(1)
	start := s.clock.Now()
	resp, err := s.call(ctx, req, info.FullMethod, handler)
	m.latency.Record(s.clock.Now().Sub(start))
	if err == nil {
		return resp, nil
	}
	st := ToStatus(err)
	m.errorCounter(st.Code()).Inc(1)
	if st.Code() == codes.Internal || st.Code() == codes.Unknown {
		s.logger.Error("internal call failed", zap.String("operation", m.name), zap.String("error", st.Message()))
	}
	return nil, st.Err()
}

// call runs handler, turning a panic into Internal.
func (s *Server) call(ctx context.Context, req any, method string, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.panics.Inc(1)
			s.logger.Error("panic in internal handler", zap.String("method", method),
				zap.String("panic", fmt.Sprint(r)), zap.Stack("stack"))
			resp, err = nil, panicError(method)
		}
	}()
	return handler(ctx, req)
}

func panicError(method string) error {
	return serviceerror.NewInternal(fmt.Sprintf("Internal error in %s; the server logged the details.", method))
}
