package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Timeouts of the HTTP server. Scrapes are small; profiles are long-lived
// responses (a CPU profile runs for its ?seconds= parameter), so there is
// no write timeout.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// ServerConfig configures Server.
type ServerConfig struct {
	// Address is the host:port to listen on, e.g. "127.0.0.1:9090".
	// Port 0 picks a free port (see Server.Addr). Required.
	Address string
	// EnablePprof serves net/http/pprof under /debug/pprof/. Default
	// false: the endpoints answer 404.
	EnablePprof bool
}

// Validate returns an error naming the first bad field.
func (c ServerConfig) Validate() error {
	if c.Address == "" {
		return errors.New("metrics: ServerConfig.Address is required")
	}
	if _, _, err := net.SplitHostPort(c.Address); err != nil {
		return fmt.Errorf("metrics: ServerConfig.Address %q: %w", c.Address, err)
	}
	return nil
}

// Server serves /metrics and, when enabled, /debug/pprof/ over HTTP.
type Server struct {
	cfg    ServerConfig
	logger *zap.Logger
	http   *http.Server

	mu       sync.Mutex
	listener net.Listener
	done     chan struct{}
}

// NewServer returns a server that answers /metrics with metricsHandler
// (usually Root.Handler). It does not listen until Start.
func NewServer(cfg ServerConfig, metricsHandler http.Handler, logger *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if metricsHandler == nil {
		return nil, errors.New("metrics: NewServer needs a metrics handler")
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metricsHandler)
	if cfg.EnablePprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return &Server{
		cfg:    cfg,
		logger: logger,
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: readHeaderTimeout,
			IdleTimeout:       idleTimeout,
			ErrorLog:          zap.NewStdLog(logger),
		},
	}, nil
}

// Start listens on the configured address and serves in the background.
// It returns once the listener is bound, so a bad or busy address is
// reported here. Start may be called once.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return errors.New("metrics: server already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Address)
	if err != nil {
		return fmt.Errorf("metrics: listen on %s: %w", s.cfg.Address, err)
	}
	s.listener = ln
	s.done = make(chan struct{})
	s.logger.Info("metrics server listening",
		zap.Stringer("address", ln.Addr()),
		zap.Bool("pprof", s.cfg.EnablePprof))
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("metrics server stopped", zap.Error(err))
		}
	}()
	return nil
}

// Addr is the bound address, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
}

// Stop stops accepting connections and waits, until ctx ends, for
// in-flight requests; then it closes the rest. Stopping a server that was
// never started is a no-op.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	started := s.listener != nil
	done := s.done
	s.mu.Unlock()
	if !started {
		return nil
	}
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.http.Close())
	}
	<-done
	return err
}
