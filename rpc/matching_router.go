package rpc

import (
	"errors"
	"fmt"

	"github.com/uber-go/tally/v4"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
)

// MatchingRouter is the matching service of a region of many hosts: it
// implements matchingservice.MatchingServiceServer by sending each request
// to the matching host that owns the request's task-queue partition,
// keyed by ring.TaskQueuePartitionKey(namespace ID, task queue, task type,
// partition). An Add or Poll of a normal task queue with several
// partitions (MatchingRouterDeps.Partitions) that names no partition gets
// one, round-robin, set in the request; everything else names its
// partition (0, the root, by default; legacy queries always go there). The
// task queue of RespondQueryTaskCompleted comes from its QueryTaskToken.
// It retries NotOwned answers like HistoryRouter, so a partition that
// moves between hosts costs callers nothing but the retry. Safe for
// concurrent use.
type MatchingRouter struct {
	r router[matchingservice.MatchingServiceClient, string]
}

// MatchingRouterDeps are a MatchingRouter's collaborators.
type MatchingRouterDeps struct {
	// Owners names each partition's owner (required); see RingOwners.
	Owners PartitionOwners
	// Pool holds the connections to matching hosts (required).
	Pool *Pool
	// Clock times retries; nil means clock.Real().
	Clock clock.Clock
	// Logger; nil means no logging.
	Logger *zap.Logger
	// Metrics is the scope for the names in metrics.go; nil means none.
	Metrics tally.Scope
	// Partitions counts each normal task queue's partitions; nil means
	// one partition per queue. Every host of a region must count alike.
	Partitions PartitionCounter
}

// NewMatchingRouter checks cfg and deps and returns a MatchingRouter.
func NewMatchingRouter(cfg RouterConfig, deps MatchingRouterDeps) (*MatchingRouter, error) {
	if deps.Owners == nil {
		return nil, errors.New("rpc: matching router: Owners is required")
	}
	m := &MatchingRouter{}
	err := m.r.init("matching", cfg, routerDeps{Pool: deps.Pool, Clock: deps.Clock, Logger: deps.Logger, Metrics: deps.Metrics})
	if err != nil {
		return nil, err
	}
	m.r.newClient = matchingservice.NewMatchingServiceClient
	picker := &partitionPicker{count: deps.Partitions}
	m.r.prepare = picker.pick
	m.r.key = matchingKey
	m.r.owner = deps.Owners.OwnerOfPartition
	m.r.describe = func(key string) string { return fmt.Sprintf("matching partition %q", key) }
	return m, nil
}
