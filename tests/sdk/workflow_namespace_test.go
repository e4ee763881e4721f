package sdk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestWorkflowNamespaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nc, err := client.NewNamespaceClient(client.Options{HostPort: e.dev.Address()})
	require.NoError(t, err)
	defer nc.Close()
	const name = "wf-ns-test"

	require.NoError(t, nc.Register(wfCtx(t), &workflowservice.RegisterNamespaceRequest{
		Namespace:                        name,
		Description:                      "for tests",
		OwnerEmail:                       "tests@example.com",
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	}))
	err = nc.Register(wfCtx(t), &workflowservice.RegisterNamespaceRequest{
		Namespace: name, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	require.Truef(t, errors.As(err, &exists), "second register: want NamespaceAlreadyExists, got %T %v", err, err)

	desc, err := nc.Describe(wfCtx(t), name)
	require.NoError(t, err)
	require.Equal(t, name, desc.GetNamespaceInfo().GetName())
	require.Equal(t, "for tests", desc.GetNamespaceInfo().GetDescription())
	require.Equal(t, "tests@example.com", desc.GetNamespaceInfo().GetOwnerEmail())
	require.Equal(t, enumspb.NAMESPACE_STATE_REGISTERED, desc.GetNamespaceInfo().GetState())
	require.NotEmpty(t, desc.GetNamespaceInfo().GetId())
	require.Equal(t, 24*time.Hour, desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())

	// List (paged one at a time) shows default and the new one.
	var names []string
	var token []byte
	for {
		resp, err := e.client.WorkflowService().ListNamespaces(wfCtx(t), &workflowservice.ListNamespacesRequest{PageSize: 1, NextPageToken: token})
		require.NoError(t, err)
		for _, ns := range resp.GetNamespaces() {
			names = append(names, ns.GetNamespaceInfo().GetName())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	require.Contains(t, names, "default")
	require.Contains(t, names, name)

	require.NoError(t, nc.Update(wfCtx(t), &workflowservice.UpdateNamespaceRequest{
		Namespace:  name,
		UpdateInfo: &namespacepb.UpdateNamespaceInfo{Description: "updated"},
		Config:     &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(48 * time.Hour)},
	}))
	desc, err = nc.Describe(wfCtx(t), name)
	require.NoError(t, err)
	require.Equal(t, 48*time.Hour, desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())
	require.Equal(t, "updated", desc.GetNamespaceInfo().GetDescription())
	require.Equal(t, "tests@example.com", desc.GetNamespaceInfo().GetOwnerEmail(), "an update leaves unset fields alone")

	// A workflow runs in the new namespace, and is invisible from default.
	nsClient, err := client.Dial(client.Options{HostPort: e.dev.Address(), Namespace: name})
	require.NoError(t, err)
	defer nsClient.Close()
	w := worker.New(nsClient, wfName(t), worker.Options{})
	w.RegisterWorkflow(wfEcho)
	require.NoError(t, w.Start())
	defer w.Stop()
	run, err := nsClient.ExecuteWorkflow(wfCtx(t), client.StartWorkflowOptions{ID: wfName(t) + "-1", TaskQueue: wfName(t)}, wfEcho, "in ns")
	require.NoError(t, err)
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "in ns", out)
	_, err = e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
	var nf *serviceerror.NotFound
	require.Truef(t, errors.As(err, &nf), "the run must not be visible in default: got %T %v", err, err)
}

func TestWorkflowUnknownNamespace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nc, err := client.NewNamespaceClient(client.Options{HostPort: e.dev.Address()})
	require.NoError(t, err)
	defer nc.Close()
	_, err = nc.Describe(wfCtx(t), "no-such-namespace")
	var nnf *serviceerror.NamespaceNotFound
	require.Truef(t, errors.As(err, &nnf), "describe: want NamespaceNotFound, got %T %v", err, err)

	c, err := client.Dial(client.Options{HostPort: e.dev.Address(), Namespace: "no-such-namespace"})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.ExecuteWorkflow(wfCtx(t), client.StartWorkflowOptions{ID: wfName(t), TaskQueue: wfName(t)}, wfEcho, "x")
	require.Truef(t, errors.As(err, &nnf), "start: want NamespaceNotFound, got %T %v", err, err)
	err = c.SignalWorkflow(wfCtx(t), wfName(t), "", "s", nil)
	require.Truef(t, errors.As(err, &nnf), "signal: want NamespaceNotFound, got %T %v", err, err)
	_, err = c.DescribeWorkflowExecution(wfCtx(t), wfName(t), "")
	require.Truef(t, errors.As(err, &nnf), "describe: want NamespaceNotFound, got %T %v", err, err)
}
