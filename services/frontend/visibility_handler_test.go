package frontend

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	filterpb "go.temporal.io/api/filter/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

var visBase = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

type visRun struct {
	wf, typ string
	status  enumspb.WorkflowExecutionStatus
	start   int // minutes after visBase
	close   int // minutes after visBase; 0 = open
	sa      map[string]*commonpb.Payload
}

// seedVisibility writes runs into namespace nsID and returns their run IDs
// in input order.
func seedVisibility(t *testing.T, env *testEnv, nsID string, runs []visRun) []string {
	t.Helper()
	var ids []string
	for i, r := range runs {
		runID := fmt.Sprintf("00000000-0000-4000-9000-%012d", i+1)
		info := &workflowpb.WorkflowExecutionInfo{
			Execution: &commonpb.WorkflowExecution{WorkflowId: r.wf, RunId: runID},
			Type:      &commonpb.WorkflowType{Name: r.typ},
			Status:    r.status,
			StartTime: timestamppb.New(visBase.Add(time.Duration(r.start) * time.Minute)),
			TaskQueue: "q",
		}
		if r.close > 0 {
			info.CloseTime = timestamppb.New(visBase.Add(time.Duration(r.close) * time.Minute))
		}
		if r.sa != nil {
			info.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: r.sa}
		}
		require.NoError(t, env.stores.Visibility.UpsertWorkflowExecution(context.Background(), &persistencepb.VisibilityRecord{NamespaceId: nsID, Info: info}))
		ids = append(ids, runID)
	}
	return ids
}

func workflowIDs(infos []*workflowpb.WorkflowExecutionInfo) []string {
	var out []string
	for _, i := range infos {
		out = append(out, i.GetExecution().GetWorkflowId())
	}
	return out
}

func TestListWorkflowExecutions(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	running, completed, failed := enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED
	_, err := env.svc.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: "default", SearchAttributes: map[string]enumspb.IndexedValueType{"CustomerId": enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	require.NoError(t, err)
	seedVisibility(t, env, env.defaultID, []visRun{
		{wf: "a", typ: "Order", status: running, start: 1, sa: map[string]*commonpb.Payload{"CustomerId": jsonPayload(`"c-1"`, "")}},
		{wf: "b", typ: "Order", status: completed, start: 2, close: 10},
		{wf: "c", typ: "Invoice", status: failed, start: 3, close: 5},
		{wf: "d", typ: "Invoice", status: running, start: 4},
	})
	// Another namespace's runs never show.
	seedVisibility(t, env, "other-namespace-id", []visRun{{wf: "x", typ: "Order", status: running, start: 5}})

	list := func(query string, pageSize int32) []string {
		t.Helper()
		resp, err := env.svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query, PageSize: pageSize})
		require.NoError(t, err)
		return workflowIDs(resp.GetExecutions())
	}
	require.Equal(t, []string{"d", "c", "b", "a"}, list("", 0), "default order: newest start first")
	require.Equal(t, []string{"b", "a"}, list("WorkflowType = 'Order'", 0))
	require.Equal(t, []string{"d", "a"}, list("ExecutionStatus = 'Running'", 0))
	require.Equal(t, []string{"a", "b", "c", "d"}, list("ORDER BY StartTime ASC", 0))
	require.Equal(t, []string{"a"}, list("CustomerId = 'c-1'", 0), "custom attributes are known to the parser")

	// Paging.
	var got []string
	var token []byte
	for {
		resp, err := env.svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: 3, NextPageToken: token})
		require.NoError(t, err)
		got = append(got, workflowIDs(resp.GetExecutions())...)
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	require.Equal(t, []string{"d", "c", "b", "a"}, got)

	scan, err := env.svc.ScanWorkflowExecutions(ctx, &workflowservice.ScanWorkflowExecutionsRequest{Namespace: "default", Query: "WorkflowType = 'Invoice'"}) //nolint:staticcheck // deprecated API, still called by older CLIs
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"c", "d"}, workflowIDs(scan.GetExecutions()))

	count, err := env.svc.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default", Query: "ExecutionStatus != 'Running'"})
	require.NoError(t, err)
	require.Equal(t, int64(2), count.GetCount())
	count, err = env.svc.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default"})
	require.NoError(t, err)
	require.Equal(t, int64(4), count.GetCount())

	for _, bad := range []string{"WorkflowType =", "Nope = 'x'", "CustomerId = 'x' GROUP BY WorkflowType"} {
		_, err = env.svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: bad})
		requireInvalid(t, err, "invalid query: ")
		_, err = env.svc.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default", Query: bad})
		requireInvalid(t, err, "invalid query: ")
	}
	// Only counts group.
	_, err = env.svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: "GROUP BY ExecutionStatus"})
	requireInvalid(t, err, "invalid query: GROUP BY is only supported in CountWorkflowExecutions")
	grouped, err := env.svc.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default", Query: "WorkflowId != 'b' GROUP BY ExecutionStatus"})
	require.NoError(t, err)
	require.Equal(t, int64(3), grouped.GetCount())
	groups := map[string]int64{}
	for _, g := range grouped.GetGroups() {
		require.Len(t, g.GetGroupValues(), 1)
		require.Equal(t, "Keyword", string(g.GetGroupValues()[0].GetMetadata()["type"]))
		groups[string(g.GetGroupValues()[0].GetData())] = g.GetCount()
	}
	require.Equal(t, map[string]int64{`"Running"`: 2, `"Failed"`: 1}, groups)

	// Results carry each search attribute's type for the SDKs.
	resp, err := env.svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: "CustomerId = 'c-1'"})
	require.NoError(t, err)
	require.Len(t, resp.GetExecutions(), 1)
	p := resp.GetExecutions()[0].GetSearchAttributes().GetIndexedFields()["CustomerId"]
	require.Equal(t, "Keyword", string(p.GetMetadata()["type"]))
	require.Equal(t, `"c-1"`, string(p.GetData()))
	_, err = env.svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "missing"})
	var nf *serviceerror.NamespaceNotFound
	require.ErrorAs(t, err, &nf)
	_, err = env.svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: -1})
	requireInvalid(t, err, "Invalid PageSize")
}

func TestListPageSizeIsCapped(t *testing.T) {
	env := newTestEnv(t, func(c *Config, _ *Deps) { c.DefaultVisibilityPageSize, c.MaxVisibilityPageSize = 2, 3 })
	ctx := context.Background()
	var runs []visRun
	for i := 0; i < 5; i++ {
		runs = append(runs, visRun{wf: fmt.Sprint(i), typ: "T", status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, start: i})
	}
	seedVisibility(t, env, env.defaultID, runs)
	for _, c := range []struct{ asked, got int32 }{{0, 2}, {1, 1}, {100, 3}} {
		resp, err := env.svc.ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: c.asked})
		require.NoError(t, err)
		require.Len(t, resp.GetExecutions(), int(c.got), "asked %d", c.asked)
	}
}

func TestListOpenAndClosedWorkflowExecutions(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	running, completed, failed := enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED
	ids := seedVisibility(t, env, env.defaultID, []visRun{
		{wf: "a", typ: "Order", status: running, start: 1},
		{wf: "b", typ: "Order", status: completed, start: 2, close: 10},
		{wf: "c", typ: "Invoice", status: failed, start: 3, close: 5},
		{wf: "d", typ: "Invoice", status: running, start: 4},
		{wf: "b", typ: "Order", status: completed, start: 11, close: 12},
	})
	at := func(min int) *timestamppb.Timestamp {
		return timestamppb.New(visBase.Add(time.Duration(min) * time.Minute))
	}

	open := func(req *workflowservice.ListOpenWorkflowExecutionsRequest) []string {
		t.Helper()
		req.Namespace = "default"
		resp, err := env.svc.ListOpenWorkflowExecutions(ctx, req)
		require.NoError(t, err)
		return workflowIDs(resp.GetExecutions())
	}
	require.Equal(t, []string{"d", "a"}, open(&workflowservice.ListOpenWorkflowExecutionsRequest{}))
	require.Equal(t, []string{"a"}, open(&workflowservice.ListOpenWorkflowExecutionsRequest{
		Filters: &workflowservice.ListOpenWorkflowExecutionsRequest_TypeFilter{TypeFilter: &filterpb.WorkflowTypeFilter{Name: "Order"}},
	}))
	require.Equal(t, []string{"d"}, open(&workflowservice.ListOpenWorkflowExecutionsRequest{
		Filters: &workflowservice.ListOpenWorkflowExecutionsRequest_ExecutionFilter{ExecutionFilter: &filterpb.WorkflowExecutionFilter{WorkflowId: "d"}},
	}))
	require.Equal(t, []string{"a"}, open(&workflowservice.ListOpenWorkflowExecutionsRequest{
		StartTimeFilter: &filterpb.StartTimeFilter{EarliestTime: at(0), LatestTime: at(2)},
	}))

	closed := func(req *workflowservice.ListClosedWorkflowExecutionsRequest) []string {
		t.Helper()
		req.Namespace = "default"
		resp, err := env.svc.ListClosedWorkflowExecutions(ctx, req)
		require.NoError(t, err)
		return workflowIDs(resp.GetExecutions())
	}
	require.Equal(t, []string{"b", "b", "c"}, closed(&workflowservice.ListClosedWorkflowExecutionsRequest{}), "most recently closed first")
	require.Equal(t, []string{"c"}, closed(&workflowservice.ListClosedWorkflowExecutionsRequest{
		Filters: &workflowservice.ListClosedWorkflowExecutionsRequest_StatusFilter{StatusFilter: &filterpb.StatusFilter{Status: failed}},
	}))
	// The time filter of the closed list applies to the close time.
	require.Equal(t, []string{"b", "c"}, closed(&workflowservice.ListClosedWorkflowExecutionsRequest{
		StartTimeFilter: &filterpb.StartTimeFilter{EarliestTime: at(5), LatestTime: at(10)},
	}))
	resp, err := env.svc.ListClosedWorkflowExecutions(ctx, &workflowservice.ListClosedWorkflowExecutionsRequest{
		Namespace: "default",
		Filters:   &workflowservice.ListClosedWorkflowExecutionsRequest_ExecutionFilter{ExecutionFilter: &filterpb.WorkflowExecutionFilter{WorkflowId: "b", RunId: ids[1]}},
	})
	require.NoError(t, err)
	require.Len(t, resp.GetExecutions(), 1)
	require.Equal(t, ids[1], resp.GetExecutions()[0].GetExecution().GetRunId())

	_, err = env.svc.ListOpenWorkflowExecutions(ctx, &workflowservice.ListOpenWorkflowExecutionsRequest{Namespace: "missing"})
	var nf *serviceerror.NamespaceNotFound
	require.ErrorAs(t, err, &nf)
}
