package matching

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uber-go/tally/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
)

// Deps are the service's collaborators.
type Deps struct {
	// TaskStore keeps the backlogs. Required.
	TaskStore persistence.TaskStore
	// History records task starts. In-process today, a gRPC client adapter
	// later. Required.
	History historyservice.HistoryServiceServer
	// Clock tells time; nil means clock.Real().
	Clock clock.Clock
	// Logger; nil means no logging.
	Logger *zap.Logger
	// Metrics; nil means no metrics.
	Metrics tally.Scope
	// Ownership says which partitions this host serves (see ownership.go);
	// nil means every partition (a region of one process).
	Ownership PartitionOwnership
	// Forward reaches the other partitions of a task queue, wherever they
	// are: a router in a region of many hosts (rpc.MatchingRouter), which
	// may lead back to this service. Non-root partitions forward to their
	// root through it and the root describes the others through it (see
	// partition.go). Nil means partitions neither forward nor are
	// described together.
	Forward matchingservice.MatchingServiceServer
}

// Service implements matchingservice.MatchingServiceServer: it owns the
// task-queue partitions loaded on this host (see the package doc). All
// methods are safe for concurrent use.
type Service struct {
	cfg     Config
	store   persistence.TaskStore
	history historyservice.HistoryServiceServer
	clock   clock.Clock
	logger  *zap.Logger
	scopes  map[enumspb.TaskQueueType]tally.Scope
	// backlogTotals sum the managers' backlog counts per task type for
	// metricBacklogSize.
	backlogTotals map[enumspb.TaskQueueType]*atomic.Int64

	queries queryRegistry
	own     PartitionOwnership // nil: every partition
	forward matchingservice.MatchingServiceServer

	mu       sync.Mutex
	managers map[partitionKey]*taskQueueManager
	// leaseLostAt: when another host took a partition's lease (only with
	// own; see Config.LeaseLostBackoff).
	leaseLostAt map[partitionKey]time.Time
	started     bool
	stopped     bool
	stopC       chan struct{}
	janitor     sync.WaitGroup
	unloads     sync.WaitGroup // unloads after ownership changes
	stopWatch   func()
}

var _ matchingservice.MatchingServiceServer = (*Service)(nil)

// NewService validates cfg and deps and returns a service ready to serve.
// Calls may arrive before Start; Start runs background maintenance.
func NewService(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.TaskStore == nil {
		return nil, errors.New("matching: Deps.TaskStore is required")
	}
	if deps.History == nil {
		return nil, errors.New("matching: Deps.History is required")
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real()
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if deps.Metrics == nil {
		deps.Metrics = tally.NoopScope
	}
	scope := deps.Metrics.SubScope(metricsSubScope)
	s := &Service{
		cfg:     cfg.withDefaults(),
		store:   deps.TaskStore,
		history: deps.History,
		clock:   deps.Clock,
		logger:  deps.Logger.Named("matching"),
		scopes: map[enumspb.TaskQueueType]tally.Scope{
			enumspb.TASK_QUEUE_TYPE_WORKFLOW: scope.Tagged(map[string]string{tagTaskType: "workflow"}),
			enumspb.TASK_QUEUE_TYPE_ACTIVITY: scope.Tagged(map[string]string{tagTaskType: "activity"}),
		},
		backlogTotals: map[enumspb.TaskQueueType]*atomic.Int64{
			enumspb.TASK_QUEUE_TYPE_WORKFLOW: new(atomic.Int64),
			enumspb.TASK_QUEUE_TYPE_ACTIVITY: new(atomic.Int64),
		},
		queries:     newQueryRegistry(),
		own:         deps.Ownership,
		forward:     deps.Forward,
		managers:    make(map[partitionKey]*taskQueueManager),
		leaseLostAt: make(map[partitionKey]time.Time),
		stopC:       make(chan struct{}),
	}
	return s, nil
}

// Start launches background maintenance: idle partition unloading and,
// with Deps.Ownership, unloading the partitions the ring moves away.
func (s *Service) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("matching: Start after Stop")
	}
	if s.started {
		return errors.New("matching: already started")
	}
	s.started = true
	s.janitor.Add(1)
	go s.unloadIdleLoop()
	if s.own != nil {
		changes, stop := s.own.Watch()
		s.stopWatch = stop
		s.janitor.Add(1)
		go s.ownershipLoop(changes)
	}
	s.logger.Info("matching service started")
	return nil
}

// Stop unloads every partition: pending long polls return empty responses at
// once, pending queries and Adds fail with Unavailable, and each backlog
// persists its ack level. Calls after Stop fail with Unavailable.
func (s *Service) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	close(s.stopC)
	ms := make([]*taskQueueManager, 0, len(s.managers))
	for _, m := range s.managers {
		ms = append(ms, m)
	}
	stopWatch := s.stopWatch
	s.mu.Unlock()

	if stopWatch != nil {
		stopWatch()
	}
	s.janitor.Wait()
	s.unloads.Wait()
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.unloadManager(m)
		}()
	}
	wg.Wait()
	s.logger.Info("matching service stopped")
}

func (s *Service) isStopped() bool {
	select {
	case <-s.stopC:
		return true
	default:
		return false
	}
}

var errServiceStopped = serviceerror.NewUnavailable("matching service is stopped")

// getManager returns the loaded manager of a partition, loading it on first
// use, with a call acquired on it: the caller must call release.
func (s *Service) getManager(ctx context.Context, key partitionKey, kind enumspb.TaskQueueKind) (*taskQueueManager, error) {
	for {
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return nil, errServiceStopped
		}
		m := s.managers[key]
		if m == nil {
			if err := s.checkOwnedLocked(key, s.clock.Now()); err != nil {
				s.mu.Unlock()
				return nil, err
			}
			m = newTaskQueueManager(s, key, kind)
			s.managers[key] = m
			s.mu.Unlock()
			if err := s.loadManager(ctx, m); err != nil {
				return nil, err
			}
		} else {
			s.mu.Unlock()
			if err := waitClosed(ctx, m.loadedC); err != nil {
				return nil, err
			}
			if m.loadErr != nil {
				return nil, m.loadErr
			}
		}
		if m.acquire() {
			return m, nil
		}
		// The manager is unloading; wait until it is gone, then load anew.
		if err := waitClosed(ctx, m.doneC); err != nil {
			return nil, err
		}
	}
}

// waitClosed waits for c to be closed, preferring c over an ended ctx.
func waitClosed(ctx context.Context, c <-chan struct{}) error {
	select {
	case <-c:
		return nil
	default:
	}
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctxError(ctx)
	}
}

// loadManager loads m (registered in s.managers) and publishes the result.
// loadTimeout bounds taking a partition's lease and reading its first page.
const loadTimeout = 30 * time.Second

func (s *Service) loadManager(ctx context.Context, m *taskQueueManager) error {
	// Every caller waiting on loadedC shares this load: it must not fail
	// because the first caller (often a long poll of a worker shutting down)
	// went away. It keeps that caller's values but not its cancellation,
	// bounded by its own timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
	defer cancel()
	err := m.load(ctx)
	if err != nil {
		m.loadErr = err
		s.mu.Lock()
		if s.managers[m.key] == m {
			delete(s.managers, m.key)
		}
		s.mu.Unlock()
		close(m.loadedC)
		close(m.doneC)
		return err
	}
	close(m.loadedC)
	return nil
}

// unloadManager stops m and removes it from the service. Safe to call more
// than once and concurrently; every call returns after m is fully stopped.
func (s *Service) unloadManager(m *taskQueueManager) {
	<-m.loadedC
	if m.loadErr != nil {
		return
	}
	m.unloadOnce.Do(func() {
		m.stop()
		s.mu.Lock()
		if s.managers[m.key] == m {
			delete(s.managers, m.key)
		}
		s.mu.Unlock()
		close(m.doneC)
	})
}

// minIdleCheckInterval keeps a tiny IdleTimeout from turning the idle check
// into a busy loop.
const minIdleCheckInterval = 100 * time.Millisecond

// unloadIdleLoop unloads partitions idle for Config.IdleTimeout, checking
// every IdleTimeout/2.
func (s *Service) unloadIdleLoop() {
	defer s.janitor.Done()
	interval := max(s.cfg.IdleTimeout/2, minIdleCheckInterval)
	for {
		t := s.clock.NewTimer(interval)
		select {
		case <-s.stopC:
			t.Stop()
			return
		case <-t.C():
		}
		now := s.clock.Now()
		s.mu.Lock()
		ms := make([]*taskQueueManager, 0, len(s.managers))
		for _, m := range s.managers {
			ms = append(ms, m)
		}
		s.mu.Unlock()
		for _, m := range ms {
			if m.isLoaded() && m.beginIdleStop(now) {
				m.logger.Debug("unloading idle task queue")
				s.unloadManager(m)
			}
		}
	}
}

// reportBacklog adds delta to the backlog gauge of a task type.
func (s *Service) reportBacklog(taskType enumspb.TaskQueueType, delta int64) {
	total, ok := s.backlogTotals[taskType]
	if !ok || delta == 0 {
		return
	}
	s.scopes[taskType].Gauge(metricBacklogSize).Update(float64(total.Add(delta)))
}
