package sdk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Custom search attributes of every type, registered by each test.
var (
	saKeyword = temporal.NewSearchAttributeKeyKeyword("CustKeyword")
	saText    = temporal.NewSearchAttributeKeyString("CustText")
	saInt     = temporal.NewSearchAttributeKeyInt64("CustInt")
	saDouble  = temporal.NewSearchAttributeKeyFloat64("CustDouble")
	saBool    = temporal.NewSearchAttributeKeyBool("CustBool")
	saTime    = temporal.NewSearchAttributeKeyTime("CustTime")
	saTags    = temporal.NewSearchAttributeKeyKeywordList("CustTags")
)

// saBase is the origin of the CustTime values.
var saBase = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// saRegister defines the custom attributes in the default namespace.
func saRegister(t *testing.T, e *env) {
	t.Helper()
	_, err := e.client.OperatorService().AddSearchAttributes(wfCtx(t), &operatorservice.AddSearchAttributesRequest{
		Namespace: "default",
		SearchAttributes: map[string]enumspb.IndexedValueType{
			saKeyword.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			saText.GetName():    enumspb.INDEXED_VALUE_TYPE_TEXT,
			saInt.GetName():     enumspb.INDEXED_VALUE_TYPE_INT,
			saDouble.GetName():  enumspb.INDEXED_VALUE_TYPE_DOUBLE,
			saBool.GetName():    enumspb.INDEXED_VALUE_TYPE_BOOL,
			saTime.GetName():    enumspb.INDEXED_VALUE_TYPE_DATETIME,
			saTags.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		},
	})
	require.NoError(t, err)
}

// saWorkflow optionally upserts search attributes and memo and records a
// version change (TemporalChangeVersion), then waits for "finish".
func saWorkflow(ctx workflow.Context, upsert bool) error {
	if upsert {
		workflow.GetVersion(ctx, "change-a", workflow.DefaultVersion, 1)
		if err := workflow.UpsertTypedSearchAttributes(ctx,
			saInt.ValueSet(100),
			saTags.ValueSet([]string{"red", "green", "upserted"}),
			saDouble.ValueUnset(),
		); err != nil {
			return err
		}
		if err := workflow.UpsertMemo(ctx, map[string]any{"note": "upserted"}); err != nil {
			return err
		}
	}
	workflow.GetSignalChannel(ctx, "finish").Receive(ctx, nil)
	return nil
}

// saBadUpsertWorkflow upserts an attribute the namespace does not define.
func saBadUpsertWorkflow(ctx workflow.Context) error {
	if err := workflow.UpsertTypedSearchAttributes(ctx, temporal.NewSearchAttributeKeyKeyword("NotRegistered").ValueSet("x")); err != nil {
		return err
	}
	return workflow.Sleep(ctx, time.Hour)
}

// saBadChildWorkflow starts a child with a value of the wrong type.
func saBadChildWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            workflow.GetInfo(ctx).WorkflowExecution.ID + "-child",
		TypedSearchAttributes: temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(saInt.GetName()).ValueSet("not a number")),
	})
	return workflow.ExecuteChildWorkflow(ctx, saWorkflow, false).Get(ctx, nil)
}

// saListInfos lists every run a query selects, in the server's order,
// two per page.
func saListInfos(t *testing.T, e *env, query string) ([]*workflowpb.WorkflowExecutionInfo, error) {
	t.Helper()
	var out []*workflowpb.WorkflowExecutionInfo
	var token []byte
	for {
		resp, err := e.client.ListWorkflow(wfCtx(t), &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 2, NextPageToken: token})
		if err != nil {
			return nil, err
		}
		out = append(out, resp.GetExecutions()...)
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

func saIDs(infos []*workflowpb.WorkflowExecutionInfo) []string {
	var ids []string
	for _, i := range infos {
		ids = append(ids, i.GetExecution().GetWorkflowId())
	}
	return ids
}

func TestSearchAttributesQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	saRegister(t, e)
	listed, err := e.client.OperatorService().ListSearchAttributes(wfCtx(t), &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	require.NoError(t, err)
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST, listed.GetCustomAttributes()[saTags.GetName()])
	require.Len(t, listed.GetCustomAttributes(), 7)

	queue := wfName(t)
	wfWorker(t, e, queue, worker.Options{}, []any{saWorkflow}, nil)
	id := func(s string) string { return queue + "-" + s }
	start := func(name string, upsert bool, memo map[string]any, attrs ...temporal.SearchAttributeUpdate) client.WorkflowRun {
		return wfStart(t, e, name, client.StartWorkflowOptions{TypedSearchAttributes: temporal.NewSearchAttributes(attrs...), Memo: memo}, saWorkflow, upsert)
	}
	w1 := start("w1", true, map[string]any{"owner": "alice"},
		saKeyword.ValueSet("alpha"), saText.ValueSet("The quick brown fox"), saInt.ValueSet(1), saDouble.ValueSet(1.5),
		saBool.ValueSet(true), saTime.ValueSet(saBase.Add(1*time.Hour)), saTags.ValueSet([]string{"red", "green"}))
	w2 := start("w2", false, nil,
		saKeyword.ValueSet("alpine"), saText.ValueSet("lazy dog"), saInt.ValueSet(2), saDouble.ValueSet(2.5),
		saBool.ValueSet(false), saTime.ValueSet(saBase.Add(2*time.Hour)), saTags.ValueSet([]string{"blue"}))
	start("w3", false, nil,
		saKeyword.ValueSet("beta"), saInt.ValueSet(3), saDouble.ValueSet(3.5),
		saBool.ValueSet(true), saTime.ValueSet(saBase.Add(3*time.Hour)), saTags.ValueSet([]string{"red"}))
	start("w4", false, nil,
		saKeyword.ValueSet("gamma"), saInt.ValueSet(4), saBool.ValueSet(false), saTime.ValueSet(saBase.Add(4*time.Hour)))
	w5 := start("w5", false, nil)

	// w1 and w2 complete (w1 after its upserts), w5 is terminated, w3
	// and w4 keep running.
	for _, run := range []client.WorkflowRun{w1, w2} {
		require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "finish", nil))
		require.NoError(t, run.Get(wfCtx(t), nil))
	}
	require.NoError(t, e.client.TerminateWorkflow(wfCtx(t), w5.GetID(), "", "done"))

	// Visibility is written asynchronously: wait until it shows the end
	// state of every run, then every query sees the same records.
	countIs := func(query string, want int64) bool {
		resp, err := e.client.CountWorkflow(wfCtx(t), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		require.NoError(t, err)
		return resp.GetCount() == want
	}
	require.Eventually(t, func() bool {
		return countIs("ExecutionStatus != 'Running' AND (CustInt = 100 OR CustKeyword = 'alpine' OR WorkflowId = '"+id("w5")+"')", 3) &&
			countIs("ExecutionStatus = 'Running' AND CustKeyword IN ('beta', 'gamma')", 2)
	}, 10*time.Second, 20*time.Millisecond)

	ordered := func(query string, want ...string) {
		t.Helper()
		infos, err := saListInfos(t, e, query)
		require.NoError(t, err, "query %q", query)
		var wantIDs []string
		for _, w := range want {
			wantIDs = append(wantIDs, id(w))
		}
		require.Equal(t, wantIDs, saIDs(infos), "query %q", query)
	}
	matches := func(query string, want ...string) {
		t.Helper()
		infos, err := saListInfos(t, e, query)
		require.NoError(t, err, "query %q", query)
		var wantIDs []string
		for _, w := range want {
			wantIDs = append(wantIDs, id(w))
		}
		require.ElementsMatch(t, wantIDs, saIDs(infos), "query %q", query)
	}
	times := func(h float64) string {
		return "'" + saBase.Add(time.Duration(h*float64(time.Hour))).Format(time.RFC3339) + "'"
	}

	// Keyword.
	matches("CustKeyword = 'alpha'", "w1")
	matches("CustKeyword != 'alpha' AND CustKeyword IS NOT NULL", "w2", "w3", "w4")
	matches("CustKeyword STARTS_WITH 'alp'", "w1", "w2")
	matches("CustKeyword NOT STARTS_WITH 'alp' AND CustKeyword IS NOT NULL", "w3", "w4")
	matches("CustKeyword IN ('beta', 'gamma', 'delta')", "w3", "w4")
	matches("CustKeyword > 'alpine'", "w3", "w4")
	matches("CustKeyword BETWEEN 'alpine' AND 'beta'", "w2", "w3")
	matches("CustKeyword IS NULL", "w5")
	// Text: every word of the value, in any case.
	matches("CustText = 'quick FOX'", "w1")
	matches("CustText = 'dog'", "w2")
	matches("CustText != 'dog' AND CustText IS NOT NULL", "w1")
	// Int (w1 upserted 100 over its 1).
	matches("CustInt < 3", "w2")
	matches("CustInt >= 3", "w1", "w3", "w4")
	matches("CustInt BETWEEN 2 AND 4", "w2", "w3", "w4")
	matches("CustInt IN (1, 2, 100)", "w1", "w2")
	matches("CustInt = 1")
	// Double (w1 unset it).
	matches("CustDouble > 2 AND CustDouble <= 3.5", "w2", "w3")
	matches("CustDouble IS NULL", "w1", "w4", "w5")
	// Bool.
	matches("CustBool = true", "w1", "w3")
	matches("CustBool = false", "w2", "w4")
	// Datetime.
	matches("CustTime > "+times(1.5), "w2", "w3", "w4")
	matches("CustTime <= "+times(2), "w1", "w2")
	matches("CustTime BETWEEN "+times(2)+" AND "+times(3), "w2", "w3")
	matches("CustTime = "+times(4), "w4")
	// KeywordList: = means "contains".
	matches("CustTags = 'red'", "w1", "w3")
	matches("CustTags IN ('blue', 'upserted')", "w1", "w2")
	matches("CustTags != 'red' AND CustTags IS NOT NULL", "w2")
	matches("CustTags IS NULL", "w4", "w5")
	// Predefined: the SDK's GetVersion upserts TemporalChangeVersion.
	matches("TemporalChangeVersion = 'change-a-1'", "w1")
	// AND, OR and parentheses.
	matches("(CustKeyword = 'alpha' OR CustKeyword = 'beta') AND CustBool = true", "w1", "w3")
	matches("CustKeyword = 'alpha' OR (CustInt > 3 AND CustBool = false)", "w1", "w4")
	matches("NOT (CustInt < 100 OR CustInt IS NULL)", "w1")
	matches("ExecutionStatus = 'Running' AND CustTags = 'red'", "w3")
	// ORDER BY custom attributes (absent values last).
	ordered("CustInt IS NOT NULL ORDER BY CustInt DESC", "w1", "w4", "w3", "w2")
	ordered("ORDER BY CustTime ASC", "w1", "w2", "w3", "w4", "w5")
	ordered("CustKeyword IS NOT NULL ORDER BY CustBool DESC, CustKeyword ASC", "w1", "w3", "w2", "w4")
	ordered("CustDouble IS NOT NULL ORDER BY CustDouble", "w2", "w3")

	// Count, and count grouped by status.
	count, err := e.client.CountWorkflow(wfCtx(t), &workflowservice.CountWorkflowExecutionsRequest{Query: "CustKeyword IS NOT NULL"})
	require.NoError(t, err)
	require.Equal(t, int64(4), count.GetCount())
	require.Empty(t, count.GetGroups())
	grouped, err := e.client.CountWorkflow(wfCtx(t), &workflowservice.CountWorkflowExecutionsRequest{Query: "GROUP BY ExecutionStatus"})
	require.NoError(t, err)
	require.Equal(t, int64(5), grouped.GetCount())
	groups := map[string]int64{}
	for _, g := range grouped.GetGroups() {
		require.Len(t, g.GetGroupValues(), 1)
		var status string
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(g.GetGroupValues()[0], &status))
		groups[status] = g.GetCount()
	}
	require.Equal(t, map[string]int64{"Running": 2, "Completed": 2, "Terminated": 1}, groups)
	grouped, err = e.client.CountWorkflow(wfCtx(t), &workflowservice.CountWorkflowExecutionsRequest{Query: "CustBool = true GROUP BY ExecutionStatus"})
	require.NoError(t, err)
	require.Equal(t, int64(2), grouped.GetCount())
	require.Len(t, grouped.GetGroups(), 2)

	// Describe decodes typed values and the merged memo.
	desc, err := e.client.DescribeWorkflow(wfCtx(t), w1.GetID(), "")
	require.NoError(t, err)
	sa := desc.TypedSearchAttributes
	kw, _ := sa.GetKeyword(saKeyword)
	require.Equal(t, "alpha", kw)
	text, _ := sa.GetString(saText)
	require.Equal(t, "The quick brown fox", text)
	n, _ := sa.GetInt64(saInt)
	require.Equal(t, int64(100), n)
	_, ok := sa.GetFloat64(saDouble)
	require.False(t, ok, "CustDouble was unset")
	b, _ := sa.GetBool(saBool)
	require.True(t, b)
	ts, _ := sa.GetTime(saTime)
	require.True(t, saBase.Add(time.Hour).Equal(ts), "CustTime %v", ts)
	tags, _ := sa.GetKeywordList(saTags)
	require.Equal(t, []string{"red", "green", "upserted"}, tags)
	changes, _ := sa.GetKeywordList(temporal.NewSearchAttributeKeyKeywordList("TemporalChangeVersion"))
	require.Equal(t, []string{"change-a-1"}, changes)
	requireMemo(t, desc.Memo, map[string]string{"owner": "alice", "note": "upserted"})

	// List results carry the same: typed values and memo.
	infos, err := saListInfos(t, e, "WorkflowId = '"+w1.GetID()+"'")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	fields := infos[0].GetSearchAttributes().GetIndexedFields()
	for name, typ := range map[string]string{"CustKeyword": "Keyword", "CustText": "Text", "CustInt": "Int", "CustBool": "Bool",
		"CustTime": "Datetime", "CustTags": "KeywordList", "TemporalChangeVersion": "KeywordList"} {
		require.Contains(t, fields, name)
		require.Equal(t, typ, string(fields[name].GetMetadata()["type"]), name)
	}
	var listedInt int64
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(fields["CustInt"], &listedInt))
	require.Equal(t, int64(100), listedInt)
	requireMemo(t, infos[0].GetMemo(), map[string]string{"owner": "alice", "note": "upserted"})

	// Bad queries.
	for query, msg := range map[string]string{
		"CustInt = 'abc'":                                 "CustInt",
		"CustTags STARTS_WITH 'r'":                        "STARTS_WITH",
		"CustBool > true":                                 "CustBool",
		"CustTime > 'yesterday'":                          "CustTime",
		"Nope = 1":                                        "Nope",
		"ORDER BY CustText":                               "CustText",
		"CustKeyword = 'a' AND":                           "invalid query",
		"(CustKeyword = 'a'":                              "invalid query",
		"CustKeyword = 'a' GROUP BY ExecutionStatus":      "GROUP BY",
		"CustKeyword = 'a' ORDER BY CustKeyword LIMIT 10": "LIMIT",
	} {
		_, err := e.client.ListWorkflow(wfCtx(t), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		requireInvalidArgument(t, err, msg)
	}
	_, err = e.client.CountWorkflow(wfCtx(t), &workflowservice.CountWorkflowExecutionsRequest{Query: "GROUP BY CustKeyword"})
	requireInvalidArgument(t, err, "GROUP BY is only supported for ExecutionStatus")

	// A removed attribute can no longer be queried.
	_, err = e.client.OperatorService().RemoveSearchAttributes(wfCtx(t), &operatorservice.RemoveSearchAttributesRequest{
		Namespace: "default", SearchAttributes: []string{saDouble.GetName()},
	})
	require.NoError(t, err)
	_, err = e.client.ListWorkflow(wfCtx(t), &workflowservice.ListWorkflowExecutionsRequest{Query: "CustDouble > 1"})
	requireInvalidArgument(t, err, "CustDouble")
	_, err = e.client.CountWorkflow(wfCtx(t), &workflowservice.CountWorkflowExecutionsRequest{Query: "CustDouble > 1"})
	requireInvalidArgument(t, err, "CustDouble")
}

// requireMemo checks that memo holds exactly want (string values).
func requireMemo(t *testing.T, memo *commonpb.Memo, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for k, p := range memo.GetFields() {
		var v string
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &v), k)
		got[k] = v
	}
	require.Equal(t, want, got)
}

func TestSearchAttributesValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	saRegister(t, e)
	queue := wfName(t)
	wfWorker(t, e, queue, worker.Options{}, []any{saWorkflow, saBadUpsertWorkflow, saBadChildWorkflow}, nil)
	opts := func(id string, attrs ...temporal.SearchAttributeUpdate) client.StartWorkflowOptions {
		return client.StartWorkflowOptions{ID: queue + "-" + id, TaskQueue: queue, TypedSearchAttributes: temporal.NewSearchAttributes(attrs...)}
	}

	// Start requests: unknown attribute, wrong type, system attribute,
	// value and total size limits.
	for name, c := range map[string]struct {
		attrs []temporal.SearchAttributeUpdate
		msg   string
	}{
		"unknown":    {[]temporal.SearchAttributeUpdate{temporal.NewSearchAttributeKeyKeyword("NotRegistered").ValueSet("x")}, "NotRegistered is not defined"},
		"wrong type": {[]temporal.SearchAttributeUpdate{temporal.NewSearchAttributeKeyKeyword(saInt.GetName()).ValueSet("x")}, "CustInt is of type Int"},
		"bad time":   {[]temporal.SearchAttributeUpdate{temporal.NewSearchAttributeKeyKeyword(saTime.GetName()).ValueSet("x")}, "CustTime is of type Datetime"},
		"system":     {[]temporal.SearchAttributeUpdate{temporal.NewSearchAttributeKeyKeyword("WorkflowType").ValueSet("x")}, "WorkflowType is reserved"},
		"value size": {[]temporal.SearchAttributeUpdate{saKeyword.ValueSet(strings.Repeat("k", 3000))}, "CustKeyword value size"},
	} {
		_, err := e.client.ExecuteWorkflow(wfCtx(t), opts("start-"+strings.ReplaceAll(name, " ", "-"), c.attrs...), saWorkflow, false)
		requireInvalidArgument(t, err, c.msg)
	}
	_, err := e.client.SignalWithStartWorkflow(wfCtx(t), queue+"-sws", "finish", nil,
		opts("sws", temporal.NewSearchAttributeKeyBool("NotRegistered").ValueSet(true)), saWorkflow, false)
	requireInvalidArgument(t, err, "NotRegistered is not defined")

	// Total size: each value under 2 KiB, together over 40 KiB.
	var attrs []temporal.SearchAttributeUpdate
	bigTypes := map[string]enumspb.IndexedValueType{}
	for i := 0; i < 12; i++ {
		kw := temporal.NewSearchAttributeKeyKeyword("BigKeyword" + string(rune('A'+i)))
		txt := temporal.NewSearchAttributeKeyString("BigText" + string(rune('A'+i)))
		bigTypes[kw.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		bigTypes[txt.GetName()] = enumspb.INDEXED_VALUE_TYPE_TEXT
		attrs = append(attrs, kw.ValueSet(strings.Repeat("k", 1900)), txt.ValueSet(strings.Repeat("t", 1900)))
	}
	_, err = e.client.OperatorService().AddSearchAttributes(wfCtx(t), &operatorservice.AddSearchAttributesRequest{Namespace: "default", SearchAttributes: bigTypes})
	require.NoError(t, err)
	_, err = e.client.ExecuteWorkflow(wfCtx(t), opts("total", attrs...), saWorkflow, false)
	requireInvalidArgument(t, err, "Total size of search attributes")

	// Commands: a bad upsert and a child with a bad attribute fail the
	// workflow task with BAD_SEARCH_ATTRIBUTES (the SDK retries it).
	for _, c := range []struct {
		id  string
		wf  any
		msg string
	}{
		{"upsert", saBadUpsertWorkflow, "NotRegistered is not defined"},
		{"child", saBadChildWorkflow, "CustInt is of type Int"},
	} {
		run, err := e.client.ExecuteWorkflow(wfCtx(t), opts(c.id), c.wf)
		require.NoError(t, err)
		var failure string
		require.Eventually(t, func() bool {
			for _, ev := range wfHistory(t, e, run.GetID(), run.GetRunID()) {
				if a := ev.GetWorkflowTaskFailedEventAttributes(); a != nil {
					require.Equal(t, enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES, a.GetCause())
					failure = a.GetFailure().GetMessage()
					return true
				}
			}
			return false
		}, 10*time.Second, 20*time.Millisecond, c.id)
		require.Contains(t, failure, c.msg)
		require.NoError(t, e.client.TerminateWorkflow(wfCtx(t), run.GetID(), "", "done"))
		desc, err := e.client.DescribeWorkflow(wfCtx(t), run.GetID(), "")
		require.NoError(t, err)
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, desc.Status)
		require.Equal(t, 0, desc.TypedSearchAttributes.Size(), "a rejected upsert sets nothing")
	}

	// A good run for contrast: the same worker and namespace accept it.
	good, err := e.client.ExecuteWorkflow(wfCtx(t), opts("good", saKeyword.ValueSet("ok"), saTags.ValueSet([]string{"a"})), saWorkflow, true)
	require.NoError(t, err)
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), good.GetID(), "", "finish", nil))
	require.NoError(t, good.Get(wfCtx(t), nil))
}
