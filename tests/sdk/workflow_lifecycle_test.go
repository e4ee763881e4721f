package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
)

// wfCleanup is the activity wfCancellable runs after it is canceled.
func wfCleanup(ctx context.Context, what string) (string, error) {
	return "cleaned " + what, nil
}

// wfCancellable sleeps until canceled, then runs wfCleanup in a
// disconnected context and ends canceled.
func wfCancellable(ctx workflow.Context) (string, error) {
	err := workflow.Sleep(ctx, time.Hour)
	if !temporal.IsCanceledError(err) {
		return "", errors.New("the sleep ended without cancellation")
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	dctx = workflow.WithActivityOptions(dctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	if err := workflow.ExecuteActivity(dctx, wfCleanup, "up").Get(dctx, &out); err != nil {
		return "", err
	}
	workflow.GetLogger(ctx).Info("cleanup done", "result", out)
	return "", err
}

func TestWorkflowCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfCancellable}, []any{wfCleanup})
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfCancellable)
	require.Eventually(t, func() bool {
		return wfCount(wfHistory(t, e, run.GetID(), run.GetRunID()), enumspb.EVENT_TYPE_TIMER_STARTED) == 1
	}, 10*time.Second, 20*time.Millisecond)

	require.NoError(t, e.client.CancelWorkflow(wfCtx(t), run.GetID(), ""))
	err := run.Get(wfCtx(t), nil)
	var wee *temporal.WorkflowExecutionError
	require.Truef(t, errors.As(err, &wee), "want WorkflowExecutionError, got %T %v", err, err)
	var ce *temporal.CanceledError
	require.Truef(t, errors.As(err, &ce), "want CanceledError, got %T %v", err, err)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	requested := wfIndex(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
	require.NotEqual(t, -1, requested, "%v", wfEventTypes(events))
	// The cleanup activity ran after the request, then the run ended
	// canceled.
	completed := wfFind(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
	require.Len(t, completed, 1)
	require.Greater(t, completed[0].GetEventId(), events[requested].GetEventId())
	require.Contains(t, string(completed[0].GetActivityTaskCompletedEventAttributes().GetResult().GetPayloads()[0].GetData()), "cleaned up")
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_TIMER_CANCELED))
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, events[len(events)-1].GetEventType())

	desc, err := e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, desc.GetWorkflowExecutionInfo().GetStatus())

	// A closed workflow cannot be canceled.
	err = e.client.CancelWorkflow(wfCtx(t), run.GetID(), "")
	var nf *serviceerror.NotFound
	require.Truef(t, errors.As(err, &nf), "cancel of a closed run: want NotFound, got %T %v", err, err)
}

func TestWorkflowTerminate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfSleepHour}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfSleepHour)

	require.NoError(t, e.client.TerminateWorkflow(wfCtx(t), run.GetID(), run.GetRunID(), "enough", "detail"))
	err := run.Get(wfCtx(t), nil)
	var wee *temporal.WorkflowExecutionError
	require.Truef(t, errors.As(err, &wee), "want WorkflowExecutionError, got %T %v", err, err)
	var te *temporal.TerminatedError
	require.Truef(t, errors.As(err, &te), "want TerminatedError, got %T %v", err, err)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	last := events[len(events)-1]
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, last.GetEventType())
	require.Equal(t, "enough", last.GetWorkflowExecutionTerminatedEventAttributes().GetReason())

	desc, err := e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, desc.GetWorkflowExecutionInfo().GetStatus())

	for _, runID := range []string{run.GetRunID(), ""} {
		err = e.client.TerminateWorkflow(wfCtx(t), run.GetID(), runID, "again")
		var nf *serviceerror.NotFound
		require.Truef(t, errors.As(err, &nf), "terminate of a closed run (run ID %q): want NotFound, got %T %v", runID, err, err)
	}
	// History is unchanged by the rejected terminate.
	require.Len(t, wfHistory(t, e, run.GetID(), run.GetRunID()), len(events))
}

// wfBlocker holds an activity open until released.
type wfBlocker struct{ release chan struct{} }

// WfBlock waits for release, heartbeating so cancellation could reach it.
func (b *wfBlocker) WfBlock(ctx context.Context) (string, error) {
	for {
		select {
		case <-b.release:
			return "released", nil
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
			activity.RecordHeartbeat(ctx)
		}
	}
}

// wfRunsBlocker runs activity WfBlock and returns its result.
func wfRunsBlocker(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, HeartbeatTimeout: 5 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, "WfBlock").Get(ctx, &out)
	return out, err
}

func TestWorkflowDescribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := &wfBlocker{release: make(chan struct{})}
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfRunsBlocker}, []any{b})
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfRunsBlocker)

	var desc *workflowservice.DescribeWorkflowExecutionResponse
	require.Eventually(t, func() bool {
		var err error
		desc, err = e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), run.GetRunID())
		require.NoError(t, err)
		pa := desc.GetPendingActivities()
		return len(pa) == 1 && pa[0].GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED
	}, 10*time.Second, 20*time.Millisecond)
	info := desc.GetWorkflowExecutionInfo()
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, info.GetStatus())
	require.Equal(t, "wfRunsBlocker", info.GetType().GetName())
	require.Equal(t, run.GetID(), info.GetExecution().GetWorkflowId())
	require.Equal(t, run.GetRunID(), info.GetExecution().GetRunId())
	require.Equal(t, wfName(t), info.GetTaskQueue())
	require.NotNil(t, info.GetStartTime())
	require.Nil(t, info.GetCloseTime())
	require.Equal(t, wfName(t), desc.GetExecutionConfig().GetTaskQueue().GetName())
	pa := desc.GetPendingActivities()[0]
	require.Equal(t, "WfBlock", pa.GetActivityType().GetName())
	require.Equal(t, int32(1), pa.GetAttempt())
	require.NotEmpty(t, pa.GetActivityId())

	close(b.release)
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "released", out)

	desc, err := e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
	require.NoError(t, err)
	info = desc.GetWorkflowExecutionInfo()
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, info.GetStatus())
	require.Empty(t, desc.GetPendingActivities())
	require.NotNil(t, info.GetCloseTime())
	require.Equal(t, int64(len(wfHistory(t, e, run.GetID(), run.GetRunID()))), info.GetHistoryLength())

	_, err = e.client.DescribeWorkflowExecution(wfCtx(t), wfName(t)+"-never", "")
	var nf *serviceerror.NotFound
	require.Truef(t, errors.As(err, &nf), "want NotFound, got %T %v", err, err)
}

// wfEcho returns its input.
func wfEcho(ctx workflow.Context, s string) (string, error) { return s, nil }

func TestWorkflowGetLatestRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfEcho}, nil)
	id := wfName(t) + "-1"

	first := wfStart(t, e, "", client.StartWorkflowOptions{ID: id}, wfEcho, "first")
	require.NoError(t, first.Get(wfCtx(t), nil))
	second := wfStart(t, e, "", client.StartWorkflowOptions{ID: id}, wfEcho, "second")
	require.NoError(t, second.Get(wfCtx(t), nil))
	require.NotEqual(t, first.GetRunID(), second.GetRunID())

	var out string
	require.NoError(t, e.client.GetWorkflow(wfCtx(t), id, "").Get(wfCtx(t), &out))
	require.Equal(t, "second", out)
	require.NoError(t, e.client.GetWorkflow(wfCtx(t), id, first.GetRunID()).Get(wfCtx(t), &out))
	require.Equal(t, "first", out)

	desc, err := e.client.DescribeWorkflowExecution(wfCtx(t), id, "")
	require.NoError(t, err)
	require.Equal(t, second.GetRunID(), desc.GetWorkflowExecutionInfo().GetExecution().GetRunId())
	events := wfHistory(t, e, id, "")
	require.Contains(t, string(events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0].GetData()), "second")
}

// wfList lists with query, two per page, and returns the matching
// workflow IDs.
func wfList(t *testing.T, e *env, query string) ([]string, error) {
	t.Helper()
	var ids []string
	var token []byte
	for {
		resp, err := e.client.ListWorkflow(wfCtx(t), &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 2, NextPageToken: token})
		if err != nil {
			return nil, err
		}
		for _, info := range resp.GetExecutions() {
			ids = append(ids, info.GetExecution().GetWorkflowId())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return ids, nil
		}
	}
}

func TestWorkflowList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfEcho}, nil)
	prefix := wfName(t)
	// Three completed wfEcho runs and one running wfSleepHour (on a queue
	// no worker polls, so it stays running).
	for _, s := range []string{"a", "b", "c"} {
		run := wfStart(t, e, "echo-"+s, client.StartWorkflowOptions{}, wfEcho, s)
		require.NoError(t, run.Get(wfCtx(t), nil))
	}
	sleeper := wfStart(t, e, "sleeper", client.StartWorkflowOptions{TaskQueue: prefix + "-idle"}, wfSleepHour)

	// Visibility is written asynchronously.
	eventually := func(query string, want ...string) {
		t.Helper()
		var got []string
		require.Eventuallyf(t, func() bool {
			var err error
			got, err = wfList(t, e, query)
			require.NoError(t, err)
			return len(got) == len(want)
		}, 10*time.Second, 20*time.Millisecond, "query %q: got %v, want %v", query, got, want)
		require.ElementsMatch(t, want, got, "query %q", query)
	}
	eventually("WorkflowType = 'wfEcho'", prefix+"-echo-a", prefix+"-echo-b", prefix+"-echo-c")
	eventually("WorkflowId = '"+prefix+"-echo-b'", prefix+"-echo-b")
	eventually("ExecutionStatus = 'Running'", sleeper.GetID())
	eventually("ExecutionStatus = 'Completed'", prefix+"-echo-a", prefix+"-echo-b", prefix+"-echo-c")
	eventually("WorkflowType = 'wfEcho' AND WorkflowId != '"+prefix+"-echo-a'", prefix+"-echo-b", prefix+"-echo-c")
	eventually("WorkflowType = 'nope'")
	all, err := wfList(t, e, "")
	require.NoError(t, err)
	require.Len(t, all, 4)

	// The running one's visibility record moves when it closes.
	require.NoError(t, e.client.TerminateWorkflow(wfCtx(t), sleeper.GetID(), "", "done"))
	eventually("ExecutionStatus = 'Running'")
	eventually("ExecutionStatus = 'Terminated'", sleeper.GetID())

	count, err := e.client.CountWorkflow(wfCtx(t), &workflowservice.CountWorkflowExecutionsRequest{Query: "WorkflowType = 'wfEcho'"})
	require.NoError(t, err)
	require.Equal(t, int64(3), count.GetCount())

	for _, bad := range []string{"WorkflowType = ", "NoSuchAttribute = 'x'", "WorkflowType = 'a' AND AND", "ExecutionStatus = 'Sleeping'"} {
		_, err := wfList(t, e, bad)
		var ia *serviceerror.InvalidArgument
		require.Truef(t, errors.As(err, &ia), "query %q: want InvalidArgument, got %T %v", bad, err, err)
	}
}

// wfMixed does a bit of everything that leaves history: an activity, a
// timer, a signal and a side effect.
func wfMixed(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var a string
	if err := workflow.ExecuteActivity(ctx, wfCleanup, "x").Get(ctx, &a); err != nil {
		return "", err
	}
	if err := workflow.Sleep(ctx, 50*time.Millisecond); err != nil {
		return "", err
	}
	var sig string
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, &sig)
	var r int
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return 7 }).Get(&r); err != nil {
		return "", err
	}
	return a + "/" + sig, nil
}

func TestWorkflowHistoryExportReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfMixed}, []any{wfCleanup})
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfMixed)
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "go", "sig"))
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "cleaned x/sig", out)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	started := events[0].GetWorkflowExecutionStartedEventAttributes()
	require.Equal(t, "wfMixed", started.GetWorkflowType().GetName())
	require.Equal(t, wfName(t), started.GetTaskQueue().GetName())
	require.Equal(t, run.GetRunID(), started.GetOriginalExecutionRunId())
	require.Equal(t, run.GetRunID(), started.GetFirstExecutionRunId())
	require.NotZero(t, started.GetWorkflowTaskTimeout().AsDuration())
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, events[len(events)-1].GetEventType())
	for _, typ := range []enumspb.EventType{
		enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
		enumspb.EVENT_TYPE_TIMER_STARTED, enumspb.EVENT_TYPE_TIMER_FIRED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, enumspb.EVENT_TYPE_MARKER_RECORDED,
	} {
		require.Equal(t, 1, wfCount(events, typ), "%s in %v", typ, wfEventTypes(events))
	}
	for _, ev := range events {
		require.NotNil(t, ev.GetEventTime(), "event %d has no time", ev.GetEventId())
	}

	// Long-poll for the close event only, the way run.Get does.
	it := e.client.GetWorkflowHistory(wfCtx(t), run.GetID(), run.GetRunID(), true, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	require.True(t, it.HasNext())
	closeEv, err := it.Next()
	require.NoError(t, err)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, closeEv.GetEventType())
	require.False(t, it.HasNext())

	// Export to JSON, load it back and replay it.
	data, err := protojson.Marshal(&historypb.History{Events: events})
	require.NoError(t, err)
	loaded, err := client.HistoryFromJSON(bytes.NewReader(data), client.HistoryJSONOptions{})
	require.NoError(t, err)
	require.Len(t, loaded.GetEvents(), len(events))
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(wfMixed)
	require.NoError(t, r.ReplayWorkflowHistory(nil, loaded))

	// Replaying against different code must fail, or replay proves nothing.
	bad := worker.NewWorkflowReplayer()
	bad.RegisterWorkflowWithOptions(wfEcho, workflow.RegisterOptions{Name: "wfMixed"})
	require.Error(t, bad.ReplayWorkflowHistory(nil, loaded))
}
