package rpc

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	tokenspb "github.com/meridian-dev/meridian/common/commonpb"
)

// fakeHost is one in-process gRPC server on 127.0.0.1:0, built with
// NewServer, hosting fake history and matching services. An interceptor
// inside the Server's own plays the service: it refuses history requests
// for shards the host does not own (with ShardNotOwnedError) and matching
// requests while rejectMatching is set (with NotOwnedError), records every
// call it accepts, and answers with handle or an empty response.
type fakeHost struct {
	name string
	addr string
	srv  *Server

	mu             sync.Mutex
	owned          map[int32]bool
	rejectMatching bool
	calls          []fakeCall
	// handle, when set, answers a call instead of the empty response;
	// ok false falls back to the empty response.
	handle func(ctx context.Context, method string, req any) (resp any, err error, ok bool)
}

type fakeCall struct {
	method string // short name, e.g. "StartWorkflowExecution"
	req    proto.Message
}

func startFakeHost(t testing.TB, name string, deps ServerDeps, owned ...int32) *fakeHost {
	t.Helper()
	h := &fakeHost{name: name, owned: map[int32]bool{}}
	for _, id := range owned {
		h.owned[id] = true
	}
	srv, err := NewServer(ServerConfig{}, deps, grpc.ChainUnaryInterceptor(h.intercept))
	require.NoError(t, err)
	srv.RegisterHistory(historyservice.UnimplementedHistoryServiceServer{})
	srv.RegisterMatching(matchingservice.UnimplementedMatchingServiceServer{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h.addr = lis.Addr().String()
	h.srv = srv
	done := make(chan error, 1)
	go func() { done <- srv.Serve(lis) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
		require.NoError(t, <-done)
	})
	return h
}

// setOwned replaces the shards the host owns.
func (h *fakeHost) setOwned(ids ...int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.owned = map[int32]bool{}
	for _, id := range ids {
		h.owned[id] = true
	}
}

func (h *fakeHost) setRejectMatching(v bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rejectMatching = v
}

func (h *fakeHost) setHandle(f func(ctx context.Context, method string, req any) (any, error, bool)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handle = f
}

func (h *fakeHost) takeCalls() []fakeCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls
	h.calls = nil
	return c
}

func (h *fakeHost) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	sd, md := methodOf(info.FullMethod)
	h.mu.Lock()
	switch sd.Name() {
	default: // health
		h.mu.Unlock()
		return handler(ctx, req)
	case "HistoryService":
		// The shard comes from the only workflow ID in the request,
		// found without the router's key table.
		id := testShardOf("", findWorkflowID(req.(proto.Message).ProtoReflect()))
		if !h.owned[id] {
			h.mu.Unlock()
			return nil, &historyservice.ShardNotOwnedError{ShardID: id}
		}
	case "MatchingService":
		if h.rejectMatching {
			h.mu.Unlock()
			return nil, &NotOwnedError{What: "matching partition"}
		}
	}
	h.calls = append(h.calls, fakeCall{method: string(md.Name()), req: req.(proto.Message)})
	handle := h.handle
	h.mu.Unlock()
	if handle != nil {
		if resp, err, ok := handle(ctx, string(md.Name()), req); ok {
			return resp, err
		}
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return nil, err
	}
	return mt.New().Interface(), nil
}

// methodOf finds the descriptors of a gRPC full method name
// ("/pkg.Service/Method").
func methodOf(fullMethod string) (protoreflect.ServiceDescriptor, protoreflect.MethodDescriptor) {
	svc, m, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		panic(err)
	}
	sd := d.(protoreflect.ServiceDescriptor)
	return sd, sd.Methods().ByName(protoreflect.Name(m))
}

// findWorkflowID returns the first non-empty workflow_id field anywhere in m.
func findWorkflowID(m protoreflect.Message) string {
	var found string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Name() == "workflow_id" && fd.Kind() == protoreflect.StringKind:
			found = v.String()
		case fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap():
			found = findWorkflowID(v.Message())
		}
		return found == ""
	})
	return found
}

// testShardOf is the tests' shard function: workflow "7" lives on shard 7.
func testShardOf(_, workflowID string) int32 {
	n, err := strconv.Atoi(workflowID)
	if err != nil {
		return 0
	}
	return int32(n)
}

// fakeOwners is a ShardOwners and PartitionOwners backed by maps.
// onLookup and onPartitionLookup, when set, run before the n-th lookup of
// a shard or partition (under no lock), so a test can move it after a
// given number of lookups.
type fakeOwners struct {
	mu                sync.Mutex
	shards            map[int32]string
	partitions        map[string]string
	lookups           map[int32]int
	partitionLookups  map[string]int
	onLookup          func(shardID int32, n int)
	onPartitionLookup func(key string, n int)
}

func newFakeOwners() *fakeOwners {
	return &fakeOwners{shards: map[int32]string{}, partitions: map[string]string{},
		lookups: map[int32]int{}, partitionLookups: map[string]int{}}
}

func (o *fakeOwners) set(shardID int32, addr string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.shards[shardID] = addr
}

func (o *fakeOwners) setPartition(key, addr string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.partitions[key] = addr
}

func (o *fakeOwners) OwnerOf(shardID int32) (string, error) {
	o.mu.Lock()
	o.lookups[shardID]++
	n, hook := o.lookups[shardID], o.onLookup
	o.mu.Unlock()
	if hook != nil {
		hook(shardID, n)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if a, ok := o.shards[shardID]; ok {
		return a, nil
	}
	return "", fmt.Errorf("shard %d: %w", shardID, ErrNoOwner)
}

func (o *fakeOwners) OwnerOfPartition(key string) (string, error) {
	o.mu.Lock()
	o.partitionLookups[key]++
	n, hook := o.partitionLookups[key], o.onPartitionLookup
	o.mu.Unlock()
	if hook != nil {
		hook(key, n)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if a, ok := o.partitions[key]; ok {
		return a, nil
	}
	return "", fmt.Errorf("partition %q: %w", key, ErrNoOwner)
}

// historyRequests returns one request per HistoryService method, keyed by
// method name, each naming namespace ns and workflow wf where the history
// service looks for them (and no other workflow ID).
func historyRequests(ns, wf string) map[string]proto.Message {
	ex := &commonpb.WorkflowExecution{WorkflowId: wf, RunId: "run"}
	tok := &tokenspb.TaskToken{NamespaceId: ns, WorkflowId: wf, RunId: "run", ScheduledEventId: 5}
	return map[string]proto.Message{
		"StartWorkflowExecution": &historyservice.StartWorkflowExecutionRequest{NamespaceId: ns,
			Request: &workflowservice.StartWorkflowExecutionRequest{WorkflowId: wf}},
		"SignalWithStartWorkflowExecution": &historyservice.SignalWithStartWorkflowExecutionRequest{NamespaceId: ns,
			Request: &workflowservice.SignalWithStartWorkflowExecutionRequest{WorkflowId: wf}},
		"SignalWorkflowExecution": &historyservice.SignalWorkflowExecutionRequest{NamespaceId: ns,
			Request: &workflowservice.SignalWorkflowExecutionRequest{WorkflowExecution: ex}},
		"RequestCancelWorkflowExecution": &historyservice.RequestCancelWorkflowExecutionRequest{NamespaceId: ns,
			Request: &workflowservice.RequestCancelWorkflowExecutionRequest{WorkflowExecution: ex}},
		"TerminateWorkflowExecution": &historyservice.TerminateWorkflowExecutionRequest{NamespaceId: ns,
			Request: &workflowservice.TerminateWorkflowExecutionRequest{WorkflowExecution: ex}},
		"DescribeWorkflowExecution": &historyservice.DescribeWorkflowExecutionRequest{NamespaceId: ns,
			Request: &workflowservice.DescribeWorkflowExecutionRequest{Execution: ex}},
		"GetWorkflowExecutionHistory": &historyservice.GetWorkflowExecutionHistoryRequest{NamespaceId: ns,
			Request: &workflowservice.GetWorkflowExecutionHistoryRequest{Execution: ex}},
		"QueryWorkflow": &historyservice.QueryWorkflowRequest{NamespaceId: ns,
			Request: &workflowservice.QueryWorkflowRequest{Execution: ex}},
		"RecordWorkflowTaskStarted":    &historyservice.RecordWorkflowTaskStartedRequest{NamespaceId: ns, Execution: ex},
		"RecordActivityTaskStarted":    &historyservice.RecordActivityTaskStartedRequest{NamespaceId: ns, Execution: ex},
		"RespondWorkflowTaskCompleted": &historyservice.RespondWorkflowTaskCompletedRequest{NamespaceId: ns, Token: tok},
		"RespondWorkflowTaskFailed":    &historyservice.RespondWorkflowTaskFailedRequest{NamespaceId: ns, Token: tok},
		"RecordActivityTaskHeartbeat":  &historyservice.RecordActivityTaskHeartbeatRequest{NamespaceId: ns, Token: tok},
		"RespondActivityTaskCompleted": &historyservice.RespondActivityTaskCompletedRequest{NamespaceId: ns, Token: tok},
		"RespondActivityTaskFailed":    &historyservice.RespondActivityTaskFailedRequest{NamespaceId: ns, Token: tok},
		"RespondActivityTaskCanceled":  &historyservice.RespondActivityTaskCanceledRequest{NamespaceId: ns, Token: tok},
		"ResetStickyTaskQueue":         &historyservice.ResetStickyTaskQueueRequest{NamespaceId: ns, Execution: ex},
		"RecordChildExecutionCompleted": &historyservice.RecordChildExecutionCompletedRequest{NamespaceId: ns,
			ParentExecution: ex, ChildNamespaceId: "child-ns"},
		"UpdateWorkflowExecution": &historyservice.UpdateWorkflowExecutionRequest{NamespaceId: ns,
			Request: &workflowservice.UpdateWorkflowExecutionRequest{WorkflowExecution: ex}},
		"PollWorkflowExecutionUpdate": &historyservice.PollWorkflowExecutionUpdateRequest{NamespaceId: ns,
			Request: &workflowservice.PollWorkflowExecutionUpdateRequest{UpdateRef: &updatepb.UpdateRef{WorkflowExecution: ex}}},
		"UpdateWithStartWorkflowExecution": &historyservice.UpdateWithStartWorkflowExecutionRequest{NamespaceId: ns,
			StartRequest: &workflowservice.StartWorkflowExecutionRequest{WorkflowId: wf}},
		"ResetWorkflowExecution": &historyservice.ResetWorkflowExecutionRequest{NamespaceId: ns,
			Request: &workflowservice.ResetWorkflowExecutionRequest{WorkflowExecution: ex}},
		"DeleteWorkflowExecution": &historyservice.DeleteWorkflowExecutionRequest{NamespaceId: ns,
			Request: &workflowservice.DeleteWorkflowExecutionRequest{WorkflowExecution: ex}},
	}
}

// matchingRequest is a MatchingService request and the partition it must
// reach.
type matchingRequest struct {
	req      proto.Message
	taskType enumspb.TaskQueueType
}

// matchingRequests returns one request per MatchingService method, keyed
// by method name, for task queue tq of namespace ns.
func matchingRequests(ns, tq string) map[string]matchingRequest {
	q := &taskqueuepb.TaskQueue{Name: tq, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	token, err := proto.Marshal(&tokenspb.QueryTaskToken{NamespaceId: ns, TaskQueue: tq, QueryId: "q"})
	if err != nil {
		panic(err)
	}
	const wf, act = enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY
	return map[string]matchingRequest{
		"AddWorkflowTask": {&matchingservice.AddWorkflowTaskRequest{NamespaceId: ns, TaskQueue: q}, wf},
		"AddActivityTask": {&matchingservice.AddActivityTaskRequest{NamespaceId: ns, TaskQueue: q}, act},
		"PollWorkflowTaskQueue": {&matchingservice.PollWorkflowTaskQueueRequest{NamespaceId: ns,
			Request: &workflowservice.PollWorkflowTaskQueueRequest{TaskQueue: q}}, wf},
		"PollActivityTaskQueue": {&matchingservice.PollActivityTaskQueueRequest{NamespaceId: ns,
			Request: &workflowservice.PollActivityTaskQueueRequest{TaskQueue: q}}, act},
		"QueryWorkflow": {&matchingservice.QueryWorkflowRequest{NamespaceId: ns, TaskQueue: q}, wf},
		// Without task_queue: the router decodes the token.
		"RespondQueryTaskCompleted": {&matchingservice.RespondQueryTaskCompletedRequest{NamespaceId: ns, QueryId: "q",
			Request: &workflowservice.RespondQueryTaskCompletedRequest{TaskToken: token}}, wf},
		"DescribeTaskQueue": {&matchingservice.DescribeTaskQueueRequest{NamespaceId: ns,
			Request: &workflowservice.DescribeTaskQueueRequest{TaskQueue: q, TaskQueueType: act}}, act},
	}
}

// newTestPool returns a pool closed when the test ends.
func newTestPool(t testing.TB, cfg ClientConfig) *Pool {
	t.Helper()
	p, err := NewPool(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}
