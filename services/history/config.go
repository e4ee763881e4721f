package history

import (
	"fmt"
	"time"

	"github.com/meridian-dev/meridian/common/searchattribute"
	"github.com/meridian-dev/meridian/services/history/queues"
)

// Config tunes the history service. Zero values mean the default.
type Config struct {
	// NumShards is the number of history shards (fixed when a cluster is
	// created). Default 4.
	NumShards int32
	// HistoryCountLimit terminates a run whose history grows past this many
	// events. Default 51,200 (Temporal's).
	HistoryCountLimit int64
	// HistorySizeLimit terminates a run whose history grows past this many
	// bytes. Default 50 MiB (Temporal's).
	HistorySizeLimit int64
	// BlobSizeLimit bounds one payload a command carries. Default 2 MiB.
	BlobSizeLimit int
	// MaxPendingActivities per run. Default 2,000.
	MaxPendingActivities int
	// MaxPendingChildWorkflows per run. Default 2,000 (Temporal's).
	MaxPendingChildWorkflows int
	// MaxPendingSignals per run: signals to other workflows not yet
	// delivered. Default 2,000 (Temporal's).
	MaxPendingSignals int
	// MaxPendingCancelRequests per run: cancellation requests to other
	// workflows not yet delivered. Default 2,000 (Temporal's).
	MaxPendingCancelRequests int
	// SearchAttributes bounds a run's search attributes set by commands
	// (upserts, child starts, continue-as-new). Default: Temporal's 100
	// attributes, 2 KiB per value, 40 KiB in all (the frontend's limits
	// for start requests).
	SearchAttributes searchattribute.Limits
	// MaxInFlightUpdates per run: updates admitted or accepted and not yet
	// completed. Default 10 (Temporal's); more answer ResourceExhausted.
	MaxInFlightUpdates int
	// MaxTotalUpdates per run: every update it admitted or accepted.
	// Default 2,000 (Temporal's); more answer FailedPrecondition.
	MaxTotalUpdates int
	// LongPollTimeout caps how long GetWorkflowExecutionHistory, query and
	// update waits block. Default 60 s (the SDK's deadline is 60-70 s).
	LongPollTimeout time.Duration
	// CacheSize is the number of runs whose state a shard keeps in memory.
	// Default 4,096.
	CacheSize int
	// MaxEagerActivitiesPerTask bounds the activities one workflow task
	// completion starts eagerly (ScheduleActivityTask commands with
	// request_eager_execution on the run's own task queue; the SDK asks
	// for at most 3 by default); the rest go through matching. Default 10.
	MaxEagerActivitiesPerTask int
	// EventCacheBytes bounds the recent history events each cached
	// running run keeps in memory, so that handing out a workflow task
	// reads no history from the store. Default 64 KiB.
	EventCacheBytes int
	// HistoryPageSize is the number of events per history page. Default 1,000.
	HistoryPageSize int
	// Queue configures the shards' task queues.
	Queue queues.Config
	// Controller tunes shard acquisition and release (controller.go).
	Controller ControllerConfig
	// Commit bounds the shards' group commit (committer.go).
	Commit CommitConfig
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		NumShards:                 4,
		HistoryCountLimit:         51200,
		HistorySizeLimit:          50 << 20,
		BlobSizeLimit:             2 << 20,
		MaxPendingActivities:      2000,
		MaxPendingChildWorkflows:  2000,
		MaxPendingSignals:         2000,
		MaxPendingCancelRequests:  2000,
		SearchAttributes:          searchattribute.DefaultLimits(),
		MaxInFlightUpdates:        10,
		MaxTotalUpdates:           2000,
		LongPollTimeout:           60 * time.Second,
		CacheSize:                 4096,
		HistoryPageSize:           1000,
		EventCacheBytes:           64 << 10,
		MaxEagerActivitiesPerTask: 10,
		Controller:                DefaultControllerConfig(),
		Commit:                    DefaultCommitConfig(),
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.NumShards == 0 {
		c.NumShards = d.NumShards
	}
	if c.HistoryCountLimit == 0 {
		c.HistoryCountLimit = d.HistoryCountLimit
	}
	if c.HistorySizeLimit == 0 {
		c.HistorySizeLimit = d.HistorySizeLimit
	}
	if c.BlobSizeLimit == 0 {
		c.BlobSizeLimit = d.BlobSizeLimit
	}
	if c.MaxPendingActivities == 0 {
		c.MaxPendingActivities = d.MaxPendingActivities
	}
	if c.MaxPendingChildWorkflows == 0 {
		c.MaxPendingChildWorkflows = d.MaxPendingChildWorkflows
	}
	if c.MaxPendingSignals == 0 {
		c.MaxPendingSignals = d.MaxPendingSignals
	}
	if c.MaxPendingCancelRequests == 0 {
		c.MaxPendingCancelRequests = d.MaxPendingCancelRequests
	}
	c.SearchAttributes = c.SearchAttributes.WithDefaults()
	if c.MaxInFlightUpdates == 0 {
		c.MaxInFlightUpdates = d.MaxInFlightUpdates
	}
	if c.MaxTotalUpdates == 0 {
		c.MaxTotalUpdates = d.MaxTotalUpdates
	}
	if c.LongPollTimeout == 0 {
		c.LongPollTimeout = d.LongPollTimeout
	}
	if c.CacheSize == 0 {
		c.CacheSize = d.CacheSize
	}
	if c.HistoryPageSize == 0 {
		c.HistoryPageSize = d.HistoryPageSize
	}
	if c.MaxEagerActivitiesPerTask == 0 {
		c.MaxEagerActivitiesPerTask = d.MaxEagerActivitiesPerTask
	}
	if c.EventCacheBytes == 0 {
		c.EventCacheBytes = d.EventCacheBytes
	}
	c.Controller = c.Controller.withDefaults()
	c.Commit = c.Commit.withDefaults()
	return c
}

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.NumShards < 0:
		return fmt.Errorf("history config: NumShards must be positive, got %d", c.NumShards)
	case c.HistoryCountLimit < 0:
		return fmt.Errorf("history config: HistoryCountLimit must not be negative")
	case c.HistorySizeLimit < 0:
		return fmt.Errorf("history config: HistorySizeLimit must not be negative")
	case c.BlobSizeLimit < 0:
		return fmt.Errorf("history config: BlobSizeLimit must not be negative")
	case c.MaxPendingActivities < 0:
		return fmt.Errorf("history config: MaxPendingActivities must not be negative")
	case c.MaxPendingChildWorkflows < 0:
		return fmt.Errorf("history config: MaxPendingChildWorkflows must not be negative")
	case c.MaxPendingSignals < 0:
		return fmt.Errorf("history config: MaxPendingSignals must not be negative")
	case c.MaxPendingCancelRequests < 0:
		return fmt.Errorf("history config: MaxPendingCancelRequests must not be negative")
	case c.MaxInFlightUpdates < 0:
		return fmt.Errorf("history config: MaxInFlightUpdates must not be negative")
	case c.MaxTotalUpdates < 0:
		return fmt.Errorf("history config: MaxTotalUpdates must not be negative")
	case c.LongPollTimeout < 0:
		return fmt.Errorf("history config: LongPollTimeout must not be negative")
	case c.CacheSize < 0:
		return fmt.Errorf("history config: CacheSize must not be negative")
	case c.HistoryPageSize < 0:
		return fmt.Errorf("history config: HistoryPageSize must not be negative")
	case c.MaxEagerActivitiesPerTask < 0:
		return fmt.Errorf("history config: MaxEagerActivitiesPerTask must not be negative")
	case c.EventCacheBytes < 0:
		return fmt.Errorf("history config: EventCacheBytes must not be negative")
	}
	if err := c.Commit.Validate(); err != nil {
		return err
	}
	return c.Controller.Validate()
}
