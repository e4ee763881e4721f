package matching

import (
	"sort"
	"time"

	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// maxPollerHistory bounds the pollers remembered per partition; beyond it the
// least recently seen are forgotten first.
const maxPollerHistory = 1000

// pollerHistory remembers the recent pollers of a partition for
// DescribeTaskQueue. The owning manager's mutex guards it.
type pollerHistory struct {
	byIdentity map[string]*pollerRecord
}

type pollerRecord struct {
	identity   string
	lastAccess time.Time
	// ratePerSecond is the dispatch rate the poller asked for (activity
	// pollers' max_tasks_per_second); 0 when unset.
	ratePerSecond float64
}

func newPollerHistory() pollerHistory {
	return pollerHistory{byIdentity: make(map[string]*pollerRecord)}
}

// record notes a poll by identity at now.
func (h *pollerHistory) record(identity string, rate float64, now time.Time, ttl time.Duration) {
	if r, ok := h.byIdentity[identity]; ok {
		r.lastAccess = now
		r.ratePerSecond = rate
		return
	}
	if len(h.byIdentity) >= maxPollerHistory {
		h.prune(now, ttl)
		for len(h.byIdentity) >= maxPollerHistory {
			h.forgetOldest()
		}
	}
	h.byIdentity[identity] = &pollerRecord{identity: identity, lastAccess: now, ratePerSecond: rate}
}

// prune forgets pollers not seen within ttl.
func (h *pollerHistory) prune(now time.Time, ttl time.Duration) {
	for id, r := range h.byIdentity {
		if now.Sub(r.lastAccess) > ttl {
			delete(h.byIdentity, id)
		}
	}
}

func (h *pollerHistory) forgetOldest() {
	var oldest *pollerRecord
	for _, r := range h.byIdentity {
		if oldest == nil || r.lastAccess.Before(oldest.lastAccess) {
			oldest = r
		}
	}
	if oldest != nil {
		delete(h.byIdentity, oldest.identity)
	}
}

// snapshot lists the pollers seen within ttl, most recent first.
func (h *pollerHistory) snapshot(now time.Time, ttl time.Duration) []*taskqueuepb.PollerInfo {
	h.prune(now, ttl)
	recs := make([]*pollerRecord, 0, len(h.byIdentity))
	for _, r := range h.byIdentity {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool {
		if !recs[i].lastAccess.Equal(recs[j].lastAccess) {
			return recs[i].lastAccess.After(recs[j].lastAccess)
		}
		return recs[i].identity < recs[j].identity
	})
	out := make([]*taskqueuepb.PollerInfo, 0, len(recs))
	for _, r := range recs {
		out = append(out, &taskqueuepb.PollerInfo{
			Identity:       r.identity,
			LastAccessTime: timestamppb.New(r.lastAccess),
			RatePerSecond:  r.ratePerSecond,
		})
	}
	return out
}

// minRate is the smallest positive rate any recent poller asked for, or 0.
func (h *pollerHistory) minRate() float64 {
	lowest := 0.0
	for _, r := range h.byIdentity {
		if r.ratePerSecond > 0 && (lowest == 0 || r.ratePerSecond < lowest) {
			lowest = r.ratePerSecond
		}
	}
	return lowest
}

// recordPoller notes a poll on the manager.
func (m *taskQueueManager) recordPoller(identity string, rate float64) {
	now := m.clock.Now()
	m.mu.Lock()
	m.pollers.record(identity, rate, now, m.cfg.PollerHistoryTTL)
	m.mu.Unlock()
}

// stickyPollerWindow is how recently a sticky queue must have been polled
// for a task to be offered to it. A sticky queue belongs to one worker
// process; when it has not polled for this long (it stopped, or the server
// restarted and it has not come back), its tasks go to the normal queue at
// once instead of waiting out the sticky schedule-to-start timeout.
const stickyPollerWindow = 10 * time.Second

// hasRecentPoller reports whether any poller polled within window.
func (m *taskQueueManager) hasRecentPoller(window time.Duration) bool {
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.pollers.byIdentity {
		if now.Sub(r.lastAccess) <= window {
			return true
		}
	}
	return false
}
