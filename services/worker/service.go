package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/common/schedule"
	"github.com/meridian-dev/meridian/common/sdkzap"
	"github.com/meridian-dev/meridian/services/worker/scheduler"
)

// Config configures the system worker. Zero values mean the defaults.
type Config struct {
	// FrontendAddress is the host:port of a frontend of the region
	// (required).
	FrontendAddress string
	// NamespaceRefresh is how often the namespace list is read to start
	// and stop per-namespace workers. Default DefaultNamespaceRefresh.
	NamespaceRefresh time.Duration
	// Identity names the worker to the server. Default "meridian-system-worker".
	Identity string
}

// DefaultNamespaceRefresh: a new namespace's schedules run within this.
const DefaultNamespaceRefresh = 5 * time.Second

// DefaultConfig returns the defaults, with FrontendAddress empty.
func DefaultConfig() Config {
	return Config{NamespaceRefresh: DefaultNamespaceRefresh, Identity: "meridian-system-worker"}
}

// Validate names the first bad field.
func (c Config) Validate() error {
	if c.FrontendAddress == "" {
		return errors.New("worker: FrontendAddress is required")
	}
	if c.NamespaceRefresh < 0 {
		return fmt.Errorf("worker: NamespaceRefresh %v is negative", c.NamespaceRefresh)
	}
	return nil
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.NamespaceRefresh == 0 {
		c.NamespaceRefresh = d.NamespaceRefresh
	}
	if c.Identity == "" {
		c.Identity = d.Identity
	}
	return c
}

// Deps are the worker's clock and logger.
type Deps struct {
	// Clock; nil means clock.Real().
	Clock clock.Clock
	// Logger; nil means no logging.
	Logger *zap.Logger
}

// Service runs one SDK worker per namespace.
type Service struct {
	cfg    Config
	clock  clock.Clock
	logger *zap.Logger

	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	base    client.Client
	workers map[string]*nsWorker
}

type nsWorker struct {
	client client.Client
	worker sdkworker.Worker
}

// NewService checks cfg and returns a Service; Start runs it.
func NewService(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real()
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	return &Service{cfg: cfg.withDefaults(), clock: deps.Clock, logger: deps.Logger, workers: map[string]*nsWorker{}}, nil
}

// Start connects to the frontend in the background and keeps a worker
// running for every namespace until Stop.
func (s *Service) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.done = make(chan struct{})
	go s.loop(ctx)
}

// Stop stops every worker and closes the connection.
func (s *Service) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	var wg sync.WaitGroup
	for name, w := range s.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.stop() }()
		delete(s.workers, name)
	}
	wg.Wait()
	if s.base != nil {
		s.base.Close()
		s.base = nil
	}
	s.cancel = nil
}

func (w *nsWorker) stop() {
	w.worker.Stop()
	w.client.Close()
}

// Namespaces returns the namespaces a worker runs for, for tests.
func (s *Service) Namespaces() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.workers))
	for n := range s.workers {
		out = append(out, n)
	}
	return out
}

func (s *Service) loop(ctx context.Context) {
	defer close(s.done)
	for {
		if err := s.refresh(ctx); err != nil && ctx.Err() == nil {
			s.logger.Warn("system worker could not refresh its namespaces", zap.Error(err))
		}
		if clock.Sleep(ctx, s.clock, s.cfg.NamespaceRefresh) != nil {
			return
		}
	}
}

// refresh starts workers for new namespaces and stops those of deleted ones.
func (s *Service) refresh(ctx context.Context) error {
	base, err := s.connect(ctx)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	var token []byte
	for {
		resp, err := base.WorkflowService().ListNamespaces(ctx, &workflowservice.ListNamespacesRequest{PageSize: 100, NextPageToken: token})
		if err != nil {
			return fmt.Errorf("list namespaces: %w", err)
		}
		for _, ns := range resp.GetNamespaces() {
			if ns.GetNamespaceInfo().GetState() != enumspb.NAMESPACE_STATE_DELETED {
				live[ns.GetNamespaceInfo().GetName()] = true
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, w := range s.workers {
		if !live[name] {
			w.stop()
			delete(s.workers, name)
			s.logger.Info("system worker stopped for a deleted namespace", zap.String("namespace", name))
		}
	}
	for name := range live {
		if _, ok := s.workers[name]; ok || ctx.Err() != nil {
			continue
		}
		w, err := s.startWorker(base, name)
		if err != nil {
			s.logger.Warn("system worker could not start for a namespace", zap.String("namespace", name), zap.Error(err))
			continue
		}
		s.workers[name] = w
	}
	return nil
}

func (s *Service) connect(ctx context.Context) (client.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base != nil {
		return s.base, nil
	}
	c, err := client.DialContext(ctx, client.Options{
		HostPort: s.cfg.FrontendAddress,
		Identity: s.cfg.Identity,
		Logger:   sdkzap.New(s.logger.Named("sdk")),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to frontend %s: %w", s.cfg.FrontendAddress, err)
	}
	s.base = c
	return c, nil
}

func (s *Service) startWorker(base client.Client, namespace string) (*nsWorker, error) {
	c, err := client.NewClientFromExisting(base, client.Options{
		Namespace: namespace,
		Identity:  s.cfg.Identity,
		Logger:    sdkzap.New(s.logger.Named("sdk").With(zap.String("namespace", namespace))),
	})
	if err != nil {
		return nil, err
	}
	w := sdkworker.New(c, schedule.TaskQueue, sdkworker.Options{Identity: s.cfg.Identity})
	scheduler.Register(w, &scheduler.Activities{Client: c, Namespace: namespace, Clock: s.clock})
	if err := w.Start(); err != nil {
		c.Close()
		return nil, err
	}
	return &nsWorker{client: c, worker: w}, nil
}
