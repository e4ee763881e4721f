package frontend

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	replicationpb "go.temporal.io/api/replication/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// namespaceUpdateAttempts bounds retries of a namespace read-modify-write
// that loses its config_version condition to a concurrent update.
const namespaceUpdateAttempts = 5

// RegisterNamespace creates a namespace active in this cluster.
func (s *Service) RegisterNamespace(ctx context.Context, req *workflowservice.RegisterNamespaceRequest) (*workflowservice.RegisterNamespaceResponse, error) {
	if err := s.v.registerNamespace(req); err != nil {
		return nil, err
	}
	detail, err := newNamespaceDetail(req, s.newID(), s.clusterName, s.cfg)
	if err != nil {
		return nil, err
	}
	if err := s.nsStore.CreateNamespace(ctx, detail); err != nil {
		if errors.Is(err, persistence.ErrAlreadyExists) {
			return nil, serviceerror.NewNamespaceAlreadyExists(fmt.Sprintf("Namespace %s already exists.", req.GetNamespace()))
		}
		return nil, storeError("namespace store", err)
	}
	s.namespaces.Invalidate(detail.GetInfo().GetName(), detail.GetInfo().GetId())
	return &workflowservice.RegisterNamespaceResponse{}, nil
}

// newNamespaceDetail builds the stored record of a new namespace. Local
// namespaces live in this cluster only (failover version 0); global ones
// must be registered in the cluster that is to be active (they get
// Config.InitialFailoverVersion) and list every cluster they replicate to.
func newNamespaceDetail(req *workflowservice.RegisterNamespaceRequest, id, clusterName string, cfg Config) (*persistencepb.NamespaceDetail, error) {
	active := req.GetActiveClusterName()
	if active == "" {
		active = clusterName
	}
	if active != clusterName {
		return nil, invalidArgf("Invalid ActiveClusterName %s: a namespace must be registered in the cluster that is to be active (this is %s).", active, clusterName)
	}
	var clusters []*replicationpb.ClusterReplicationConfig
	seen := map[string]bool{}
	for _, c := range req.GetClusters() {
		if !seen[c.GetClusterName()] {
			seen[c.GetClusterName()] = true
			clusters = append(clusters, &replicationpb.ClusterReplicationConfig{ClusterName: c.GetClusterName()})
		}
	}
	if len(clusters) == 0 {
		clusters = []*replicationpb.ClusterReplicationConfig{{ClusterName: clusterName}}
	}
	if !seen[active] && len(seen) > 0 {
		return nil, invalidArgf("Invalid Clusters: the active cluster %s is not among them.", active)
	}
	if !req.GetIsGlobalNamespace() && len(clusters) > 1 {
		return nil, serviceerror.NewInvalidArgument("Invalid Clusters: a local namespace lives in one cluster; set IsGlobalNamespace to replicate it.")
	}
	var failoverVersion int64
	if req.GetIsGlobalNamespace() {
		failoverVersion = cfg.InitialFailoverVersion
	}
	retention := req.GetWorkflowExecutionRetentionPeriod()
	if retention.AsDuration() == 0 {
		retention = durationpb.New(cfg.DefaultNamespaceRetention)
	}
	return &persistencepb.NamespaceDetail{
		Info: &namespacepb.NamespaceInfo{
			Id:          id,
			Name:        req.GetNamespace(),
			State:       enumspb.NAMESPACE_STATE_REGISTERED,
			Description: req.GetDescription(),
			OwnerEmail:  req.GetOwnerEmail(),
			Data:        maps.Clone(req.GetData()),
		},
		Config: &namespacepb.NamespaceConfig{
			WorkflowExecutionRetentionTtl: retention,
			BadBinaries:                   &namespacepb.BadBinaries{Binaries: map[string]*namespacepb.BadBinaryInfo{}},
			HistoryArchivalState:          enumspb.ARCHIVAL_STATE_DISABLED,
			VisibilityArchivalState:       enumspb.ARCHIVAL_STATE_DISABLED,
		},
		ReplicationConfig: &replicationpb.NamespaceReplicationConfig{
			ActiveClusterName: active,
			Clusters:          clusters,
			State:             enumspb.REPLICATION_STATE_NORMAL,
		},
		ConfigVersion:   0,
		FailoverVersion: failoverVersion,
		IsGlobal:        req.GetIsGlobalNamespace(),
	}, nil
}

// DescribeNamespace reads a namespace by name or ID. It reads the store
// (not the cache) unless the caller asked for weak consistency.
func (s *Service) DescribeNamespace(ctx context.Context, req *workflowservice.DescribeNamespaceRequest) (*workflowservice.DescribeNamespaceResponse, error) {
	if err := s.v.describeNamespace(req); err != nil {
		return nil, err
	}
	var (
		d   *persistencepb.NamespaceDetail
		err error
	)
	key := req.GetNamespace()
	switch {
	case req.GetWeakConsistency() && key != "":
		var e *namespace.Entry
		if e, err = s.namespaces.GetByName(ctx, key); err == nil {
			d = e.Detail()
		}
	case key != "":
		d, err = s.nsStore.GetNamespaceByName(ctx, key)
	default:
		key = req.GetId()
		d, err = s.nsStore.GetNamespaceByID(ctx, key)
	}
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, serviceerror.NewNamespaceNotFound(key)
	}
	if err != nil {
		return nil, storeError("namespace store", err)
	}
	if req.GetId() != "" && req.GetNamespace() != "" && d.GetInfo().GetId() != req.GetId() {
		return nil, serviceerror.NewNamespaceNotFound(req.GetId())
	}
	if d.GetInfo().GetState() == enumspb.NAMESPACE_STATE_DELETED {
		return nil, serviceerror.NewNamespaceNotFound(key)
	}
	return s.describeResponse(d), nil
}

// describeResponse renders a stored namespace, adding the capabilities and
// limits workers read. d is not modified.
func (s *Service) describeResponse(d *persistencepb.NamespaceDetail) *workflowservice.DescribeNamespaceResponse {
	info := proto.Clone(d.GetInfo()).(*namespacepb.NamespaceInfo)
	if info == nil {
		info = &namespacepb.NamespaceInfo{}
	}
	info.Capabilities = &namespacepb.NamespaceInfo_Capabilities{
		EagerWorkflowStart: true,
		SyncUpdate:         true,
		AsyncUpdate:        true,
	}
	info.Limits = &namespacepb.NamespaceInfo_Limits{
		BlobSizeLimitError: int64(s.cfg.BlobSizeLimitError),
		MemoSizeLimitError: int64(s.cfg.MemoSizeLimitError),
	}
	info.SupportsSchedules = true // schedule_handler.go, run by the system worker
	return &workflowservice.DescribeNamespaceResponse{
		NamespaceInfo:     info,
		Config:            proto.Clone(d.GetConfig()).(*namespacepb.NamespaceConfig),
		ReplicationConfig: proto.Clone(d.GetReplicationConfig()).(*replicationpb.NamespaceReplicationConfig),
		FailoverVersion:   d.GetFailoverVersion(),
		IsGlobalNamespace: d.GetIsGlobal(),
	}
}

// ListNamespaces pages through namespaces in name order; deleted ones are
// skipped unless the filter asks for them.
func (s *Service) ListNamespaces(ctx context.Context, req *workflowservice.ListNamespacesRequest) (*workflowservice.ListNamespacesResponse, error) {
	if err := s.v.listNamespaces(req); err != nil {
		return nil, err
	}
	pageSize := clampPageSize(int(req.GetPageSize()), s.cfg.DefaultNamespacePageSize, s.cfg.MaxNamespacePageSize)
	details, next, err := s.nsStore.ListNamespaces(ctx, pageSize, req.GetNextPageToken())
	if err != nil {
		return nil, storeError("namespace store", err)
	}
	resp := &workflowservice.ListNamespacesResponse{NextPageToken: next}
	for _, d := range details {
		if d.GetInfo().GetState() == enumspb.NAMESPACE_STATE_DELETED && !req.GetNamespaceFilter().GetIncludeDeleted() {
			continue
		}
		resp.Namespaces = append(resp.Namespaces, s.describeResponse(d))
	}
	return resp, nil
}

// UpdateNamespace changes a namespace's info and config. Replication
// (active cluster, cluster list, handover) belongs to the failover
// controller and cannot be changed here.
func (s *Service) UpdateNamespace(ctx context.Context, req *workflowservice.UpdateNamespaceRequest) (*workflowservice.UpdateNamespaceResponse, error) {
	if err := s.v.updateNamespace(req); err != nil {
		return nil, err
	}
	d, err := s.updateNamespaceDetail(ctx, req.GetNamespace(), func(d *persistencepb.NamespaceDetail) error {
		return applyNamespaceUpdate(d, req)
	})
	if err != nil {
		return nil, err
	}
	r := s.describeResponse(d)
	return &workflowservice.UpdateNamespaceResponse{
		NamespaceInfo:     r.NamespaceInfo,
		Config:            r.Config,
		ReplicationConfig: r.ReplicationConfig,
		FailoverVersion:   r.FailoverVersion,
		IsGlobalNamespace: r.IsGlobalNamespace,
	}, nil
}

// DeprecateNamespace moves a namespace to DEPRECATED: it keeps running
// workflows but accepts no new ones.
func (s *Service) DeprecateNamespace(ctx context.Context, req *workflowservice.DeprecateNamespaceRequest) (*workflowservice.DeprecateNamespaceResponse, error) {
	if err := s.v.deprecateNamespace(req); err != nil {
		return nil, err
	}
	_, err := s.updateNamespaceDetail(ctx, req.GetNamespace(), func(d *persistencepb.NamespaceDetail) error {
		return applyNamespaceUpdate(d, &workflowservice.UpdateNamespaceRequest{
			Namespace:  req.GetNamespace(),
			UpdateInfo: &namespacepb.UpdateNamespaceInfo{State: enumspb.NAMESPACE_STATE_DEPRECATED},
		})
	})
	if err != nil {
		return nil, err
	}
	return &workflowservice.DeprecateNamespaceResponse{}, nil
}

// updateNamespaceDetail reads the namespace, applies change to a copy and
// writes it conditionally on config_version, retrying when a concurrent
// update wins. It returns the written record and drops the cache entry.
func (s *Service) updateNamespaceDetail(ctx context.Context, name string, change func(*persistencepb.NamespaceDetail) error) (*persistencepb.NamespaceDetail, error) {
	for attempt := 0; attempt < namespaceUpdateAttempts; attempt++ {
		cur, err := s.nsStore.GetNamespaceByName(ctx, name)
		if errors.Is(err, persistence.ErrNotFound) {
			return nil, serviceerror.NewNamespaceNotFound(name)
		}
		if err != nil {
			return nil, storeError("namespace store", err)
		}
		if cur.GetInfo().GetState() == enumspb.NAMESPACE_STATE_DELETED {
			return nil, serviceerror.NewNamespaceNotFound(name)
		}
		next := proto.Clone(cur).(*persistencepb.NamespaceDetail)
		if err := change(next); err != nil {
			return nil, err
		}
		next.ConfigVersion = cur.GetConfigVersion() + 1
		err = s.nsStore.UpdateNamespace(ctx, next)
		if errors.Is(err, persistence.ErrConditionFailed) {
			continue
		}
		if err != nil {
			return nil, storeError("namespace store", err)
		}
		s.namespaces.Invalidate(name, next.GetInfo().GetId())
		return next, nil
	}
	return nil, serviceerror.NewUnavailable(fmt.Sprintf("Namespace %s is being updated concurrently; retry.", name))
}

// applyNamespaceUpdate applies req to d in place. It is pure: d is a copy
// the caller owns.
func applyNamespaceUpdate(d *persistencepb.NamespaceDetail, req *workflowservice.UpdateNamespaceRequest) error {
	if d.Info == nil {
		d.Info = &namespacepb.NamespaceInfo{}
	}
	if d.Config == nil {
		d.Config = &namespacepb.NamespaceConfig{}
	}
	if ui := req.GetUpdateInfo(); ui != nil {
		if ui.GetDescription() != "" {
			d.Info.Description = ui.GetDescription()
		}
		if ui.GetOwnerEmail() != "" {
			d.Info.OwnerEmail = ui.GetOwnerEmail()
		}
		if len(ui.GetData()) > 0 {
			if d.Info.Data == nil {
				d.Info.Data = map[string]string{}
			}
			maps.Copy(d.Info.Data, ui.GetData())
		}
		if st := ui.GetState(); st != enumspb.NAMESPACE_STATE_UNSPECIFIED && st != d.Info.GetState() {
			if !namespaceStateTransitionAllowed(d.Info.GetState(), st) {
				return serviceerror.NewNamespaceInvalidState(d.Info.GetName(), d.Info.GetState(), allowedNamespaceStates(d.Info.GetState()))
			}
			d.Info.State = st
		}
	}
	if c := req.GetConfig(); c != nil {
		if r := c.GetWorkflowExecutionRetentionTtl(); r != nil && r.AsDuration() > 0 {
			d.Config.WorkflowExecutionRetentionTtl = durationpb.New(r.AsDuration())
		}
		if s := c.GetHistoryArchivalState(); s != enumspb.ARCHIVAL_STATE_UNSPECIFIED {
			d.Config.HistoryArchivalState = s
		}
		if s := c.GetVisibilityArchivalState(); s != enumspb.ARCHIVAL_STATE_UNSPECIFIED {
			d.Config.VisibilityArchivalState = s
		}
		if bins := c.GetBadBinaries().GetBinaries(); len(bins) > 0 {
			if d.Config.BadBinaries == nil {
				d.Config.BadBinaries = &namespacepb.BadBinaries{}
			}
			if d.Config.BadBinaries.Binaries == nil {
				d.Config.BadBinaries.Binaries = map[string]*namespacepb.BadBinaryInfo{}
			}
			for k, v := range bins {
				d.Config.BadBinaries.Binaries[k] = proto.Clone(v).(*namespacepb.BadBinaryInfo)
			}
		}
		if aliases := c.GetCustomSearchAttributeAliases(); len(aliases) > 0 && !maps.Equal(aliases, d.Config.GetCustomSearchAttributeAliases()) {
			return serviceerror.NewInvalidArgument("Config.CustomSearchAttributeAliases cannot be changed by UpdateNamespace; use OperatorService AddSearchAttributes / RemoveSearchAttributes.")
		}
	}
	if b := req.GetDeleteBadBinary(); b != "" {
		if _, ok := d.Config.GetBadBinaries().GetBinaries()[b]; !ok {
			return invalidArgf("Bad binary checksum %s is not set on the namespace.", b)
		}
		delete(d.Config.BadBinaries.Binaries, b)
	}
	if rc := req.GetReplicationConfig(); rc != nil {
		if err := checkReplicationUnchanged(d.GetReplicationConfig(), rc); err != nil {
			return err
		}
	}
	return nil
}

// checkReplicationUnchanged accepts a replication config that restates the
// current one (tools send the described config back) and rejects changes:
// failover and cluster membership are the failover controller's.
func checkReplicationUnchanged(cur, req *replicationpb.NamespaceReplicationConfig) error {
	if a := req.GetActiveClusterName(); a != "" && a != cur.GetActiveClusterName() {
		return serviceerror.NewInvalidArgument("ReplicationConfig.ActiveClusterName cannot be changed by UpdateNamespace: failover is run by the failover controller (meridian failover).")
	}
	if len(req.GetClusters()) > 0 {
		names := func(cs []*replicationpb.ClusterReplicationConfig) []string {
			out := make([]string, 0, len(cs))
			for _, c := range cs {
				out = append(out, c.GetClusterName())
			}
			slices.Sort(out)
			return slices.Compact(out)
		}
		if !slices.Equal(names(req.GetClusters()), names(cur.GetClusters())) {
			return serviceerror.NewInvalidArgument("ReplicationConfig.Clusters cannot be changed by UpdateNamespace: cluster membership is managed by the failover controller.")
		}
	}
	if st := req.GetState(); st != enumspb.REPLICATION_STATE_UNSPECIFIED && st != cur.GetState() {
		return serviceerror.NewInvalidArgument("ReplicationConfig.State cannot be changed by UpdateNamespace: handover is run by the failover controller.")
	}
	return nil
}

// namespaceStateTransitionAllowed follows Temporal: a registered namespace
// may be deprecated or deleted, a deprecated one deleted.
func namespaceStateTransitionAllowed(from, to enumspb.NamespaceState) bool {
	return slices.Contains(allowedNamespaceStates(from), to)
}

func allowedNamespaceStates(from enumspb.NamespaceState) []enumspb.NamespaceState {
	switch from {
	case enumspb.NAMESPACE_STATE_REGISTERED:
		return []enumspb.NamespaceState{enumspb.NAMESPACE_STATE_DEPRECATED, enumspb.NAMESPACE_STATE_DELETED}
	case enumspb.NAMESPACE_STATE_DEPRECATED:
		return []enumspb.NamespaceState{enumspb.NAMESPACE_STATE_DELETED}
	}
	return nil
}

// clampPageSize returns def for 0 and caps at max.
func clampPageSize(n, def, max int) int {
	if n <= 0 {
		return def
	}
	if n > max {
		return max
	}
	return n
}
