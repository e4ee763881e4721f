package frontend

import (
	"fmt"
	"time"
)

// Config holds the frontend's limits and defaults. The zero value of every
// field means its default (see DefaultConfig); Validate rejects values that
// cannot work.
type Config struct {
	// BlobSizeLimitError is the largest accepted payload blob in bytes
	// (workflow input, signal input, result, failure, details, header...).
	// Larger blobs are rejected with InvalidArgument "Blob data size exceeds
	// limit.". Default 2 MiB, as in Temporal. Also reported to workers in
	// NamespaceInfo.limits so the SDK fails oversized payloads early.
	BlobSizeLimitError int
	// BlobSizeLimitWarn is the blob size above which a warning is logged
	// (the request is still accepted). Default 512 KiB.
	BlobSizeLimitWarn int
	// MemoSizeLimitError is the largest accepted memo in bytes. Default 2 MiB.
	MemoSizeLimitError int
	// MemoSizeLimitWarn is the memo size above which a warning is logged.
	// Default 2 KiB.
	MemoSizeLimitWarn int
	// MaxIDLength bounds every ID and name in a request (namespace, workflow
	// ID, run ID, workflow type, task queue, activity ID, signal and query
	// names, request ID, identity). Default 1000.
	MaxIDLength int
	// SearchAttributesNumberOfKeysLimit bounds the search attributes of one
	// request. Default 100.
	SearchAttributesNumberOfKeysLimit int
	// SearchAttributesSizeOfValueLimit bounds one search attribute value in
	// bytes. Default 2 KiB.
	SearchAttributesSizeOfValueLimit int
	// SearchAttributesTotalSizeLimit bounds all search attributes of one
	// request in bytes. Default 40 KiB.
	SearchAttributesTotalSizeLimit int
	// MaxCustomSearchAttributesPerType bounds how many custom search
	// attributes of one type a namespace may define. Default 20.
	MaxCustomSearchAttributesPerType int

	// DefaultVisibilityPageSize is the page size of List/Scan calls that ask
	// for 0. Default 100.
	DefaultVisibilityPageSize int
	// MaxVisibilityPageSize caps List/Scan page sizes. Default 1000.
	MaxVisibilityPageSize int
	// DefaultHistoryPageSize is the page size of GetWorkflowExecutionHistory
	// calls that ask for 0; larger requests are capped to it. Default 1000.
	DefaultHistoryPageSize int
	// DefaultNamespacePageSize is the page size of ListNamespaces calls that
	// ask for 0. Default 100.
	DefaultNamespacePageSize int
	// MaxNamespacePageSize caps ListNamespaces page sizes. Default 1000.
	MaxNamespacePageSize int

	// DefaultNamespaceRetention is the retention of a namespace registered
	// without one. Temporal requires callers to set it; Meridian defaults it
	// so that `operator namespace create NAME` just works. Default 24h.
	DefaultNamespaceRetention time.Duration
	// MinNamespaceRetention is the shortest retention a namespace may be
	// registered or updated with. Default 1h (Temporal's production minimum
	// is a day; a shorter floor suits dev servers and failover drills).
	MinNamespaceRetention time.Duration
	// InitialFailoverVersion is this region's initial failover version,
	// stamped on global namespaces registered here (their active region is
	// this one). Local namespaces always get version 0. Default 0.
	InitialFailoverVersion int64

	// MaxMessageSize bounds gRPC messages received and sent. Default 128
	// MiB, the SDK's own limit.
	MaxMessageSize int
	// KeepAliveMinTime is the shortest interval between client keepalive
	// pings the server tolerates (pings without active streams are allowed
	// too); faster pings get GOAWAY too_many_pings. Default 5s; the SDK
	// pings every 30s.
	KeepAliveMinTime time.Duration
	// StreamWorkers is the number of goroutines the gRPC server keeps to
	// run calls on (more calls than idle workers get a goroutine each, as
	// without workers). A reused goroutine keeps the stack it grew, so
	// short calls stop paying for stack growth. Default 128.
	StreamWorkers int
}

// DefaultConfig returns the defaults documented on each Config field.
func DefaultConfig() Config {
	return Config{
		BlobSizeLimitError:                2 << 20,
		BlobSizeLimitWarn:                 512 << 10,
		MemoSizeLimitError:                2 << 20,
		MemoSizeLimitWarn:                 2 << 10,
		MaxIDLength:                       1000,
		SearchAttributesNumberOfKeysLimit: 100,
		SearchAttributesSizeOfValueLimit:  2 << 10,
		SearchAttributesTotalSizeLimit:    40 << 10,
		MaxCustomSearchAttributesPerType:  20,
		DefaultVisibilityPageSize:         100,
		MaxVisibilityPageSize:             1000,
		DefaultHistoryPageSize:            1000,
		DefaultNamespacePageSize:          100,
		MaxNamespacePageSize:              1000,
		DefaultNamespaceRetention:         24 * time.Hour,
		MinNamespaceRetention:             time.Hour,
		InitialFailoverVersion:            0,
		MaxMessageSize:                    128 << 20,
		KeepAliveMinTime:                  5 * time.Second,
		StreamWorkers:                     128,
	}
}

// withDefaults returns c with every zero field replaced by its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.BlobSizeLimitError, d.BlobSizeLimitError)
	setInt(&c.BlobSizeLimitWarn, d.BlobSizeLimitWarn)
	setInt(&c.MemoSizeLimitError, d.MemoSizeLimitError)
	setInt(&c.MemoSizeLimitWarn, d.MemoSizeLimitWarn)
	setInt(&c.MaxIDLength, d.MaxIDLength)
	setInt(&c.SearchAttributesNumberOfKeysLimit, d.SearchAttributesNumberOfKeysLimit)
	setInt(&c.SearchAttributesSizeOfValueLimit, d.SearchAttributesSizeOfValueLimit)
	setInt(&c.SearchAttributesTotalSizeLimit, d.SearchAttributesTotalSizeLimit)
	setInt(&c.MaxCustomSearchAttributesPerType, d.MaxCustomSearchAttributesPerType)
	setInt(&c.DefaultVisibilityPageSize, d.DefaultVisibilityPageSize)
	setInt(&c.MaxVisibilityPageSize, d.MaxVisibilityPageSize)
	setInt(&c.DefaultHistoryPageSize, d.DefaultHistoryPageSize)
	setInt(&c.DefaultNamespacePageSize, d.DefaultNamespacePageSize)
	setInt(&c.MaxNamespacePageSize, d.MaxNamespacePageSize)
	setDur(&c.DefaultNamespaceRetention, d.DefaultNamespaceRetention)
	setDur(&c.MinNamespaceRetention, d.MinNamespaceRetention)
	setInt(&c.MaxMessageSize, d.MaxMessageSize)
	setDur(&c.KeepAliveMinTime, d.KeepAliveMinTime)
	setInt(&c.StreamWorkers, d.StreamWorkers)
	return c
}

// Validate reports the first field that cannot work, naming it. Zero fields
// are valid (they mean the default); Validate checks c with defaults
// applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	positive := []struct {
		name string
		v    int64
	}{
		{"BlobSizeLimitError", int64(c.BlobSizeLimitError)},
		{"BlobSizeLimitWarn", int64(c.BlobSizeLimitWarn)},
		{"MemoSizeLimitError", int64(c.MemoSizeLimitError)},
		{"MemoSizeLimitWarn", int64(c.MemoSizeLimitWarn)},
		{"MaxIDLength", int64(c.MaxIDLength)},
		{"SearchAttributesNumberOfKeysLimit", int64(c.SearchAttributesNumberOfKeysLimit)},
		{"SearchAttributesSizeOfValueLimit", int64(c.SearchAttributesSizeOfValueLimit)},
		{"SearchAttributesTotalSizeLimit", int64(c.SearchAttributesTotalSizeLimit)},
		{"MaxCustomSearchAttributesPerType", int64(c.MaxCustomSearchAttributesPerType)},
		{"DefaultVisibilityPageSize", int64(c.DefaultVisibilityPageSize)},
		{"MaxVisibilityPageSize", int64(c.MaxVisibilityPageSize)},
		{"DefaultHistoryPageSize", int64(c.DefaultHistoryPageSize)},
		{"DefaultNamespacePageSize", int64(c.DefaultNamespacePageSize)},
		{"MaxNamespacePageSize", int64(c.MaxNamespacePageSize)},
		{"DefaultNamespaceRetention", int64(c.DefaultNamespaceRetention)},
		{"MinNamespaceRetention", int64(c.MinNamespaceRetention)},
		{"MaxMessageSize", int64(c.MaxMessageSize)},
		{"KeepAliveMinTime", int64(c.KeepAliveMinTime)},
		{"StreamWorkers", int64(c.StreamWorkers)},
	}
	for _, f := range positive {
		if f.v < 0 {
			return fmt.Errorf("frontend config: %s must not be negative, got %d", f.name, f.v)
		}
	}
	if c.InitialFailoverVersion < 0 {
		return fmt.Errorf("frontend config: InitialFailoverVersion must not be negative, got %d", c.InitialFailoverVersion)
	}
	if c.BlobSizeLimitWarn > c.BlobSizeLimitError {
		return fmt.Errorf("frontend config: BlobSizeLimitWarn (%d) must not exceed BlobSizeLimitError (%d)", c.BlobSizeLimitWarn, c.BlobSizeLimitError)
	}
	if c.MemoSizeLimitWarn > c.MemoSizeLimitError {
		return fmt.Errorf("frontend config: MemoSizeLimitWarn (%d) must not exceed MemoSizeLimitError (%d)", c.MemoSizeLimitWarn, c.MemoSizeLimitError)
	}
	if c.DefaultVisibilityPageSize > c.MaxVisibilityPageSize {
		return fmt.Errorf("frontend config: DefaultVisibilityPageSize (%d) must not exceed MaxVisibilityPageSize (%d)", c.DefaultVisibilityPageSize, c.MaxVisibilityPageSize)
	}
	if c.DefaultNamespacePageSize > c.MaxNamespacePageSize {
		return fmt.Errorf("frontend config: DefaultNamespacePageSize (%d) must not exceed MaxNamespacePageSize (%d)", c.DefaultNamespacePageSize, c.MaxNamespacePageSize)
	}
	if c.MinNamespaceRetention > c.DefaultNamespaceRetention {
		return fmt.Errorf("frontend config: MinNamespaceRetention (%v) must not exceed DefaultNamespaceRetention (%v)", c.MinNamespaceRetention, c.DefaultNamespaceRetention)
	}
	if c.BlobSizeLimitError > c.MaxMessageSize {
		return fmt.Errorf("frontend config: BlobSizeLimitError (%d) must not exceed MaxMessageSize (%d)", c.BlobSizeLimitError, c.MaxMessageSize)
	}
	return nil
}
