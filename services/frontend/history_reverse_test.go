package frontend

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/historyservice"
)

func eventIDs(events []*historypb.HistoryEvent) []int64 {
	ids := []int64{}
	for _, e := range events {
		ids = append(ids, e.GetEventId())
	}
	return ids
}

func eventsUpTo(n int64) []*historypb.HistoryEvent {
	var out []*historypb.HistoryEvent
	for id := int64(1); id <= n; id++ {
		out = append(out, &historypb.HistoryEvent{EventId: id})
	}
	return out
}

func TestReversePage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		events     int64
		size       int
		wantIDs    []int64
		wantBefore int64
	}{
		{"empty", 0, 3, []int64{}, 0},
		{"fewer than a page", 2, 3, []int64{2, 1}, 1},
		{"exactly a page", 3, 3, []int64{3, 2, 1}, 1},
		{"more than a page", 7, 3, []int64{7, 6, 5}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, before := reversePage(eventsUpTo(tc.events), tc.size)
			require.Equal(t, tc.wantIDs, eventIDs(page))
			require.Equal(t, tc.wantBefore, before)
		})
	}
}

// pagedHistory serves runs' events forward in pages of the requested size
// (the token is the offset), and describes run current as the current one.
type pagedHistory struct {
	*fakeHistory
	current string
	runs    map[string][]*historypb.HistoryEvent
}

func (h *pagedHistory) DescribeWorkflowExecution(_ context.Context, req *historyservice.DescribeWorkflowExecutionRequest) (*historyservice.DescribeWorkflowExecutionResponse, error) {
	return &historyservice.DescribeWorkflowExecutionResponse{Response: &workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Execution: &commonpb.WorkflowExecution{
			WorkflowId: req.GetRequest().GetExecution().GetWorkflowId(), RunId: h.current,
		}},
	}}, nil
}

func (h *pagedHistory) GetWorkflowExecutionHistory(_ context.Context, req *historyservice.GetWorkflowExecutionHistoryRequest) (*historyservice.GetWorkflowExecutionHistoryResponse, error) {
	events, ok := h.runs[req.GetRequest().GetExecution().GetRunId()]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow execution not found")
	}
	from := 0
	if t := req.GetRequest().GetNextPageToken(); len(t) > 0 {
		from = int(binary.BigEndian.Uint32(t))
	}
	to := min(from+int(req.GetRequest().GetMaximumPageSize()), len(events))
	resp := &workflowservice.GetWorkflowExecutionHistoryResponse{History: &historypb.History{Events: events[from:to]}}
	if to < len(events) {
		resp.NextPageToken = binary.BigEndian.AppendUint32(nil, uint32(to))
	}
	return &historyservice.GetWorkflowExecutionHistoryResponse{Response: resp}, nil
}

func TestGetWorkflowExecutionHistoryReverse(t *testing.T) {
	const newerRun = "22222222-2222-4333-8444-555555555555"
	h := &pagedHistory{fakeHistory: &fakeHistory{}, current: fakeRunID, runs: map[string][]*historypb.HistoryEvent{
		fakeRunID: eventsUpTo(7),
		newerRun:  eventsUpTo(3),
	}}
	env := newTestEnv(t, func(c *Config, d *Deps) {
		c.DefaultHistoryPageSize = 2 // the forward reads take several pages too
		d.History = h
	})
	ctx := context.Background()
	req := func(token []byte) *workflowservice.GetWorkflowExecutionHistoryReverseRequest {
		return &workflowservice.GetWorkflowExecutionHistoryReverseRequest{
			Namespace:       "default",
			Execution:       &commonpb.WorkflowExecution{WorkflowId: "wf"},
			MaximumPageSize: 3,
			NextPageToken:   token,
		}
	}

	// Pages of at most DefaultHistoryPageSize (2 < 3), newest first, until
	// event 1; the run is pinned on the first page.
	var got [][]int64
	var token []byte
	for {
		resp, err := env.svc.GetWorkflowExecutionHistoryReverse(ctx, req(token))
		require.NoError(t, err)
		got = append(got, eventIDs(resp.GetHistory().GetEvents()))
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
		h.current = newerRun // the workflow moved on: later pages still read the pinned run
	}
	require.Equal(t, [][]int64{{7, 6}, {5, 4}, {3, 2}, {1}}, got)

	// A run named in the request is read, not the current one.
	named := req(nil)
	named.Execution.RunId = fakeRunID
	resp, err := env.svc.GetWorkflowExecutionHistoryReverse(ctx, named)
	require.NoError(t, err)
	require.Equal(t, []int64{7, 6}, eventIDs(resp.GetHistory().GetEvents()))

	// A missing run is history's NotFound.
	named.Execution.RunId = "33333333-2222-4333-8444-555555555555"
	_, err = env.svc.GetWorkflowExecutionHistoryReverse(ctx, named)
	var nf *serviceerror.NotFound
	require.ErrorAs(t, err, &nf)

	// An empty history is an empty page, not a nil one.
	h.runs[newerRun] = nil
	resp, err = env.svc.GetWorkflowExecutionHistoryReverse(ctx, req(nil))
	require.NoError(t, err)
	require.NotNil(t, resp.GetHistory())
	require.Empty(t, resp.GetHistory().GetEvents())
	require.Empty(t, resp.GetNextPageToken())

	// Bad requests and tokens.
	_, err = env.svc.GetWorkflowExecutionHistoryReverse(ctx, &workflowservice.GetWorkflowExecutionHistoryReverseRequest{Namespace: "default"})
	requireInvalid(t, err, "Execution is not set")
	_, err = env.svc.GetWorkflowExecutionHistoryReverse(ctx, req([]byte("garbage")))
	requireInvalid(t, err, "Invalid NextPageToken")
	_, err = env.svc.GetWorkflowExecutionHistoryReverse(ctx, req([]byte(`{"run_id":"r","before":1}`)))
	requireInvalid(t, err, "Invalid NextPageToken")
	other := req([]byte(`{"run_id":"` + fakeRunID + `","before":5}`))
	other.Execution.RunId = newerRun
	_, err = env.svc.GetWorkflowExecutionHistoryReverse(ctx, other)
	requireInvalid(t, err, "another run")
	neg := req(nil)
	neg.MaximumPageSize = -1
	_, err = env.svc.GetWorkflowExecutionHistoryReverse(ctx, neg)
	requireInvalid(t, err, "MaximumPageSize")
}
