package matching

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the matching service. The zero value of every field means its
// default (see DefaultConfig); negative values are invalid.
type Config struct {
	// MaxPollWait bounds how long a poll waits for a task before answering
	// with an empty response. Default 60s: the SDKs poll with a 70 s
	// deadline and expect an answer within about a minute.
	MaxPollWait time.Duration
	// PollDeadlineMargin: a poll answers empty this long before the caller's
	// deadline, so the empty answer reaches the caller before its deadline
	// does. Default 1s.
	PollDeadlineMargin time.Duration
	// SyncMatchWait is how long Add waits for a poller to arrive when none is
	// waiting, before writing the task to the backlog. Default 0: hand tasks
	// only to pollers already waiting; a poller arriving later reads the
	// backlog.
	SyncMatchWait time.Duration
	// BacklogBufferSize bounds how many backlog tasks a partition holds in
	// memory. Default 1000.
	BacklogBufferSize int
	// ReadBatchSize is the page size of GetTasks. Default 100.
	ReadBatchSize int
	// WriteBatchSize bounds how many concurrent Adds are written in one
	// CreateTasks call. Default 100.
	WriteBatchSize int
	// AckFlushInterval is how often a partition persists a changed ack level
	// and deletes the tasks below it. A crash forgets at most this much
	// progress; the forgotten tasks are redelivered and history refuses them.
	// Default 10s.
	AckFlushInterval time.Duration
	// IdleTimeout: a partition with no calls for this long is unloaded.
	// Default 5m.
	IdleTimeout time.Duration
	// PollerHistoryTTL is how long a poller is listed by DescribeTaskQueue
	// after its last poll. Default 5m (what `temporal task-queue describe`
	// users expect).
	PollerHistoryTTL time.Duration
	// StoreTimeout bounds each TaskStore call made in the background (writes,
	// reads, ack flushes). Default 10s.
	StoreTimeout time.Duration
	// StoreRetryBackoff is the pause before a failed background read is
	// retried. Default 1s.
	StoreRetryBackoff time.Duration

	// Partitions is the number of partitions of a normal task queue that
	// TaskQueuePartitions does not name (see partition.go). Default 1: one
	// partition, one host, no forwarding. More partitions spread a busy
	// queue's adds, polls and backlog writes over the region's matching
	// hosts. Every host of a region must use the same values; lowering a
	// queue's count strands the backlog of the partitions it drops until
	// the count is raised again.
	Partitions int
	// TaskQueuePartitions overrides Partitions for the task queues it
	// names, in every namespace. Default none.
	TaskQueuePartitions map[string]int
	// MaxForwardedPolls bounds the polls one non-root partition has
	// forwarded to its root at once; further polls wait locally. Default 1
	// (Temporal's default): one poller per idle partition keeps the root a
	// meeting point, the rest stay spread out.
	MaxForwardedPolls int
	// BacklogForwardInterval is the first pause before a non-root
	// partition offers its backlog to the root again after the root had no
	// poller for it; the pause doubles up to 16 times this. Default 200ms.
	BacklogForwardInterval time.Duration
	// LeaseLostBackoff: after a partition's lease was taken by another
	// host, this host refuses the partition (NotOwned, which routers retry)
	// for this long before it may take the lease back, so that two hosts
	// whose rings disagree for a moment do not steal it back and forth.
	// Only with Deps.Ownership. Default 2s, like history's shard retry.
	LeaseLostBackoff time.Duration

	// idBlockBits sets the task-ID block size (1<<idBlockBits IDs per
	// range_id). Default 20. Unexported: only tests shrink it.
	idBlockBits uint
}

const (
	defaultMaxPollWait        = 60 * time.Second
	defaultPollDeadlineMargin = time.Second
	defaultBacklogBufferSize  = 1000
	defaultReadBatchSize      = 100
	defaultWriteBatchSize     = 100
	defaultAckFlushInterval   = 10 * time.Second
	defaultIdleTimeout        = 5 * time.Minute
	defaultPollerHistoryTTL   = 5 * time.Minute
	defaultStoreTimeout       = 10 * time.Second
	defaultStoreRetryBackoff  = time.Second
	defaultIDBlockBits        = 20
	defaultPartitions         = 1
	defaultMaxForwardedPolls  = 1
	defaultBacklogForward     = 200 * time.Millisecond
	defaultLeaseLostBackoff   = 2 * time.Second
	// maxBacklogForwardFactor caps the backlog-forwarding backoff at this
	// multiple of BacklogForwardInterval.
	maxBacklogForwardFactor = 16
)

// DefaultConfig returns the defaults described on each Config field.
func DefaultConfig() Config {
	return Config{
		MaxPollWait:        defaultMaxPollWait,
		PollDeadlineMargin: defaultPollDeadlineMargin,
		SyncMatchWait:      0, // only pollers already waiting
		BacklogBufferSize:  defaultBacklogBufferSize,
		ReadBatchSize:      defaultReadBatchSize,
		WriteBatchSize:     defaultWriteBatchSize,
		AckFlushInterval:   defaultAckFlushInterval,
		IdleTimeout:        defaultIdleTimeout,
		PollerHistoryTTL:   defaultPollerHistoryTTL,
		StoreTimeout:       defaultStoreTimeout,
		StoreRetryBackoff:  defaultStoreRetryBackoff,
		Partitions:         defaultPartitions,
		MaxForwardedPolls:  defaultMaxForwardedPolls,
		// BacklogForwardInterval and LeaseLostBackoff: see the constants.
		BacklogForwardInterval: defaultBacklogForward,
		LeaseLostBackoff:       defaultLeaseLostBackoff,
		idBlockBits:            defaultIDBlockBits,
	}
}

// withDefaults returns c with every zero field replaced by its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur(&c.MaxPollWait, d.MaxPollWait)
	setDur(&c.PollDeadlineMargin, d.PollDeadlineMargin)
	setDur(&c.AckFlushInterval, d.AckFlushInterval)
	setDur(&c.IdleTimeout, d.IdleTimeout)
	setDur(&c.PollerHistoryTTL, d.PollerHistoryTTL)
	setDur(&c.StoreTimeout, d.StoreTimeout)
	setDur(&c.StoreRetryBackoff, d.StoreRetryBackoff)
	setInt(&c.BacklogBufferSize, d.BacklogBufferSize)
	setInt(&c.ReadBatchSize, d.ReadBatchSize)
	setInt(&c.WriteBatchSize, d.WriteBatchSize)
	setInt(&c.Partitions, d.Partitions)
	setInt(&c.MaxForwardedPolls, d.MaxForwardedPolls)
	setDur(&c.BacklogForwardInterval, d.BacklogForwardInterval)
	setDur(&c.LeaseLostBackoff, d.LeaseLostBackoff)
	if c.idBlockBits == 0 {
		c.idBlockBits = d.idBlockBits
	}
	return c
}

// Validate returns an error naming the first bad field, or nil.
func (c Config) Validate() error {
	durations := []struct {
		name string
		v    time.Duration
	}{
		{"MaxPollWait", c.MaxPollWait},
		{"PollDeadlineMargin", c.PollDeadlineMargin},
		{"SyncMatchWait", c.SyncMatchWait},
		{"AckFlushInterval", c.AckFlushInterval},
		{"IdleTimeout", c.IdleTimeout},
		{"PollerHistoryTTL", c.PollerHistoryTTL},
		{"StoreTimeout", c.StoreTimeout},
		{"StoreRetryBackoff", c.StoreRetryBackoff},
		{"BacklogForwardInterval", c.BacklogForwardInterval},
		{"LeaseLostBackoff", c.LeaseLostBackoff},
	}
	for _, d := range durations {
		if d.v < 0 {
			return fmt.Errorf("matching: Config.%s must not be negative, got %v", d.name, d.v)
		}
	}
	ints := []struct {
		name string
		v    int
	}{
		{"BacklogBufferSize", c.BacklogBufferSize},
		{"ReadBatchSize", c.ReadBatchSize},
		{"WriteBatchSize", c.WriteBatchSize},
		{"MaxForwardedPolls", c.MaxForwardedPolls},
	}
	for _, i := range ints {
		if i.v < 0 {
			return fmt.Errorf("matching: Config.%s must not be negative, got %d", i.name, i.v)
		}
	}
	if c.Partitions < 0 || c.Partitions > MaxPartitions {
		return fmt.Errorf("matching: Config.Partitions must be between 1 and %d (0 means %d), got %d", MaxPartitions, defaultPartitions, c.Partitions)
	}
	for name, n := range c.TaskQueuePartitions {
		switch {
		case name == "":
			return errors.New("matching: Config.TaskQueuePartitions names an empty task queue")
		case n < 1 || n > MaxPartitions:
			return fmt.Errorf("matching: Config.TaskQueuePartitions[%q] must be between 1 and %d, got %d", name, MaxPartitions, n)
		}
	}
	if c.idBlockBits > 40 {
		return fmt.Errorf("matching: Config.idBlockBits must be at most 40, got %d", c.idBlockBits)
	}
	e := c.withDefaults()
	if e.PollDeadlineMargin >= e.MaxPollWait {
		return fmt.Errorf("matching: Config.PollDeadlineMargin (%v) must be less than MaxPollWait (%v)", e.PollDeadlineMargin, e.MaxPollWait)
	}
	if e.SyncMatchWait >= e.MaxPollWait {
		return fmt.Errorf("matching: Config.SyncMatchWait (%v) must be less than MaxPollWait (%v)", e.SyncMatchWait, e.MaxPollWait)
	}
	return nil
}

// PartitionCount is the number of partitions of the normal task queue
// name: its TaskQueuePartitions entry, else Partitions (1 when unset).
// Sticky queues always have one. The matching router asks it too, so
// every host must be configured alike.
func (c *Config) PartitionCount(name string) int {
	if n, ok := c.TaskQueuePartitions[name]; ok && n > 0 {
		return n
	}
	if c.Partitions > 0 {
		return c.Partitions
	}
	return defaultPartitions
}
