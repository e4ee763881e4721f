package frontend

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	querypb "go.temporal.io/api/query/v1"
	replicationpb "go.temporal.io/api/replication/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	tokenspb "github.com/meridian-dev/meridian/common/commonpb"
)

func TestStartWorkflowExecutionRoutesToHistory(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	req := &workflowservice.StartWorkflowExecutionRequest{
		Namespace:    "default",
		WorkflowId:   "wf",
		WorkflowType: &commonpb.WorkflowType{Name: "T"},
		TaskQueue:    &taskqueuepb.TaskQueue{Name: "q"},
	}
	resp, err := env.svc.StartWorkflowExecution(ctx, req)
	require.NoError(t, err)
	require.Equal(t, fakeRunID, resp.GetRunId())
	require.True(t, resp.GetStarted())
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, resp.GetStatus())

	got := env.history.last("StartWorkflowExecution").(*historyservice.StartWorkflowExecutionRequest)
	require.Equal(t, env.defaultID, got.GetNamespaceId())
	require.True(t, isUUID(got.GetRequest().GetRequestId()), "an empty request ID is generated")
	require.Equal(t, "wf", got.GetRequest().GetWorkflowId())

	// A caller's request ID is kept.
	req.RequestId = "mine"
	_, err = env.svc.StartWorkflowExecution(ctx, req)
	require.NoError(t, err)
	require.Equal(t, "mine", env.history.last("StartWorkflowExecution").(*historyservice.StartWorkflowExecutionRequest).GetRequest().GetRequestId())
}

func TestUnknownNamespace(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	_, err := env.svc.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "nope", WorkflowId: "wf", WorkflowType: &commonpb.WorkflowType{Name: "T"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"},
	})
	var nf *serviceerror.NamespaceNotFound
	require.ErrorAs(t, err, &nf)

	// Validation comes first: a bad request in an unknown namespace is
	// InvalidArgument.
	_, err = env.svc.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "nope", WorkflowId: "wf", WorkflowType: &commonpb.WorkflowType{Name: "T"},
	})
	requireInvalid(t, err, "TaskQueue is not set on request.")

	_, err = env.svc.PollActivityTaskQueue(ctx, &workflowservice.PollActivityTaskQueueRequest{Namespace: "nope", TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}})
	require.ErrorAs(t, err, &nf)
	require.Zero(t, env.matching.count("PollActivityTaskQueue"))
}

func TestDescribeWorkflowExecutionInvalidRunID(t *testing.T) {
	env := newTestEnv(t)
	_, err := env.svc.DescribeWorkflowExecution(context.Background(), &workflowservice.DescribeWorkflowExecutionRequest{
		Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: "does-not-exist", RunId: "invalid-run-id"},
	})
	requireInvalid(t, err, "Invalid RunId")
	require.Zero(t, env.history.count("DescribeWorkflowExecution"))
}

func TestStartSearchAttributesMustBeDefined(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	req := &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: "wf", WorkflowType: &commonpb.WorkflowType{Name: "T"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"},
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"CustomerId": jsonPayload(`"c-1"`, "Keyword")}},
	}
	_, err := env.svc.StartWorkflowExecution(ctx, req)
	requireInvalid(t, err, "Search attribute CustomerId is not defined in namespace default.")

	_, err = env.svc.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: "default", SearchAttributes: map[string]enumspb.IndexedValueType{"CustomerId": enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	require.NoError(t, err)
	_, err = env.svc.StartWorkflowExecution(ctx, req)
	require.NoError(t, err, "the registry entry was invalidated by AddSearchAttributes")
}

func TestDependencyErrorsReachTheCaller(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	signal := &workflowservice.SignalWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", ""), SignalName: "s"}

	already := serviceerror.NewNotFound("workflow not found")
	env.history.setHook(func(context.Context, string, proto.Message) error { return already })
	_, err := env.svc.SignalWorkflowExecution(ctx, signal)
	require.Same(t, already, err, "serviceerrors pass through unchanged")

	env.history.setHook(func(context.Context, string, proto.Message) error { return context.DeadlineExceeded })
	_, err = env.svc.SignalWorkflowExecution(ctx, signal)
	var de *serviceerror.DeadlineExceeded
	require.ErrorAs(t, err, &de)

	env.history.setHook(func(context.Context, string, proto.Message) error { return context.Canceled })
	_, err = env.svc.SignalWorkflowExecution(ctx, signal)
	var ce *serviceerror.Canceled
	require.ErrorAs(t, err, &ce)

	env.history.setHook(func(context.Context, string, proto.Message) error { return errors.New("kaboom") })
	_, err = env.svc.SignalWorkflowExecution(ctx, signal)
	var ie *serviceerror.Internal
	require.ErrorAs(t, err, &ie)
	require.Contains(t, ie.Message, "kaboom")
}

func TestGlobalNamespaceWritesOnlyInActiveCluster(t *testing.T) {
	env := newTestEnv(t, func(c *Config, _ *Deps) { c.InitialFailoverVersion = 2 })
	ctx := context.Background()
	_, err := env.svc.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: "global", IsGlobalNamespace: true, ActiveClusterName: testCluster,
		Clusters: []*replicationpb.ClusterReplicationConfig{{ClusterName: testCluster}, {ClusterName: "standby"}},
	})
	require.NoError(t, err)
	d, err := env.svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "global"})
	require.NoError(t, err)
	require.True(t, d.GetIsGlobalNamespace())
	require.Equal(t, int64(2), d.GetFailoverVersion())
	require.Len(t, d.GetReplicationConfig().GetClusters(), 2)

	// The same store seen from the standby region.
	standby, err := NewService(Config{}, Deps{
		Namespaces: env.registry, NamespaceStore: env.stores.Namespace, Visibility: env.stores.Visibility,
		ClusterName: "standby", History: env.history, Matching: env.matching,
	})
	require.NoError(t, err)
	_, err = standby.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "global", WorkflowId: "wf", WorkflowType: &commonpb.WorkflowType{Name: "T"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"},
	})
	var nna *serviceerror.NamespaceNotActive
	require.ErrorAs(t, err, &nna)
	require.Equal(t, testCluster, nna.ActiveCluster)
	require.Equal(t, "standby", nna.CurrentCluster)

	// Reads and polls are served.
	_, err = standby.DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{Namespace: "global", Execution: exec("wf", "")})
	require.NoError(t, err)
	_, err = standby.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "global", TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}})
	require.NoError(t, err)

	// Local namespaces are not subject to the check.
	_, err = standby.SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", ""), SignalName: "s"})
	require.NoError(t, err)
}

func TestDeprecatedNamespaceRejectsNewWorkflows(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	_, err := env.svc.DeprecateNamespace(ctx, &workflowservice.DeprecateNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	_, err = env.svc.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: "wf", WorkflowType: &commonpb.WorkflowType{Name: "T"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"},
	})
	var bad *serviceerror.NamespaceInvalidState
	require.ErrorAs(t, err, &bad)
	_, err = env.svc.SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", ""), SignalName: "s"})
	require.NoError(t, err, "running workflows keep working")
}

func TestGetWorkflowExecutionHistory(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	for _, c := range []struct{ asked, sent int32 }{{0, 1000}, {10, 10}, {5000, 1000}} {
		resp, err := env.svc.GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace: "default", Execution: exec("wf", ""), MaximumPageSize: c.asked,
		})
		require.NoError(t, err)
		require.NotNil(t, resp.GetHistory(), "history is never nil")
		got := env.history.last("GetWorkflowExecutionHistory").(*historyservice.GetWorkflowExecutionHistoryRequest)
		require.Equal(t, c.sent, got.GetRequest().GetMaximumPageSize())
		require.Equal(t, env.defaultID, got.GetNamespaceId())
	}
}

func TestWorkflowCallsRoute(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	run := func(method string, call func() error) {
		t.Run(method, func(t *testing.T) {
			require.NoError(t, call())
			require.Equal(t, 1, env.history.count(method))
			m := env.history.last(method).(interface{ GetNamespaceId() string })
			require.Equal(t, env.defaultID, m.GetNamespaceId())
		})
	}
	run("SignalWithStartWorkflowExecution", func() error {
		resp, err := env.svc.SignalWithStartWorkflowExecution(ctx, &workflowservice.SignalWithStartWorkflowExecutionRequest{
			Namespace: "default", WorkflowId: "wf", WorkflowType: &commonpb.WorkflowType{Name: "T"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}, SignalName: "s",
		})
		if err == nil && resp.GetRunId() != fakeRunID {
			return fmt.Errorf("run id %q", resp.GetRunId())
		}
		return err
	})
	run("RequestCancelWorkflowExecution", func() error {
		_, err := env.svc.RequestCancelWorkflowExecution(ctx, &workflowservice.RequestCancelWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", "")})
		return err
	})
	run("TerminateWorkflowExecution", func() error {
		_, err := env.svc.TerminateWorkflowExecution(ctx, &workflowservice.TerminateWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", "")})
		return err
	})
	run("QueryWorkflow", func() error {
		_, err := env.svc.QueryWorkflow(ctx, &workflowservice.QueryWorkflowRequest{Namespace: "default", Execution: exec("wf", ""), Query: &querypb.WorkflowQuery{QueryType: "q"}})
		return err
	})
	run("ResetStickyTaskQueue", func() error {
		_, err := env.svc.ResetStickyTaskQueue(ctx, &workflowservice.ResetStickyTaskQueueRequest{Namespace: "default", Execution: exec("wf", fakeRunID)})
		return err
	})
}

func taskToken(t *testing.T, tok *tokenspb.TaskToken) []byte {
	b, err := proto.Marshal(tok)
	require.NoError(t, err)
	return b
}

func TestTaskTokenCalls(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	_, err := env.svc.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: "other"})
	require.NoError(t, err)
	tok := &tokenspb.TaskToken{NamespaceId: env.defaultID, WorkflowId: "wf", RunId: fakeRunID, ScheduledEventId: 2, Attempt: 1}
	b := taskToken(t, tok)

	_, err = env.svc.RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{Namespace: "default", TaskToken: b})
	require.NoError(t, err)
	got := env.history.last("RespondWorkflowTaskCompleted").(*historyservice.RespondWorkflowTaskCompletedRequest)
	require.True(t, proto.Equal(tok, got.GetToken()))
	require.Equal(t, env.defaultID, got.GetNamespaceId())

	// No namespace on the request: the token's is used.
	_, err = env.svc.RespondWorkflowTaskFailed(ctx, &workflowservice.RespondWorkflowTaskFailedRequest{TaskToken: b})
	require.NoError(t, err)
	require.Equal(t, env.defaultID, env.history.last("RespondWorkflowTaskFailed").(*historyservice.RespondWorkflowTaskFailedRequest).GetNamespaceId())

	// A token from another namespace.
	_, err = env.svc.RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{Namespace: "other", TaskToken: b})
	requireInvalid(t, err, "Operation requested with a token from a different namespace.")

	// Undecodable and empty tokens.
	for _, bad := range [][]byte{nil, []byte("junk\xff")} {
		_, err = env.svc.RespondActivityTaskFailed(ctx, &workflowservice.RespondActivityTaskFailedRequest{Namespace: "default", TaskToken: bad, Failure: failureOf(1)})
		requireInvalid(t, err, "Error deserializing task token.")
	}

	// A token naming a namespace that does not exist.
	_, err = env.svc.RespondActivityTaskCanceled(ctx, &workflowservice.RespondActivityTaskCanceledRequest{TaskToken: taskToken(t, &tokenspb.TaskToken{NamespaceId: "gone", WorkflowId: "wf"})})
	var nf *serviceerror.NamespaceNotFound
	require.ErrorAs(t, err, &nf)

	env.history.cancelRequested = true
	hb, err := env.svc.RecordActivityTaskHeartbeat(ctx, &workflowservice.RecordActivityTaskHeartbeatRequest{Namespace: "default", TaskToken: b, Details: payloadsOf(3), Identity: "me"})
	require.NoError(t, err)
	require.True(t, hb.GetCancelRequested())
	hreq := env.history.last("RecordActivityTaskHeartbeat").(*historyservice.RecordActivityTaskHeartbeatRequest)
	require.Equal(t, "me", hreq.GetIdentity())
	require.NotNil(t, hreq.GetDetails())

	for _, call := range []func() error{
		func() error {
			_, err := env.svc.RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{Namespace: "default", TaskToken: b})
			return err
		},
		func() error {
			_, err := env.svc.RespondActivityTaskFailed(ctx, &workflowservice.RespondActivityTaskFailedRequest{Namespace: "default", TaskToken: b, Failure: failureOf(1)})
			return err
		},
		func() error {
			_, err := env.svc.RespondActivityTaskCanceled(ctx, &workflowservice.RespondActivityTaskCanceledRequest{Namespace: "default", TaskToken: b})
			return err
		},
	} {
		require.NoError(t, call())
	}
	require.Equal(t, 1, env.history.count("RespondActivityTaskCompleted"))
	require.Equal(t, 1, env.history.count("RespondActivityTaskFailed"))
	require.Equal(t, 1, env.history.count("RespondActivityTaskCanceled"))
}

func TestActivityByIDCalls(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	want := &tokenspb.TaskToken{NamespaceId: env.defaultID, WorkflowId: "wf", RunId: fakeRunID, ActivityId: "a1"}

	env.history.cancelRequested = true
	hb, err := env.svc.RecordActivityTaskHeartbeatById(ctx, &workflowservice.RecordActivityTaskHeartbeatByIdRequest{Namespace: "default", WorkflowId: "wf", RunId: fakeRunID, ActivityId: "a1"})
	require.NoError(t, err)
	require.True(t, hb.GetCancelRequested())
	require.True(t, proto.Equal(want, env.history.last("RecordActivityTaskHeartbeat").(*historyservice.RecordActivityTaskHeartbeatRequest).GetToken()))

	_, err = env.svc.RespondActivityTaskCompletedById(ctx, &workflowservice.RespondActivityTaskCompletedByIdRequest{Namespace: "default", WorkflowId: "wf", RunId: fakeRunID, ActivityId: "a1", Result: payloadsOf(1)})
	require.NoError(t, err)
	got := env.history.last("RespondActivityTaskCompleted").(*historyservice.RespondActivityTaskCompletedRequest)
	require.True(t, proto.Equal(want, got.GetToken()))
	require.Zero(t, got.GetToken().GetScheduledEventId())
	require.NotNil(t, got.GetResult())

	_, err = env.svc.RespondActivityTaskFailedById(ctx, &workflowservice.RespondActivityTaskFailedByIdRequest{Namespace: "default", WorkflowId: "wf", RunId: fakeRunID, ActivityId: "a1", Failure: failureOf(1)})
	require.NoError(t, err)
	require.True(t, proto.Equal(want, env.history.last("RespondActivityTaskFailed").(*historyservice.RespondActivityTaskFailedRequest).GetToken()))

	_, err = env.svc.RespondActivityTaskCanceledById(ctx, &workflowservice.RespondActivityTaskCanceledByIdRequest{Namespace: "default", WorkflowId: "wf", RunId: fakeRunID, ActivityId: "a1"})
	require.NoError(t, err)
	require.True(t, proto.Equal(want, env.history.last("RespondActivityTaskCanceled").(*historyservice.RespondActivityTaskCanceledRequest).GetToken()))

	_, err = env.svc.RespondActivityTaskCanceledById(ctx, &workflowservice.RespondActivityTaskCanceledByIdRequest{Namespace: "nope", WorkflowId: "wf", ActivityId: "a1"})
	var nf *serviceerror.NamespaceNotFound
	require.ErrorAs(t, err, &nf)
}

func TestPollsRouteToMatching(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	tq := &taskqueuepb.TaskQueue{Name: "q"}
	wresp, err := env.svc.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq, Identity: "me"})
	require.NoError(t, err)
	require.NotNil(t, wresp)
	require.Empty(t, wresp.GetTaskToken(), "no task")
	wreq := env.matching.last("PollWorkflowTaskQueue").(*matchingservice.PollWorkflowTaskQueueRequest)
	require.Equal(t, env.defaultID, wreq.GetNamespaceId())
	require.True(t, isUUID(wreq.GetPollerId()))
	require.Equal(t, "me", wreq.GetRequest().GetIdentity())

	aresp, err := env.svc.PollActivityTaskQueue(ctx, &workflowservice.PollActivityTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	require.NotNil(t, aresp)
	areq := env.matching.last("PollActivityTaskQueue").(*matchingservice.PollActivityTaskQueueRequest)
	require.NotEqual(t, wreq.GetPollerId(), areq.GetPollerId(), "poller IDs are unique per poll")

	_, err = env.svc.DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	require.NoError(t, err)
	require.Equal(t, env.defaultID, env.matching.last("DescribeTaskQueue").(*matchingservice.DescribeTaskQueueRequest).GetNamespaceId())

	_, err = env.svc.ShutdownWorker(ctx, &workflowservice.ShutdownWorkerRequest{Namespace: "default", StickyTaskQueue: "host:1"})
	require.NoError(t, err)

	// A poll cut short by the caller.
	env.matching.setHook(func(ctx context.Context, _ string, _ proto.Message) error { return ctx.Err() })
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = env.svc.PollWorkflowTaskQueue(cctx, &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: tq})
	var ce *serviceerror.Canceled
	require.ErrorAs(t, err, &ce)
}

func TestRespondQueryTaskCompleted(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	b, err := proto.Marshal(&tokenspb.QueryTaskToken{NamespaceId: env.defaultID, TaskQueue: "q", QueryId: "query-1"})
	require.NoError(t, err)
	_, err = env.svc.RespondQueryTaskCompleted(ctx, &workflowservice.RespondQueryTaskCompletedRequest{
		Namespace: "default", TaskToken: b, CompletedType: enumspb.QUERY_RESULT_TYPE_ANSWERED, QueryResult: payloadsOf(2),
	})
	require.NoError(t, err)
	got := env.matching.last("RespondQueryTaskCompleted").(*matchingservice.RespondQueryTaskCompletedRequest)
	require.Equal(t, env.defaultID, got.GetNamespaceId())
	require.Equal(t, "q", got.GetTaskQueue())
	require.Equal(t, "query-1", got.GetQueryId())
	require.NotNil(t, got.GetRequest().GetQueryResult())

	_, err = env.svc.RespondQueryTaskCompleted(ctx, &workflowservice.RespondQueryTaskCompletedRequest{
		Namespace: "default", TaskToken: []byte("x"), CompletedType: enumspb.QUERY_RESULT_TYPE_ANSWERED,
	})
	requireInvalid(t, err, "Error deserializing task token.")
}

func TestSystemInfo(t *testing.T) {
	env := newTestEnv(t)
	info, err := env.svc.GetSystemInfo(context.Background(), &workflowservice.GetSystemInfoRequest{})
	require.NoError(t, err)
	require.Equal(t, ServerVersion, info.GetServerVersion())
	c := info.GetCapabilities()
	require.True(t, c.GetSignalAndQueryHeader())
	require.True(t, c.GetInternalErrorDifferentiation())
	require.True(t, c.GetActivityFailureIncludeHeartbeat())
	require.True(t, c.GetEncodedFailureAttributes())
	require.True(t, c.GetUpsertMemo())
	require.True(t, c.GetSdkMetadata())
	require.True(t, c.GetSupportsSchedules())
	require.True(t, c.GetEagerWorkflowStart())
	require.True(t, c.GetCountGroupByExecutionStatus())
	require.False(t, c.GetBuildIdBasedVersioning())

	ci, err := env.svc.GetClusterInfo(context.Background(), &workflowservice.GetClusterInfoRequest{})
	require.NoError(t, err)
	require.Equal(t, testCluster, ci.GetClusterName())

	sa, err := env.svc.GetSearchAttributes(context.Background(), &workflowservice.GetSearchAttributesRequest{})
	require.NoError(t, err)
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_DATETIME, sa.GetKeys()["StartTime"])
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, sa.GetKeys()["WorkflowType"])
}

func TestNewServiceChecksDeps(t *testing.T) {
	env := newTestEnv(t)
	full := Deps{Namespaces: env.registry, NamespaceStore: env.stores.Namespace, Visibility: env.stores.Visibility,
		ClusterName: "c", History: env.history, Matching: env.matching}
	_, err := NewService(Config{}, full)
	require.NoError(t, err, "clock, logger and metrics are optional")
	for name, tweak := range map[string]func(*Deps){
		"Namespaces":     func(d *Deps) { d.Namespaces = nil },
		"NamespaceStore": func(d *Deps) { d.NamespaceStore = nil },
		"Visibility":     func(d *Deps) { d.Visibility = nil },
		"ClusterName":    func(d *Deps) { d.ClusterName = "" },
		"History":        func(d *Deps) { d.History = nil },
		"Matching":       func(d *Deps) { d.Matching = nil },
	} {
		d := full
		tweak(&d)
		_, err := NewService(Config{}, d)
		require.ErrorContains(t, err, "Deps."+name+" is required")
	}
	_, err = NewService(Config{MaxIDLength: -1}, full)
	require.ErrorContains(t, err, "MaxIDLength")
}
