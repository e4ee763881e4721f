package frontend

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/uber-go/tally/v4"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // the SDKs gzip requests
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

// NewGRPCServer returns a gRPC server serving s as WorkflowService and
// OperatorService, plus the gRPC health service and server reflection.
//
// The server accepts gzip, tolerates the SDK's keepalive pings (every 30s,
// even without streams), allows messages up to Config.MaxMessageSize, and
// wraps every call: a panicking handler answers Internal instead of
// crashing the process, errors become gRPC statuses carrying serviceerror
// details, and each call is counted, timed and debug-logged. Calls run on
// Config.StreamWorkers reused goroutines when one is idle. opts are
// appended after these (interceptors given in opts run inside ours).
func NewGRPCServer(s *Service, opts ...grpc.ServerOption) *grpc.Server {
	base := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(s.cfg.MaxMessageSize),
		grpc.MaxSendMsgSize(s.cfg.MaxMessageSize),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             s.cfg.KeepAliveMinTime,
			PermitWithoutStream: true,
		}),
		grpc.NumStreamWorkers(uint32(s.cfg.StreamWorkers)),
		grpc.ChainUnaryInterceptor(s.unaryInterceptor),
		grpc.ChainStreamInterceptor(s.streamInterceptor),
	}
	srv := grpc.NewServer(append(base, opts...)...)
	workflowservice.RegisterWorkflowServiceServer(srv, s)
	operatorservice.RegisterOperatorServiceServer(srv, s)
	healthpb.RegisterHealthServer(srv, s.health)
	reflection.Register(srv)
	return srv
}

// opMetrics are one operation's metrics, created on first use.
type opMetrics struct {
	name     string
	scope    tally.Scope
	requests tally.Counter
	latency  tally.Timer
	mu       sync.Mutex
	errors   map[string]tally.Counter
}

func (s *Service) op(fullMethod string) *opMetrics {
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
	name := fullMethod
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	scope := s.metrics.Tagged(map[string]string{TagOperation: name})
	m = &opMetrics{
		name:     name,
		scope:    scope,
		requests: scope.Counter(MetricRequests),
		latency:  scope.Timer(MetricLatency),
		errors:   map[string]tally.Counter{},
	}
	s.ops[fullMethod] = m
	return m
}

func (m *opMetrics) errorCounter(errorType string) tally.Counter {
	m.mu.Lock()
	defer m.mu.Unlock()
	ctr := m.errors[errorType]
	if ctr == nil {
		ctr = m.scope.Tagged(map[string]string{TagErrorType: errorType}).Counter(MetricErrors)
		m.errors[errorType] = ctr
	}
	return ctr
}

// errorType names the serviceerror type of err ("NamespaceNotFound"), or
// its gRPC code when it is not a serviceerror.
func errorType(err error, code codes.Code) string {
	var se serviceerror.ServiceError
	if errors.As(err, &se) {
		if t := reflect.TypeOf(se); t.Kind() == reflect.Pointer {
			return t.Elem().Name()
		}
	}
	return code.String()
}

func (s *Service) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	m := s.op(info.FullMethod)
	m.requests.Inc(1)
	start := s.clock.Now()
	resp, err := s.callUnary(ctx, req, info.FullMethod, handler)
	st := s.finish(m, start, err, req)
	if st != nil {
		return nil, st.Err()
	}
	return resp, nil
}

// callUnary runs handler, turning a panic into Internal.
func (s *Service) callUnary(ctx context.Context, req any, method string, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, s.recovered(method, r)
		}
	}()
	return handler(ctx, req)
}

func (s *Service) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	m := s.op(info.FullMethod)
	m.requests.Inc(1)
	start := s.clock.Now()
	err := s.callStream(srv, ss, info.FullMethod, handler)
	if st := s.finish(m, start, err, nil); st != nil {
		return st.Err()
	}
	return nil
}

func (s *Service) callStream(srv any, ss grpc.ServerStream, method string, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = s.recovered(method, r)
		}
	}()
	return handler(srv, ss)
}

func (s *Service) recovered(method string, r any) error {
	s.metrics.Counter(MetricPanics).Inc(1)
	s.logger.Error("panic in API handler",
		zap.String("method", method),
		zap.String("panic", fmt.Sprint(r)),
		zap.Stack("stack"))
	return serviceerror.NewInternal(fmt.Sprintf("Internal server error in %s; the server logged the details.", method))
}

// finish records a call's metrics and debug log and returns the status to
// send (nil on success).
func (s *Service) finish(m *opMetrics, start time.Time, err error, req any) *status.Status {
	elapsed := s.clock.Now().Sub(start)
	m.latency.Record(elapsed)
	st := toStatus(err)
	code := codes.OK
	if st != nil {
		code = st.Code()
		m.errorCounter(errorType(err, code)).Inc(1)
		if code == codes.Internal || code == codes.Unknown || code == codes.DataLoss {
			s.logger.Error("API call failed",
				zap.String("operation", m.name),
				zap.String("namespace", requestNamespace(req)),
				zap.Stringer("code", code),
				zap.String("error", st.Message()))
		}
	}
	if ce := s.logger.Check(zap.DebugLevel, "API call"); ce != nil {
		fields := []zap.Field{
			zap.String("operation", m.name),
			zap.String("namespace", requestNamespace(req)),
			zap.Stringer("code", code),
			zap.Duration("latency", elapsed),
		}
		if st != nil {
			fields = append(fields, zap.String("error", st.Message()))
		}
		ce.Write(fields...)
	}
	return st
}

func requestNamespace(req any) string {
	if r, ok := req.(interface{ GetNamespace() string }); ok {
		return r.GetNamespace()
	}
	return ""
}
