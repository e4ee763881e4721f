package queues

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

const (
	transfer = persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER
	timerCat = persistencepb.TaskCategory_TASK_CATEGORY_TIMER
	visCat   = persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY
	// replication is not a category a Queue serves.
	replication = persistencepb.TaskCategory_TASK_CATEGORY_REPLICATION
)

// t0 is where every fake clock starts.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// waitFor and tick bound require.Eventually: generous, since it only
// waits for goroutines, and never asserts on timing.
const (
	waitFor = 10 * time.Second
	tick    = time.Millisecond
)

// ---- in-memory ExecutionStore (task methods only) ----

type rangeCall struct {
	Min, Max persistence.TaskKey
	Err      error
}

// memStore keeps history tasks in memory. Only the task methods are
// implemented; the rest of ExecutionStore is not used by the queue.
type memStore struct {
	mu     sync.Mutex
	tasks  map[persistencepb.TaskCategory]map[int64]*persistencepb.HistoryTask
	gets   []persistence.GetHistoryTasksRequest
	ranges []rangeCall
	// rangeErr, when set, fails RangeCompleteHistoryTasks.
	rangeErr error
	// getErrs fails the next len(getErrs) GetHistoryTasks calls.
	getErrs []error
	// afterRead, when set, runs after a page was read and before it is
	// returned (outside the lock); it may block.
	afterRead func(req persistence.GetHistoryTasksRequest, page []*persistencepb.HistoryTask)
}

var _ persistence.ExecutionStore = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{tasks: map[persistencepb.TaskCategory]map[int64]*persistencepb.HistoryTask{}}
}

// storeKey is the store's own notion of a task's key (deliberately not
// KeyOf).
func storeKey(t *persistencepb.HistoryTask) persistence.TaskKey {
	if t.GetCategory() == timerCat {
		return persistence.TaskKey{FireTime: t.GetVisibilityTime().AsTime(), TaskID: t.GetTaskId()}
	}
	return persistence.TaskKey{TaskID: t.GetTaskId()}
}

func (s *memStore) put(tasks ...*persistencepb.HistoryTask) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tasks {
		m := s.tasks[t.GetCategory()]
		if m == nil {
			m = map[int64]*persistencepb.HistoryTask{}
			s.tasks[t.GetCategory()] = m
		}
		m[t.GetTaskId()] = t
	}
}

func (s *memStore) ids(c persistencepb.TaskCategory) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id := range s.tasks[c] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (s *memStore) getCalls() []persistence.GetHistoryTasksRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.gets)
}

func (s *memStore) rangeCalls() []rangeCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ranges)
}

func (s *memStore) failGets(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.getErrs = append(s.getErrs, errs...)
}

func (s *memStore) setRangeErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rangeErr = err
}

func (s *memStore) GetHistoryTasks(_ context.Context, req *persistence.GetHistoryTasksRequest) ([]*persistencepb.HistoryTask, []byte, error) {
	s.mu.Lock()
	s.gets = append(s.gets, *req)
	if len(s.getErrs) > 0 {
		err := s.getErrs[0]
		s.getErrs = s.getErrs[1:]
		s.mu.Unlock()
		return nil, nil, err
	}
	min := req.MinKey
	if req.NextPageToken != nil {
		var last persistence.TaskKey
		if err := json.Unmarshal(req.NextPageToken, &last); err != nil {
			panic(err)
		}
		min = successor(last)
	}
	var all []*persistencepb.HistoryTask
	for _, t := range s.tasks[req.Category] {
		k := storeKey(t)
		if k.Compare(min) >= 0 && k.Compare(req.MaxKey) < 0 {
			all = append(all, t)
		}
	}
	slices.SortFunc(all, func(a, b *persistencepb.HistoryTask) int { return storeKey(a).Compare(storeKey(b)) })
	var token []byte
	if len(all) > req.BatchSize {
		all = all[:req.BatchSize]
		token, _ = json.Marshal(storeKey(all[len(all)-1]))
	}
	hook := s.afterRead
	s.mu.Unlock()
	if hook != nil {
		hook(*req, all)
	}
	return all, token, nil
}

func (s *memStore) RangeCompleteHistoryTasks(_ context.Context, shardID int32, c persistencepb.TaskCategory, min, max persistence.TaskKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rangeErr != nil {
		s.ranges = append(s.ranges, rangeCall{Min: min, Max: max, Err: s.rangeErr})
		return s.rangeErr
	}
	s.ranges = append(s.ranges, rangeCall{Min: min, Max: max})
	for id, t := range s.tasks[c] {
		k := storeKey(t)
		if k.Compare(min) >= 0 && k.Compare(max) < 0 {
			delete(s.tasks[c], id)
		}
	}
	return nil
}

const notUsed = "not used in queue tests"

func (s *memStore) CreateWorkflowExecution(context.Context, *persistence.CreateWorkflowExecutionRequest) error {
	panic(notUsed)
}

func (s *memStore) UpdateWorkflowExecution(context.Context, *persistence.UpdateWorkflowExecutionRequest) error {
	panic(notUsed)
}

func (s *memStore) WriteShardBatch(context.Context, *persistence.ShardBatchRequest) error {
	panic(notUsed)
}

func (s *memStore) GetWorkflowExecution(context.Context, int32, string, string, string) (*persistencepb.WorkflowMutableState, error) {
	panic(notUsed)
}

func (s *memStore) GetCurrentExecution(context.Context, int32, string, string) (*persistencepb.CurrentExecution, error) {
	panic(notUsed)
}

func (s *memStore) DeleteWorkflowExecution(context.Context, int32, string, string, string) error {
	panic(notUsed)
}

// ---- recording executor ----

type recExec struct {
	clk *clock.Fake
	mu  sync.Mutex
	// calls counts Execute calls per task; done counts nil results.
	calls map[int64]int
	done  map[int64]int
	order []int64
	at    map[int64]time.Time
	// behave, when set, decides the result (after the call is counted).
	behave func(ctx context.Context, t *persistencepb.HistoryTask, attempt int) error
}

func newRecExec(clk *clock.Fake) *recExec {
	return &recExec{clk: clk, calls: map[int64]int{}, done: map[int64]int{}, at: map[int64]time.Time{}}
}

func (e *recExec) Execute(ctx context.Context, t *persistencepb.HistoryTask) error {
	id := t.GetTaskId()
	e.mu.Lock()
	e.calls[id]++
	attempt := e.calls[id]
	behave := e.behave
	e.mu.Unlock()
	var err error
	if behave != nil {
		err = behave(ctx, t, attempt)
	}
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.done[id]++
	e.order = append(e.order, id)
	e.at[id] = e.clk.Now()
	e.mu.Unlock()
	return nil
}

func (e *recExec) doneCount(id int64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.done[id]
}

func (e *recExec) callCount(id int64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[id]
}

func (e *recExec) doneIDs() []int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []int64
	for id := range e.done {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (e *recExec) doneOrder() []int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.order)
}

func (e *recExec) doneAt(id int64) time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.at[id]
}

// ---- harness ----

type harness struct {
	t     *testing.T
	cat   persistencepb.TaskCategory
	cfg   Config
	clk   *clock.Fake
	store *memStore
	exec  *recExec
	scope tally.TestScope
	q     *Queue
	seed  uint64

	mu        sync.Mutex
	persisted []persistence.TaskKey
	persists  int   // PersistAck calls, failed ones included
	persistEr error // when set, PersistAck fails
	// checkAck, when set, runs inside PersistAck before it succeeds.
	checkAck func(persistence.TaskKey)
}

func newHarness(t *testing.T, cat persistencepb.TaskCategory, cfg Config) *harness {
	t.Helper()
	clk := clock.NewFake(t0)
	h := &harness{t: t, cat: cat, cfg: cfg, clk: clk, store: newMemStore(), exec: newRecExec(clk), seed: 1}
	return h
}

// newQueue makes a queue over the harness's store and executor (a fresh
// one per "process").
func (h *harness) newQueue() *Queue {
	h.t.Helper()
	h.scope = tally.NewTestScope("", nil)
	q, err := New(h.cfg, Deps{
		ShardID:    7,
		Category:   h.cat,
		Store:      h.store,
		Executor:   h.exec,
		PersistAck: h.persistAck,
		Clock:      h.clk,
		Rand:       rand.New(rand.NewPCG(h.seed, 0)),
		Logger:     zaptest.NewLogger(h.t),
		Metrics:    h.scope,
	})
	require.NoError(h.t, err)
	h.q = q
	h.t.Cleanup(q.Stop)
	return q
}

func (h *harness) start(ack persistence.TaskKey) *Queue {
	h.t.Helper()
	q := h.newQueue()
	require.NoError(h.t, q.Start(ack))
	return q
}

func (h *harness) persistAck(_ context.Context, ack persistence.TaskKey) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.persists++
	if h.persistEr != nil {
		return h.persistEr
	}
	if h.checkAck != nil {
		h.checkAck(ack)
	}
	h.persisted = append(h.persisted, ack)
	return nil
}

func (h *harness) persistedLevels() []persistence.TaskKey {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.persisted)
}

func (h *harness) lastPersisted() (persistence.TaskKey, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.persisted) == 0 {
		return persistence.TaskKey{}, false
	}
	return h.persisted[len(h.persisted)-1], true
}

func (h *harness) persistCalls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.persists
}

func (h *harness) setPersistErr(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.persistEr = err
}

// task makes a task of the harness's category; fire is used by timers.
func (h *harness) task(id int64, fire time.Time) *persistencepb.HistoryTask {
	t := &persistencepb.HistoryTask{
		ShardId:    7,
		Category:   h.cat,
		Type:       persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK,
		TaskId:     id,
		WorkflowId: "wf",
		RunId:      "run",
	}
	if h.cat == timerCat {
		t.Type = persistencepb.TaskType_TASK_TYPE_USER_TIMER
		t.VisibilityTime = timestamppb.New(fire)
	} else {
		t.VisibilityTime = timestamppb.New(t0)
	}
	return t
}

func (h *harness) key(id int64, fire time.Time) persistence.TaskKey {
	if h.cat == timerCat {
		return persistence.TaskKey{FireTime: fire, TaskID: id}
	}
	return persistence.TaskKey{TaskID: id}
}

// reserve reserves the given IDs (timers: at the given fire times).
func (h *harness) reserve(ids []int64, fires ...time.Time) *Reservation {
	keys := make([]persistence.TaskKey, len(ids))
	for i, id := range ids {
		var f time.Time
		if len(fires) > 0 {
			f = fires[i]
		}
		keys[i] = h.key(id, f)
	}
	return h.q.Reserve(keys)
}

// write builds the reservation's tasks from its keys (as the shard does)
// and writes them to the store.
func (h *harness) write(r *Reservation) []*persistencepb.HistoryTask {
	var tasks []*persistencepb.HistoryTask
	for _, k := range r.Keys() {
		tasks = append(tasks, h.task(k.TaskID, k.FireTime))
	}
	h.store.put(tasks...)
	return tasks
}

// commitNew runs one whole transaction: reserve, write, commit.
func (h *harness) commitNew(ids []int64, fires ...time.Time) []*persistencepb.HistoryTask {
	r := h.reserve(ids, fires...)
	tasks := h.write(r)
	r.Commit(tasks)
	return tasks
}

// advanceUntil advances the fake clock by step until cond holds; for
// periodic work (ack ticks, retries) where the exact instant does not
// matter.
func (h *harness) advanceUntil(step time.Duration, cond func() bool, msgAndArgs ...any) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		if cond() {
			return true
		}
		h.clk.Advance(step)
		return false
	}, waitFor, tick, msgAndArgs...)
}

// windowEnd is the timer queue's loaded window end.
func (h *harness) windowEnd() persistence.TaskKey {
	h.q.mu.Lock()
	defer h.q.mu.Unlock()
	return h.q.tr.windowEnd
}

func (h *harness) eventually(cond func() bool, msgAndArgs ...any) {
	h.t.Helper()
	require.Eventually(h.t, cond, waitFor, tick, msgAndArgs...)
}

func ids(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func tk(id int64) persistence.TaskKey { return persistence.TaskKey{TaskID: id} }

func counter(s tally.TestScope, name string) int64 {
	for _, c := range s.Snapshot().Counters() {
		if c.Name() == name {
			return c.Value()
		}
	}
	return 0
}
