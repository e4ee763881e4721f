package sdk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// wfTimerThenSignal sleeps d, then waits for signal "go" and returns its
// value.
func wfTimerThenSignal(ctx workflow.Context, d time.Duration) (string, error) {
	if err := workflow.Sleep(ctx, d); err != nil {
		return "", err
	}
	var v string
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, &v)
	return v, nil
}

func TestWorkflowTimerSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	queue := wfName(t)
	// A short sticky timeout: the restart loses nothing, but the task sent
	// to this worker's sticky queue waits that long before it is handed
	// to the normal queue.
	w := worker.New(e.client, queue, worker.Options{StickyScheduleToStartTimeout: 500 * time.Millisecond})
	w.RegisterWorkflow(wfTimerThenSignal)
	require.NoError(t, w.Start())

	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfTimerThenSignal, 1500*time.Millisecond)
	require.Eventually(t, func() bool {
		return wfCount(wfHistory(t, e, run.GetID(), run.GetRunID()), enumspb.EVENT_TYPE_TIMER_STARTED) == 1
	}, 10*time.Second, 20*time.Millisecond)
	w.Stop()
	// Accepted with no worker running: only persistence keeps it.
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "go", "after restart"))

	e.restart(t)
	wfWorker(t, e, queue, worker.Options{}, []any{wfTimerThenSignal}, nil)
	var out string
	require.NoError(t, e.client.GetWorkflow(wfCtx(t), run.GetID(), run.GetRunID()).Get(wfCtx(t), &out))
	require.Equal(t, "after restart", out)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_TIMER_FIRED))
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, events[len(events)-1].GetEventType())
}

func TestWorkflowStickyWorkerGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	queue := wfName(t)
	a := worker.New(e.client, queue, worker.Options{StickyScheduleToStartTimeout: 500 * time.Millisecond})
	a.RegisterWorkflow(wfCollectSignals)
	require.NoError(t, a.Start())

	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfCollectSignals, 2)
	completed := func(n int) func() bool {
		return func() bool {
			return wfCount(wfHistory(t, e, run.GetID(), run.GetRunID()), enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) == n
		}
	}
	require.Eventually(t, completed(1), 10*time.Second, 20*time.Millisecond)
	// Worker a handles the signal from its sticky queue.
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "item", "one"))
	require.Eventually(t, completed(2), 10*time.Second, 20*time.Millisecond)
	a.Stop()

	// The next task goes to a's sticky queue, where nobody polls; after
	// the sticky schedule-to-start timeout it must reach worker b.
	wfWorker(t, e, queue, worker.Options{}, []any{wfCollectSignals}, nil)
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "item", "two"))
	var got []string
	require.NoError(t, run.Get(wfCtx(t), &got))
	require.Equal(t, []string{"one", "two"}, got)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, events[len(events)-1].GetEventType())
	// The tasks handed to a's sticky queue named it.
	sticky := 0
	for _, ev := range wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) {
		if ev.GetWorkflowTaskScheduledEventAttributes().GetTaskQueue().GetKind() == enumspb.TASK_QUEUE_KIND_STICKY {
			sticky++
		}
	}
	require.GreaterOrEqual(t, sticky, 1, "%v", wfEventTypes(events))
	// The task a's sticky queue held timed out schedule-to-start and was
	// rescheduled on the normal queue with the same attempt: it never
	// started, so it is no retry (and the SDK reports failures of attempt
	// 1 only).
	timedOut := wfFind(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
	require.Len(t, timedOut, 1, "%v", wfEventTypes(events))
	require.Equal(t, enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START, timedOut[0].GetWorkflowTaskTimedOutEventAttributes().GetTimeoutType())
	after := events[timedOut[0].GetEventId()] // the event following it
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, after.GetEventType())
	require.Equal(t, enumspb.TASK_QUEUE_KIND_NORMAL, after.GetWorkflowTaskScheduledEventAttributes().GetTaskQueue().GetKind())
	require.Equal(t, int32(1), after.GetWorkflowTaskScheduledEventAttributes().GetAttempt())
}

func TestWorkflowCancelBeforeFirstTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfCancellable)
	require.NoError(t, e.client.CancelWorkflow(wfCtx(t), run.GetID(), run.GetRunID()))
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfCancellable}, []any{wfCleanup})

	err := run.Get(wfCtx(t), nil)
	var ce *temporal.CanceledError
	require.Truef(t, errors.As(err, &ce), "want CanceledError, got %T %v", err, err)
	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	// The request precedes the first workflow task's start, so the first
	// task already sees it.
	require.Less(t, wfIndex(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED), wfIndex(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED))
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED))
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, events[len(events)-1].GetEventType())
}

func TestWorkflowSignalTargetsRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfCollectSignals}, nil)
	id := wfName(t) + "-1"
	opts := client.StartWorkflowOptions{ID: id, TaskQueue: wfName(t)}

	old := wfStart(t, e, "", opts, wfCollectSignals, 0)
	require.NoError(t, old.Get(wfCtx(t), nil))
	cur := wfStart(t, e, "", opts, wfCollectSignals, 1)

	// The closed run refuses; an empty run ID reaches the running one.
	err := e.client.SignalWorkflow(wfCtx(t), id, old.GetRunID(), "item", "to-old")
	require.Error(t, err)
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), id, "", "item", "to-current"))
	var got []string
	require.NoError(t, cur.Get(wfCtx(t), &got))
	require.Equal(t, []string{"to-current"}, got)

	// SignalWithStart on a closed workflow starts a new run.
	next, err := e.client.SignalWithStartWorkflow(wfCtx(t), id, "item", "fresh", opts, wfCollectSignals, 1)
	require.NoError(t, err)
	require.NotEqual(t, cur.GetRunID(), next.GetRunID())
	require.NoError(t, next.Get(wfCtx(t), &got))
	require.Equal(t, []string{"fresh"}, got)
}

func TestWorkflowHistoryLongPoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfTimerThenSignal}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfTimerThenSignal, 200*time.Millisecond)

	// Follow the history as it grows: the iterator must deliver every
	// event, in order, and end with the close event.
	type result struct {
		ids   []int64
		types []enumspb.EventType
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		it := e.client.GetWorkflowHistory(wfCtx(t), run.GetID(), run.GetRunID(), true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				r.err = err
				break
			}
			r.ids = append(r.ids, ev.GetEventId())
			r.types = append(r.types, ev.GetEventType())
		}
		done <- r
	}()
	require.Eventually(t, func() bool {
		return wfCount(wfHistory(t, e, run.GetID(), run.GetRunID()), enumspb.EVENT_TYPE_TIMER_FIRED) == 1
	}, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "go", "v"))

	var r result
	select {
	case r = <-done:
	case <-wfCtx(t).Done():
		t.Fatal("the long-polling iterator never finished")
	}
	require.NoError(t, r.err)
	for i, id := range r.ids {
		require.Equal(t, int64(i+1), id)
	}
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, r.types[len(r.types)-1])
	require.Equal(t, wfEventTypes(wfHistory(t, e, run.GetID(), run.GetRunID())), r.types)
}

// wfQueryFails has a query handler that returns an error.
func wfQueryFails(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, "broken", func() (string, error) {
		return "", errors.New("handler says no")
	}); err != nil {
		return err
	}
	return workflow.Sleep(ctx, time.Hour)
}

func TestWorkflowQueryHandlerError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfQueryFails}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfQueryFails)
	_, err := e.client.QueryWorkflow(wfCtx(t), run.GetID(), "", "broken")
	requireQueryFailed(t, err, "handler says no")
	// The run is unharmed.
	desc, err := e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
}
