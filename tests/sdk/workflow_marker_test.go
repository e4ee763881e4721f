package sdk_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// wfMarkersResult is what wfMarkers returns and answers to query "values".
type wfMarkersResult struct {
	Random  int
	Mutable []string
	Version workflow.Version
	Local   string
}

// wfLocalUpper is a local activity.
func wfLocalUpper(ctx context.Context, s string) (string, error) {
	return "LOCAL-" + s, nil
}

// wfMarkers records one of each marker kind: a side effect with a random
// value, a mutable side effect that changes once, a version and a local
// activity.
func wfMarkers(ctx workflow.Context) (wfMarkersResult, error) {
	var res wfMarkersResult
	if err := workflow.SetQueryHandler(ctx, "values", func() (wfMarkersResult, error) { return res, nil }); err != nil {
		return res, err
	}
	// A nondeterministic value: only the marker keeps replay consistent.
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return rand.IntN(1 << 30) }).Get(&res.Random); err != nil {
		return res, err
	}
	eq := func(a, b any) bool { return a.(string) == b.(string) }
	for _, v := range []string{"one", "one", "two"} {
		var got string
		if err := workflow.MutableSideEffect(ctx, "cfg", func(workflow.Context) any { return v }, eq).Get(&got); err != nil {
			return res, err
		}
		res.Mutable = append(res.Mutable, got)
	}
	res.Version = workflow.GetVersion(ctx, "change-1", workflow.DefaultVersion, 2)
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 5 * time.Second})
	if err := workflow.ExecuteLocalActivity(lctx, wfLocalUpper, "x").Get(lctx, &res.Local); err != nil {
		return res, err
	}
	return res, nil
}

func TestWorkflowMarkersReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := worker.New(e.client, wfName(t), worker.Options{})
	w.RegisterWorkflow(wfMarkers)
	w.RegisterActivity(wfLocalUpper)
	require.NoError(t, w.Start())

	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfMarkers)
	var res wfMarkersResult
	require.NoError(t, run.Get(wfCtx(t), &res))
	require.Equal(t, []string{"one", "one", "two"}, res.Mutable)
	require.Equal(t, workflow.Version(2), res.Version)
	require.Equal(t, "LOCAL-x", res.Local)
	w.Stop()

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	names := map[string]int{}
	for _, ev := range wfFind(events, enumspb.EVENT_TYPE_MARKER_RECORDED) {
		attrs := ev.GetMarkerRecordedEventAttributes()
		names[attrs.GetMarkerName()]++
		require.NotZero(t, attrs.GetWorkflowTaskCompletedEventId())
		require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, events[attrs.GetWorkflowTaskCompletedEventId()-1].GetEventType())
	}
	// The unchanged second MutableSideEffect value records nothing.
	require.Equal(t, map[string]int{"SideEffect": 1, "MutableSideEffect": 2, "Version": 1, "LocalActivity": 1}, names)

	// Replay through the replayer...
	wfReplay(t, e, run.GetID(), run.GetRunID(), wfMarkers)
	// ...and through a fresh worker answering a query: replay must return
	// the recorded random value, not draw a new one.
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfMarkers}, []any{wfLocalUpper})
	v, err := e.client.QueryWorkflow(wfCtx(t), run.GetID(), run.GetRunID(), "values")
	require.NoError(t, err)
	var replayed wfMarkersResult
	require.NoError(t, v.Get(&replayed))
	require.Equal(t, res, replayed)
}

// wfLongLocal runs a local activity that outlives several workflow task
// timeouts, so the SDK must heartbeat the workflow task.
func wfLongLocal(ctx workflow.Context, d time.Duration) (string, error) {
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second})
	var out string
	err := workflow.ExecuteLocalActivity(lctx, wfSlowLocal, d).Get(lctx, &out)
	return out, err
}

// wfSlowLocal sleeps d.
func wfSlowLocal(ctx context.Context, d time.Duration) (string, error) {
	select {
	case <-time.After(d):
		return "slept", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func TestWorkflowLongLocalActivity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfLongLocal}, []any{wfSlowLocal})

	run := wfStart(t, e, "1", client.StartWorkflowOptions{WorkflowTaskTimeout: 2 * time.Second}, wfLongLocal, 5*time.Second)
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "slept", out)

	events := wfHistory(t, e, run.GetID(), run.GetRunID())
	requireWellFormed(t, events)
	// Heartbeats completed the task (forcing a new one) instead of letting
	// it time out.
	require.Equal(t, 0, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT), "%v", wfEventTypes(events))
	require.Equal(t, 0, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED), "%v", wfEventTypes(events))
	require.GreaterOrEqual(t, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), 3, "%v", wfEventTypes(events))
	markers := wfFind(events, enumspb.EVENT_TYPE_MARKER_RECORDED)
	require.Len(t, markers, 1)
	require.Equal(t, "LocalActivity", markers[0].GetMarkerRecordedEventAttributes().GetMarkerName())
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, events[len(events)-1].GetEventType())
	wfReplay(t, e, run.GetID(), run.GetRunID(), wfLongLocal)
}
