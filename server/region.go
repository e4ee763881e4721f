package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/google/uuid"
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
)

// DevClusterName is the region name of a dev server, as in Temporal's.
const DevClusterName = "active"

// DefaultRetention is the retention of namespaces the dev server registers.
const DefaultRetention = 24 * time.Hour

// Dev is a running single-process region.
type Dev struct {
	cfg      DevConfig
	logger   *zap.Logger
	stores   *persistence.Stores
	history  *history.Service
	matching *matching.Service
	frontend *frontend.Service
	grpc     *grpc.Server
	listener net.Listener
	root     *metrics.Root
	mserver  *metrics.Server
	served   chan error
}

// historyRef lets matching be built before history: the in-process
// interface is filled in once history exists.
type historyRef struct {
	historyservice.HistoryServiceServer
}

// StartDev starts every service of one region in this process on the
// embedded store in cfg.DataDir and serves the frontend on
// cfg.FrontendAddress().
func StartDev(ctx context.Context, cfg DevConfig, logger *zap.Logger) (_ *Dev, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Dev{cfg: cfg, logger: logger, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			d.Stop()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	d.stores, err = embedded.Open(cfg.DataDir, embedded.Options{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open embedded store in %s: %w", cfg.DataDir, err)
	}
	md, err := ensureClusterMetadata(ctx, d.stores.ClusterMetadata, DevClusterName, cfg.NumShards)
	if err != nil {
		return nil, err
	}
	numShards := md.HistoryShardCount
	rootCfg := metrics.DefaultRootConfig()
	rootCfg.ProcessMetrics = true
	rootCfg.Tags = map[string]string{"cluster": DevClusterName}
	d.root, err = metrics.NewRoot(rootCfg, logger)
	if err != nil {
		return nil, err
	}
	scope := d.root.Scope()
	clk := clock.Real()
	registry := namespace.NewRegistry(d.stores.Namespace, clk, 0)
	hostID := "dev-" + uuid.NewString()

	hist := &historyRef{}
	d.matching, err = matching.NewService(matching.DefaultConfig(), matching.Deps{
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
		ClusterName: DevClusterName, History: d.history, Matching: d.matching,
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
	if err := d.bootstrapNamespaces(ctx); err != nil {
		return nil, err
	}
	d.listener, err = net.Listen("tcp", cfg.FrontendAddress())
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.FrontendAddress(), err)
	}
	d.grpc = frontend.NewGRPCServer(d.frontend)
	go func() { d.served <- d.grpc.Serve(d.listener) }()
	if addr := cfg.MetricsAddress(); addr != "" {
		d.mserver, err = metrics.NewServer(metrics.ServerConfig{Address: addr, EnablePprof: cfg.Pprof}, d.root.Handler(), logger)
		if err != nil {
			return nil, err
		}
		if err := d.mserver.Start(); err != nil {
			return nil, err
		}
	}
	logger.Info("dev server started",
		zap.String("address", d.Address()), zap.String("data_dir", cfg.DataDir), zap.Int32("shards", numShards))
	return d, nil
}

// Address is the frontend's host:port.
func (d *Dev) Address() string {
	if d.listener == nil {
		return ""
	}
	return d.listener.Addr().String()
}

// Stop stops serving and stops every service; safe to call more than once.
func (d *Dev) Stop() {
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
func ensureClusterMetadata(ctx context.Context, st persistence.ClusterMetadataStore, name string, shards int32) (*persistencepb.ClusterMetadata, error) {
	md, err := st.GetClusterMetadata(ctx, name)
	if errors.Is(err, persistence.ErrNotFound) {
		md = &persistencepb.ClusterMetadata{
			ClusterName: name, ClusterId: uuid.NewString(), HistoryShardCount: shards,
			InitialFailoverVersion: 1, FailoverVersionIncrement: 10, Version: 1,
		}
		if err := st.SaveClusterMetadata(ctx, md); err != nil {
			return nil, fmt.Errorf("save cluster metadata: %w", err)
		}
		return md, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cluster metadata: %w", err)
	}
	if md.HistoryShardCount != shards {
		return nil, fmt.Errorf("--shards %d: this data directory was created with %d shards; the count cannot change", shards, md.HistoryShardCount)
	}
	return md, nil
}

// bootstrapNamespaces registers the configured namespaces and search
// attributes through the frontend, so the same rules apply as for users.
func (d *Dev) bootstrapNamespaces(ctx context.Context) error {
	for _, name := range d.cfg.AllNamespaces() {
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
