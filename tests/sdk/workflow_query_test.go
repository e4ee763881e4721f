package sdk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// wfQueryable answers query "state": "waiting" until signal "set" arrives,
// then "got:<value>" until signal "finish", then "done".
func wfQueryable(ctx workflow.Context) (string, error) {
	state := "waiting"
	if err := workflow.SetQueryHandler(ctx, "state", func() (string, error) { return state, nil }); err != nil {
		return "", err
	}
	var v string
	workflow.GetSignalChannel(ctx, "set").Receive(ctx, &v)
	state = "got:" + v
	workflow.GetSignalChannel(ctx, "finish").Receive(ctx, nil)
	state = "done"
	return state, nil
}

// wfQueryState runs query "state" and decodes its string result.
func wfQueryState(ctx context.Context, t *testing.T, e *env, id, runID string) (string, error) {
	t.Helper()
	v, err := e.client.QueryWorkflow(ctx, id, runID, "state")
	if err != nil {
		return "", err
	}
	var s string
	require.NoError(t, v.Get(&s))
	return s, nil
}

// requireQueryFailed checks err is QueryFailed mentioning want.
func requireQueryFailed(t *testing.T, err error, want string) {
	t.Helper()
	var qf *serviceerror.QueryFailed
	require.Truef(t, errors.As(err, &qf), "want QueryFailed, got %T %v", err, err)
	require.Contains(t, qf.Error(), want)
}

func TestWorkflowQueryHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfQueryable}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfQueryable)

	s, err := wfQueryState(wfCtx(t), t, e, run.GetID(), run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, "waiting", s)

	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "set", "x"))
	// The signal is processed by a workflow task after SignalWorkflow
	// returns; a query sees it once that task ran.
	require.Eventually(t, func() bool {
		s, err := wfQueryState(wfCtx(t), t, e, run.GetID(), "")
		require.NoError(t, err)
		return s == "got:x"
	}, 10*time.Second, 20*time.Millisecond)

	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "finish", nil))
	var out string
	require.NoError(t, run.Get(wfCtx(t), &out))
	require.Equal(t, "done", out)

	// A closed run is still queryable: the worker replays its history.
	s, err = wfQueryState(wfCtx(t), t, e, run.GetID(), run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, "done", s)
}

func TestWorkflowQueryCompletedNotCached(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfQueryable)
	w := worker.New(e.client, wfName(t), worker.Options{})
	w.RegisterWorkflow(wfQueryable)
	require.NoError(t, w.Start())
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "set", "y"))
	require.NoError(t, e.client.SignalWorkflow(wfCtx(t), run.GetID(), "", "finish", nil))
	require.NoError(t, run.Get(wfCtx(t), nil))
	w.Stop()

	// A fresh worker has nothing cached and must replay the full history.
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfQueryable}, nil)
	s, err := wfQueryState(wfCtx(t), t, e, run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, "done", s)
}

func TestWorkflowQueryUnknownType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfQueryable}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfQueryable)

	_, err := e.client.QueryWorkflow(wfCtx(t), run.GetID(), run.GetRunID(), "no-such-query")
	requireQueryFailed(t, err, "no-such-query")

	// The workflow is unharmed: a known query still works.
	s, err := wfQueryState(wfCtx(t), t, e, run.GetID(), run.GetRunID())
	require.NoError(t, err)
	require.Equal(t, "waiting", s)
}

func TestWorkflowQueryWithoutWorkerWaits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// No worker ever polls this queue.
	run := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfQueryable)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := e.client.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), "state")
	require.Error(t, err)
	// Only the deadline may end the query: an early answer ("no poller",
	// NotFound, an empty result, ...) is a different error type. (The SDK
	// gives the RPC half the caller's remaining time, so the RPC deadline
	// is what fires.)
	var de *serviceerror.DeadlineExceeded
	require.Truef(t, errors.As(err, &de) || errors.Is(err, context.DeadlineExceeded),
		"want a deadline error, got %T %v", err, err)
}

func TestWorkflowQueryUnknownWorkflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.client.QueryWorkflow(wfCtx(t), wfName(t)+"-never", "", "state")
	var nf *serviceerror.NotFound
	require.Truef(t, errors.As(err, &nf), "want NotFound, got %T %v", err, err)
}
