package history

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/queues"
)

// rangeBits is the width of a range_id's task-ID block: task IDs allocated
// under range r lie in [r<<rangeBits, (r+1)<<rangeBits).
const rangeBits = 20

// shard is one owned history shard: its range lease, task-ID allocator,
// run cache and task queues.
type shard struct {
	id  int32
	svc *Service

	mu         sync.Mutex
	info       *persistencepb.ShardInfo
	nextTaskID int64
	maxTaskID  int64
	closed     bool
	// In-flight range-fenced writes; range renewal waits for them.
	writers sync.WaitGroup
	// inflight counts the transactions running on the shard (run locks
	// held, see enter); once draining is set no new one starts, and drained
	// is closed when the last one ends. newOwner is who gets the shard.
	inflight int
	draining bool
	newOwner string
	drained  chan struct{}

	cache  *cache
	queues map[persistencepb.TaskCategory]*queues.Queue
	// committer writes the transactions' conditional writes, many per
	// batch under load (group commit).
	committer *committer
}

// notOwnedLocked is the error of an operation on a closed (released or
// lost) or draining shard: this host does not own it (any more).
func (sh *shard) notOwnedLocked() error {
	return &historyservice.ShardNotOwnedError{ShardID: sh.id, Owner: sh.newOwner}
}

// acquireShard takes ownership of shard id by bumping its range_id.
func (s *Service) acquireShard(ctx context.Context, id int32) (*shard, error) {
	st := s.deps.Stores.Shard
	info, err := st.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: id, RangeId: 0, Owner: s.deps.HostID})
	if err != nil {
		return nil, fmt.Errorf("history: load shard %d: %w", id, err)
	}
	prev := info.RangeId
	next := cloneShardInfo(info)
	next.RangeId = prev + 1
	next.Owner = s.deps.HostID
	next.AcquiredTime = timestamppb.New(s.deps.Clock.Now())
	next.UpdateTime = next.AcquiredTime
	if err := st.UpdateShard(ctx, next, prev); err != nil {
		return nil, fmt.Errorf("history: acquire shard %d: %w", id, err)
	}
	sh := &shard{
		id:         id,
		svc:        s,
		info:       next,
		nextTaskID: next.RangeId << rangeBits,
		maxTaskID:  (next.RangeId + 1) << rangeBits,
		queues:     map[persistencepb.TaskCategory]*queues.Queue{},
	}
	sh.cache = newCache(sh, s.cfg.CacheSize)
	sh.committer = newCommitter(s.deps.Stores.Execution, id, s.cfg.Commit, s.metrics)
	for _, cat := range []persistencepb.TaskCategory{
		persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER,
		persistencepb.TaskCategory_TASK_CATEGORY_TIMER,
		persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY,
	} {
		cat := cat
		q, err := queues.New(s.cfg.Queue, queues.Deps{
			ShardID:  id,
			Category: cat,
			Store:    s.deps.Stores.Execution,
			Executor: &executor{sh: sh},
			PersistAck: func(ctx context.Context, ack persistence.TaskKey) error {
				return sh.persistAck(ctx, cat, ack)
			},
			Clock:   s.deps.Clock,
			Rand:    s.newRand(),
			Logger:  s.logger,
			Metrics: s.metrics,
		})
		if err != nil {
			return nil, err
		}
		sh.queues[cat] = q
	}
	for cat, q := range sh.queues {
		if err := q.Start(ackLevel(next, cat)); err != nil {
			sh.stop()
			return nil, fmt.Errorf("history: start shard %d %v queue: %w", id, cat, err)
		}
	}
	s.metrics.Counter(metricShardAcquired).Inc(1)
	s.logger.Info("shard acquired", zap.Int32("shard", id), zap.Int64("range_id", next.RangeId))
	return sh, nil
}

func ackLevel(info *persistencepb.ShardInfo, cat persistencepb.TaskCategory) persistence.TaskKey {
	switch cat {
	case persistencepb.TaskCategory_TASK_CATEGORY_TIMER:
		k := persistence.TaskKey{TaskID: info.TimerAckLevelTaskId}
		if info.TimerAckLevelTime != nil {
			k.FireTime = info.TimerAckLevelTime.AsTime()
		}
		return k
	case persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY:
		return persistence.TaskKey{TaskID: info.VisibilityAckLevel}
	default:
		return persistence.TaskKey{TaskID: info.TransferAckLevel}
	}
}

func cloneShardInfo(i *persistencepb.ShardInfo) *persistencepb.ShardInfo {
	return proto.Clone(i).(*persistencepb.ShardInfo)
}

// persistAck records a queue's ack level in the shard record (range-fenced).
func (sh *shard) persistAck(ctx context.Context, cat persistencepb.TaskCategory, ack persistence.TaskKey) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed {
		return sh.notOwnedLocked()
	}
	next := cloneShardInfo(sh.info)
	switch cat {
	case persistencepb.TaskCategory_TASK_CATEGORY_TIMER:
		next.TimerAckLevelTime = timestamppb.New(ack.FireTime)
		next.TimerAckLevelTaskId = ack.TaskID
	case persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY:
		next.VisibilityAckLevel = ack.TaskID
	default:
		next.TransferAckLevel = ack.TaskID
	}
	next.UpdateTime = timestamppb.New(sh.svc.deps.Clock.Now())
	if err := sh.svc.deps.Stores.Shard.UpdateShard(ctx, next, sh.info.RangeId); err != nil {
		sh.handleWriteErrorLocked(err)
		return err
	}
	sh.info = next
	return nil
}

// allocate gives a transaction its IDs: one for its history batch, then one
// per task, renewing the range when its block is used up. Under the same
// lock it reserves the tasks' keys in the queues, so that no queue can ack
// past a key allocated before it. Timer fire times are rounded up to the
// millisecond (every store keeps them exactly) and take the key the queue
// reserved (a timer already due may be moved to the ack level's time).
func (sh *shard) allocate(ctx context.Context, tasks []*persistencepb.HistoryTask) (int64, map[persistencepb.TaskCategory]*queues.Reservation, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed {
		return 0, nil, sh.notOwnedLocked()
	}
	n := int64(len(tasks) + 1)
	if sh.nextTaskID+n > sh.maxTaskID {
		sh.writers.Wait()
		next := cloneShardInfo(sh.info)
		next.RangeId++
		next.UpdateTime = timestamppb.New(sh.svc.deps.Clock.Now())
		if err := sh.svc.deps.Stores.Shard.UpdateShard(ctx, next, sh.info.RangeId); err != nil {
			sh.handleWriteErrorLocked(err)
			return 0, nil, err
		}
		sh.info = next
		sh.nextTaskID = next.RangeId << rangeBits
		sh.maxTaskID = (next.RangeId + 1) << rangeBits
	}
	txnID := sh.nextTaskID
	sh.nextTaskID += n
	byCat := map[persistencepb.TaskCategory][]*persistencepb.HistoryTask{}
	for i, t := range tasks {
		t.TaskId = txnID + 1 + int64(i)
		t.ShardId = sh.id
		if t.Category == persistencepb.TaskCategory_TASK_CATEGORY_TIMER {
			ft := t.VisibilityTime.AsTime()
			if r := ft.Truncate(time.Millisecond); r.Before(ft) {
				ft = r.Add(time.Millisecond)
			}
			t.VisibilityTime = timestamppb.New(ft)
		}
		byCat[t.Category] = append(byCat[t.Category], t)
	}
	reservations := map[persistencepb.TaskCategory]*queues.Reservation{}
	for cat, ts := range byCat {
		q := sh.queues[cat]
		if q == nil {
			for _, r := range reservations {
				r.Abandon()
			}
			return 0, nil, fmt.Errorf("history: no queue for task category %v", cat)
		}
		keys := make([]persistence.TaskKey, len(ts))
		for i, t := range ts {
			keys[i] = queues.KeyOf(cat, t)
		}
		r := q.Reserve(keys)
		if cat == persistencepb.TaskCategory_TASK_CATEGORY_TIMER {
			for i, k := range r.Keys() {
				ts[i].VisibilityTime = timestamppb.New(k.FireTime)
			}
		}
		reservations[cat] = r
	}
	return txnID, reservations, nil
}

// markReleased writes Owner "" into the stopped shard's record, telling
// the next owner that it may acquire the shard without waiting out
// HandoffTimeout. Conditional on the range like every write: after the
// next owner acquired the shard it fails, harmlessly.
func (sh *shard) markReleased(ctx context.Context) error {
	sh.mu.Lock()
	next := cloneShardInfo(sh.info)
	sh.mu.Unlock()
	next.Owner = ""
	next.UpdateTime = timestamppb.New(sh.svc.deps.Clock.Now())
	return sh.svc.deps.Stores.Shard.UpdateShard(ctx, next, next.RangeId)
}

// verifyRange reads the shard's record and drops the shard if another
// host acquired it (a larger range_id). A failed read changes nothing.
func (sh *shard) verifyRange(ctx context.Context) {
	sh.mu.Lock()
	mine := cloneShardInfo(sh.info)
	sh.mu.Unlock()
	stored, err := sh.svc.deps.Stores.Shard.GetOrCreateShard(ctx, mine)
	if err != nil {
		sh.svc.logger.Debug("reading the shard record to verify ownership failed", zap.Int32("shard", sh.id), zap.Error(err))
		return
	}
	if stored.GetRangeId() > mine.GetRangeId() {
		sh.handleWriteError(&persistence.ShardOwnershipLostError{
			ShardID: sh.id, RangeID: mine.GetRangeId(), StoredRangeID: stored.GetRangeId(),
		})
	}
}

// handleWriteErrorLocked drops the shard when a write says another host owns it.
func (sh *shard) handleWriteErrorLocked(err error) {
	if persistence.IsShardOwnershipLost(err) && !sh.closed {
		sh.closed = true
		sh.svc.metrics.Counter(metricShardOwnershipLost).Inc(1)
		sh.svc.logger.Warn("shard ownership lost", zap.Int32("shard", sh.id), zap.Error(err))
		go sh.svc.dropShard(sh)
	}
}

func (sh *shard) handleWriteError(err error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.handleWriteErrorLocked(err)
}

// enter admits a transaction (a run lock taken) unless the shard is
// closed (released or lost) or being handed over; exit ends it.
func (sh *shard) enter() error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed || sh.draining {
		return sh.notOwnedLocked()
	}
	sh.inflight++
	return nil
}

// admits is enter's check alone, for callers about to wait for a run lock.
func (sh *shard) admits() error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.closed || sh.draining {
		return sh.notOwnedLocked()
	}
	return nil
}

func (sh *shard) exit() {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.inflight--
	if sh.inflight == 0 && sh.drained != nil {
		close(sh.drained)
		sh.drained = nil
	}
}

// drain stops new transactions on the shard (they fail with
// ShardNotOwnedError naming owner), wakes its long polls so that they
// answer, and waits until the running transactions end or ctx does. It
// reports whether they ended.
func (sh *shard) drain(ctx context.Context, owner string) bool {
	sh.mu.Lock()
	sh.draining = true
	sh.newOwner = owner
	wait := sh.drained
	if wait == nil && sh.inflight > 0 {
		wait = make(chan struct{})
		sh.drained = wait
	}
	sh.mu.Unlock()
	sh.cache.wakeAll()
	if wait == nil {
		return true
	}
	select {
	case <-wait:
		return true
	case <-ctx.Done():
		return false
	}
}

// stop stops the shard's queues; the shard is unusable afterwards.
func (sh *shard) stop() {
	// Queues stop first so that their last ack levels are persisted while
	// the shard is still ours.
	for _, q := range sh.queues {
		q.Stop()
	}
	sh.mu.Lock()
	sh.closed = true
	sh.mu.Unlock()
	// Long polls on the shard answer now rather than at their timeout.
	sh.cache.wakeAll()
}

// toServiceError maps a persistence error to what a caller can act on.
func toServiceError(err error) error {
	if err == nil {
		return nil
	}
	var se serviceerror.ServiceError
	if errors.As(err, &se) {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return serviceerror.NewDeadlineExceeded(err.Error())
	case errors.Is(err, context.Canceled):
		return serviceerror.NewCanceled(err.Error())
	case errors.Is(err, persistence.ErrNotFound):
		return serviceerror.NewNotFound("workflow execution not found")
	case persistence.IsShardOwnershipLost(err):
		// Another host acquired the shard: the write did nothing.
		var lost *persistence.ShardOwnershipLostError
		errors.As(err, &lost)
		return &historyservice.ShardNotOwnedError{ShardID: lost.ShardID}
	}
	return serviceerror.NewUnavailable(err.Error())
}
