package sdk_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// Helpers for the activity_* and limits_* tests. Names carry an "act"
// prefix so that they do not collide with helpers of other test files in
// this package.

// actTimeout bounds one test's calls to the server.
const actTimeout = 30 * time.Second

// actName returns a name unique to the running test, for task queues and
// workflow IDs.
func actName(t *testing.T, suffix string) string {
	t.Helper()
	return strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + "-" + suffix
}

// actContext returns a context that ends with the test or after actTimeout.
func actContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), actTimeout)
	t.Cleanup(cancel)
	return ctx
}

// actStartWorker starts a worker on taskQueue with what register adds and
// stops it when the test ends.
func actStartWorker(t *testing.T, c client.Client, taskQueue string, register func(w worker.Worker)) worker.Worker {
	t.Helper()
	w := worker.New(c, taskQueue, worker.Options{})
	register(w)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return w
}

// actHistory returns every event of a run.
func actHistory(t *testing.T, c client.Client, workflowID, runID string) []*historypb.HistoryEvent {
	t.Helper()
	it := c.GetWorkflowHistory(actContext(t), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		events = append(events, e)
	}
	for i, e := range events {
		require.Equal(t, int64(i+1), e.GetEventId(), "event IDs must be contiguous from 1")
	}
	return events
}

// actEvents returns the events of type typ.
func actEvents(events []*historypb.HistoryEvent, typ enumspb.EventType) []*historypb.HistoryEvent {
	var out []*historypb.HistoryEvent
	for _, e := range events {
		if e.GetEventType() == typ {
			out = append(out, e)
		}
	}
	return out
}

// actCountEvents counts the events of each type.
func actCountEvents(events []*historypb.HistoryEvent) map[enumspb.EventType]int {
	out := map[enumspb.EventType]int{}
	for _, e := range events {
		out[e.GetEventType()]++
	}
	return out
}

// actDescribe describes a run.
func actDescribe(t *testing.T, c client.Client, workflowID, runID string) *workflowservice.DescribeWorkflowExecutionResponse {
	t.Helper()
	resp, err := c.DescribeWorkflowExecution(actContext(t), workflowID, runID)
	require.NoError(t, err)
	return resp
}

// actAttempts records the attempts an activity saw, safely across
// goroutines.
type actAttempts struct {
	mu   sync.Mutex
	seen []int32
}

func (a *actAttempts) add(n int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, n)
}

func (a *actAttempts) get() []int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int32(nil), a.seen...)
}
