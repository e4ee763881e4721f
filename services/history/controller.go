package history

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uber-go/tally/v4"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/common/clock"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// The shard controller keeps this host holding the shards its
// ShardOwnership assigns (DESIGN.md §3). A shard it knows of is in one of
// three states; every other shard is absent:
//
//	absent    → acquiring  assigned, and not in retry backoff (after an
//	                       assignment, a tick, or a request for it)
//	acquiring → owned      range_id bumped by a conditional write, queues
//	                       started; requests that waited for it proceed
//	acquiring → absent     the acquisition failed; retried after RetryInterval
//	owned     → releasing  no longer assigned: new transactions fail with
//	                       ShardNotOwnedError naming the new owner, running
//	                       ones drain (bounded by DrainTimeout), long polls
//	                       wake, the queues stop (persisting their ack levels)
//	releasing → absent     after writing Owner "" into the shard's record
//	                       (released), which a successor waits for
//	owned     → absent     a write found the range moved (ownership lost):
//	                       dropped at once, retried after RetryInterval
//
// plan, a pure function, decides the transitions; the controller does the
// I/O, one goroutine per transition, and plans again whenever a transition
// ends, an assignment arrives or RetryInterval passes.
//
// Handoff: before acquiring a shard whose record names another host that
// is still live (ShardAssignment.Live), the acquirer waits for that host to
// release it (its record's Owner cleared), up to HandoffTimeout. A graceful
// move thus drains the old owner's transactions and persists its ack levels
// before the new owner fences it; a departed or crashed host is not waited
// for. The ring is not a lock: while rings converge two hosts may both
// acquire a shard, and range fencing makes the later acquisition win and
// the earlier owner drop the shard on its next write.

// ControllerConfig tunes the shard controller. Zero values mean the default.
type ControllerConfig struct {
	// AcquireConcurrency bounds how many shards are acquired at once (each
	// acquisition is a read and a conditional write of the shard record,
	// then a load of its queues). Default 16.
	AcquireConcurrency int
	// AcquireTimeout bounds one shard's acquisition. Default 10s.
	AcquireTimeout time.Duration
	// AcquireWait bounds how long a request waits for its shard while the
	// shard is being acquired; it then fails with Unavailable (retryable).
	// Default 2s: acquisitions take milliseconds unless the store is in
	// trouble.
	AcquireWait time.Duration
	// DrainTimeout bounds how long releasing a shard waits for its running
	// transactions; the shard is then stopped anyway (range fencing rejects
	// whatever a straggler writes after the new owner acquired it).
	// Default 5s.
	DrainTimeout time.Duration
	// RetryInterval is how long a shard whose acquisition failed or whose
	// ownership was lost waits before it is acquired again, and how often
	// the controller checks for assigned shards it does not hold. Default
	// 2s: longer than a graceful ring change takes to converge, so that two
	// hosts with different views do not steal a shard back and forth.
	RetryInterval time.Duration
	// HandoffTimeout bounds how long an acquisition waits for the live
	// host named in the shard's record to release the shard
	// (ShardAssignment.Live): normally that host's drain, milliseconds;
	// longer when the host has not yet heard of the ring change (it
	// keeps serving meanwhile) or is dying. Then the shard is taken
	// anyway, fencing the other host. Default 5s.
	HandoffTimeout time.Duration
	// HandoffPoll is how often the shard's record is read while waiting
	// for a handoff. Default 25ms.
	HandoffPoll time.Duration
	// VerifyInterval is how often the records of the shards this host
	// holds are read to check that no other host acquired them. A host
	// learns that it lost a shard at its next write; an idle shard writes
	// nothing, so without this check a host whose shard another host took
	// (while their rings disagreed) and released again would go on
	// believing it holds it, and nobody would serve it. Default 5s.
	VerifyInterval time.Duration
}

// DefaultControllerConfig returns the defaults.
func DefaultControllerConfig() ControllerConfig {
	return ControllerConfig{
		AcquireConcurrency: 16,
		AcquireTimeout:     10 * time.Second,
		AcquireWait:        2 * time.Second,
		DrainTimeout:       5 * time.Second,
		RetryInterval:      2 * time.Second,
		HandoffTimeout:     5 * time.Second,
		HandoffPoll:        25 * time.Millisecond,
		VerifyInterval:     5 * time.Second,
	}
}

func (c ControllerConfig) withDefaults() ControllerConfig {
	d := DefaultControllerConfig()
	if c.AcquireConcurrency == 0 {
		c.AcquireConcurrency = d.AcquireConcurrency
	}
	if c.AcquireTimeout == 0 {
		c.AcquireTimeout = d.AcquireTimeout
	}
	if c.AcquireWait == 0 {
		c.AcquireWait = d.AcquireWait
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = d.DrainTimeout
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = d.RetryInterval
	}
	if c.HandoffTimeout == 0 {
		c.HandoffTimeout = d.HandoffTimeout
	}
	if c.HandoffPoll == 0 {
		c.HandoffPoll = d.HandoffPoll
	}
	if c.VerifyInterval == 0 {
		c.VerifyInterval = d.VerifyInterval
	}
	return c
}

// Validate names the first bad field.
func (c ControllerConfig) Validate() error {
	switch {
	case c.AcquireConcurrency < 0:
		return fmt.Errorf("history config: Controller.AcquireConcurrency must not be negative, got %d", c.AcquireConcurrency)
	case c.AcquireTimeout < 0:
		return fmt.Errorf("history config: Controller.AcquireTimeout must not be negative, got %v", c.AcquireTimeout)
	case c.AcquireWait < 0:
		return fmt.Errorf("history config: Controller.AcquireWait must not be negative, got %v", c.AcquireWait)
	case c.DrainTimeout < 0:
		return fmt.Errorf("history config: Controller.DrainTimeout must not be negative, got %v", c.DrainTimeout)
	case c.RetryInterval < 0:
		return fmt.Errorf("history config: Controller.RetryInterval must not be negative, got %v", c.RetryInterval)
	case c.HandoffTimeout < 0:
		return fmt.Errorf("history config: Controller.HandoffTimeout must not be negative, got %v", c.HandoffTimeout)
	case c.HandoffPoll < 0:
		return fmt.Errorf("history config: Controller.HandoffPoll must not be negative, got %v", c.HandoffPoll)
	case c.VerifyInterval < 0:
		return fmt.Errorf("history config: Controller.VerifyInterval must not be negative, got %v", c.VerifyInterval)
	}
	return nil
}

// ShardStatus describes a shard this host holds (Service.Shards).
type ShardStatus struct {
	ID int32
	// RangeID is the shard's current range_id (its fencing token).
	RangeID int64
	// Owner is the owner written in the shard's record: this host's
	// Deps.HostID.
	Owner string
	// AcquiredTime is when this host acquired the shard.
	AcquiredTime time.Time
}

type shardState int

const (
	shardAcquiring shardState = iota + 1
	shardOwned
	shardReleasing
)

// plan decides which shards to start acquiring and which to start
// releasing (each ascending), given the state of every shard this host
// holds or is moving, the shards assigned to it, and the shards whose
// acquisition must wait (retry backoff). Shards in transition are left
// alone; the caller plans again when a transition ends.
func plan(states map[int32]shardState, assigned []int32, blocked map[int32]bool) (acquire, release []int32) {
	want := make(map[int32]bool, len(assigned))
	for _, id := range assigned {
		if want[id] {
			continue
		}
		want[id] = true
		if _, known := states[id]; !known && !blocked[id] {
			acquire = append(acquire, id)
		}
	}
	for id, st := range states {
		if st == shardOwned && !want[id] {
			release = append(release, id)
		}
	}
	slices.Sort(acquire)
	slices.Sort(release)
	return acquire, release
}

// shardEntry is a shard the controller holds or is moving. state, sh and
// err are guarded by controller.mu.
type shardEntry struct {
	id    int32
	state shardState
	sh    *shard // owned or releasing
	// done is closed when the acquisition ends; err is its error, if any,
	// and withdrawn says the shard stopped being assigned meanwhile.
	done      chan struct{}
	err       error
	withdrawn bool
}

var errStopping = serviceerror.NewUnavailable("history service is stopping")

type controller struct {
	svc     *Service
	cfg     ControllerConfig
	source  ShardOwnership
	clock   clock.Clock
	logger  *zap.Logger
	metrics tally.Scope

	// ctx is the parent of acquisitions; stop cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{} // bounds concurrent acquisitions
	poke   chan struct{} // capacity 1: "plan again"
	quit   chan struct{}
	moves  sync.WaitGroup // acquisitions, releases and verifications in progress
	// verifying is set while verifyOwned runs (one at a time).
	verifying atomic.Bool

	mu       sync.Mutex
	started  bool
	stopped  bool
	loopDone chan struct{} // nil until the loop runs
	// assignment is the newest one; assigned is its Owned as a set.
	assignment ShardAssignment
	assigned   map[int32]bool
	shards     map[int32]*shardEntry
	retryAt    map[int32]time.Time
}

func newController(svc *Service, source ShardOwnership) *controller {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := svc.cfg.Controller
	return &controller{
		svc:      svc,
		cfg:      cfg,
		source:   source,
		clock:    svc.deps.Clock,
		logger:   svc.logger,
		metrics:  svc.metrics,
		ctx:      ctx,
		cancel:   cancel,
		sem:      make(chan struct{}, cfg.AcquireConcurrency),
		poke:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		assigned: map[int32]bool{},
		shards:   map[int32]*shardEntry{},
		retryAt:  map[int32]time.Time{},
	}
}

// start waits for the first assignment, starts acquiring its shards and
// the controller's loop, and returns once those acquisitions ended
// (start-dev serves only then): nil, the first acquisition error, or ctx's
// error. An acquisition withdrawn by a newer assignment is not an error,
// nor is a shard another host still holds (hosts starting together take
// shards from each other while their rings converge): it is retried in
// the background like any shard lost later.
func (c *controller) start(ctx context.Context) error {
	c.mu.Lock()
	switch {
	case c.stopped:
		c.mu.Unlock()
		return errStopping
	case c.started:
		c.mu.Unlock()
		return errors.New("history: service already started")
	}
	c.started = true
	c.mu.Unlock()

	updates, stopWatch := c.source.Watch(c.svc.cfg.NumShards)
	var first ShardAssignment
	select {
	case a, ok := <-updates:
		if !ok {
			stopWatch()
			return errors.New("history: shard ownership closed before its first assignment")
		}
		first = a
	case <-ctx.Done():
		stopWatch()
		return ctx.Err()
	}

	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		stopWatch()
		return errStopping
	}
	c.setAssignmentLocked(first)
	var pending []*shardEntry
	for _, id := range c.assignment.Owned {
		pending = append(pending, c.startAcquireLocked(id))
	}
	c.loopDone = make(chan struct{})
	c.mu.Unlock()
	go c.loop(updates, stopWatch)

	for _, e := range pending {
		select {
		case <-e.done:
			// A shard another host still holds (its ring has not caught up
			// yet) is retried in the background like any later lost one.
			if e.err != nil && !e.withdrawn && !persistence.IsShardOwnershipLost(e.err) {
				return e.err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// loop applies assignments and plans until stop.
func (c *controller) loop(updates <-chan ShardAssignment, stopWatch func()) {
	defer close(c.loopDone)
	defer stopWatch()
	nextVerify := c.clock.Now().Add(c.cfg.VerifyInterval)
	for {
		tick := c.clock.NewTimer(c.cfg.RetryInterval)
		select {
		case a, ok := <-updates:
			if ok {
				c.mu.Lock()
				c.setAssignmentLocked(a)
				c.mu.Unlock()
			} else {
				// The source stopped (a membership that left): the last
				// assignment stands until Stop.
				updates = nil
			}
		case <-c.poke:
		case <-tick.C():
		case <-c.quit:
			tick.Stop()
			return
		}
		tick.Stop()
		if now := c.clock.Now(); !now.Before(nextVerify) && c.verifying.CompareAndSwap(false, true) {
			// Off the loop: a slow store must not hold up ring changes.
			nextVerify = now.Add(c.cfg.VerifyInterval)
			c.moves.Add(1)
			go func() {
				defer c.moves.Done()
				defer c.verifying.Store(false)
				c.verifyOwned()
			}()
		}
		c.reconcile()
	}
}

// verifyOwned reads the record of every shard this host holds and drops
// those another host acquired since (ControllerConfig.VerifyInterval), as
// a failed write would. The reads run one after another: a few
// milliseconds per shard, every few seconds.
func (c *controller) verifyOwned() {
	c.mu.Lock()
	var held []*shard
	for _, e := range c.shards {
		if e.state == shardOwned {
			held = append(held, e.sh)
		}
	}
	c.mu.Unlock()
	for _, sh := range held {
		ctx, cancel := withClockTimeout(c.ctx, c.clock, c.cfg.AcquireTimeout)
		sh.verifyRange(ctx)
		cancel()
		if c.ctx.Err() != nil {
			return
		}
	}
}

func (c *controller) kick() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// setAssignmentLocked installs a, keeping only valid shard IDs.
func (c *controller) setAssignmentLocked(a ShardAssignment) {
	n := c.svc.cfg.NumShards
	owned := make([]int32, 0, len(a.Owned))
	assigned := make(map[int32]bool, len(a.Owned))
	for _, id := range a.Owned {
		if id < 1 || id > n {
			c.logger.Warn("shard assignment names an unknown shard", zap.Int32("shard", id), zap.Int32("shards", n))
			continue
		}
		if !assigned[id] {
			assigned[id] = true
			owned = append(owned, id)
		}
	}
	slices.Sort(owned)
	a.Owned = owned
	c.assignment = a
	c.assigned = assigned
	c.logger.Info("shard assignment", zap.Int("owned", len(owned)))
}

// reconcile starts the transitions plan asks for.
func (c *controller) reconcile() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	now := c.clock.Now()
	blocked := map[int32]bool{}
	for id, at := range c.retryAt {
		if now.Before(at) {
			blocked[id] = true
		} else {
			delete(c.retryAt, id)
		}
	}
	states := make(map[int32]shardState, len(c.shards))
	owned := 0
	for id, e := range c.shards {
		states[id] = e.state
		if e.state == shardOwned {
			owned++
		}
	}
	c.metrics.Gauge(metricShardsOwned).Update(float64(owned))
	acquire, release := plan(states, c.assignment.Owned, blocked)
	for _, id := range acquire {
		c.startAcquireLocked(id)
	}
	for _, id := range release {
		c.startReleaseLocked(c.shards[id])
	}
}

func (c *controller) blockedLocked(id int32) bool {
	at, ok := c.retryAt[id]
	return ok && c.clock.Now().Before(at)
}

func (c *controller) startAcquireLocked(id int32) *shardEntry {
	e := &shardEntry{id: id, state: shardAcquiring, done: make(chan struct{})}
	c.shards[id] = e
	c.moves.Add(1)
	go c.acquire(e, c.assignment)
	return e
}

// errWithdrawn ends an acquisition whose shard stopped being assigned to
// this host while it waited for a handoff.
var errWithdrawn = errors.New("history: shard no longer assigned to this host")

// acquire runs one acquisition and installs its outcome.
func (c *controller) acquire(e *shardEntry, a ShardAssignment) {
	defer c.moves.Done()
	var (
		sh   *shard
		took time.Duration
	)
	err := c.awaitHandoff(e.id, a)
	if err == nil {
		sh, took, err = c.acquireBounded(e.id)
	}
	withdrawn := errors.Is(err, errWithdrawn)
	c.mu.Lock()
	stopped := c.stopped
	switch {
	case err != nil || stopped:
		if c.shards[e.id] == e {
			delete(c.shards, e.id)
		}
		switch {
		case withdrawn:
			e.err = c.notOwnedLocked(e.id)
			e.withdrawn = true
		case err != nil:
			e.err = err
			c.retryAt[e.id] = c.clock.Now().Add(c.cfg.RetryInterval)
		default:
			e.err = errStopping
		}
	default:
		e.state = shardOwned
		e.sh = sh
	}
	close(e.done)
	c.mu.Unlock()
	switch {
	case withdrawn:
		c.logger.Info("shard acquisition withdrawn", zap.Int32("shard", e.id))
	case err != nil:
		c.metrics.Counter(metricShardAcquireErrors).Inc(1)
		c.logger.Warn("shard acquisition failed", zap.Int32("shard", e.id), zap.Duration("retry_in", c.cfg.RetryInterval), zap.Error(err))
	case stopped:
		sh.stop()
	default:
		c.metrics.Timer(metricShardAcquireLatency).Record(took)
	}
	c.kick()
}

// awaitHandoff waits, up to HandoffTimeout, while shard id's record names
// another live host as its owner: that host is releasing it (or will, once
// it hears of the change). It returns errWithdrawn if the shard stops
// being assigned to this host meanwhile (a newer assignment, or a ring
// that was stale, as right after joining). Store errors end the wait; the
// acquisition reports them.
func (c *controller) awaitHandoff(id int32, a ShardAssignment) error {
	if a.Live == nil {
		return nil
	}
	self := c.svc.deps.HostID
	start := c.clock.Now()
	waitedFor := ""
	for {
		ctx, cancel := withClockTimeout(c.ctx, c.clock, c.cfg.AcquireTimeout)
		info, err := c.svc.deps.Stores.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: id, Owner: self})
		cancel()
		if err != nil {
			return nil
		}
		from := info.GetOwner()
		if from == "" || from == self || !a.live(from) {
			if waitedFor != "" {
				c.metrics.Timer(metricShardHandoffLatency).Record(c.clock.Now().Sub(start))
				c.logger.Info("shard handed over", zap.Int32("shard", id), zap.String("from", waitedFor),
					zap.Duration("waited", c.clock.Now().Sub(start)))
			}
			return nil
		}
		c.mu.Lock()
		assigned := c.assigned[id]
		c.mu.Unlock()
		if !assigned {
			return errWithdrawn
		}
		if c.clock.Now().Sub(start) >= c.cfg.HandoffTimeout {
			c.metrics.Counter(metricShardHandoffTimeouts).Inc(1)
			c.logger.Warn("shard handoff timed out; taking the shard", zap.Int32("shard", id), zap.String("from", from),
				zap.Duration("timeout", c.cfg.HandoffTimeout))
			return nil
		}
		waitedFor = from
		if err := clock.Sleep(c.ctx, c.clock, c.cfg.HandoffPoll); err != nil {
			return err
		}
	}
}

// acquireBounded acquires shard id within AcquireTimeout, at most
// AcquireConcurrency at a time; took excludes the wait for a slot.
func (c *controller) acquireBounded(id int32) (*shard, time.Duration, error) {
	select {
	case c.sem <- struct{}{}:
	case <-c.ctx.Done():
		return nil, 0, c.ctx.Err()
	}
	defer func() { <-c.sem }()
	ctx, cancel := withClockTimeout(c.ctx, c.clock, c.cfg.AcquireTimeout)
	defer cancel()
	start := c.clock.Now()
	sh, err := c.svc.acquireShard(ctx, id)
	return sh, c.clock.Now().Sub(start), err
}

func (c *controller) startReleaseLocked(e *shardEntry) {
	e.state = shardReleasing
	owner := c.ownerLocked(e.id)
	c.moves.Add(1)
	go c.release(e, owner)
}

// release hands a shard over: drain, stop its queues, forget it.
func (c *controller) release(e *shardEntry, owner string) {
	defer c.moves.Done()
	c.releaseShard(e.sh, owner)
	c.mu.Lock()
	if c.shards[e.id] == e {
		delete(c.shards, e.id)
	}
	c.mu.Unlock()
	c.kick()
}

func (c *controller) releaseShard(sh *shard, owner string) {
	start := c.clock.Now()
	ctx, cancel := withClockTimeout(context.Background(), c.clock, c.cfg.DrainTimeout)
	drained := sh.drain(ctx, owner)
	cancel()
	if !drained {
		c.metrics.Counter(metricShardDrainTimeouts).Inc(1)
		c.logger.Warn("shard drain timed out; stopping it anyway", zap.Int32("shard", sh.id), zap.Duration("timeout", c.cfg.DrainTimeout))
	}
	sh.stop()
	mctx, mcancel := withClockTimeout(context.Background(), c.clock, c.cfg.AcquireTimeout)
	if err := sh.markReleased(mctx); err != nil {
		// The next owner acquired it already, or it waits out HandoffTimeout.
		c.logger.Debug("marking the shard released failed", zap.Int32("shard", sh.id), zap.Error(err))
	}
	mcancel()
	c.metrics.Counter(metricShardReleased).Inc(1)
	c.logger.Info("shard released", zap.Int32("shard", sh.id), zap.String("new_owner", owner),
		zap.Duration("took", c.clock.Now().Sub(start)))
}

// drop forgets a shard whose ownership was lost (shard.handleWriteError).
func (c *controller) drop(sh *shard) {
	c.mu.Lock()
	if e := c.shards[sh.id]; e != nil && e.sh == sh && e.state == shardOwned {
		delete(c.shards, sh.id)
		c.retryAt[sh.id] = c.clock.Now().Add(c.cfg.RetryInterval)
	}
	c.mu.Unlock()
	sh.stop()
	c.kick()
}

// ownerLocked names shard id's owner for ShardNotOwnedError: "" when this
// host is assigned the shard (it is being moved or retried) or nobody is
// known.
func (c *controller) ownerLocked(id int32) string {
	if c.assigned[id] {
		return ""
	}
	return c.assignment.owner(id)
}

func (c *controller) notOwnedLocked(id int32) error {
	c.metrics.Counter(metricShardNotOwned).Inc(1)
	return &historyservice.ShardNotOwnedError{ShardID: id, Owner: c.ownerLocked(id)}
}

// shard returns shard id if this host owns it. A shard being acquired is
// waited for, up to AcquireWait; an assigned shard that is not held is
// acquired first (as a single-host region always did). Otherwise the
// answer is a *historyservice.ShardNotOwnedError.
func (c *controller) shard(ctx context.Context, id int32) (*shard, error) {
	var timer clock.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			return nil, errStopping
		}
		e := c.shards[id]
		if e == nil && c.assigned[id] && !c.blockedLocked(id) {
			e = c.startAcquireLocked(id)
		}
		var (
			sh   *shard
			err  error
			done chan struct{}
		)
		switch {
		case e == nil, e.state == shardReleasing:
			err = c.notOwnedLocked(id)
		case e.state == shardOwned:
			sh = e.sh
		default:
			done = e.done
		}
		c.mu.Unlock()
		if done == nil {
			return sh, err
		}
		if timer == nil {
			timer = c.clock.NewTimer(c.cfg.AcquireWait)
		}
		select {
		case <-done:
			if e.err != nil {
				return nil, acquireError(id, e.err)
			}
		case <-timer.C():
			return nil, serviceerror.NewUnavailable(fmt.Sprintf("history shard %d is being acquired; retry", id))
		case <-ctx.Done():
			return nil, toServiceError(ctx.Err())
		}
	}
}

// acquireError is what a request that waited for a failed acquisition
// gets: the acquisition's own timeout or cancellation (not the caller's)
// is worth a retry like any store failure.
func acquireError(id int32, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return serviceerror.NewUnavailable(fmt.Sprintf("history shard %d could not be acquired: %v", id, err))
	}
	return toServiceError(err)
}

// statuses lists the shards held, by ID.
func (c *controller) statuses() []ShardStatus {
	c.mu.Lock()
	var held []*shard
	for _, e := range c.shards {
		if e.state == shardOwned {
			held = append(held, e.sh)
		}
	}
	c.mu.Unlock()
	out := make([]ShardStatus, 0, len(held))
	for _, sh := range held {
		sh.mu.Lock()
		info := sh.info
		sh.mu.Unlock()
		out = append(out, ShardStatus{
			ID: sh.id, RangeID: info.GetRangeId(), Owner: info.GetOwner(), AcquiredTime: info.GetAcquiredTime().AsTime(),
		})
	}
	slices.SortFunc(out, func(a, b ShardStatus) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// stop stops the loop and acquisitions, then releases every shard held
// (drained and stopped in parallel, each bounded by DrainTimeout).
func (c *controller) stop() {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.stopped = true
	loopDone := c.loopDone
	c.mu.Unlock()
	close(c.quit)
	if loopDone != nil {
		<-loopDone
	}
	c.cancel()
	c.moves.Wait()

	c.mu.Lock()
	var held []*shard
	for _, e := range c.shards {
		if e.state == shardOwned {
			e.state = shardReleasing
			held = append(held, e.sh)
		}
	}
	c.shards = map[int32]*shardEntry{}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, sh := range held {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.releaseShard(sh, "")
		}()
	}
	wg.Wait()
	c.metrics.Gauge(metricShardsOwned).Update(0)
}

// withClockTimeout is context.WithTimeout on c.
func withClockTimeout(parent context.Context, c clock.Clock, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	t := c.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}
