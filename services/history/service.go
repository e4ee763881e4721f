package history

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"

	"github.com/uber-go/tally/v4"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/api/historyservice"
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
	// Ownership says which shards this host owns. Nil means every shard
	// (StaticOwnership{Self: HostID}): a single-host region.
	Ownership ShardOwnership
	// Seed seeds the randomness of retry jitter.
	Seed int64
	// Peers is the region's history service, for calls about other
	// workflows (start a child, signal or cancel another workflow, report
	// a child's close to its parent), whose shards may live on other
	// hosts: a router that follows the ring in a region of many hosts.
	// Nil means this Service (a single-host region).
	Peers historyservice.HistoryServiceServer
}

// Service implements historyservice.HistoryServiceServer over the shards
// this host owns, as Deps.Ownership assigns them (controller.go). A request
// about another shard fails with *historyservice.ShardNotOwnedError.
type Service struct {
	cfg     Config
	deps    Deps
	logger  *zap.Logger
	metrics tally.Scope
	ctl     *controller
	// peers serves calls about other workflows (Deps.Peers).
	peers historyservice.HistoryServiceServer

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
	if deps.Ownership == nil {
		deps.Ownership = StaticOwnership{Self: deps.HostID}
	}
	if ro, ok := deps.Ownership.(*RingOwnership); ok && ro.Self() != deps.HostID {
		return nil, fmt.Errorf("history: Deps.HostID %q must be the ring node name %q", deps.HostID, ro.Self())
	}
	s := &Service{
		cfg:     cfg,
		deps:    deps,
		logger:  deps.Logger.Named("history"),
		metrics: deps.Metrics.SubScope("history"),
		rnd:     rand.New(rand.NewPCG(uint64(deps.Seed), 0x6d65726964696e)),
	}
	s.ctl = newController(s, deps.Ownership)
	s.peers = deps.Peers
	if s.peers == nil {
		s.peers = s
	}
	return s, nil
}

// Start takes the first assignment of Deps.Ownership and returns once its
// shards are acquired (every shard, in a single-host region); later
// assignments are followed in the background.
func (s *Service) Start(ctx context.Context) error {
	return s.ctl.start(ctx)
}

// Stop releases the shards: running transactions drain, queues stop and
// flush their ack levels.
func (s *Service) Stop() {
	s.ctl.stop()
}

// Shards describes the shards this host holds, by ID.
func (s *Service) Shards() []ShardStatus {
	return s.ctl.statuses()
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

// shard returns shard id if this host owns it (waiting briefly while it is
// being acquired), else a *historyservice.ShardNotOwnedError.
func (s *Service) shard(ctx context.Context, id int32) (*shard, error) {
	return s.ctl.shard(ctx, id)
}

func (s *Service) shardFor(ctx context.Context, namespaceID, workflowID string) (*shard, error) {
	return s.shard(ctx, ShardID(namespaceID, workflowID, s.cfg.NumShards))
}

// dropShard forgets a shard whose ownership was lost.
func (s *Service) dropShard(sh *shard) {
	s.ctl.drop(sh)
}
