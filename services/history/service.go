package history

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"

	"github.com/uber-go/tally/v4"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence"
)

// Deps are the history service's collaborators.
type Deps struct {
	Stores     *persistence.Stores
	Namespaces *namespace.Registry
	Matching   matchingservice.MatchingServiceServer
	Clock      clock.Clock
	Logger     *zap.Logger
	Metrics    tally.Scope
	// HostID identifies this process in shard ownership records.
	HostID string
	// Seed seeds the randomness of retry jitter.
	Seed int64
}

// Service implements historyservice.HistoryServiceServer over the shards
// this host owns (all of them, until the ring assigns shards).
type Service struct {
	cfg     Config
	deps    Deps
	logger  *zap.Logger
	metrics tally.Scope

	mu     sync.Mutex
	shards map[int32]*shard
	closed bool

	rndMu sync.Mutex
	rnd   *rand.Rand
}

// NewService validates cfg and builds the service; Start acquires shards.
func NewService(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if deps.Stores == nil || deps.Namespaces == nil || deps.Matching == nil || deps.Clock == nil {
		return nil, fmt.Errorf("history: Stores, Namespaces, Matching and Clock are required")
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	if deps.Metrics == nil {
		deps.Metrics = tally.NoopScope
	}
	return &Service{
		cfg:     cfg,
		deps:    deps,
		logger:  deps.Logger.Named("history"),
		metrics: deps.Metrics.SubScope("history"),
		shards:  map[int32]*shard{},
		rnd:     rand.New(rand.NewPCG(uint64(deps.Seed), 0x6d65726964696e)),
	}, nil
}

// Start acquires every shard (single-host mode).
func (s *Service) Start(ctx context.Context) error {
	for id := int32(1); id <= s.cfg.NumShards; id++ {
		if _, err := s.shard(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// Stop releases the shards: queues stop and flush their ack levels.
func (s *Service) Stop() {
	s.mu.Lock()
	s.closed = true
	shards := s.shards
	s.shards = map[int32]*shard{}
	s.mu.Unlock()
	for _, sh := range shards {
		sh.stop()
	}
}

func (s *Service) newRand() *rand.Rand {
	s.rndMu.Lock()
	defer s.rndMu.Unlock()
	return rand.New(rand.NewPCG(s.rnd.Uint64(), s.rnd.Uint64()))
}

// ShardID maps a workflow to its shard: hash(namespaceID, workflowID) mod
// NumShards, 1-based.
func ShardID(namespaceID, workflowID string, numShards int32) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(namespaceID))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(workflowID))
	return int32(h.Sum32()%uint32(numShards)) + 1
}

// shard returns the owned shard, acquiring it when needed.
func (s *Service) shard(ctx context.Context, id int32) (*shard, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, serviceerror.NewUnavailable("history service is stopping")
	}
	if sh := s.shards[id]; sh != nil && !sh.isClosed() {
		return sh, nil
	}
	sh, err := s.acquireShard(ctx, id)
	if err != nil {
		return nil, toServiceError(err)
	}
	s.shards[id] = sh
	return sh, nil
}

func (s *Service) shardFor(ctx context.Context, namespaceID, workflowID string) (*shard, error) {
	return s.shard(ctx, ShardID(namespaceID, workflowID, s.cfg.NumShards))
}

// dropShard forgets a shard whose ownership was lost.
func (s *Service) dropShard(sh *shard) {
	s.mu.Lock()
	if s.shards[sh.id] == sh {
		delete(s.shards, sh.id)
	}
	s.mu.Unlock()
	sh.stop()
}
