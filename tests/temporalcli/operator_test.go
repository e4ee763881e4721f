package temporalcli_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
)

func TestNamespaceCommands(t *testing.T) {
	e := newEnv(t)

	e.run("operator", "namespace", "create", "-n", "orders", "--retention", "72h",
		"--description", "order processing", "--email", "ops@example.com", "--data", "team=payments")

	d := &workflowservice.DescribeNamespaceResponse{}
	e.runProto(d, "operator", "namespace", "describe", "-n", "orders")
	require.Equal(t, "orders", d.GetNamespaceInfo().GetName())
	require.NotEmpty(t, d.GetNamespaceInfo().GetId())
	require.Equal(t, enumspb.NAMESPACE_STATE_REGISTERED, d.GetNamespaceInfo().GetState())
	require.Equal(t, "order processing", d.GetNamespaceInfo().GetDescription())
	require.Equal(t, "ops@example.com", d.GetNamespaceInfo().GetOwnerEmail())
	require.Equal(t, map[string]string{"team": "payments"}, d.GetNamespaceInfo().GetData())
	require.Equal(t, 72*time.Hour, d.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())
	require.True(t, d.GetNamespaceInfo().GetSupportsSchedules())

	// describe by ID finds the same namespace.
	byID := &workflowservice.DescribeNamespaceResponse{}
	e.runProto(byID, "operator", "namespace", "describe", "--namespace-id", d.GetNamespaceInfo().GetId())
	require.Equal(t, "orders", byID.GetNamespaceInfo().GetName())

	// update changes what describe shows.
	e.run("operator", "namespace", "update", "-n", "orders", "--retention", "96h", "--description", "orders v2")
	e.runProto(d, "operator", "namespace", "describe", "-n", "orders")
	require.Equal(t, "orders v2", d.GetNamespaceInfo().GetDescription())
	require.Equal(t, 96*time.Hour, d.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())

	list := runProtoList(e, func() *workflowservice.DescribeNamespaceResponse { return &workflowservice.DescribeNamespaceResponse{} },
		"operator", "namespace", "list")
	var names []string
	for _, ns := range list {
		names = append(names, ns.GetNamespaceInfo().GetName())
	}
	require.Contains(t, names, "default")
	require.Contains(t, names, "orders")

	// Creating it again fails; describing a missing namespace fails.
	_, err := e.exec("operator", "namespace", "create", "-n", "orders")
	require.ErrorContains(t, err, "already")
	_, err = e.exec("operator", "namespace", "describe", "-n", "missing")
	require.ErrorContains(t, err, "not found")
}

func TestSearchAttributeCommands(t *testing.T) {
	e := newEnv(t)

	e.run("operator", "search-attribute", "create", "--name", "CustomerId", "--type", "Keyword",
		"--name", "Amount", "--type", "Double")

	l := &operatorservice.ListSearchAttributesResponse{}
	e.runProto(l, "operator", "search-attribute", "list")
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, l.GetCustomAttributes()["CustomerId"])
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_DOUBLE, l.GetCustomAttributes()["Amount"])
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, l.GetSystemAttributes()["WorkflowId"])
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_DATETIME, l.GetSystemAttributes()["StartTime"])

	// The new attribute is usable at once: a workflow started with it is
	// found by it.
	var s started
	e.runJSON(&s, "workflow", "start", "--type", "Anything", "-t", "nobody", "-w", "sa-1",
		"--search-attribute", `CustomerId="c-42"`, "--search-attribute", "Amount=12.5")
	e.eventually("list finds the workflow by the new attributes", func() (bool, error) {
		var got []struct {
			Execution struct {
				RunID string `json:"runId"`
			} `json:"execution"`
		}
		err := e.tryJSON(&got, "workflow", "list", "-q", `CustomerId="c-42" AND Amount > 10`)
		return len(got) == 1 && got[0].Execution.RunID == s.RunID, err
	})

	// A wrong type is refused by the server, naming the value.
	_, err := e.exec("workflow", "start", "--type", "Anything", "-t", "nobody", "-w", "sa-2",
		"--search-attribute", `Amount="lots"`)
	require.Error(t, err)

	e.run("operator", "search-attribute", "remove", "--name", "Amount", "-y")
	e.runProto(l, "operator", "search-attribute", "list")
	require.NotContains(t, l.GetCustomAttributes(), "Amount")
	require.Contains(t, l.GetCustomAttributes(), "CustomerId")
}

// The server's identity and capabilities, as `operator cluster` shows them.
func TestClusterCommands(t *testing.T) {
	e := newEnv(t)

	sys := &workflowservice.GetSystemInfoResponse{}
	e.runProto(sys, "operator", "cluster", "system")
	require.NotEmpty(t, sys.GetServerVersion())
	require.True(t, sys.GetCapabilities().GetSdkMetadata())
	require.True(t, sys.GetCapabilities().GetSupportsSchedules())
	require.True(t, sys.GetCapabilities().GetCountGroupByExecutionStatus())

	info := &workflowservice.GetClusterInfoResponse{}
	e.runProto(info, "operator", "cluster", "describe")
	require.Equal(t, sys.GetServerVersion(), info.GetServerVersion())
	require.NotEmpty(t, info.GetClusterName())

	require.Equal(t, "SERVING", strings.TrimSpace(e.run("operator", "cluster", "health")))
}
