package queues

import (
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"go.uber.org/zap"
)

// timerWindowEndLocked is the end of the window a load started now should
// reach: now + TimerLookahead, in store precision.
func (q *Queue) timerWindowEndLocked() persistence.TaskKey {
	return persistence.TaskKey{FireTime: q.clock.Now().Add(q.cfg.TimerLookahead).Truncate(timePrecision)}
}

// beginLoadLocked marks keys [tr.windowEnd, to) as being loaded: from now
// on Commit keeps the tasks in that range in memory and remembers their IDs
// so that the load does not queue them again.
func (q *Queue) beginLoadLocked(to persistence.TaskKey) {
	q.loading = true
	q.loadingEnd = to
	q.loadSeen = map[int64]struct{}{}
}

// loader loads the next timer window whenever the dispatcher asks.
func (q *Queue) loader() {
	defer q.runners.Done()
	for {
		select {
		case <-q.ctx.Done():
			return
		case <-q.loadCh:
		}
		q.mu.Lock()
		from := q.tr.windowEnd
		to := q.timerWindowEndLocked()
		if !keyLess(from, to) {
			q.loadRequested = false
			q.mu.Unlock()
			q.wake()
			continue
		}
		q.beginLoadLocked(to)
		q.mu.Unlock()
		if q.load(from, to, true) != nil {
			return // stopping
		}
	}
}

// load reads the tasks with from <= key < to, page by page, and installs
// each page. With retry it retries failed reads with backoff until the
// queue stops (then it returns the context's error); without, it returns
// the first error.
func (q *Queue) load(from, to persistence.TaskKey, retry bool) error {
	var token []byte
	failures := 0
	for {
		tasks, next, err := q.store.GetHistoryTasks(q.ctx, &persistence.GetHistoryTasksRequest{
			ShardID:       q.shardID,
			Category:      q.category,
			MinKey:        from,
			MaxKey:        to,
			BatchSize:     q.cfg.BatchSize,
			NextPageToken: token,
		})
		if err != nil {
			q.metrics.Counter(MetricLoadErrors).Inc(1)
			if !retry || q.ctx.Err() != nil {
				return err
			}
			failures++
			q.mu.Lock()
			backoff := q.backoffLocked(failures)
			q.mu.Unlock()
			q.logger.Warn("loading tasks failed, will retry",
				zap.String("from", keyString(from)), zap.String("to", keyString(to)),
				zap.Int("attempt", failures), zap.Duration("backoff", backoff), zap.Error(err))
			if err := clock.Sleep(q.ctx, q.clock, backoff); err != nil {
				return err
			}
			continue
		}
		failures = 0
		last := len(next) == 0
		q.install(tasks, last, to)
		if last {
			return nil
		}
		token = next
	}
}

// install adds one page of loaded tasks, skipping those already in memory
// or committed during this load (a task loaded earlier while reserved is
// not read again: loads and pages cover disjoint key ranges), and
// moves the window's end: to the end of the load after the last page, else
// just past the page's largest key (every stored task up to it has been
// read).
func (q *Queue) install(tasks []*persistencepb.HistoryTask, last bool, to persistence.TaskKey) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	added := 0
	var pageMax persistence.TaskKey
	for _, t := range tasks {
		key := KeyOf(q.category, t)
		pageMax = maxKey(pageMax, key)
		id := key.TaskID
		if _, ok := q.entries[id]; ok {
			continue
		}
		if _, ok := q.loadSeen[id]; ok {
			continue
		}
		if q.state == stateStopped {
			continue
		}
		q.addEntryLocked(t, key, now)
		added++
	}
	q.metrics.Counter(MetricTasksLoaded).Inc(int64(added))
	if last {
		q.tr.setWindowEnd(to)
		q.loading = false
		q.loadingEnd = persistence.TaskKey{}
		q.loadSeen = nil
		q.loadRequested = false
	} else if len(tasks) > 0 {
		q.tr.setWindowEnd(successor(pageMax))
	}
	q.wake()
}
