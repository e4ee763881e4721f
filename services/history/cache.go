package history

import (
	"container/list"
	"context"
	"sync"

	historypb "go.temporal.io/api/history/v1"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

type runKey struct {
	namespaceID, workflowID, runID string
}

// runContext is one run's in-memory handle: its lock, its cached state and
// a channel closed whenever a transaction commits (for long polls).
type runContext struct {
	key  runKey
	sh   *shard
	lock chan struct{}

	// Guarded by lock.
	state *persistencepb.WorkflowMutableState
	// Recently written ActivityTaskScheduled events by event ID, so that
	// dispatching an activity does not read history. Guarded by lock.
	scheduled map[int64]*historypb.HistoryEvent
	// The run's WorkflowExecutionStarted attributes once read (retry and
	// cron runs repeat its input). Guarded by lock.
	start *historypb.WorkflowExecutionStartedEventAttributes
	// The run's recently committed events (events.go). Guarded by lock.
	events eventWindow
	// Updates admitted but not yet accepted or rejected (update.go).
	// Guarded by lock.
	updates updateRegistry

	mu      sync.Mutex
	changed chan struct{}
	pins    int
	elem    *list.Element
}

// acquire locks the run or fails when ctx ends first. Holding the lock
// counts as a transaction in flight on the shard (shard.enter), so it
// fails too, without waiting for the lock, when the shard is closed or
// being handed over.
func (rc *runContext) acquire(ctx context.Context) error {
	if err := rc.sh.admits(); err != nil {
		return err
	}
	select {
	case rc.lock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := rc.sh.enter(); err != nil {
		<-rc.lock
		return err
	}
	return nil
}

func (rc *runContext) release() {
	rc.sh.exit()
	<-rc.lock
}

// watch returns a channel closed at the next commit.
func (rc *runContext) watch() <-chan struct{} {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.changed
}

func (rc *runContext) notify() {
	rc.mu.Lock()
	close(rc.changed)
	rc.changed = make(chan struct{})
	rc.mu.Unlock()
}

// cache keeps run contexts, evicting the least recently used unpinned ones.
type cache struct {
	sh       *shard
	capacity int

	mu   sync.Mutex
	runs map[runKey]*runContext
	lru  *list.List
}

func newCache(sh *shard, capacity int) *cache {
	return &cache{sh: sh, capacity: capacity, runs: map[runKey]*runContext{}, lru: list.New()}
}

// pin returns the run's context, pinned in the cache until unpin.
func (c *cache) pin(k runKey) *runContext {
	c.mu.Lock()
	defer c.mu.Unlock()
	rc := c.runs[k]
	if rc == nil {
		rc = &runContext{key: k, sh: c.sh, lock: make(chan struct{}, 1), changed: make(chan struct{})}
		c.runs[k] = rc
		rc.elem = c.lru.PushFront(rc)
	} else {
		c.lru.MoveToFront(rc.elem)
	}
	rc.pins++
	c.evictLocked()
	return rc
}

func (c *cache) unpin(rc *runContext) {
	c.mu.Lock()
	rc.pins--
	c.evictLocked()
	c.mu.Unlock()
}

func (c *cache) evictLocked() {
	for e := c.lru.Back(); e != nil && c.lru.Len() > c.capacity; {
		prev := e.Prev()
		rc := e.Value.(*runContext)
		if rc.pins == 0 {
			c.lru.Remove(e)
			delete(c.runs, rc.key)
		}
		e = prev
	}
}

// drop forgets a run (after its deletion).
func (c *cache) drop(k runKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rc := c.runs[k]; rc != nil && rc.pins == 0 {
		c.lru.Remove(rc.elem)
		delete(c.runs, k)
	}
}

// wakeAll wakes every waiter on the cached runs (the shard is going away:
// they look again and answer).
func (c *cache) wakeAll() {
	c.mu.Lock()
	rcs := make([]*runContext, 0, len(c.runs))
	for _, rc := range c.runs {
		rcs = append(rcs, rc)
	}
	c.mu.Unlock()
	for _, rc := range rcs {
		rc.notify()
	}
}
