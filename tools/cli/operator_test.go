package cli

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	replicationpb "go.temporal.io/api/replication/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeFrontend is an in-memory WorkflowService with just the calls the
// operator commands make. It pages every list one item at a time so that
// the commands' paging is exercised.
type fakeFrontend struct {
	workflowservice.UnimplementedWorkflowServiceServer

	mu         sync.Mutex
	namespaces []*workflowservice.DescribeNamespaceResponse
	updates    []*workflowservice.UpdateNamespaceRequest
	workflows  []*workflowpb.WorkflowExecutionInfo
	history    []*historypb.HistoryEvent
	queries    []string
}

func startFake(t *testing.T, f *fakeFrontend) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	// grpc-go sends a plain error as Unknown, which the SDK retries;
	// convert serviceerrors to their status codes as a real frontend does.
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err != nil {
			return nil, serviceerror.ToStatus(err).Err()
		}
		return resp, nil
	}))
	workflowservice.RegisterWorkflowServiceServer(srv, f)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func (f *fakeFrontend) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{ServerVersion: "test"}, nil
}

func (f *fakeFrontend) find(name string) *workflowservice.DescribeNamespaceResponse {
	for _, ns := range f.namespaces {
		if ns.GetNamespaceInfo().GetName() == name {
			return ns
		}
	}
	return nil
}

func (f *fakeFrontend) RegisterNamespace(_ context.Context, req *workflowservice.RegisterNamespaceRequest) (*workflowservice.RegisterNamespaceResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.find(req.GetNamespace()) != nil {
		return nil, serviceerror.NewNamespaceAlreadyExists("Namespace already exists.")
	}
	f.namespaces = append(f.namespaces, &workflowservice.DescribeNamespaceResponse{
		NamespaceInfo: &namespacepb.NamespaceInfo{
			Name:        req.GetNamespace(),
			Id:          "id-" + req.GetNamespace(),
			State:       enumspb.NAMESPACE_STATE_REGISTERED,
			Description: req.GetDescription(),
			OwnerEmail:  req.GetOwnerEmail(),
			Data:        map[string]string{"k": "v"},
		},
		Config: &namespacepb.NamespaceConfig{
			WorkflowExecutionRetentionTtl: req.GetWorkflowExecutionRetentionPeriod(),
			HistoryArchivalUri:            "file:///archive",
		},
		ReplicationConfig: &replicationpb.NamespaceReplicationConfig{
			ActiveClusterName: "active",
			Clusters:          []*replicationpb.ClusterReplicationConfig{{ClusterName: "active"}},
		},
	})
	return &workflowservice.RegisterNamespaceResponse{}, nil
}

func (f *fakeFrontend) DescribeNamespace(_ context.Context, req *workflowservice.DescribeNamespaceRequest) (*workflowservice.DescribeNamespaceResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ns := f.find(req.GetNamespace()); ns != nil {
		return ns, nil
	}
	return nil, serviceerror.NewNamespaceNotFound(req.GetNamespace())
}

func (f *fakeFrontend) UpdateNamespace(_ context.Context, req *workflowservice.UpdateNamespaceRequest) (*workflowservice.UpdateNamespaceResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ns := f.find(req.GetNamespace())
	if ns == nil {
		return nil, serviceerror.NewNamespaceNotFound(req.GetNamespace())
	}
	f.updates = append(f.updates, req)
	if u := req.GetUpdateInfo(); u != nil {
		ns.NamespaceInfo.Description, ns.NamespaceInfo.OwnerEmail = u.GetDescription(), u.GetOwnerEmail()
	}
	if req.GetConfig() != nil {
		ns.Config = req.GetConfig()
	}
	return &workflowservice.UpdateNamespaceResponse{}, nil
}

// page returns item i of a one-item-per-page listing and the next token.
func page(token []byte, n int) (i int, next []byte) {
	if len(token) == 1 {
		i = int(token[0])
	}
	if i+1 < n {
		next = []byte{byte(i + 1)}
	}
	return i, next
}

func (f *fakeFrontend) ListNamespaces(_ context.Context, req *workflowservice.ListNamespacesRequest) (*workflowservice.ListNamespacesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.namespaces) == 0 {
		return &workflowservice.ListNamespacesResponse{}, nil
	}
	i, next := page(req.GetNextPageToken(), len(f.namespaces))
	return &workflowservice.ListNamespacesResponse{
		Namespaces:    f.namespaces[i : i+1],
		NextPageToken: next,
	}, nil
}

func (f *fakeFrontend) ListWorkflowExecutions(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, req.GetQuery())
	if len(f.workflows) == 0 {
		return &workflowservice.ListWorkflowExecutionsResponse{}, nil
	}
	i, next := page(req.GetNextPageToken(), len(f.workflows))
	return &workflowservice.ListWorkflowExecutionsResponse{
		Executions:    f.workflows[i : i+1],
		NextPageToken: next,
	}, nil
}

func (f *fakeFrontend) DescribeWorkflowExecution(_ context.Context, req *workflowservice.DescribeWorkflowExecutionRequest) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.workflows {
		if w.GetExecution().GetWorkflowId() == req.GetExecution().GetWorkflowId() {
			return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: w}, nil
		}
	}
	return nil, serviceerror.NewNotFound("workflow not found")
}

func (f *fakeFrontend) GetWorkflowExecutionHistory(_ context.Context, req *workflowservice.GetWorkflowExecutionHistoryRequest) (*workflowservice.GetWorkflowExecutionHistoryResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, next := page(req.GetNextPageToken(), len(f.history))
	return &workflowservice.GetWorkflowExecutionHistoryResponse{
		History:       &historypb.History{Events: f.history[i : i+1]},
		NextPageToken: next,
	}, nil
}

func TestNamespaceCommands(t *testing.T) {
	fake := &fakeFrontend{}
	addr := startFake(t, fake)
	run := func(args ...string) (int, string, string) {
		h := newHarness(t)
		code := h.run(append(args, "--address", addr, "--command-timeout", "30s")...)
		return code, h.stdout.String(), h.stderr.String()
	}

	code, out, errOut := run("namespace", "register", "orders", "--retention", "30d", "--description", "order processing", "--owner-email", "ops@example.com")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Namespace orders registered.\n", out)

	code, _, errOut = run("namespace", "register", "-n", "orders")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "register namespace orders")
	require.Contains(t, errOut, "already exists")

	code, out, errOut = run("namespace", "register", "billing", "-o", "json")
	require.Equal(t, 0, code, errOut)
	require.JSONEq(t, `{"namespace":"billing","result":"registered"}`, out)

	code, out, errOut = run("namespace", "describe", "orders")
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{"Name:", "orders", "id-orders", "Registered", "order processing", "ops@example.com", "30d", "active"} {
		require.Contains(t, out, want)
	}

	code, out, errOut = run("namespace", "describe", "orders", "-o", "json")
	require.Equal(t, 0, code, errOut)
	var desc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &desc))
	require.Equal(t, "orders", desc["namespaceInfo"].(map[string]any)["name"])

	code, _, errOut = run("namespace", "describe", "missing")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "describe namespace missing")

	code, out, errOut = run("namespace", "list")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	require.True(t, strings.HasPrefix(lines[0], "NAME"))
	require.True(t, strings.HasPrefix(lines[1], "orders "))
	require.Contains(t, lines[2], "billing")
	require.Contains(t, lines[2], "3d", "default retention is 72h")

	code, out, errOut = run("namespace", "list", "-o", "json")
	require.Equal(t, 0, code, errOut)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 2)

	// Update only the description: the owner, data and config stay.
	code, out, errOut = run("namespace", "update", "orders", "--description", "orders v2")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Namespace orders updated.\n", out)
	fake.mu.Lock()
	up := fake.updates[len(fake.updates)-1]
	fake.mu.Unlock()
	require.True(t, proto.Equal(&namespacepb.UpdateNamespaceInfo{
		Description: "orders v2", OwnerEmail: "ops@example.com", Data: map[string]string{"k": "v"},
	}, up.GetUpdateInfo()), "%v", up)
	require.Nil(t, up.GetConfig())

	// Update only the retention: the rest of the config is sent unchanged.
	code, _, errOut = run("namespace", "update", "orders", "--retention", "36h")
	require.Equal(t, 0, code, errOut)
	fake.mu.Lock()
	up = fake.updates[len(fake.updates)-1]
	fake.mu.Unlock()
	require.Nil(t, up.GetUpdateInfo())
	require.Equal(t, 36*time.Hour, up.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration())
	require.Equal(t, "file:///archive", up.GetConfig().GetHistoryArchivalUri())

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"namespace", "update", "orders"}, "nothing to update"},
		{[]string{"namespace", "update", "orders", "--retention", "-1h"}, "--retention"},
		{[]string{"namespace", "register", "x", "--retention", "soon"}, `"soon" is not a duration`},
		{[]string{"namespace", "register"}, "namespace name required"},
		{[]string{"namespace", "register", "a", "b"}, "accepts at most 1 arg"},
		{[]string{"namespace", "register", "a", "-n", "b"}, "namespace given twice"},
		{[]string{"namespace", "describe", "a b"}, "--namespace"},
		{[]string{"namespace", "list", "-o", "yaml"}, "--output"},
	} {
		code, _, errOut := run(tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, errOut)
		require.Contains(t, errOut, tc.want, tc.args)
	}
}

func TestWorkflowCommands(t *testing.T) {
	start := timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	fake := &fakeFrontend{
		workflows: []*workflowpb.WorkflowExecutionInfo{
			{
				Execution:     &commonpb.WorkflowExecution{WorkflowId: "hello-1", RunId: "run-1"},
				Type:          &commonpb.WorkflowType{Name: "Greet"},
				TaskQueue:     "hello",
				Status:        enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED,
				StartTime:     start,
				CloseTime:     start,
				HistoryLength: 11,
			},
			{
				Execution: &commonpb.WorkflowExecution{WorkflowId: "hello-2", RunId: "run-2"},
				Type:      &commonpb.WorkflowType{Name: "Greet"},
				Status:    enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
				StartTime: start,
			},
		},
		history: []*historypb.HistoryEvent{
			{
				EventId: 1, EventTime: start, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
				Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
					WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
						WorkflowType:        &commonpb.WorkflowType{Name: "Greet"},
						TaskQueue:           &taskqueuepb.TaskQueue{Name: "hello"},
						WorkflowTaskTimeout: durationpb.New(10 * time.Second),
					},
				},
			},
			{
				EventId: 2, EventTime: start, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
				Attributes: &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{
					WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
						TaskQueue: &taskqueuepb.TaskQueue{Name: "hello"},
					},
				},
			},
		},
	}
	addr := startFake(t, fake)
	run := func(args ...string) (int, string, string) {
		h := newHarness(t)
		code := h.run(append(args, "--address", addr, "--namespace", "default")...)
		return code, h.stdout.String(), h.stderr.String()
	}

	code, out, errOut := run("workflow", "list", "-q", "WorkflowType = 'Greet'")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	require.Contains(t, lines[1], "Completed")
	require.Contains(t, lines[1], "hello-1")
	require.Contains(t, lines[1], "2026-01-02T03:04:05Z")
	require.Contains(t, lines[2], "Running")
	fake.mu.Lock()
	require.Equal(t, "WorkflowType = 'Greet'", fake.queries[0])
	fake.mu.Unlock()

	code, out, errOut = run("workflow", "list", "--limit", "1", "-o", "json")
	require.Equal(t, 0, code, errOut)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 1)

	code, out, errOut = run("workflow", "describe", "-w", "hello-1")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Greet")
	require.Contains(t, out, "11 events")

	code, _, errOut = run("workflow", "describe")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--workflow-id")

	code, out, errOut = run("workflow", "show", "-w", "hello-1")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "WorkflowExecutionStarted")
	require.Contains(t, out, "type=Greet task_queue=hello")
	require.Contains(t, out, "WorkflowTaskScheduled")

	// The JSON history is what the SDK's replayer reads.
	code, out, errOut = run("workflow", "show", "-w", "hello-1", "-o", "json")
	require.Equal(t, 0, code, errOut)
	hist, err := client.HistoryFromJSON(strings.NewReader(out), client.HistoryJSONOptions{})
	require.NoError(t, err)
	require.Len(t, hist.GetEvents(), 2)
	require.Equal(t, "Greet", hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName())
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{in: "72h", want: 72 * time.Hour},
		{in: "30d", want: 30 * 24 * time.Hour},
		{in: "0d", want: 0},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1.5d", err: true},
		{in: "-1d", err: true},
		{in: "99999999d", err: true},
		{in: "d", err: true},
		{in: "soon", err: true},
	} {
		got, err := parseDuration(tc.in)
		if tc.err {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	require.Equal(t, "3d", formatGoDuration(72*time.Hour))
	require.Equal(t, "36h0m0s", formatGoDuration(36*time.Hour))
}
