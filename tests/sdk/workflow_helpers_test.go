package sdk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// Helpers shared by the workflow_*_test.go files. Every test starts its own
// dev server (newEnv) and uses a task queue and workflow IDs derived from
// its name, so tests can run in parallel.

// wfTestTimeout bounds every client call a workflow test makes.
const wfTestTimeout = 15 * time.Second

// wfName turns the test's name into a task queue / workflow ID prefix.
func wfName(t *testing.T) string {
	return strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
}

// wfCtx returns a context that ends with the test or after wfTestTimeout.
func wfCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wfTestTimeout)
	t.Cleanup(cancel)
	return ctx
}

// wfWorker starts a worker on queue registering the given workflows and
// activities; it stops when the test ends.
func wfWorker(t *testing.T, e *env, queue string, opts worker.Options, workflows []any, activities []any) worker.Worker {
	t.Helper()
	w := worker.New(e.client, queue, opts)
	for _, wf := range workflows {
		w.RegisterWorkflow(wf)
	}
	for _, a := range activities {
		w.RegisterActivity(a)
	}
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return w
}

// wfHistory reads a run's whole history through the SDK iterator.
func wfHistory(t *testing.T, e *env, workflowID, runID string) []*historypb.HistoryEvent {
	t.Helper()
	it := e.client.GetWorkflowHistory(wfCtx(t), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		events = append(events, ev)
	}
	return events
}

// wfEventTypes lists the types of events.
func wfEventTypes(events []*historypb.HistoryEvent) []enumspb.EventType {
	out := make([]enumspb.EventType, len(events))
	for i, ev := range events {
		out[i] = ev.GetEventType()
	}
	return out
}

// wfCount counts events of type typ.
func wfCount(events []*historypb.HistoryEvent, typ enumspb.EventType) int {
	n := 0
	for _, ev := range events {
		if ev.GetEventType() == typ {
			n++
		}
	}
	return n
}

// wfFind returns the events of type typ.
func wfFind(events []*historypb.HistoryEvent, typ enumspb.EventType) []*historypb.HistoryEvent {
	var out []*historypb.HistoryEvent
	for _, ev := range events {
		if ev.GetEventType() == typ {
			out = append(out, ev)
		}
	}
	return out
}

// wfIndex is the index of the first event of type typ, or -1.
func wfIndex(events []*historypb.HistoryEvent, typ enumspb.EventType) int {
	for i, ev := range events {
		if ev.GetEventType() == typ {
			return i
		}
	}
	return -1
}

// requireWellFormed checks what every history must satisfy: it starts with
// WorkflowExecutionStarted and its event IDs run 1, 2, 3, ...
func requireWellFormed(t *testing.T, events []*historypb.HistoryEvent) {
	t.Helper()
	require.NotEmpty(t, events)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, events[0].GetEventType())
	for i, ev := range events {
		require.Equal(t, int64(i+1), ev.GetEventId(), "event %d (%s) has the wrong ID", i, ev.GetEventType())
	}
}

// wfReplay replays a run's history through a fresh replayer that knows the
// given workflows; it must not report nondeterminism.
func wfReplay(t *testing.T, e *env, workflowID, runID string, workflows ...any) {
	t.Helper()
	events := wfHistory(t, e, workflowID, runID)
	r := worker.NewWorkflowReplayer()
	for _, wf := range workflows {
		r.RegisterWorkflow(wf)
	}
	require.NoError(t, r.ReplayWorkflowHistory(nil, &historypb.History{Events: events}))
}

// wfStart starts a workflow with ID and queue set from the test's name
// plus suffix, applying opts on top.
func wfStart(t *testing.T, e *env, suffix string, opts client.StartWorkflowOptions, wf any, args ...any) client.WorkflowRun {
	t.Helper()
	if opts.ID == "" {
		opts.ID = wfName(t) + "-" + suffix
	}
	if opts.TaskQueue == "" {
		opts.TaskQueue = wfName(t)
	}
	run, err := e.client.ExecuteWorkflow(wfCtx(t), opts, wf, args...)
	require.NoError(t, err)
	return run
}
