package matching

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uber-go/tally/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
)

// errManagerStopped: the partition unloaded while the call waited on it.
var errManagerStopped = errors.New("matching: task queue unloaded")

// taskQueueManager owns one loaded partition: its lease, its matcher
// (matcher.go), its backlog writer (backlog.go) and reader (reader.go).
type taskQueueManager struct {
	svc    *Service
	key    partitionKey
	kind   enumspb.TaskQueueKind
	cfg    *Config
	store  persistence.TaskStore
	clock  clock.Clock
	logger *zap.Logger
	scope  tally.Scope

	// ctx is canceled when the manager stops; background store calls use it.
	ctx    context.Context
	cancel context.CancelFunc

	loadedC    chan struct{} // closed when load finished (see loadErr)
	loadErr    error         // written before loadedC closes
	stopC      chan struct{} // closed when the manager starts stopping
	doneC      chan struct{} // closed when it is stopped and unregistered
	stopOnce   sync.Once
	unloadOnce sync.Once
	wg         sync.WaitGroup

	writeC     chan *writeRequest
	writerDone chan struct{}
	readSignal chan struct{}
	leaseLost  atomic.Bool
	// ownershipLost: the ring moved the partition to another host.
	ownershipLost atomic.Bool
	// forwards is set for a non-root partition of a normal queue when the
	// service can reach the root (Deps.Forward); see partition.go.
	forwards bool
	// fwdSignal wakes the backlog forwarder (non-blocking, capacity 1).
	fwdSignal chan struct{}

	// Owned by the writer goroutine after load.
	rangeID        int64
	nextID         int64
	blockEnd       int64
	persistedAck   int64
	deletedThrough int64

	mu       sync.Mutex
	stopping bool
	// Matcher state.
	waiters list.List // *waiter, oldest first
	// forwardedPolls counts this partition's polls waiting at the root.
	forwardedPolls int
	queries        list.List // *internalTask (query), oldest first
	syncWait       list.List // *internalTask (sync) waiting for a poller
	buffer         []*internalTask
	hintedAt       time.Time // when a poll response last carried a positive backlog hint
	// Backlog read state.
	acks         ackTracker
	maxReadLevel int64 // every allocated ID at or below this is written (or failed)
	firstOwnID   int64 // first task ID this owner allocated
	ownUnread    int64 // tasks this owner wrote and has not read back
	reportedSize int64 // backlog size last added to the service gauge
	// Status copies of writer state, for DescribeTaskQueue.
	statusRangeID  int64
	statusBlockEnd int64
	statusAck      int64
	// Calls in progress and the time of the last one, for idle unloading.
	activeCalls int
	lastActive  time.Time
	pollers     pollerHistory
}

func newTaskQueueManager(s *Service, key partitionKey, kind enumspb.TaskQueueKind) *taskQueueManager {
	ctx, cancel := context.WithCancel(context.Background())
	m := &taskQueueManager{
		svc:   s,
		key:   key,
		kind:  kind,
		cfg:   &s.cfg,
		store: s.store,
		clock: s.clock,
		logger: s.logger.With(
			zap.String("namespace_id", key.namespaceID),
			zap.String("task_queue", key.name),
			zap.Stringer("task_type", key.taskType),
			zap.Int32("partition", key.partition),
			zap.Stringer("kind", kind),
		),
		scope:      s.scopes[key.taskType],
		ctx:        ctx,
		cancel:     cancel,
		loadedC:    make(chan struct{}),
		stopC:      make(chan struct{}),
		doneC:      make(chan struct{}),
		writeC:     make(chan *writeRequest, s.cfg.WriteBatchSize),
		writerDone: make(chan struct{}),
		readSignal: make(chan struct{}, 1),
		fwdSignal:  make(chan struct{}, 1),
		forwards:   s.forward != nil && key.partition > 0 && kind == enumspb.TASK_QUEUE_KIND_NORMAL,
		lastActive: s.clock.Now(),
		pollers:    newPollerHistory(),
	}
	return m
}

// load takes the partition's lease, reads the first backlog page and starts
// the writer and reader.
func (m *taskQueueManager) load(ctx context.Context) error {
	info, err := m.store.LeaseTaskQueue(ctx, m.key.storeKey(), int32(m.kind), -1)
	if err != nil {
		m.cancel()
		m.logger.Warn("task queue lease failed", zap.Error(err))
		return storeError("lease task queue", err)
	}
	if err := m.setRange(info.GetRangeId()); err != nil {
		m.cancel()
		return err
	}
	m.persistedAck = info.GetAckLevel()
	m.mu.Lock()
	m.acks = newAckTracker(info.GetAckLevel())
	m.firstOwnID = m.nextID
	// Earlier owners allocated only IDs below our first block.
	m.maxReadLevel = m.nextID - 1
	if m.maxReadLevel < info.GetAckLevel() {
		m.maxReadLevel = info.GetAckLevel()
	}
	m.statusAck = info.GetAckLevel()
	m.mu.Unlock()

	// Read the first page now so that Adds right after the load see whether
	// a backlog exists (sync match is skipped while one does).
	if _, err := m.readOnce(ctx); err != nil {
		m.cancel()
		m.logger.Warn("task queue backlog read failed", zap.Error(err))
		return storeError("read backlog", err)
	}
	m.wg.Add(2)
	go m.writeLoop()
	go m.readLoop()
	if m.forwards {
		m.wg.Add(1)
		go m.forwardLoop()
	}
	m.signalRead()
	m.scope.Counter(metricTaskQueueLoads).Inc(1)
	m.logger.Debug("task queue loaded", zap.Int64("range_id", info.GetRangeId()), zap.Int64("ack_level", info.GetAckLevel()))
	return nil
}

// setRange adopts a new lease range and its task-ID block.
func (m *taskQueueManager) setRange(rangeID int64) error {
	bits := m.cfg.idBlockBits
	if rangeID <= 0 || rangeID >= int64(1)<<(62-bits) {
		return serviceerror.NewInternalf("task queue %q has range_id %d outside the task-ID space", m.key.name, rangeID)
	}
	m.rangeID = rangeID
	m.nextID = rangeID << bits
	m.blockEnd = (rangeID + 1) << bits
	m.mu.Lock()
	m.statusRangeID = rangeID
	m.statusBlockEnd = m.blockEnd
	m.mu.Unlock()
	return nil
}

func (m *taskQueueManager) isLoaded() bool {
	select {
	case <-m.loadedC:
		return m.loadErr == nil
	default:
		return false
	}
}

// acquire registers a call on the manager; false if it is stopping.
func (m *taskQueueManager) acquire() bool {
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping {
		return false
	}
	m.activeCalls++
	m.lastActive = now
	return true
}

// release ends a call registered by acquire.
func (m *taskQueueManager) release() {
	now := m.clock.Now()
	m.mu.Lock()
	m.activeCalls--
	m.lastActive = now
	m.mu.Unlock()
}

// beginIdleStop marks the manager stopping if it has had no call for
// IdleTimeout; the caller then unloads it.
func (m *taskQueueManager) beginIdleStop(now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping || m.activeCalls > 0 || m.waiters.Len() > 0 || m.queries.Len() > 0 || m.syncWait.Len() > 0 {
		return false
	}
	if now.Sub(m.lastActive) < m.cfg.IdleTimeout {
		return false
	}
	m.stopping = true
	return true
}

// stop stops the manager: waiting pollers and queries wake at once, the
// writer fails pending writes and (unless the lease was lost) persists the
// ack level.
func (m *taskQueueManager) stop() {
	m.stopOnce.Do(func() {
		m.mu.Lock()
		m.stopping = true
		m.mu.Unlock()
		close(m.stopC)
		m.cancel()
		m.wg.Wait()
		m.mu.Lock()
		size := m.reportedSize
		m.reportedSize = 0
		m.mu.Unlock()
		m.svc.reportBacklog(m.key.taskType, -size)
		m.scope.Counter(metricTaskQueueUnloads).Inc(1)
		m.logger.Debug("task queue unloaded")
	})
}

// onLeaseLost handles a failed range_id condition: another owner has the
// lease. The manager stops writing at once and unloads.
func (m *taskQueueManager) onLeaseLost(err error) {
	if !m.leaseLost.CompareAndSwap(false, true) {
		return
	}
	m.logger.Warn("task queue lease lost", zap.Int64("range_id", m.rangeID), zap.Error(err))
	m.scope.Counter(metricLeaseLost).Inc(1)
	m.svc.noteLeaseLost(m.key)
	go m.svc.unloadManager(m)
}

// opContext bounds one background store call by StoreTimeout on the
// injected clock.
func (m *taskQueueManager) opContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	t := m.clock.AfterFunc(m.cfg.StoreTimeout, cancel)
	return ctx, func() {
		t.Stop()
		cancel()
	}
}

// backlogSizeLocked is the number of backlog tasks known to this manager.
func (m *taskQueueManager) backlogSizeLocked() int64 {
	return int64(m.acks.outstanding()) + m.ownUnread
}

// updateBacklogGaugeLocked reports a change of backlog size.
func (m *taskQueueManager) updateBacklogGaugeLocked() {
	if m.stopping {
		return
	}
	size := m.backlogSizeLocked()
	if d := size - m.reportedSize; d != 0 {
		m.reportedSize = size
		m.svc.reportBacklog(m.key.taskType, d)
	}
}
