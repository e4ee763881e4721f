package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/uber-go/tally/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/common/metrics"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/frontend"
	"github.com/meridian-dev/meridian/services/history"
	"github.com/meridian-dev/meridian/services/matching"
	"github.com/meridian-dev/meridian/services/worker"
)

// Region is a running region in this process: frontend, history and
// matching over one set of stores.
type Region struct {
	cfg      Config
	logger   *zap.Logger
	stores   *persistence.Stores
	history  *history.Service
	matching *matching.Service
	frontend *frontend.Service
	worker   *worker.Service
	grpc     *grpc.Server
	listener net.Listener
	root     *metrics.Root
	mserver  *metrics.Server
	served   chan error
	member   *member // set when cfg.Membership is (multihost.go)
}

// historyRef lets matching be built before history: the in-process
// interface is filled in once history exists.
type historyRef struct {
	historyservice.HistoryServiceServer
}

// StartDev starts every service of one region in this process on the
// embedded store in cfg.DataDir and serves the frontend on
// cfg.FrontendAddress().
func StartDev(ctx context.Context, cfg DevConfig, logger *zap.Logger) (*Region, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	open := func(tally.Scope) (*persistence.Stores, error) {
		stores, err := embedded.Open(cfg.DataDir, embedded.Options{Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("open embedded store in %s: %w", cfg.DataDir, err)
		}
		return stores, nil
	}
	return Start(ctx, cfg.RegionConfig(), open, logger)
}

// StoreOpener opens a region's stores; scope receives the backend's metrics.
type StoreOpener func(scope tally.Scope) (*persistence.Stores, error)

// Start runs every service of one region in this process over the stores
// open returns, and serves the frontend on cfg.FrontendAddress. The region
// owns the stores: Stop (or a failed start) closes them.
func Start(ctx context.Context, cfg Config, open StoreOpener, logger *zap.Logger) (_ *Region, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	d := &Region{cfg: cfg, logger: logger, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			d.Stop()
		}
	}()
	rootCfg := metrics.DefaultRootConfig()
	rootCfg.ProcessMetrics = true
	rootCfg.Tags = map[string]string{"cluster": cfg.ClusterName}
	d.root, err = metrics.NewRoot(rootCfg, logger)
	if err != nil {
		return nil, err
	}
	scope := d.root.Scope()
	if d.stores, err = open(scope); err != nil {
		return nil, err
	}
	md, err := ensureClusterMetadata(ctx, d.stores.ClusterMetadata, cfg)
	if err != nil {
		return nil, err
	}
	numShards := md.HistoryShardCount
	clk := clock.Real()
	registry := namespace.NewRegistry(d.stores.Namespace, clk, 0)
	if cfg.Membership != nil {
		if err := d.startMember(ctx, md, registry, clk, scope); err != nil {
			return nil, err
		}
	} else {
		hostID := cfg.ClusterName + "-" + uuid.NewString()

		hist := &historyRef{}
		d.matching, err = matching.NewService(cfg.matchingConfig(), matching.Deps{
			TaskStore: d.stores.Task, History: hist, Clock: clk, Logger: logger, Metrics: scope,
		})
		if err != nil {
			return nil, err
		}
		hcfg := history.DefaultConfig()
		if cfg.History != nil {
			hcfg = *cfg.History
		}
		hcfg.NumShards = numShards
		d.history, err = history.NewService(hcfg, history.Deps{
			Stores: d.stores, Namespaces: registry, Matching: d.matching, Clock: clk, Logger: logger,
			Metrics: scope, HostID: hostID, Seed: time.Now().UnixNano(),
		})
		if err != nil {
			return nil, err
		}
		hist.HistoryServiceServer = d.history
		fcfg := frontend.DefaultConfig()
		fcfg.InitialFailoverVersion = md.InitialFailoverVersion
		d.frontend, err = frontend.NewService(fcfg, frontend.Deps{
			Namespaces: registry, NamespaceStore: d.stores.Namespace, Visibility: d.stores.Visibility,
			ClusterName: cfg.ClusterName, History: d.history, Matching: d.matching,
			Clock: clk, Logger: logger, Metrics: scope,
		})
		if err != nil {
			return nil, err
		}
		if err := d.matching.Start(); err != nil {
			return nil, err
		}
		if err := d.history.Start(ctx); err != nil {
			return nil, err
		}
	}
	if err := d.bootstrapNamespaces(ctx); err != nil {
		return nil, err
	}
	if d.frontend != nil {
		d.listener, err = net.Listen("tcp", cfg.FrontendAddress)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", cfg.FrontendAddress, err)
		}
		d.grpc = frontend.NewGRPCServer(d.frontend)
		go func() { d.served <- d.grpc.Serve(d.listener) }()
	}
	if err := d.startWorker(); err != nil {
		return nil, err
	}
	if cfg.MetricsAddress != "" {
		d.mserver, err = metrics.NewServer(metrics.ServerConfig{Address: cfg.MetricsAddress, EnablePprof: cfg.Pprof}, d.root.Handler(), logger)
		if err != nil {
			return nil, err
		}
		if err := d.mserver.Start(); err != nil {
			return nil, err
		}
	}
	logger.Info("region started",
		zap.String("cluster", cfg.ClusterName), zap.String("address", d.Address()), zap.Int32("shards", numShards))
	return d, nil
}

// Served reports the frontend's Serve result if it stops serving on its own.
func (d *Region) Served() <-chan error { return d.served }

// Address is the frontend's host:port.
func (d *Region) Address() string {
	if d.listener == nil {
		return ""
	}
	return d.listener.Addr().String()
}

// startWorker starts the system worker when the process runs it. It
// reaches the region through a frontend: this process's, or one the ring
// names.
func (d *Region) startWorker() error {
	if !d.cfg.runs(ServiceWorker) {
		return nil
	}
	addr := d.Address()
	if addr == "" && d.member != nil {
		for _, n := range d.member.ring.Nodes() {
			if a := n.RPCAddresses[ServiceFrontend]; a != "" {
				addr = a
				break
			}
		}
	}
	if addr == "" {
		return errors.New("services: the worker needs a frontend, and none runs in this process or in the region")
	}
	wcfg := worker.DefaultConfig()
	wcfg.FrontendAddress = addr
	w, err := worker.NewService(wcfg, worker.Deps{Logger: d.logger.Named("worker")})
	if err != nil {
		return err
	}
	d.worker = w
	w.Start()
	return nil
}

// Stop stops serving and stops every service; safe to call more than once.
func (d *Region) Stop() {
	// The system worker goes first: it is a client of the frontend.
	if d.worker != nil {
		d.worker.Stop()
		d.worker = nil
	}
	if d.grpc != nil {
		stopped := make(chan struct{})
		go func() { d.grpc.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			d.grpc.Stop()
		}
		d.grpc = nil
	}
	if d.mserver != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = d.mserver.Stop(ctx)
		cancel()
		d.mserver = nil
	}
	if d.frontend != nil {
		d.frontend.Stop()
		d.frontend = nil
	}
	if d.member != nil {
		d.stopMember()
	}
	if d.matching != nil {
		d.matching.Stop()
		d.matching = nil
	}
	if d.history != nil {
		d.history.Stop()
		d.history = nil
	}
	if d.root != nil {
		_ = d.root.Close()
		d.root = nil
	}
	if d.stores != nil {
		if err := d.stores.Close(); err != nil {
			d.logger.Warn("closing the store failed", zap.Error(err))
		}
		d.stores = nil
	}
}

// ensureClusterMetadata records the cluster's immutable facts on first start
// and refuses a later start that would remap workflows to other shards.
func ensureClusterMetadata(ctx context.Context, st persistence.ClusterMetadataStore, cfg Config) (*persistencepb.ClusterMetadata, error) {
	md, err := st.GetClusterMetadata(ctx, cfg.ClusterName)
	if errors.Is(err, persistence.ErrNotFound) {
		md = &persistencepb.ClusterMetadata{
			ClusterName: cfg.ClusterName, ClusterId: uuid.NewString(), HistoryShardCount: cfg.NumShards,
			InitialFailoverVersion: cfg.InitialFailoverVersion, FailoverVersionIncrement: cfg.FailoverVersionIncrement, Version: 1,
		}
		err = st.SaveClusterMetadata(ctx, md)
		if err == nil {
			return md, nil
		}
		if !errors.Is(err, persistence.ErrConditionFailed) {
			return nil, fmt.Errorf("save cluster metadata: %w", err)
		}
		// Another host of the region created it first: use theirs.
		md, err = st.GetClusterMetadata(ctx, cfg.ClusterName)
	}
	if err != nil {
		return nil, fmt.Errorf("read cluster metadata: %w", err)
	}
	if md.HistoryShardCount != cfg.NumShards {
		return nil, fmt.Errorf("shards %d: cluster %s was created with %d history shards; the count cannot change",
			cfg.NumShards, cfg.ClusterName, md.HistoryShardCount)
	}
	return md, nil
}

// bootstrapNamespaces registers the configured namespaces and search
// attributes through the frontend, so the same rules apply as for users.
func (d *Region) bootstrapNamespaces(ctx context.Context) error {
	if d.frontend == nil {
		return nil // a frontend of the region does it
	}
	for _, name := range d.cfg.Namespaces {
		_, err := d.frontend.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        name,
			WorkflowExecutionRetentionPeriod: durationpb.New(DefaultRetention),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("register namespace %s: %w", name, err)
		}
		if len(d.cfg.SearchAttributes) == 0 {
			continue
		}
		req := &operatorservice.AddSearchAttributesRequest{Namespace: name, SearchAttributes: map[string]enumspb.IndexedValueType{}}
		for _, sa := range d.cfg.SearchAttributes {
			req.SearchAttributes[sa.Name] = sa.Type
		}
		if _, err := d.frontend.AddSearchAttributes(ctx, req); err != nil {
			var exists *serviceerror.AlreadyExists
			if !errors.As(err, &exists) {
				return fmt.Errorf("add search attributes to %s: %w", name, err)
			}
		}
	}
	return nil
}
