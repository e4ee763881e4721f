package queues

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes one queue. A zero field takes its default; see
// DefaultConfig.
type Config struct {
	// Workers is the number of goroutines running Executor.Execute.
	Workers int
	// BatchSize is the page size of GetHistoryTasks when loading tasks.
	BatchSize int
	// AckInterval is how often the ack level is persisted (PersistAck) and
	// the store's finished tasks are range-deleted.
	AckInterval time.Duration
	// RetryBackoff is the delay before the first retry of a failed task; it
	// doubles on every further failure up to MaxRetryBackoff.
	RetryBackoff time.Duration
	// MaxRetryBackoff caps the retry delay of a failing task.
	MaxRetryBackoff time.Duration
	// TimerLookahead is the width of the timer window kept in memory: timer
	// tasks firing before now+TimerLookahead are loaded; later ones stay in
	// the store until the window reaches them. Ignored by immediate queues.
	TimerLookahead time.Duration
	// PersistTimeout bounds each PersistAck and RangeCompleteHistoryTasks
	// call, including the last one made by Stop.
	PersistTimeout time.Duration
}

// DefaultConfig returns the defaults that zero fields take.
func DefaultConfig() Config {
	return Config{
		// Tasks are I/O-bound (a state read plus a matching or store call);
		// 16 overlaps enough round trips for one shard without letting a
		// single hot shard monopolize the host.
		Workers: 16,
		// 100 tasks (tens of KB) per page keeps a load a few round trips
		// even after a long outage, and each page cheap to hold.
		BatchSize: 100,
		// Each move costs the shard one conditional write (DESIGN §9: the
		// budget is conditional writes) and one range delete; after a crash
		// at most this much finished work is executed again.
		AckInterval: 10 * time.Second,
		// A quick first retry absorbs transient errors (a busy partition, a
		// matching host moving).
		RetryBackoff: 100 * time.Millisecond,
		// A task failing on a dependency that is down is retried at least
		// this often, so it recovers within seconds of the dependency.
		MaxRetryBackoff: 10 * time.Second,
		// Timers firing within a minute are held in memory; the window is
		// extended every 30 s, one range read per shard. Most timers that
		// are canceled before firing (workflow task and activity timeouts)
		// never have to be read back if they are short.
		TimerLookahead: time.Minute,
		// A store that has not answered in 10 s is treated as failed; the
		// next tick retries.
		PersistTimeout: 10 * time.Second,
	}
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Workers == 0 {
		c.Workers = d.Workers
	}
	if c.BatchSize == 0 {
		c.BatchSize = d.BatchSize
	}
	if c.AckInterval == 0 {
		c.AckInterval = d.AckInterval
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = d.RetryBackoff
	}
	if c.MaxRetryBackoff == 0 {
		c.MaxRetryBackoff = d.MaxRetryBackoff
	}
	if c.TimerLookahead == 0 {
		c.TimerLookahead = d.TimerLookahead
	}
	if c.PersistTimeout == 0 {
		c.PersistTimeout = d.PersistTimeout
	}
	return c
}

// minTimerLookahead keeps half a window at least one timePrecision wide.
const minTimerLookahead = 2 * timePrecision

// Validate reports the first bad field of c (zero fields count as their
// defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Workers < 0:
		return fmt.Errorf("queues: Config.Workers must be positive, got %d", c.Workers)
	case c.BatchSize < 0:
		return fmt.Errorf("queues: Config.BatchSize must be positive, got %d", c.BatchSize)
	case c.AckInterval < 0:
		return fmt.Errorf("queues: Config.AckInterval must be positive, got %v", c.AckInterval)
	case c.RetryBackoff < 0:
		return fmt.Errorf("queues: Config.RetryBackoff must be positive, got %v", c.RetryBackoff)
	case c.MaxRetryBackoff < c.RetryBackoff:
		return fmt.Errorf("queues: Config.MaxRetryBackoff (%v) must be at least RetryBackoff (%v)", c.MaxRetryBackoff, c.RetryBackoff)
	case c.TimerLookahead < minTimerLookahead:
		return fmt.Errorf("queues: Config.TimerLookahead must be at least %v, got %v", minTimerLookahead, c.TimerLookahead)
	case c.PersistTimeout < 0:
		return fmt.Errorf("queues: Config.PersistTimeout must be positive, got %v", c.PersistTimeout)
	}
	return nil
}

var (
	// ErrStarted: Start was called on a queue that was already started.
	ErrStarted = errors.New("queues: queue already started")
	// ErrStopped: the queue was stopped (before or during Start). A stopped
	// queue cannot be restarted; make a new one.
	ErrStopped = errors.New("queues: queue stopped")
)
