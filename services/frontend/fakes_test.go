package frontend

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/embedded"
)

// recorder records the requests a fake receives and lets a test decide
// the outcome of each call.
type recorder struct {
	mu    sync.Mutex
	calls []call
	// hook, when set, runs on every call; a non-nil error is returned to
	// the frontend. It may panic (the panic-recovery test does).
	hook func(ctx context.Context, method string, req proto.Message) error
}

type call struct {
	method string
	req    proto.Message
}

func (r *recorder) record(ctx context.Context, method string, req proto.Message) error {
	r.mu.Lock()
	r.calls = append(r.calls, call{method, req})
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		return hook(ctx, method, req)
	}
	return nil
}

func (r *recorder) setHook(h func(ctx context.Context, method string, req proto.Message) error) {
	r.mu.Lock()
	r.hook = h
	r.mu.Unlock()
}

// last returns the last request received for method, or nil.
func (r *recorder) last(method string) proto.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.calls) - 1; i >= 0; i-- {
		if r.calls[i].method == method {
			return r.calls[i].req
		}
	}
	return nil
}

func (r *recorder) count(method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.calls {
		if c.method == method {
			n++
		}
	}
	return n
}

const fakeRunID = "11111111-2222-4333-8444-555555555555"

// fakeHistory answers every history call the frontend makes.
type fakeHistory struct {
	historyservice.UnimplementedHistoryServiceServer
	recorder
	cancelRequested bool
}

func (h *fakeHistory) StartWorkflowExecution(ctx context.Context, req *historyservice.StartWorkflowExecutionRequest) (*historyservice.StartWorkflowExecutionResponse, error) {
	if err := h.record(ctx, "StartWorkflowExecution", req); err != nil {
		return nil, err
	}
	return &historyservice.StartWorkflowExecutionResponse{RunId: fakeRunID, Started: true}, nil
}

func (h *fakeHistory) SignalWithStartWorkflowExecution(ctx context.Context, req *historyservice.SignalWithStartWorkflowExecutionRequest) (*historyservice.SignalWithStartWorkflowExecutionResponse, error) {
	if err := h.record(ctx, "SignalWithStartWorkflowExecution", req); err != nil {
		return nil, err
	}
	return &historyservice.SignalWithStartWorkflowExecutionResponse{RunId: fakeRunID, Started: false}, nil
}

func (h *fakeHistory) SignalWorkflowExecution(ctx context.Context, req *historyservice.SignalWorkflowExecutionRequest) (*historyservice.SignalWorkflowExecutionResponse, error) {
	return &historyservice.SignalWorkflowExecutionResponse{}, h.record(ctx, "SignalWorkflowExecution", req)
}

func (h *fakeHistory) RequestCancelWorkflowExecution(ctx context.Context, req *historyservice.RequestCancelWorkflowExecutionRequest) (*historyservice.RequestCancelWorkflowExecutionResponse, error) {
	return &historyservice.RequestCancelWorkflowExecutionResponse{}, h.record(ctx, "RequestCancelWorkflowExecution", req)
}

func (h *fakeHistory) TerminateWorkflowExecution(ctx context.Context, req *historyservice.TerminateWorkflowExecutionRequest) (*historyservice.TerminateWorkflowExecutionResponse, error) {
	return &historyservice.TerminateWorkflowExecutionResponse{}, h.record(ctx, "TerminateWorkflowExecution", req)
}

func (h *fakeHistory) DescribeWorkflowExecution(ctx context.Context, req *historyservice.DescribeWorkflowExecutionRequest) (*historyservice.DescribeWorkflowExecutionResponse, error) {
	if err := h.record(ctx, "DescribeWorkflowExecution", req); err != nil {
		return nil, err
	}
	return &historyservice.DescribeWorkflowExecutionResponse{Response: &workflowservice.DescribeWorkflowExecutionResponse{}}, nil
}

func (h *fakeHistory) GetWorkflowExecutionHistory(ctx context.Context, req *historyservice.GetWorkflowExecutionHistoryRequest) (*historyservice.GetWorkflowExecutionHistoryResponse, error) {
	if err := h.record(ctx, "GetWorkflowExecutionHistory", req); err != nil {
		return nil, err
	}
	// No History set: the frontend must still answer with a non-nil one.
	return &historyservice.GetWorkflowExecutionHistoryResponse{Response: &workflowservice.GetWorkflowExecutionHistoryResponse{}}, nil
}

func (h *fakeHistory) QueryWorkflow(ctx context.Context, req *historyservice.QueryWorkflowRequest) (*historyservice.QueryWorkflowResponse, error) {
	if err := h.record(ctx, "QueryWorkflow", req); err != nil {
		return nil, err
	}
	return &historyservice.QueryWorkflowResponse{Response: &workflowservice.QueryWorkflowResponse{}}, nil
}

func (h *fakeHistory) RespondWorkflowTaskCompleted(ctx context.Context, req *historyservice.RespondWorkflowTaskCompletedRequest) (*historyservice.RespondWorkflowTaskCompletedResponse, error) {
	if err := h.record(ctx, "RespondWorkflowTaskCompleted", req); err != nil {
		return nil, err
	}
	return &historyservice.RespondWorkflowTaskCompletedResponse{}, nil
}

func (h *fakeHistory) RespondWorkflowTaskFailed(ctx context.Context, req *historyservice.RespondWorkflowTaskFailedRequest) (*historyservice.RespondWorkflowTaskFailedResponse, error) {
	return &historyservice.RespondWorkflowTaskFailedResponse{}, h.record(ctx, "RespondWorkflowTaskFailed", req)
}

func (h *fakeHistory) RecordActivityTaskHeartbeat(ctx context.Context, req *historyservice.RecordActivityTaskHeartbeatRequest) (*historyservice.RecordActivityTaskHeartbeatResponse, error) {
	if err := h.record(ctx, "RecordActivityTaskHeartbeat", req); err != nil {
		return nil, err
	}
	return &historyservice.RecordActivityTaskHeartbeatResponse{CancelRequested: h.cancelRequested}, nil
}

func (h *fakeHistory) RespondActivityTaskCompleted(ctx context.Context, req *historyservice.RespondActivityTaskCompletedRequest) (*historyservice.RespondActivityTaskCompletedResponse, error) {
	return &historyservice.RespondActivityTaskCompletedResponse{}, h.record(ctx, "RespondActivityTaskCompleted", req)
}

func (h *fakeHistory) RespondActivityTaskFailed(ctx context.Context, req *historyservice.RespondActivityTaskFailedRequest) (*historyservice.RespondActivityTaskFailedResponse, error) {
	return &historyservice.RespondActivityTaskFailedResponse{}, h.record(ctx, "RespondActivityTaskFailed", req)
}

func (h *fakeHistory) RespondActivityTaskCanceled(ctx context.Context, req *historyservice.RespondActivityTaskCanceledRequest) (*historyservice.RespondActivityTaskCanceledResponse, error) {
	return &historyservice.RespondActivityTaskCanceledResponse{}, h.record(ctx, "RespondActivityTaskCanceled", req)
}

func (h *fakeHistory) ResetStickyTaskQueue(ctx context.Context, req *historyservice.ResetStickyTaskQueueRequest) (*historyservice.ResetStickyTaskQueueResponse, error) {
	return &historyservice.ResetStickyTaskQueueResponse{}, h.record(ctx, "ResetStickyTaskQueue", req)
}

// fakeMatching answers polls empty: at once by default, or after holding
// the poll for pollHold (bounded by the caller's context), the way a real
// long poll does.
type fakeMatching struct {
	matchingservice.UnimplementedMatchingServiceServer
	recorder
	pollHold time.Duration
}

func (m *fakeMatching) hold(ctx context.Context) {
	if m.pollHold <= 0 {
		return
	}
	t := clock.Real().NewTimer(m.pollHold)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}

func (m *fakeMatching) PollWorkflowTaskQueue(ctx context.Context, req *matchingservice.PollWorkflowTaskQueueRequest) (*matchingservice.PollWorkflowTaskQueueResponse, error) {
	if err := m.record(ctx, "PollWorkflowTaskQueue", req); err != nil {
		return nil, err
	}
	m.hold(ctx)
	return &matchingservice.PollWorkflowTaskQueueResponse{}, nil
}

func (m *fakeMatching) PollActivityTaskQueue(ctx context.Context, req *matchingservice.PollActivityTaskQueueRequest) (*matchingservice.PollActivityTaskQueueResponse, error) {
	if err := m.record(ctx, "PollActivityTaskQueue", req); err != nil {
		return nil, err
	}
	m.hold(ctx)
	return &matchingservice.PollActivityTaskQueueResponse{}, nil
}

func (m *fakeMatching) RespondQueryTaskCompleted(ctx context.Context, req *matchingservice.RespondQueryTaskCompletedRequest) (*matchingservice.RespondQueryTaskCompletedResponse, error) {
	return &matchingservice.RespondQueryTaskCompletedResponse{}, m.record(ctx, "RespondQueryTaskCompleted", req)
}

func (m *fakeMatching) DescribeTaskQueue(ctx context.Context, req *matchingservice.DescribeTaskQueueRequest) (*matchingservice.DescribeTaskQueueResponse, error) {
	if err := m.record(ctx, "DescribeTaskQueue", req); err != nil {
		return nil, err
	}
	return &matchingservice.DescribeTaskQueueResponse{}, nil
}

// testEnv is a Service over the embedded store (in memory) and the fakes,
// with the namespace "default" registered.
type testEnv struct {
	svc      *Service
	stores   *persistence.Stores
	registry *namespace.Registry
	history  *fakeHistory
	matching *fakeMatching
	metrics  tally.TestScope
	// defaultID is the ID of namespace "default".
	defaultID string
}

const testCluster = "active"

func newTestEnv(t *testing.T, tweak ...func(*Config, *Deps)) *testEnv {
	t.Helper()
	stores, err := embedded.Open("", embedded.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, stores.Close()) })
	env := &testEnv{
		stores:   stores,
		registry: namespace.NewRegistry(stores.Namespace, clock.Real(), time.Minute),
		history:  &fakeHistory{},
		matching: &fakeMatching{},
		metrics:  tally.NewTestScope("", nil),
	}
	cfg := Config{}
	deps := Deps{
		Namespaces:     env.registry,
		NamespaceStore: stores.Namespace,
		Visibility:     stores.Visibility,
		ClusterName:    testCluster,
		History:        env.history,
		Matching:       env.matching,
		Clock:          clock.Real(),
		Logger:         zap.NewNop(),
		Metrics:        env.metrics,
	}
	for _, f := range tweak {
		f(&cfg, &deps)
	}
	env.svc, err = NewService(cfg, deps)
	require.NoError(t, err)
	var seq atomic.Int64
	env.svc.newID = func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", seq.Add(1)) }

	_, err = env.svc.RegisterNamespace(context.Background(), &workflowservice.RegisterNamespaceRequest{
		Namespace:                        "default",
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	require.NoError(t, err)
	d, err := stores.Namespace.GetNamespaceByName(context.Background(), "default")
	require.NoError(t, err)
	env.defaultID = d.GetInfo().GetId()
	return env
}
