package queues

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/uber-go/tally/v4"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Executor runs tasks. It is called from several goroutines at once.
type Executor interface {
	// Execute runs one task. nil means done, including "stale, dropped";
	// an error means retry later (with backoff, until the queue stops).
	// ctx is canceled when the queue stops. The task is shared with the
	// queue and must not be modified. Execute must be idempotent: a task
	// may run again after a crash or a shard move.
	Execute(ctx context.Context, task *persistencepb.HistoryTask) error
}

// Deps are a queue's collaborators.
type Deps struct {
	ShardID int32
	// Category is TRANSFER or VISIBILITY (immediate, ordered by task ID) or
	// TIMER (scheduled, ordered by (fire time, task ID)).
	Category persistencepb.TaskCategory
	// Store is read (GetHistoryTasks) and range-deleted
	// (RangeCompleteHistoryTasks) for Category on ShardID only.
	Store    persistence.ExecutionStore
	Executor Executor
	// PersistAck stores the new ack level (the shard writes it into
	// ShardInfo with its range_id condition). Called from the queue's ack
	// loop only, never concurrently with itself, with strictly increasing
	// levels. An error (ownership lost included) is logged and the level
	// is offered again on the next tick; the queue does not delete store
	// tasks above the last level PersistAck accepted.
	PersistAck func(ctx context.Context, ack persistence.TaskKey) error
	Clock      clock.Clock
	// Rand jitters retry backoff. Nil: seeded from the clock and shard ID.
	// The queue serializes its use.
	Rand *rand.Rand
	// Logger; nil means zap.NewNop().
	Logger *zap.Logger
	// Metrics; nil means tally.NoopScope.
	Metrics tally.Scope
}

type queueState int

const (
	stateNew queueState = iota
	stateStarting
	stateStarted
	stateStopped
)

// Queue runs one shard's tasks of one category. See the package doc for
// what it guarantees.
type Queue struct {
	cfg        Config
	shardID    int32
	category   persistencepb.TaskCategory
	scheduled  bool
	store      persistence.ExecutionStore
	executor   Executor
	persistAck func(context.Context, persistence.TaskKey) error
	clock      clock.Clock
	logger     *zap.Logger
	metrics    tally.Scope

	// ctx is the parent of every store and Execute call; Stop cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	// wakeCh nudges the dispatcher (new or re-queued task, load finished).
	wakeCh chan struct{}
	// loadCh asks the loader for the next timer window.
	loadCh chan struct{}
	// workCh hands tasks from the dispatcher to the workers.
	workCh chan *entry
	// runners counts the dispatcher, the loader and the workers.
	runners sync.WaitGroup
	// ackDone is closed when the ack loop has made its last persist.
	ackDone chan struct{}

	// Owned by the ack loop (and by Start before the loop exists).
	persisted persistence.TaskKey // last level PersistAck accepted
	deleted   persistence.TaskKey // store tasks <= deleted are range-deleted
	swept     bool                // a range delete succeeded since Start

	mu    sync.Mutex
	state queueState
	tr    *tracker
	// entries are the tasks in memory and not done, by task ID.
	entries map[int64]*entry
	// ready orders the entries that wait to run (not running) by due time.
	ready entryHeap
	// loadRequested: the dispatcher asked for the next timer window and
	// that load has not finished.
	loadRequested bool
	// loading: a load of keys [tr.windowEnd, loadingEnd) is in progress.
	loading    bool
	loadingEnd persistence.TaskKey
	// loadSeen holds the IDs of tasks that entered memory through Commit
	// during the current load; the load skips them.
	loadSeen map[int64]struct{}
	rand     *rand.Rand
}

// New checks cfg and deps and returns a queue ready to Start.
func New(cfg Config, deps Deps) (*Queue, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	switch deps.Category {
	case persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER,
		persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY,
		persistencepb.TaskCategory_TASK_CATEGORY_TIMER:
	default:
		return nil, fmt.Errorf("queues: Deps.Category must be TRANSFER, VISIBILITY or TIMER, got %v", deps.Category)
	}
	switch {
	case deps.Store == nil:
		return nil, errors.New("queues: Deps.Store is required")
	case deps.Executor == nil:
		return nil, errors.New("queues: Deps.Executor is required")
	case deps.PersistAck == nil:
		return nil, errors.New("queues: Deps.PersistAck is required")
	case deps.Clock == nil:
		return nil, errors.New("queues: Deps.Clock is required")
	}
	r := deps.Rand
	if r == nil {
		r = rand.New(rand.NewPCG(uint64(deps.Clock.Now().UnixNano()), uint64(deps.ShardID)))
	}
	logger := deps.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	metrics := deps.Metrics
	if metrics == nil {
		metrics = tally.NoopScope
	}
	name := categoryName(deps.Category)
	ctx, cancel := context.WithCancel(context.Background())
	return &Queue{
		cfg:        cfg,
		shardID:    deps.ShardID,
		category:   deps.Category,
		scheduled:  isScheduled(deps.Category),
		store:      deps.Store,
		executor:   deps.Executor,
		persistAck: deps.PersistAck,
		clock:      deps.Clock,
		logger:     logger.With(zap.Int32("shard-id", deps.ShardID), zap.String("queue", name)),
		metrics:    metrics.Tagged(map[string]string{tagCategory: name}),
		ctx:        ctx,
		cancel:     cancel,
		wakeCh:     make(chan struct{}, 1),
		loadCh:     make(chan struct{}, 1),
		workCh:     make(chan *entry),
		ackDone:    make(chan struct{}),
		entries:    map[int64]*entry{},
		rand:       r,
	}, nil
}

// Start loads the tasks with key > ackLevel from the store (paging; for the
// timer queue only those in the first window, [ackLevel, now+lookahead);
// later windows are loaded as the clock approaches them) and starts the
// workers. Reserve and Commit may be called once Start has begun, including
// while it loads. A load error is returned and leaves the queue stopped.
func (q *Queue) Start(ackLevel persistence.TaskKey) error {
	q.mu.Lock()
	switch q.state {
	case stateStopped:
		q.mu.Unlock()
		return ErrStopped
	case stateStarting, stateStarted:
		q.mu.Unlock()
		return ErrStarted
	}
	q.state = stateStarting
	q.tr = newTracker(ackLevel)
	q.persisted = ackLevel
	q.deleted = ackLevel
	from := q.tr.windowEnd
	to := maxImmediateKey
	if q.scheduled {
		to = maxKey(from, q.timerWindowEndLocked())
	}
	q.beginLoadLocked(to)
	q.mu.Unlock()

	if err := q.load(from, to, false); err != nil {
		q.mu.Lock()
		q.state = stateStopped
		q.mu.Unlock()
		q.cancel()
		if q.ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return ErrStopped
		}
		return fmt.Errorf("queues: shard %d: loading %s tasks above %s: %w",
			q.shardID, categoryName(q.category), keyString(ackLevel), err)
	}

	q.mu.Lock()
	if q.state != stateStarting {
		q.mu.Unlock()
		return ErrStopped
	}
	q.state = stateStarted
	pending := len(q.entries)
	q.mu.Unlock()

	q.runners.Add(q.cfg.Workers + 2)
	for i := 0; i < q.cfg.Workers; i++ {
		go q.worker()
	}
	go q.dispatch()
	go q.loader()
	go q.ackLoop()
	q.logger.Info("queue started", zap.String("ack-level", keyString(ackLevel)), zap.Int("pending", pending))
	return nil
}

// Stop stops the workers and waits for the running Execute calls (their
// ctx is canceled; a task whose Execute returns an error stays unfinished),
// then persists the ack level one last time and range-deletes below it
// (best effort, bounded by PersistTimeout). Safe to call more than once and
// before Start. Reserve, Commit and Abandon remain safe after Stop; committed
// tasks are ignored (they are in the store for the next owner).
func (q *Queue) Stop() {
	q.mu.Lock()
	prev := q.state
	q.state = stateStopped
	q.mu.Unlock()
	q.cancel()
	if prev == stateStarted {
		<-q.ackDone
		q.logger.Info("queue stopped", zap.String("ack-level", keyString(q.persisted)))
	}
}

// AckLevel returns the current in-memory ack level: every task with a key
// at or below it is done and no reservation at or below it is open. The
// persisted level lags it by up to AckInterval. Before Start it is the zero
// key.
func (q *Queue) AckLevel() persistence.TaskKey {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.tr == nil {
		return persistence.TaskKey{}
	}
	return q.tr.ack()
}

// Pending returns the number of tasks in memory and not done (queued,
// running or waiting to retry). Reserved keys and timers beyond the loaded
// window are not counted.
func (q *Queue) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries)
}
