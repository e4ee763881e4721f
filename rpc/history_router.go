package rpc

import (
	"errors"
	"fmt"

	"github.com/uber-go/tally/v4"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/common/clock"
)

// HistoryRouter is the history service of a region of many hosts, as the
// frontend (or matching, or another history host) sees it: it implements
// historyservice.HistoryServiceServer by sending each request to the
// history host that owns the request's shard. The shard comes from the
// request's namespace ID and workflow ID (from the task token for token
// requests), its owner from ShardOwners, and the connection from a Pool.
// When the host answers NotOwned (the shard moved) it asks ShardOwners
// again and retries, as RouterConfig bounds, so a clean move is invisible
// to callers. Safe for concurrent use.
type HistoryRouter struct {
	r router[historyservice.HistoryServiceClient, int32]
}

// HistoryRouterDeps are a HistoryRouter's collaborators.
type HistoryRouterDeps struct {
	// Owners names each shard's owner (required); see RingOwners.
	Owners ShardOwners
	// ShardOf maps a workflow to its shard (required). It must be the
	// history service's own function with the cluster's shard count,
	// e.g. func(ns, wf string) int32 { return history.ShardID(ns, wf, n) }.
	ShardOf func(namespaceID, workflowID string) int32
	// Pool holds the connections to history hosts (required). It may be
	// shared with a MatchingRouter; the router does not close it.
	Pool *Pool
	// Clock times retries; nil means clock.Real().
	Clock clock.Clock
	// Logger; nil means no logging.
	Logger *zap.Logger
	// Metrics is the scope for the names in metrics.go; nil means none.
	Metrics tally.Scope
}

// NewHistoryRouter checks cfg and deps and returns a HistoryRouter.
func NewHistoryRouter(cfg RouterConfig, deps HistoryRouterDeps) (*HistoryRouter, error) {
	switch {
	case deps.Owners == nil:
		return nil, errors.New("rpc: history router: Owners is required")
	case deps.ShardOf == nil:
		return nil, errors.New("rpc: history router: ShardOf is required")
	}
	h := &HistoryRouter{}
	err := h.r.init("history", cfg, routerDeps{Pool: deps.Pool, Clock: deps.Clock, Logger: deps.Logger, Metrics: deps.Metrics})
	if err != nil {
		return nil, err
	}
	shardOf, owners := deps.ShardOf, deps.Owners
	h.r.newClient = historyservice.NewHistoryServiceClient
	h.r.key = func(req any) (int32, bool) {
		ns, wf, ok := historyKey(req)
		if !ok {
			return 0, false
		}
		return shardOf(ns, wf), true
	}
	h.r.owner = owners.OwnerOf
	h.r.describe = func(id int32) string { return fmt.Sprintf("history shard %d", id) }
	return h, nil
}
