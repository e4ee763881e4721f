package frontend

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/uber-go/tally/v4"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence"
)

// ServerVersion is reported by GetSystemInfo and GetClusterInfo.
const ServerVersion = "meridian-0.1.0"

// Deps are the services and stores the frontend routes to.
type Deps struct {
	// Namespaces resolves namespace names and IDs (required).
	Namespaces *namespace.Registry
	// NamespaceStore is written by Register/Update/Deprecate and by the
	// operator search-attribute calls (required).
	NamespaceStore persistence.NamespaceStore
	// Visibility answers List/Scan/Count (required).
	Visibility persistence.VisibilityStore
	// ClusterName is this region's name, e.g. "active" (required). New
	// namespaces are active here; global namespaces active elsewhere get
	// NamespaceNotActive for writes.
	ClusterName string
	// History and Matching serve the workflow and worker APIs (required).
	History  historyservice.HistoryServiceServer
	Matching matchingservice.MatchingServiceServer
	// Clock times requests; nil means clock.Real().
	Clock clock.Clock
	// Logger; nil means no logging.
	Logger *zap.Logger
	// Metrics; nil means no metrics.
	Metrics tally.Scope
}

// Service implements Temporal's WorkflowService and the parts of
// OperatorService SDK harnesses and the CLI use. Methods it does not
// implement answer Unimplemented. Handlers may normalise their request in
// place (defaults such as a generated request ID) before routing it.
type Service struct {
	workflowservice.UnimplementedWorkflowServiceServer
	operatorservice.UnimplementedOperatorServiceServer

	cfg         Config
	v           validator
	namespaces  *namespace.Registry
	nsStore     persistence.NamespaceStore
	visibility  persistence.VisibilityStore
	clusterName string
	history     historyservice.HistoryServiceServer
	matching    matchingservice.MatchingServiceServer
	clock       clock.Clock
	logger      *zap.Logger
	metrics     tally.Scope
	health      *health.Server
	// newID makes namespace, poller and request IDs.
	newID func() string

	opMu sync.RWMutex
	ops  map[string]*opMetrics
}

var (
	_ workflowservice.WorkflowServiceServer = (*Service)(nil)
	_ operatorservice.OperatorServiceServer = (*Service)(nil)
)

// Health service names reported SERVING while the service runs.
var healthServices = []string{
	"",
	workflowservice.WorkflowService_ServiceDesc.ServiceName,
	operatorservice.OperatorService_ServiceDesc.ServiceName,
}

// NewService checks cfg and deps and returns a Service.
func NewService(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	switch {
	case deps.Namespaces == nil:
		return nil, errors.New("frontend: Deps.Namespaces is required")
	case deps.NamespaceStore == nil:
		return nil, errors.New("frontend: Deps.NamespaceStore is required")
	case deps.Visibility == nil:
		return nil, errors.New("frontend: Deps.Visibility is required")
	case deps.ClusterName == "":
		return nil, errors.New("frontend: Deps.ClusterName is required")
	case deps.History == nil:
		return nil, errors.New("frontend: Deps.History is required")
	case deps.Matching == nil:
		return nil, errors.New("frontend: Deps.Matching is required")
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
	s := &Service{
		cfg:         cfg,
		namespaces:  deps.Namespaces,
		nsStore:     deps.NamespaceStore,
		visibility:  deps.Visibility,
		clusterName: deps.ClusterName,
		history:     deps.History,
		matching:    deps.Matching,
		clock:       deps.Clock,
		logger:      deps.Logger,
		metrics:     deps.Metrics,
		health:      health.NewServer(),
		newID:       newUUID,
		ops:         map[string]*opMetrics{},
	}
	warnings := deps.Metrics.Counter(MetricBlobSizeWarnings)
	s.v = validator{cfg: cfg, onWarn: func(field string, size, limit int) {
		warnings.Inc(1)
		s.logger.Warn("payload above warning size", zap.String("field", field), zap.Int("size", size), zap.Int("warn_limit", limit))
	}}
	for _, name := range healthServices {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	return s, nil
}

// Stop marks the service NOT_SERVING in the gRPC health service so load
// balancers drain it before the server stops.
func (s *Service) Stop() { s.health.Shutdown() }

// namespaceByName validates and resolves a namespace name. Deleted
// namespaces are not found.
func (s *Service) namespaceByName(ctx context.Context, name string) (*namespace.Entry, error) {
	if err := s.v.namespace(name); err != nil {
		return nil, err
	}
	e, err := s.namespaces.GetByName(ctx, name)
	if err != nil {
		return nil, storeError("namespace registry", err)
	}
	if e.Detail().GetInfo().GetState() == enumspb.NAMESPACE_STATE_DELETED {
		return nil, serviceerror.NewNamespaceNotFound(name)
	}
	return e, nil
}

// activeNamespace resolves a namespace that the request writes to: a
// global namespace must be active in this cluster and not in handover.
func (s *Service) activeNamespace(ctx context.Context, name string) (*namespace.Entry, error) {
	e, err := s.namespaceByName(ctx, name)
	if err != nil {
		return nil, err
	}
	return e, s.checkActive(e)
}

func (s *Service) checkActive(e *namespace.Entry) error {
	d := e.Detail()
	if !d.GetIsGlobal() {
		return nil
	}
	if active := e.ActiveCluster(); active != s.clusterName {
		return serviceerror.NewNamespaceNotActive(e.Name(), s.clusterName, active)
	}
	if d.GetReplicationConfig().GetState() == enumspb.REPLICATION_STATE_HANDOVER {
		return serviceerror.NewUnavailable(fmt.Sprintf("Namespace %s is in handover to another cluster; retry shortly.", e.Name()))
	}
	return nil
}

// acceptsNewWorkflows rejects starts in deprecated namespaces.
func acceptsNewWorkflows(e *namespace.Entry) error {
	if st := e.Detail().GetInfo().GetState(); st == enumspb.NAMESPACE_STATE_DEPRECATED {
		return serviceerror.NewNamespaceInvalidState(e.Name(), st, []enumspb.NamespaceState{enumspb.NAMESPACE_STATE_REGISTERED})
	}
	return nil
}

// newWorkflowsIn checks that ns takes new workflows and that each set of
// search attributes names attributes of ns.
func newWorkflowsIn(ns *namespace.Entry, sas ...*commonpb.SearchAttributes) error {
	if err := acceptsNewWorkflows(ns); err != nil {
		return err
	}
	return searchAttributesIn(ns, sas...)
}

// searchAttributesIn checks that each set of search attributes names
// attributes of ns (by name or by ns's aliases) with values of their type.
func searchAttributesIn(ns *namespace.Entry, sas ...*commonpb.SearchAttributes) error {
	aliases := ns.Detail().GetConfig().GetCustomSearchAttributeAliases()
	for _, sa := range sas {
		if err := searchAttributeNames(ns.Name(), sa, aliases); err != nil {
			return err
		}
	}
	return nil
}

// tokenNamespace resolves the namespace of a token-carrying request: the
// request's namespace when set (it must be the token's), else the token's.
// Writes through tokens must go to the namespace's active cluster.
func (s *Service) tokenNamespace(ctx context.Context, name, tokenNamespaceID string) (*namespace.Entry, error) {
	var e *namespace.Entry
	if name != "" {
		var err error
		if e, err = s.namespaceByName(ctx, name); err != nil {
			return nil, err
		}
		if e.ID() != tokenNamespaceID {
			return nil, serviceerror.NewInvalidArgument(msgTokenNamespace)
		}
	} else {
		var err error
		if e, err = s.namespaces.GetByID(ctx, tokenNamespaceID); err != nil {
			return nil, storeError("namespace registry", err)
		}
		if e.Detail().GetInfo().GetState() == enumspb.NAMESPACE_STATE_DELETED {
			return nil, serviceerror.NewNamespaceNotFound(tokenNamespaceID)
		}
	}
	return e, s.checkActive(e)
}

// GetSystemInfo reports the server version and the capabilities the SDKs
// read.
func (s *Service) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{
		ServerVersion: ServerVersion,
		Capabilities: &workflowservice.GetSystemInfoResponse_Capabilities{
			SignalAndQueryHeader:            true,
			InternalErrorDifferentiation:    true,
			ActivityFailureIncludeHeartbeat: true,
			SupportsSchedules:               true, // schedule_handler.go
			EncodedFailureAttributes:        true,
			BuildIdBasedVersioning:          false,
			UpsertMemo:                      true,
			EagerWorkflowStart:              true,
			SdkMetadata:                     true,
			CountGroupByExecutionStatus:     true,
			Nexus:                           false,
		},
	}, nil
}

// GetClusterInfo reports what the frontend knows of its cluster.
func (s *Service) GetClusterInfo(context.Context, *workflowservice.GetClusterInfoRequest) (*workflowservice.GetClusterInfoResponse, error) {
	return &workflowservice.GetClusterInfoResponse{
		ServerVersion:          ServerVersion,
		ClusterName:            s.clusterName,
		InitialFailoverVersion: s.cfg.InitialFailoverVersion,
		PersistenceStore:       "meridian",
		VisibilityStore:        "meridian",
	}, nil
}
