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

// wfSleep sleeps d and reports that it woke.
func wfSleep(ctx workflow.Context, d time.Duration) (string, error) {
	if err := workflow.Sleep(ctx, d); err != nil {
		return "", err
	}
	return "woke", nil
}

// wfTimerOrder starts a long and a short timer and records the order in
// which they fire.
func wfTimerOrder(ctx workflow.Context) ([]string, error) {
	var order []string
	long := workflow.NewTimer(ctx, 900*time.Millisecond)
	short := workflow.NewTimer(ctx, 200*time.Millisecond)
	s := workflow.NewSelector(ctx)
	s.AddFuture(long, func(f workflow.Future) { order = append(order, "long") })
	s.AddFuture(short, func(f workflow.Future) { order = append(order, "short") })
	s.Select(ctx)
	s.Select(ctx)
	for _, f := range []workflow.Future{long, short} {
		if err := f.Get(ctx, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// wfTimerCancel starts an hour-long timer, cancels its context once a short
// sleep has passed, and reports whether the timer ended canceled.
func wfTimerCancel(ctx workflow.Context) (bool, error) {
	timerCtx, cancel := workflow.WithCancel(ctx)
	timer := workflow.NewTimer(timerCtx, time.Hour)
	if err := workflow.Sleep(ctx, 100*time.Millisecond); err != nil {
		return false, err
	}
	cancel()
	err := timer.Get(ctx, nil)
	var canceled *temporal.CanceledError
	return errors.As(err, &canceled), nil
}

// wfTimerVsSignal races a timer of d against signal "wake"; the loser is
// canceled.
func wfTimerVsSignal(ctx workflow.Context, d time.Duration) (string, error) {
	timerCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	var out string
	s := workflow.NewSelector(ctx)
	s.AddFuture(workflow.NewTimer(timerCtx, d), func(f workflow.Future) {
		if err := f.Get(ctx, nil); err != nil {
			out = "timer error: " + err.Error()
			return
		}
		out = "timer"
	})
	s.AddReceive(workflow.GetSignalChannel(ctx, "wake"), func(c workflow.ReceiveChannel, more bool) {
		var v string
		c.Receive(ctx, &v)
		out = "signal:" + v
	})
	s.Select(ctx)
	cancel()
	// One more tiny sleep so the cancel is recorded before completion.
	if err := workflow.Sleep(ctx, 10*time.Millisecond); err != nil {
		return "", err
	}
	return out, nil
}

func TestWorkflowTimerSleep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfSleep}, nil)

	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfSleep, 300*time.Millisecond)
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "woke", out)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	started := wfFind(events, enumspb.EVENT_TYPE_TIMER_STARTED)
	fired := wfFind(events, enumspb.EVENT_TYPE_TIMER_FIRED)
	require.Len(t, started, 1)
	require.Len(t, fired, 1)
	require.Equal(t, 300*time.Millisecond, started[0].GetTimerStartedEventAttributes().GetStartToFireTimeout().AsDuration())
	require.Equal(t, started[0].GetTimerStartedEventAttributes().GetTimerId(), fired[0].GetTimerFiredEventAttributes().GetTimerId())
	require.Equal(t, started[0].GetEventId(), fired[0].GetTimerFiredEventAttributes().GetStartedEventId())
	require.Less(t, started[0].GetEventId(), fired[0].GetEventId())
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, events[len(events)-1].GetEventType())
}

func TestWorkflowTimerOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfTimerOrder}, nil)

	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfTimerOrder)
	var order []string
	require.NoError(t, run.Get(wfCtx(t), &order))
	require.Equal(t, []string{"short", "long"}, order)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	require.Equal(t, 2, wfCount(events, enumspb.EVENT_TYPE_TIMER_STARTED))
	fired := wfFind(events, enumspb.EVENT_TYPE_TIMER_FIRED)
	require.Len(t, fired, 2)
	// The short timer (started second) fires first.
	started := wfFind(events, enumspb.EVENT_TYPE_TIMER_STARTED)
	require.Equal(t, started[1].GetTimerStartedEventAttributes().GetTimerId(), fired[0].GetTimerFiredEventAttributes().GetTimerId())
	require.Equal(t, started[0].GetTimerStartedEventAttributes().GetTimerId(), fired[1].GetTimerFiredEventAttributes().GetTimerId())
}

func TestWorkflowTimerCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfTimerCancel}, nil)

	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfTimerCancel)
	var canceled bool
	require.NoError(t, run.Get(wfCtx(t), &canceled))
	require.True(t, canceled, "the canceled timer's future must fail with CanceledError")

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	started := wfFind(events, enumspb.EVENT_TYPE_TIMER_STARTED)
	require.Len(t, started, 2) // the hour timer and the short sleep
	canceledEvents := wfFind(events, enumspb.EVENT_TYPE_TIMER_CANCELED)
	require.Len(t, canceledEvents, 1)
	attrs := canceledEvents[0].GetTimerCanceledEventAttributes()
	require.Equal(t, started[0].GetTimerStartedEventAttributes().GetTimerId(), attrs.GetTimerId())
	require.Equal(t, started[0].GetEventId(), attrs.GetStartedEventId())
	// Only the short sleep fired.
	fired := wfFind(events, enumspb.EVENT_TYPE_TIMER_FIRED)
	require.Len(t, fired, 1)
	require.Equal(t, started[1].GetTimerStartedEventAttributes().GetTimerId(), fired[0].GetTimerFiredEventAttributes().GetTimerId())
	wfReplay(t, e, run.GetID(), run.GetRunID(), wfTimerCancel)
}

func TestWorkflowTimerRacesSignal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	queue := wfName(t)
	wfWorker(t, e, queue, worker.Options{}, []any{wfTimerVsSignal}, nil)

	t.Run("signal wins", func(t *testing.T) {
		run := wfStart(t, e, "signal", client.StartWorkflowOptions{TaskQueue: queue}, wfTimerVsSignal, time.Hour)
		// Signal only once the timer is durably started, so the race is
		// real: the signal must cancel a started timer.
		require.Eventually(t, func() bool {
			return wfCount(wfHistory(t, e, run.GetID(), run.GetRunID()), enumspb.EVENT_TYPE_TIMER_STARTED) == 1
		}, 10*time.Second, 20*time.Millisecond)
		require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "wake", "hi"))
		var out string
		require.NoError(t, run.Get(wfCtx(t), &out))
		require.Equal(t, "signal:hi", out)

		events := wfHistory(t, e, run.GetID(), run.GetRunID())
		requireWellFormed(t, events)
		signaled := wfIndex(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
		canceled := wfIndex(events, enumspb.EVENT_TYPE_TIMER_CANCELED)
		require.NotEqual(t, -1, signaled)
		require.Greater(t, canceled, signaled, "the hour timer is canceled after the signal: %v", wfEventTypes(events))
		require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_TIMER_FIRED)) // only the 10ms sleep
	})

	t.Run("timer wins", func(t *testing.T) {
		run := wfStart(t, e, "timer", client.StartWorkflowOptions{TaskQueue: queue}, wfTimerVsSignal, 300*time.Millisecond)
		var out string
		require.NoError(t, run.Get(wfCtx(t), &out))
		require.Equal(t, "timer", out)

		events := wfHistory(t, e, run.GetID(), run.GetRunID())
		requireWellFormed(t, events)
		require.Equal(t, 0, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))
		require.Equal(t, 0, wfCount(events, enumspb.EVENT_TYPE_TIMER_CANCELED))
		require.Equal(t, 2, wfCount(events, enumspb.EVENT_TYPE_TIMER_FIRED))
	})
}
