package frontend

import (
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	filterpb "go.temporal.io/api/filter/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	replicationpb "go.temporal.io/api/replication/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestValidateRegisterNamespace(t *testing.T) {
	type R = *workflowservice.RegisterNamespaceRequest
	base := func() R {
		return &workflowservice.RegisterNamespaceRequest{
			Namespace:                        "orders-prod.v2_x",
			Description:                      "orders",
			OwnerEmail:                       "team@example.com",
			WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
			Data:                             map[string]string{"k": "v"},
			Clusters:                         []*replicationpb.ClusterReplicationConfig{{ClusterName: "active"}},
			ActiveClusterName:                "active",
			HistoryArchivalState:             enumspb.ARCHIVAL_STATE_DISABLED,
		}
	}
	runValidation(t, base, tv.registerNamespace, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no retention", mutate: func(r R) { r.WorkflowExecutionRetentionPeriod = nil }, want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "long namespace", mutate: func(r R) { r.Namespace = long(1001) }, want: "Namespace exceeds length limit"},
		{name: "namespace with space", mutate: func(r R) { r.Namespace = "my ns" }, want: `Invalid Namespace "my ns"`},
		{name: "namespace starting with dash", mutate: func(r R) { r.Namespace = "-ns" }, want: `Invalid Namespace "-ns"`},
		{name: "long owner email", mutate: func(r R) { r.OwnerEmail = long(1001) }, want: "OwnerEmail exceeds length limit"},
		{name: "huge description", mutate: func(r R) { r.Description = long(twoMiB + 1) }, want: "Description exceeds length limit"},
		{name: "negative retention", mutate: func(r R) { r.WorkflowExecutionRetentionPeriod = neg(time.Hour) }, want: "Invalid WorkflowExecutionRetentionPeriod: -1h0m0s is negative."},
		{name: "retention below minimum", mutate: func(r R) { r.WorkflowExecutionRetentionPeriod = durationpb.New(time.Minute) }, want: "Invalid WorkflowExecutionRetentionPeriod: 1m0s is shorter than the minimum 1h0m0s."},
		{name: "empty data key", mutate: func(r R) { r.Data[""] = "v" }, want: "Data has an empty key."},
		{name: "long data key", mutate: func(r R) { r.Data[long(1001)] = "v" }, want: "Data key exceeds length limit"},
		{name: "huge data value", mutate: func(r R) { r.Data["k"] = long(twoMiB + 1) }, want: "Data[k] exceeds length limit"},
		{name: "archival enabled", mutate: func(r R) { r.HistoryArchivalState = enumspb.ARCHIVAL_STATE_ENABLED }, want: "Invalid HistoryArchivalState: archival is not supported."},
		{name: "bad visibility archival", mutate: func(r R) { r.VisibilityArchivalState = 5 }, want: "Invalid VisibilityArchivalState: 5."},
		{name: "empty cluster name", mutate: func(r R) { r.Clusters = append(r.Clusters, &replicationpb.ClusterReplicationConfig{}) }, want: "Clusters.ClusterName is not set on request."},
		{name: "long active cluster", mutate: func(r R) { r.ActiveClusterName = long(1001) }, want: "ActiveClusterName exceeds length limit"},
	})
	requireInvalid(t, tv.registerNamespace(nil), "Request is not set.")
}

func TestValidateDescribeAndListNamespaces(t *testing.T) {
	requireInvalid(t, tv.describeNamespace(&workflowservice.DescribeNamespaceRequest{Namespace: "default"}), "")
	requireInvalid(t, tv.describeNamespace(&workflowservice.DescribeNamespaceRequest{Id: fakeRunID}), "")
	requireInvalid(t, tv.describeNamespace(&workflowservice.DescribeNamespaceRequest{}), "Namespace or Id is not set on request.")
	requireInvalid(t, tv.describeNamespace(&workflowservice.DescribeNamespaceRequest{Namespace: long(1001)}), "Namespace exceeds length limit")
	requireInvalid(t, tv.describeNamespace(&workflowservice.DescribeNamespaceRequest{Id: long(1001)}), "Id exceeds length limit")
	requireInvalid(t, tv.describeNamespace(nil), "Request is not set.")
	requireInvalid(t, tv.listNamespaces(&workflowservice.ListNamespacesRequest{PageSize: 10}), "")
	requireInvalid(t, tv.listNamespaces(&workflowservice.ListNamespacesRequest{PageSize: -1}), "Invalid PageSize: -1 is negative.")
	requireInvalid(t, tv.listNamespaces(nil), "Request is not set.")
	requireInvalid(t, tv.deprecateNamespace(&workflowservice.DeprecateNamespaceRequest{Namespace: "x"}), "")
	requireInvalid(t, tv.deprecateNamespace(&workflowservice.DeprecateNamespaceRequest{}), "Namespace is not set on request.")
	requireInvalid(t, tv.deprecateNamespace(nil), "Request is not set.")
}

func TestValidateUpdateNamespace(t *testing.T) {
	type R = *workflowservice.UpdateNamespaceRequest
	base := func() R {
		return &workflowservice.UpdateNamespaceRequest{
			Namespace:  "default",
			UpdateInfo: &namespacepb.UpdateNamespaceInfo{Description: "d", OwnerEmail: "o@x", Data: map[string]string{"a": "b"}},
			Config: &namespacepb.NamespaceConfig{
				WorkflowExecutionRetentionTtl: durationpb.New(48 * time.Hour),
				BadBinaries:                   &namespacepb.BadBinaries{Binaries: map[string]*namespacepb.BadBinaryInfo{"sum": {Reason: "bug"}}},
			},
		}
	}
	runValidation(t, base, tv.updateNamespace, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "long owner email", mutate: func(r R) { r.UpdateInfo.OwnerEmail = long(1001) }, want: "UpdateInfo.OwnerEmail exceeds length limit"},
		{name: "huge description", mutate: func(r R) { r.UpdateInfo.Description = long(twoMiB + 1) }, want: "Description exceeds length limit"},
		{name: "empty data key", mutate: func(r R) { r.UpdateInfo.Data[""] = "x" }, want: "Data has an empty key."},
		{name: "bad state", mutate: func(r R) { r.UpdateInfo.State = 17 }, want: "Invalid UpdateInfo.State: 17."},
		{name: "negative retention", mutate: func(r R) { r.Config.WorkflowExecutionRetentionTtl = neg(time.Hour) }, want: "Invalid Config.WorkflowExecutionRetentionTtl"},
		{name: "short retention", mutate: func(r R) { r.Config.WorkflowExecutionRetentionTtl = durationpb.New(time.Second) }, want: "is shorter than the minimum"},
		{name: "archival enabled", mutate: func(r R) { r.Config.VisibilityArchivalState = enumspb.ARCHIVAL_STATE_ENABLED }, want: "Invalid Config.VisibilityArchivalState: archival is not supported."},
		{name: "empty bad binary checksum", mutate: func(r R) { r.Config.BadBinaries.Binaries[""] = &namespacepb.BadBinaryInfo{} }, want: "Config.BadBinaries checksum is not set on request."},
		{name: "long bad binary reason", mutate: func(r R) { r.Config.BadBinaries.Binaries["sum"].Reason = long(1001) }, want: "Config.BadBinaries reason exceeds length limit"},
		{name: "long delete bad binary", mutate: func(r R) { r.DeleteBadBinary = long(1001) }, want: "DeleteBadBinary exceeds length limit"},
		{name: "promote", mutate: func(r R) { r.PromoteNamespace = true }, want: "PromoteNamespace is not supported"},
	})
	requireInvalid(t, tv.updateNamespace(nil), "Request is not set.")
}

func TestValidateSearchAttributeRequests(t *testing.T) {
	add := func(m map[string]enumspb.IndexedValueType) error {
		return tv.addSearchAttributes(&operatorservice.AddSearchAttributesRequest{Namespace: "default", SearchAttributes: m})
	}
	kw := enumspb.INDEXED_VALUE_TYPE_KEYWORD
	requireInvalid(t, add(map[string]enumspb.IndexedValueType{"CustomerId": kw, "_x1": enumspb.INDEXED_VALUE_TYPE_INT}), "")
	requireInvalid(t, add(nil), "SearchAttributes is not set on request.")
	requireInvalid(t, add(map[string]enumspb.IndexedValueType{"WorkflowId": kw}), "Search attribute WorkflowId is reserved by the system.")
	requireInvalid(t, add(map[string]enumspb.IndexedValueType{"TemporalFoo": kw}), "the prefix Temporal is reserved")
	requireInvalid(t, add(map[string]enumspb.IndexedValueType{"1abc": kw}), "Search attribute 1abc is invalid")
	requireInvalid(t, add(map[string]enumspb.IndexedValueType{"a-b": kw}), "Search attribute a-b is invalid")
	requireInvalid(t, add(map[string]enumspb.IndexedValueType{"": kw}), "SearchAttributes name is not set on request.")
	requireInvalid(t, add(map[string]enumspb.IndexedValueType{"A": enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED}), "Invalid type 0 for search attribute A.")
	requireInvalid(t, add(map[string]enumspb.IndexedValueType{"A": 99}), "Invalid type 99 for search attribute A.")
	requireInvalid(t, tv.addSearchAttributes(&operatorservice.AddSearchAttributesRequest{SearchAttributes: map[string]enumspb.IndexedValueType{"A": kw}}), "Namespace is not set on request.")
	requireInvalid(t, tv.addSearchAttributes(nil), "Request is not set.")

	requireInvalid(t, tv.removeSearchAttributes(&operatorservice.RemoveSearchAttributesRequest{Namespace: "default", SearchAttributes: []string{"A"}}), "")
	requireInvalid(t, tv.removeSearchAttributes(&operatorservice.RemoveSearchAttributesRequest{Namespace: "default"}), "SearchAttributes is not set on request.")
	requireInvalid(t, tv.removeSearchAttributes(&operatorservice.RemoveSearchAttributesRequest{SearchAttributes: []string{"A"}}), "Namespace is not set on request.")
	requireInvalid(t, tv.removeSearchAttributes(&operatorservice.RemoveSearchAttributesRequest{Namespace: "d", SearchAttributes: []string{"StartTime"}}), "Search attribute StartTime is a system attribute and cannot be removed.")
	requireInvalid(t, tv.removeSearchAttributes(nil), "Request is not set.")

	requireInvalid(t, tv.listSearchAttributes(&operatorservice.ListSearchAttributesRequest{Namespace: "d"}), "")
	requireInvalid(t, tv.listSearchAttributes(&operatorservice.ListSearchAttributesRequest{}), "Namespace is not set on request.")
	requireInvalid(t, tv.listSearchAttributes(nil), "Request is not set.")
}

func TestValidateVisibility(t *testing.T) {
	requireInvalid(t, tv.listWorkflowExecutions("default", 10), "")
	requireInvalid(t, tv.listWorkflowExecutions("", 10), "Namespace is not set on request.")
	requireInvalid(t, tv.listWorkflowExecutions("default", -1), "Invalid PageSize: -1 is negative.")
	requireInvalid(t, tv.countWorkflowExecutions(&workflowservice.CountWorkflowExecutionsRequest{Namespace: "d", Query: "x"}), "")
	requireInvalid(t, tv.countWorkflowExecutions(&workflowservice.CountWorkflowExecutionsRequest{}), "Namespace is not set on request.")
	requireInvalid(t, tv.countWorkflowExecutions(nil), "Request is not set.")

	t0 := timestamppb.New(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := timestamppb.New(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC))
	type O = *workflowservice.ListOpenWorkflowExecutionsRequest
	openBase := func() O {
		return &workflowservice.ListOpenWorkflowExecutionsRequest{
			Namespace: "default", MaximumPageSize: 10,
			StartTimeFilter: &filterpb.StartTimeFilter{EarliestTime: t0, LatestTime: t1},
			Filters:         &workflowservice.ListOpenWorkflowExecutionsRequest_ExecutionFilter{ExecutionFilter: &filterpb.WorkflowExecutionFilter{WorkflowId: "wf", RunId: fakeRunID}},
		}
	}
	runValidation(t, openBase, tv.listOpenWorkflowExecutions, []vcase[O]{
		{name: "valid", want: ""},
		{name: "type filter", mutate: func(r O) {
			r.Filters = &workflowservice.ListOpenWorkflowExecutionsRequest_TypeFilter{TypeFilter: &filterpb.WorkflowTypeFilter{Name: "T"}}
		}, want: ""},
		{name: "no namespace", mutate: func(r O) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "negative page size", mutate: func(r O) { r.MaximumPageSize = -5 }, want: "Invalid MaximumPageSize: -5 is negative."},
		{name: "earliest after latest", mutate: func(r O) { r.StartTimeFilter.EarliestTime, r.StartTimeFilter.LatestTime = t1, t0 }, want: "Invalid StartTimeFilter: EarliestTime is after LatestTime."},
		{name: "bad earliest", mutate: func(r O) { r.StartTimeFilter.EarliestTime = &timestamppb.Timestamp{Nanos: -1} }, want: "Invalid StartTimeFilter.EarliestTime"},
		{name: "bad latest", mutate: func(r O) { r.StartTimeFilter.LatestTime = &timestamppb.Timestamp{Nanos: -1} }, want: "Invalid StartTimeFilter.LatestTime"},
		{name: "execution filter without workflow id", mutate: func(r O) { r.GetExecutionFilter().WorkflowId = "" }, want: "ExecutionFilter.WorkflowId is not set on request."},
		{name: "execution filter bad run id", mutate: func(r O) { r.GetExecutionFilter().RunId = "x" }, want: "Invalid ExecutionFilter.RunId."},
		{name: "empty type filter", mutate: func(r O) {
			r.Filters = &workflowservice.ListOpenWorkflowExecutionsRequest_TypeFilter{TypeFilter: &filterpb.WorkflowTypeFilter{}}
		}, want: "TypeFilter.Name is not set on request."},
	})
	requireInvalid(t, tv.listOpenWorkflowExecutions(nil), "Request is not set.")

	type C = *workflowservice.ListClosedWorkflowExecutionsRequest
	closedBase := func() C {
		return &workflowservice.ListClosedWorkflowExecutionsRequest{
			Namespace: "default",
			Filters:   &workflowservice.ListClosedWorkflowExecutionsRequest_StatusFilter{StatusFilter: &filterpb.StatusFilter{Status: enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED}},
		}
	}
	runValidation(t, closedBase, tv.listClosedWorkflowExecutions, []vcase[C]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r C) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "negative page size", mutate: func(r C) { r.MaximumPageSize = -1 }, want: "Invalid MaximumPageSize"},
		{name: "bad status", mutate: func(r C) { r.GetStatusFilter().Status = 42 }, want: "Invalid StatusFilter.Status: 42."},
		{name: "earliest after latest", mutate: func(r C) { r.StartTimeFilter = &filterpb.StartTimeFilter{EarliestTime: t1, LatestTime: t0} }, want: "EarliestTime is after LatestTime"},
		{name: "execution filter without workflow id", mutate: func(r C) {
			r.Filters = &workflowservice.ListClosedWorkflowExecutionsRequest_ExecutionFilter{ExecutionFilter: &filterpb.WorkflowExecutionFilter{}}
		}, want: "ExecutionFilter.WorkflowId is not set on request."},
		{name: "empty type filter", mutate: func(r C) {
			r.Filters = &workflowservice.ListClosedWorkflowExecutionsRequest_TypeFilter{TypeFilter: &filterpb.WorkflowTypeFilter{}}
		}, want: "TypeFilter.Name is not set on request."},
	})
	requireInvalid(t, tv.listClosedWorkflowExecutions(nil), "Request is not set.")
}
