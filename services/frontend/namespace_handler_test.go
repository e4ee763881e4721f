package frontend

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	replicationpb "go.temporal.io/api/replication/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func TestNewNamespaceDetail(t *testing.T) {
	cfg := DefaultConfig()
	cfg.InitialFailoverVersion = 3
	clusters := func(names ...string) []*replicationpb.ClusterReplicationConfig {
		var out []*replicationpb.ClusterReplicationConfig
		for _, n := range names {
			out = append(out, &replicationpb.ClusterReplicationConfig{ClusterName: n})
		}
		return out
	}

	d, err := newNamespaceDetail(&workflowservice.RegisterNamespaceRequest{Namespace: "n", Data: map[string]string{"a": "b"}}, "id-1", "east", cfg)
	require.NoError(t, err)
	require.Equal(t, "id-1", d.GetInfo().GetId())
	require.Equal(t, enumspb.NAMESPACE_STATE_REGISTERED, d.GetInfo().GetState())
	require.Equal(t, 24*time.Hour, d.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(), "default retention")
	require.Equal(t, "east", d.GetReplicationConfig().GetActiveClusterName())
	require.Equal(t, "east", d.GetReplicationConfig().GetClusters()[0].GetClusterName())
	require.Zero(t, d.GetFailoverVersion(), "local namespaces have version 0")
	require.False(t, d.GetIsGlobal())
	require.Zero(t, d.GetConfigVersion())

	d, err = newNamespaceDetail(&workflowservice.RegisterNamespaceRequest{
		Namespace: "g", IsGlobalNamespace: true, Clusters: clusters("east", "west", "east"),
		WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
	}, "id-2", "east", cfg)
	require.NoError(t, err)
	require.True(t, d.GetIsGlobal())
	require.Equal(t, int64(3), d.GetFailoverVersion())
	require.Len(t, d.GetReplicationConfig().GetClusters(), 2, "duplicates dropped")
	require.Equal(t, 72*time.Hour, d.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())

	for _, c := range []struct {
		name string
		req  *workflowservice.RegisterNamespaceRequest
		want string
	}{
		{"active elsewhere", &workflowservice.RegisterNamespaceRequest{Namespace: "n", ActiveClusterName: "west"}, "Invalid ActiveClusterName west"},
		{"active not in clusters", &workflowservice.RegisterNamespaceRequest{Namespace: "n", IsGlobalNamespace: true, Clusters: clusters("west")}, "Invalid Clusters: the active cluster east is not among them."},
		{"local in two clusters", &workflowservice.RegisterNamespaceRequest{Namespace: "n", Clusters: clusters("east", "west")}, "a local namespace lives in one cluster"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := newNamespaceDetail(c.req, "id", "east", cfg)
			requireInvalid(t, err, c.want)
		})
	}
}

func TestApplyNamespaceUpdate(t *testing.T) {
	base := func() *persistencepb.NamespaceDetail {
		return &persistencepb.NamespaceDetail{
			Info: &namespacepb.NamespaceInfo{Name: "n", Id: "id", State: enumspb.NAMESPACE_STATE_REGISTERED, Description: "old", Data: map[string]string{"keep": "1", "over": "1"}},
			Config: &namespacepb.NamespaceConfig{
				WorkflowExecutionRetentionTtl: durationpb.New(24 * time.Hour),
				BadBinaries:                   &namespacepb.BadBinaries{Binaries: map[string]*namespacepb.BadBinaryInfo{"bad": {Reason: "r"}}},
				CustomSearchAttributeAliases:  map[string]string{"Keyword01": "A"},
			},
			ReplicationConfig: &replicationpb.NamespaceReplicationConfig{ActiveClusterName: "active", Clusters: []*replicationpb.ClusterReplicationConfig{{ClusterName: "active"}}},
		}
	}
	d := base()
	require.NoError(t, applyNamespaceUpdate(d, &workflowservice.UpdateNamespaceRequest{
		UpdateInfo: &namespacepb.UpdateNamespaceInfo{Description: "new", OwnerEmail: "o@x", Data: map[string]string{"over": "2", "add": "3"}},
		Config: &namespacepb.NamespaceConfig{
			WorkflowExecutionRetentionTtl: durationpb.New(48 * time.Hour),
			BadBinaries:                   &namespacepb.BadBinaries{Binaries: map[string]*namespacepb.BadBinaryInfo{"worse": {Reason: "x"}}},
			HistoryArchivalState:          enumspb.ARCHIVAL_STATE_DISABLED,
			// Restating the current aliases is fine.
			CustomSearchAttributeAliases: map[string]string{"Keyword01": "A"},
		},
		DeleteBadBinary: "bad",
		// Restating the current replication config is fine too.
		ReplicationConfig: &replicationpb.NamespaceReplicationConfig{ActiveClusterName: "active", Clusters: []*replicationpb.ClusterReplicationConfig{{ClusterName: "active"}}},
	}))
	require.Equal(t, "new", d.Info.Description)
	require.Equal(t, "o@x", d.Info.OwnerEmail)
	require.Equal(t, map[string]string{"keep": "1", "over": "2", "add": "3"}, d.Info.Data, "data merges")
	require.Equal(t, 48*time.Hour, d.Config.WorkflowExecutionRetentionTtl.AsDuration())
	require.Contains(t, d.Config.BadBinaries.Binaries, "worse")
	require.NotContains(t, d.Config.BadBinaries.Binaries, "bad")
	require.Equal(t, enumspb.ARCHIVAL_STATE_DISABLED, d.Config.HistoryArchivalState)

	d = base()
	require.NoError(t, applyNamespaceUpdate(d, &workflowservice.UpdateNamespaceRequest{}))
	require.True(t, proto.Equal(base(), d), "an empty update changes nothing")

	for _, c := range []struct {
		name string
		req  *workflowservice.UpdateNamespaceRequest
		want string
	}{
		{"failover", &workflowservice.UpdateNamespaceRequest{ReplicationConfig: &replicationpb.NamespaceReplicationConfig{ActiveClusterName: "standby"}}, "ReplicationConfig.ActiveClusterName cannot be changed"},
		{"clusters", &workflowservice.UpdateNamespaceRequest{ReplicationConfig: &replicationpb.NamespaceReplicationConfig{Clusters: []*replicationpb.ClusterReplicationConfig{{ClusterName: "x"}}}}, "ReplicationConfig.Clusters cannot be changed"},
		{"handover", &workflowservice.UpdateNamespaceRequest{ReplicationConfig: &replicationpb.NamespaceReplicationConfig{State: enumspb.REPLICATION_STATE_HANDOVER}}, "ReplicationConfig.State cannot be changed"},
		{"aliases", &workflowservice.UpdateNamespaceRequest{Config: &namespacepb.NamespaceConfig{CustomSearchAttributeAliases: map[string]string{"Int01": "B"}}}, "Config.CustomSearchAttributeAliases cannot be changed by UpdateNamespace"},
		{"missing bad binary", &workflowservice.UpdateNamespaceRequest{DeleteBadBinary: "nope"}, "Bad binary checksum nope is not set on the namespace."},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireInvalid(t, applyNamespaceUpdate(base(), c.req), c.want)
		})
	}

	// State transitions.
	for _, c := range []struct {
		from, to enumspb.NamespaceState
		ok       bool
	}{
		{enumspb.NAMESPACE_STATE_REGISTERED, enumspb.NAMESPACE_STATE_DEPRECATED, true},
		{enumspb.NAMESPACE_STATE_REGISTERED, enumspb.NAMESPACE_STATE_DELETED, true},
		{enumspb.NAMESPACE_STATE_DEPRECATED, enumspb.NAMESPACE_STATE_DELETED, true},
		{enumspb.NAMESPACE_STATE_DEPRECATED, enumspb.NAMESPACE_STATE_REGISTERED, false},
		{enumspb.NAMESPACE_STATE_DEPRECATED, enumspb.NAMESPACE_STATE_DEPRECATED, true},
	} {
		d := base()
		d.Info.State = c.from
		err := applyNamespaceUpdate(d, &workflowservice.UpdateNamespaceRequest{UpdateInfo: &namespacepb.UpdateNamespaceInfo{State: c.to}})
		if c.ok {
			require.NoError(t, err)
			require.Equal(t, c.to, d.Info.State)
			continue
		}
		var bad *serviceerror.NamespaceInvalidState
		require.ErrorAs(t, err, &bad, "%v -> %v", c.from, c.to)
	}
}

func TestNamespaceLifecycle(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()

	_, err := env.svc.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: "default"})
	var exists *serviceerror.NamespaceAlreadyExists
	require.ErrorAs(t, err, &exists)

	byName, err := env.svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	byID, err := env.svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Id: env.defaultID})
	require.NoError(t, err)
	require.True(t, proto.Equal(byName, byID))
	weak, err := env.svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default", WeakConsistency: true})
	require.NoError(t, err)
	require.True(t, proto.Equal(byName, weak))
	info := byName.GetNamespaceInfo()
	require.Equal(t, "default", info.GetName())
	require.NotNil(t, info.GetCapabilities())
	require.True(t, info.GetCapabilities().GetEagerWorkflowStart())
	require.True(t, info.GetCapabilities().GetSyncUpdate())
	require.True(t, info.GetCapabilities().GetAsyncUpdate())
	require.True(t, info.GetSupportsSchedules(), "schedules are served (schedule_handler.go)")
	require.Equal(t, int64(2<<20), info.GetLimits().GetBlobSizeLimitError())
	require.Equal(t, testCluster, byName.GetReplicationConfig().GetActiveClusterName())
	require.False(t, byName.GetIsGlobalNamespace())

	_, err = env.svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "missing"})
	var nf *serviceerror.NamespaceNotFound
	require.ErrorAs(t, err, &nf)
	_, err = env.svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default", Id: "other-id"})
	require.ErrorAs(t, err, &nf, "name and ID must agree")

	// Warm the registry, then update: the cached entry must be dropped.
	e, err := env.registry.GetByName(ctx, "default")
	require.NoError(t, err)
	require.Equal(t, 24*time.Hour, e.Retention())
	up, err := env.svc.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace:  "default",
		UpdateInfo: &namespacepb.UpdateNamespaceInfo{Description: "desc", OwnerEmail: "me@example.com", Data: map[string]string{"k": "v"}},
		Config:     &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(96 * time.Hour)},
	})
	require.NoError(t, err)
	require.Equal(t, "desc", up.GetNamespaceInfo().GetDescription())
	require.Equal(t, 96*time.Hour, up.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())
	e, err = env.registry.GetByName(ctx, "default")
	require.NoError(t, err)
	require.Equal(t, 96*time.Hour, e.Retention())
	stored, err := env.stores.Namespace.GetNamespaceByName(ctx, "default")
	require.NoError(t, err)
	require.Equal(t, int64(1), stored.GetConfigVersion())

	_, err = env.svc.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{Namespace: "missing"})
	require.ErrorAs(t, err, &nf)
	_, err = env.svc.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: "default", ReplicationConfig: &replicationpb.NamespaceReplicationConfig{ActiveClusterName: "elsewhere"},
	})
	requireInvalid(t, err, "failover is run by the failover controller")

	// Paging.
	for i := 0; i < 4; i++ {
		_, err := env.svc.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: fmt.Sprintf("ns-%d", i)})
		require.NoError(t, err)
	}
	var names []string
	var token []byte
	for {
		page, err := env.svc.ListNamespaces(ctx, &workflowservice.ListNamespacesRequest{PageSize: 2, NextPageToken: token})
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.GetNamespaces()), 2)
		for _, n := range page.GetNamespaces() {
			names = append(names, n.GetNamespaceInfo().GetName())
			require.NotNil(t, n.GetNamespaceInfo().GetCapabilities())
		}
		if token = page.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	require.ElementsMatch(t, []string{"default", "ns-0", "ns-1", "ns-2", "ns-3"}, names)

	// Deleted namespaces disappear unless asked for.
	_, err = env.svc.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: "ns-0", UpdateInfo: &namespacepb.UpdateNamespaceInfo{State: enumspb.NAMESPACE_STATE_DELETED},
	})
	require.NoError(t, err)
	_, err = env.svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "ns-0"})
	require.ErrorAs(t, err, &nf)
	_, err = env.svc.SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{Namespace: "ns-0", WorkflowExecution: exec("wf", ""), SignalName: "s"})
	require.ErrorAs(t, err, &nf)
	all, err := env.svc.ListNamespaces(ctx, &workflowservice.ListNamespacesRequest{})
	require.NoError(t, err)
	require.Len(t, all.GetNamespaces(), 4)
	all, err = env.svc.ListNamespaces(ctx, &workflowservice.ListNamespacesRequest{NamespaceFilter: &namespacepb.NamespaceFilter{IncludeDeleted: true}})
	require.NoError(t, err)
	require.Len(t, all.GetNamespaces(), 5)
}

func TestOperatorSearchAttributes(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	add := func(m map[string]enumspb.IndexedValueType) error {
		_, err := env.svc.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: "default", SearchAttributes: m})
		return err
	}
	require.NoError(t, add(map[string]enumspb.IndexedValueType{
		"CustomKeywordField": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"CustomIntField":     enumspb.INDEXED_VALUE_TYPE_INT,
	}))
	require.NoError(t, add(map[string]enumspb.IndexedValueType{"CustomKeywordField": enumspb.INDEXED_VALUE_TYPE_KEYWORD}), "idempotent")
	requireInvalid(t, add(map[string]enumspb.IndexedValueType{"CustomKeywordField": enumspb.INDEXED_VALUE_TYPE_INT}), "already exists with type Keyword")

	list, err := env.svc.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	require.Equal(t, map[string]enumspb.IndexedValueType{
		"CustomKeywordField": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"CustomIntField":     enumspb.INDEXED_VALUE_TYPE_INT,
	}, list.GetCustomAttributes())
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, list.GetSystemAttributes()["WorkflowId"])

	// They are stored in the namespace record.
	d, err := env.stores.Namespace.GetNamespaceByName(ctx, "default")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"Keyword01": "CustomKeywordField", "Int01": "CustomIntField"}, d.GetConfig().GetCustomSearchAttributeAliases())

	_, err = env.svc.RemoveSearchAttributes(ctx, &operatorservice.RemoveSearchAttributesRequest{Namespace: "default", SearchAttributes: []string{"CustomIntField"}})
	require.NoError(t, err)
	_, err = env.svc.RemoveSearchAttributes(ctx, &operatorservice.RemoveSearchAttributesRequest{Namespace: "default", SearchAttributes: []string{"CustomIntField"}})
	requireInvalid(t, err, "Search attribute CustomIntField doesn't exist.")
	list, err = env.svc.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	require.Equal(t, map[string]enumspb.IndexedValueType{"CustomKeywordField": enumspb.INDEXED_VALUE_TYPE_KEYWORD}, list.GetCustomAttributes())

	_, err = env.svc.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "missing"})
	var nf *serviceerror.NamespaceNotFound
	require.ErrorAs(t, err, &nf)
	_, err = env.svc.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: "missing", SearchAttributes: map[string]enumspb.IndexedValueType{"X": enumspb.INDEXED_VALUE_TYPE_INT}})
	require.ErrorAs(t, err, &nf)
}

func TestUpdateNamespaceRetriesOnConflict(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	// Make two concurrent-looking updates: the first write of the second
	// update loses to an update made between its read and its write.
	raced := false
	_, err := env.svc.updateNamespaceDetail(ctx, "default", func(d *persistencepb.NamespaceDetail) error {
		if !raced {
			raced = true
			_, err := env.svc.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
				Namespace: "default", UpdateInfo: &namespacepb.UpdateNamespaceInfo{Data: map[string]string{"first": "1"}},
			})
			require.NoError(t, err)
		}
		if d.Info.Data == nil {
			d.Info.Data = map[string]string{}
		}
		d.Info.Data["second"] = "2"
		return nil
	})
	require.NoError(t, err)
	d, err := env.stores.Namespace.GetNamespaceByName(ctx, "default")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"first": "1", "second": "2"}, d.GetInfo().GetData(), "both updates survive")
	require.Equal(t, int64(2), d.GetConfigVersion())
}
