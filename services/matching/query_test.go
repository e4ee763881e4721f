package matching

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/api/matchingservice"
	meridiancommonpb "github.com/meridian-dev/meridian/common/commonpb"
)

type queryResult struct {
	resp *matchingservice.QueryWorkflowResponse
	err  error
}

func queryAsync(ctx context.Context, s *Service, queue string) <-chan queryResult {
	c := make(chan queryResult, 1)
	go func() {
		resp, err := s.QueryWorkflow(ctx, &matchingservice.QueryWorkflowRequest{
			NamespaceId: testNamespaceID,
			TaskQueue:   normalQueue(queue),
			Task: &workflowservice.PollWorkflowTaskQueueResponse{
				WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "wf-q", RunId: "r"},
				WorkflowType:      &commonpb.WorkflowType{Name: "wf-type"},
				Query:             &querypb.WorkflowQuery{QueryType: "state"},
			},
		})
		c <- queryResult{resp: resp, err: err}
	}()
	return c
}

func queuedQueries(s *Service, key partitionKey) int {
	m := s.loadedManager(key)
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.queries.Len()
}

func TestQueryRoundTrip(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx := context.Background()
	tq := normalQueue("orders")

	polled := pollWorkflowAsync(ctx, s, tq, "p", "worker")
	waitForPollers(t, s, wfKey("orders"), 1)
	queried := queryAsync(ctx, s, "orders")

	r := receive(t, polled)
	require.NoError(t, r.err)
	require.Equal(t, "state", r.resp.GetQuery().GetQueryType())
	require.Equal(t, "wf-q", r.resp.GetWorkflowExecution().GetWorkflowId())
	var token meridiancommonpb.QueryTaskToken
	require.NoError(t, proto.Unmarshal(r.resp.GetTaskToken(), &token))
	require.Equal(t, testNamespaceID, token.GetNamespaceId())
	require.Equal(t, "orders", token.GetTaskQueue())
	require.NotEmpty(t, token.GetQueryId())
	require.Empty(t, h.hist.workflowCalls(), "query tasks are not started in history")
	require.Zero(t, h.store.created.Load(), "query tasks are never persisted")

	answer := &workflowservice.RespondQueryTaskCompletedRequest{
		TaskToken:     r.resp.GetTaskToken(),
		CompletedType: enumspb.QUERY_RESULT_TYPE_ANSWERED,
		QueryResult:   &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: []byte(`"ok"`)}}},
	}
	_, err := s.RespondQueryTaskCompleted(ctx, &matchingservice.RespondQueryTaskCompletedRequest{
		NamespaceId: testNamespaceID,
		TaskQueue:   "orders",
		QueryId:     token.GetQueryId(),
		Request:     answer,
	})
	require.NoError(t, err)
	q := receive(t, queried)
	require.NoError(t, q.err)
	require.True(t, proto.Equal(answer, q.resp.GetResult()))
	require.EqualValues(t, 1, h.counter(metricQueryTasks, nil))

	// A second answer, or one for an unknown query, is NotFound.
	for _, id := range []string{token.GetQueryId(), "no-such-query"} {
		_, err = s.RespondQueryTaskCompleted(ctx, &matchingservice.RespondQueryTaskCompletedRequest{
			NamespaceId: testNamespaceID,
			QueryId:     id,
			Request:     answer,
		})
		var notFound *serviceerror.NotFound
		require.ErrorAs(t, err, &notFound)
	}
}

func TestQueryGoesBeforeBacklog(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tq := normalQueue("orders")

	require.NoError(t, addWorkflowTask(ctx, s, tq, "wf-a", 2))
	queried := queryAsync(ctx, s, "orders")
	waitFor(t, func() bool { return queuedQueries(s, wfKey("orders")) == 1 }, "query queued")

	r := pollWorkflow(ctx, s, tq, "p", "worker")
	require.NoError(t, r.err)
	require.NotNil(t, r.resp.GetQuery(), "the query is delivered first")
	r = pollWorkflow(ctx, s, tq, "p", "worker")
	require.NoError(t, r.err)
	require.Equal(t, tokenOf("wf-a", 2), r.token())

	cancel()
	var canceled *serviceerror.Canceled
	require.ErrorAs(t, receive(t, queried).err, &canceled)
}

func TestQueryGivenBackWhenPollerGoesAway(t *testing.T) {
	h := newHarness(t, newMemTaskStore())
	s := h.newService()
	tq := normalQueue("orders")
	m, err := s.getManager(context.Background(), wfKey("orders"), enumspb.TASK_QUEUE_KIND_NORMAL)
	require.NoError(t, err)
	defer m.release()

	// A poller takes the query but cannot pass it on (its caller went
	// away): it gives the query back, and QueryWorkflow offers it again.
	queried := queryAsync(context.Background(), s, "orders")
	waitFor(t, func() bool { return queuedQueries(s, wfKey("orders")) == 1 }, "query queued")
	task, err := m.poll(context.Background(), false)
	require.NoError(t, err)
	require.Equal(t, sourceQuery, task.source)
	task.finish(outcomeReturned)

	waitFor(t, func() bool { return queuedQueries(s, wfKey("orders")) == 1 }, "query offered again")
	r := pollWorkflow(context.Background(), s, tq, "p", "worker")
	require.NotNil(t, r.resp.GetQuery())
	var token meridiancommonpb.QueryTaskToken
	require.NoError(t, proto.Unmarshal(r.resp.GetTaskToken(), &token))
	_, err = s.RespondQueryTaskCompleted(context.Background(), &matchingservice.RespondQueryTaskCompletedRequest{
		NamespaceId: testNamespaceID,
		QueryId:     token.GetQueryId(),
		Request:     &workflowservice.RespondQueryTaskCompletedRequest{CompletedType: enumspb.QUERY_RESULT_TYPE_FAILED, ErrorMessage: "boom"},
	})
	require.NoError(t, err)
	q := receive(t, queried)
	require.NoError(t, q.err)
	require.Equal(t, "boom", q.resp.GetResult().GetErrorMessage())
}

// TestQueryWithoutPollerWaitsForDeadline runs in a synctest bubble: the
// minute-long deadline passes as soon as every goroutine is blocked.
func TestQueryWithoutPollerWaitsForDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newMemTaskStore())
		s, err := NewService(Config{}, Deps{TaskStore: h.store, History: h.hist, Clock: h.clock})
		require.NoError(t, err)
		require.NoError(t, s.Start())
		defer s.Stop()

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		queried := queryAsync(ctx, s, "orders")
		synctest.Wait()
		select {
		case <-queried:
			require.FailNow(t, "query answered before its deadline")
		default:
		}
		q := <-queried
		var deadline *serviceerror.DeadlineExceeded
		require.ErrorAs(t, q.err, &deadline)
		require.Zero(t, queuedQueries(s, wfKey("orders")), "the expired query is withdrawn")
	})
}
