package matching

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap/zaptest"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

const testNamespaceID = "ns-1"

// storeBackend opens a TaskStore for one test.
type storeBackend struct {
	name string
	open func(t *testing.T) persistence.TaskStore
}

// storeBackends lists the TaskStore backends tests run against; other test
// files append real backends in init.
var storeBackends = []storeBackend{
	{name: "memory", open: func(*testing.T) persistence.TaskStore { return newMemTaskStore() }},
}

// forEachBackend runs f once per TaskStore backend.
func forEachBackend(t *testing.T, f func(t *testing.T, open func(t *testing.T) persistence.TaskStore)) {
	for _, b := range storeBackends {
		t.Run(b.name, func(t *testing.T) { f(t, b.open) })
	}
}

// countingStore wraps a TaskStore and counts backlog writes.
type countingStore struct {
	persistence.TaskStore
	created  atomic.Int64 // tasks written
	rejected atomic.Int64 // CreateTasks calls refused for a stale range_id
}

func (c *countingStore) CreateTasks(ctx context.Context, key persistence.TaskQueueKey, rangeID int64, tasks []*persistencepb.TaskQueueTask) error {
	err := c.TaskStore.CreateTasks(ctx, key, rangeID, tasks)
	switch {
	case err == nil:
		c.created.Add(int64(len(tasks)))
	case errors.Is(err, persistence.ErrConditionFailed):
		c.rejected.Add(1)
	}
	return err
}

// fakeHistory answers Record*TaskStarted; everything else is unimplemented.
type fakeHistory struct {
	historyservice.HistoryServiceServer

	mu       sync.Mutex
	wfCalls  []*historyservice.RecordWorkflowTaskStartedRequest
	actCalls []*historyservice.RecordActivityTaskStartedRequest
	// onWorkflow / onActivity, when set, answer instead of the default
	// (started).
	onWorkflow func(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error)
	onActivity func(ctx context.Context, req *historyservice.RecordActivityTaskStartedRequest) (*historyservice.RecordActivityTaskStartedResponse, error)
}

func (f *fakeHistory) RecordWorkflowTaskStarted(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error) {
	f.mu.Lock()
	f.wfCalls = append(f.wfCalls, req)
	fn := f.onWorkflow
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, req)
	}
	return startedWorkflowTask(req), nil
}

func (f *fakeHistory) RecordActivityTaskStarted(ctx context.Context, req *historyservice.RecordActivityTaskStartedRequest) (*historyservice.RecordActivityTaskStartedResponse, error) {
	f.mu.Lock()
	f.actCalls = append(f.actCalls, req)
	fn := f.onActivity
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, req)
	}
	return &historyservice.RecordActivityTaskStartedResponse{Response: &workflowservice.PollActivityTaskQueueResponse{
		TaskToken:         []byte(tokenOf(req.GetExecution().GetWorkflowId(), req.GetScheduledEventId())),
		WorkflowExecution: req.GetExecution(),
		ActivityId:        fmt.Sprint(req.GetScheduledEventId()),
		Attempt:           1,
	}}, nil
}

func (f *fakeHistory) setWorkflow(fn func(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error)) {
	f.mu.Lock()
	f.onWorkflow = fn
	f.mu.Unlock()
}

func (f *fakeHistory) workflowCalls() []*historyservice.RecordWorkflowTaskStartedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*historyservice.RecordWorkflowTaskStartedRequest(nil), f.wfCalls...)
}

func startedWorkflowTask(req *historyservice.RecordWorkflowTaskStartedRequest) *historyservice.RecordWorkflowTaskStartedResponse {
	return &historyservice.RecordWorkflowTaskStartedResponse{Response: &workflowservice.PollWorkflowTaskQueueResponse{
		TaskToken:         []byte(tokenOf(req.GetExecution().GetWorkflowId(), req.GetScheduledEventId())),
		WorkflowExecution: req.GetExecution(),
		WorkflowType:      &commonpb.WorkflowType{Name: "wf-type"},
		StartedEventId:    req.GetScheduledEventId() + 1,
		Attempt:           1,
		History:           &historypb.History{},
	}}
}

func tokenOf(workflowID string, scheduledEventID int64) string {
	return fmt.Sprintf("%s/%d", workflowID, scheduledEventID)
}

// harness builds services sharing one store, history and clock.
type harness struct {
	t     *testing.T
	store *countingStore
	hist  *fakeHistory
	clock *clock.Fake
	scope tally.TestScope
	cfg   Config
}

func newHarness(t *testing.T, store persistence.TaskStore) *harness {
	return &harness{
		t:     t,
		store: &countingStore{TaskStore: store},
		hist:  &fakeHistory{},
		clock: clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
		scope: tally.NewTestScope("", nil),
	}
}

// newService starts a service; it is stopped when the test ends.
func (h *harness) newService() *Service {
	h.t.Helper()
	s, err := NewService(h.cfg, Deps{
		TaskStore: h.store,
		History:   h.hist,
		Clock:     h.clock,
		Logger:    zaptest.NewLogger(h.t),
		Metrics:   h.scope,
	})
	require.NoError(h.t, err)
	require.NoError(h.t, s.Start())
	h.t.Cleanup(s.Stop)
	return s
}

// counter sums a matching counter over every tag set that includes tags.
func (h *harness) counter(name string, tags map[string]string) int64 {
	var total int64
	for _, c := range h.scope.Snapshot().Counters() {
		if c.Name() != metricsSubScope+"."+name {
			continue
		}
		match := true
		for k, v := range tags {
			if c.Tags()[k] != v {
				match = false
			}
		}
		if match {
			total += c.Value()
		}
	}
	return total
}

// advanceUntil moves the fake clock forward by step until cond holds. Timers
// created by background goroutines may not exist yet when a given Advance
// runs, so time is advanced repeatedly rather than once.
func (h *harness) advanceUntil(step time.Duration, cond func() bool) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		h.clock.Advance(step)
		return cond()
	}, 10*time.Second, time.Millisecond)
}

func normalQueue(name string) *taskqueuepb.TaskQueue {
	return &taskqueuepb.TaskQueue{Name: name, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
}

func wfKey(name string) partitionKey {
	return partitionKey{namespaceID: testNamespaceID, name: name, taskType: enumspb.TASK_QUEUE_TYPE_WORKFLOW}
}

func addWorkflowTask(ctx context.Context, s *Service, tq *taskqueuepb.TaskQueue, workflowID string, scheduledEventID int64) error {
	_, err := s.AddWorkflowTask(ctx, &matchingservice.AddWorkflowTaskRequest{
		NamespaceId:      testNamespaceID,
		Execution:        &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: "run-" + workflowID},
		TaskQueue:        tq,
		ScheduledEventId: scheduledEventID,
	})
	return err
}

type pollResult struct {
	resp *workflowservice.PollWorkflowTaskQueueResponse
	err  error
}

// token is the task token as a string ("" for an empty poll).
func (r pollResult) token() string { return string(r.resp.GetTaskToken()) }

func pollWorkflow(ctx context.Context, s *Service, tq *taskqueuepb.TaskQueue, pollerID, identity string) pollResult {
	resp, err := s.PollWorkflowTaskQueue(ctx, &matchingservice.PollWorkflowTaskQueueRequest{
		NamespaceId: testNamespaceID,
		PollerId:    pollerID,
		Request: &workflowservice.PollWorkflowTaskQueueRequest{
			Namespace: "default",
			TaskQueue: tq,
			Identity:  identity,
		},
	})
	return pollResult{resp: resp.GetResponse(), err: err}
}

// pollWorkflowAsync polls in a goroutine.
func pollWorkflowAsync(ctx context.Context, s *Service, tq *taskqueuepb.TaskQueue, pollerID, identity string) <-chan pollResult {
	c := make(chan pollResult, 1)
	go func() { c <- pollWorkflow(ctx, s, tq, pollerID, identity) }()
	return c
}

// loadedManager returns the partition's manager, or nil if not loaded.
func (s *Service) loadedManager(key partitionKey) *taskQueueManager {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.managers[key]
	if m == nil || !m.isLoaded() {
		return nil
	}
	return m
}

// waitForPollers waits until n pollers are queued on the partition.
func waitForPollers(t *testing.T, s *Service, key partitionKey, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		m := s.loadedManager(key)
		return m != nil && m.waitingPollers() == n
	}, 10*time.Second, time.Millisecond, "waiting for %d pollers", n)
}

// waitFor waits until cond holds (a state another goroutine reaches).
func waitFor(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, time.Millisecond, msg)
}

// receive returns the value from c, failing if none comes.
func receive[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	var v T
	require.Eventually(t, func() bool {
		select {
		case v = <-c:
			return true
		default:
			return false
		}
	}, 10*time.Second, time.Millisecond, "nothing received")
	return v
}

// storedInfo returns the partition's stored record.
func storedInfo(t *testing.T, store persistence.TaskStore, key partitionKey) *persistencepb.TaskQueueInfo {
	t.Helper()
	infos, err := store.ListTaskQueues(context.Background())
	require.NoError(t, err)
	for _, info := range infos {
		if info.GetNamespaceId() == key.namespaceID && info.GetName() == key.name && info.GetTaskType() == key.taskType {
			return info
		}
	}
	require.FailNow(t, "task queue not stored", "%+v", key)
	return nil
}

// storedTasks returns the partition's backlog tasks.
func storedTasks(t *testing.T, store persistence.TaskStore, key partitionKey) []*persistencepb.TaskQueueTask {
	t.Helper()
	tasks, err := store.GetTasks(context.Background(), key.storeKey(), 0, 1<<62, 10000)
	require.NoError(t, err)
	return tasks
}
