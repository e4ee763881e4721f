package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/uber-go/tally/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/ring"
	"github.com/meridian-dev/meridian/rpc"
	"github.com/meridian-dev/meridian/services/frontend"
	"github.com/meridian-dev/meridian/services/history"
	"github.com/meridian-dev/meridian/services/matching"
)

// member is what a host of a region of many adds to a Region: its ring
// membership, the internal gRPC server for history and matching, and the
// connection pool of the routers that reach the other hosts.
type member struct {
	ring     *ring.Membership
	pool     *rpc.Pool
	rpc      *rpc.Server
	listener net.Listener
}

// startMember builds the services cfg.Services selects as one host of a
// region (DESIGN.md §2-3): every call between services goes through an
// rpc router to the ring owner of its shard or task-queue partition, this
// host included. Matching serves only the partitions its ring places here
// (matching.RingOwnership) and reaches a queue's other partitions through
// the matching router.
func (d *Region) startMember(ctx context.Context, md *persistencepb.ClusterMetadata, registry *namespace.Registry, clk clock.Clock, scope tally.Scope) error {
	cfg := d.cfg
	mc := cfg.Membership
	numShards := md.HistoryShardCount
	mb := &member{}
	d.member = mb
	var err error
	if mb.pool, err = rpc.NewPool(rpc.DefaultClientConfig()); err != nil {
		return err
	}
	rc := mc.ringConfig(cfg.ClusterName, cfg.Services, cfg.FrontendAddress)
	if len(cfg.Services) == 0 {
		rc = mc.ringConfig(cfg.ClusterName, AllServices, cfg.FrontendAddress)
	}
	rc.Logger = d.logger.Named("ring")
	rc.Metrics = scope
	rc.Clock = clk
	if mb.ring, err = ring.NewMembership(rc); err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	hostID := mb.ring.LocalNode().Name
	histRouter, err := rpc.NewHistoryRouter(rpc.DefaultRouterConfig(), rpc.HistoryRouterDeps{
		Owners:  rpc.NewRingOwners(mb.ring, history.RingRole),
		ShardOf: func(ns, wf string) int32 { return history.ShardID(ns, wf, numShards) },
		Pool:    mb.pool, Clock: clk, Logger: d.logger, Metrics: scope,
	})
	if err != nil {
		return err
	}
	mcfg := cfg.matchingConfig()
	matchRouter, err := rpc.NewMatchingRouter(rpc.DefaultRouterConfig(), rpc.MatchingRouterDeps{
		Owners: rpc.NewRingOwners(mb.ring, matching.RingRole),
		Pool:   mb.pool, Clock: clk, Logger: d.logger, Metrics: scope,
		Partitions: func(_, taskQueue string, _ enumspb.TaskQueueType) int { return mcfg.PartitionCount(taskQueue) },
	})
	if err != nil {
		return err
	}
	if cfg.runs(ServiceMatching) {
		d.matching, err = matching.NewService(mcfg, matching.Deps{
			TaskStore: d.stores.Task, History: histRouter, Clock: clk, Logger: d.logger, Metrics: scope,
			Ownership: matching.NewRingOwnership(mb.ring), Forward: matchRouter,
		})
		if err != nil {
			return err
		}
	}
	if cfg.runs(ServiceHistory) {
		hcfg := history.DefaultConfig()
		if cfg.History != nil {
			hcfg = *cfg.History
		}
		hcfg.NumShards = numShards
		d.history, err = history.NewService(hcfg, history.Deps{
			Stores: d.stores, Namespaces: registry, Matching: matchRouter, Clock: clk, Logger: d.logger,
			Metrics: scope, HostID: hostID, Ownership: history.NewRingOwnership(mb.ring), Seed: time.Now().UnixNano(),
			Peers: histRouter,
		})
		if err != nil {
			return err
		}
	}
	if d.history != nil || d.matching != nil {
		if mb.rpc, err = rpc.NewServer(rpc.DefaultServerConfig(), rpc.ServerDeps{Clock: clk, Logger: d.logger, Metrics: scope}); err != nil {
			return err
		}
		if d.history != nil {
			mb.rpc.RegisterHistory(d.history)
		}
		if d.matching != nil {
			mb.rpc.RegisterMatching(d.matching)
		}
		if mb.listener, err = net.Listen("tcp", mc.RPCAddress); err != nil {
			return fmt.Errorf("membership.rpc_address: listen on %s: %w", mc.RPCAddress, err)
		}
		srv, lis := mb.rpc, mb.listener
		go func() {
			if err := srv.Serve(lis); err != nil {
				select {
				case d.served <- fmt.Errorf("internal gRPC server: %w", err):
				default:
				}
			}
		}()
	}
	if cfg.runs(ServiceFrontend) {
		fcfg := frontend.DefaultConfig()
		fcfg.InitialFailoverVersion = md.InitialFailoverVersion
		d.frontend, err = frontend.NewService(fcfg, frontend.Deps{
			Namespaces: registry, NamespaceStore: d.stores.Namespace, Visibility: d.stores.Visibility,
			ClusterName: cfg.ClusterName, History: histRouter, Matching: matchRouter,
			Clock: clk, Logger: d.logger, Metrics: scope,
		})
		if err != nil {
			return err
		}
	}
	if d.matching != nil {
		if err := d.matching.Start(); err != nil {
			return err
		}
	}
	if err := d.join(ctx); err != nil {
		return err
	}
	if d.history != nil {
		// Hosts starting together may take a shard from each other while
		// their rings converge: Start retries those in the background.
		if err := d.history.Start(ctx); err != nil {
			return err
		}
	}
	d.logger.Info("joined region", zap.String("node", hostID), zap.Strings("services", rc.Roles),
		zap.String("rpc_address", mc.RPCAddress), zap.Int("members", len(mb.ring.Nodes())))
	return nil
}

// join joins the seeds, or starts a ring of its own when none answers
// within the join timeout.
func (d *Region) join(ctx context.Context) error {
	timeout := d.cfg.Membership.JoinTimeout
	if timeout == 0 {
		timeout = DefaultJoinTimeout
	}
	jctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := d.member.ring.Join(jctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil && errors.Is(jctx.Err(), context.DeadlineExceeded) {
		d.logger.Warn("no seed answered; starting a ring of its own (the other hosts join it)",
			zap.Strings("seeds", d.cfg.Membership.Seeds), zap.Duration("join_timeout", timeout), zap.Error(err))
		return nil
	}
	return fmt.Errorf("membership: %w", err)
}

// stopMember stops history, leaves the ring (the other hosts then take its
// shards without waiting for failure detection), then stops serving
// matching and closes the connections to other hosts.
func (d *Region) stopMember() {
	mb := d.member
	d.member = nil
	if d.history != nil {
		d.history.Stop()
		d.history = nil
	}
	if mb.ring != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := mb.ring.Leave(ctx); err != nil {
			d.logger.Warn("leaving the ring failed", zap.Error(err))
		}
		cancel()
	}
	if mb.rpc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		mb.rpc.Stop(ctx)
		cancel()
	} else if mb.listener != nil {
		_ = mb.listener.Close()
	}
	if d.matching != nil {
		d.matching.Stop()
		d.matching = nil
	}
	if mb.pool != nil {
		_ = mb.pool.Close()
	}
}
