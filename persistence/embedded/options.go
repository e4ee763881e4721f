package embedded

import (
	"errors"

	"github.com/cockroachdb/pebble/vfs"
	"go.uber.org/zap"
)

// Options configures the embedded backend. The zero value is valid: zero
// fields take the defaults of DefaultOptions.
type Options struct {
	// InMemory keeps everything in memory (pebble's vfs.NewMem); the dir
	// passed to Open is then only a name inside that memory filesystem.
	// Meant for unit tests: nothing survives the process.
	InMemory bool
	// FS overrides the filesystem (tests use vfs.NewStrictMem to simulate a
	// crash). Nil means the local disk, or a fresh memory FS when InMemory.
	FS vfs.FS
	// CacheSizeBytes is pebble's block cache size. Default 64 MiB.
	CacheSizeBytes int64
	// MemTableSizeBytes is the size of one pebble memtable. Default 32 MiB
	// on disk (dev workloads rarely stall on flushes), 4 MiB in memory (unit
	// tests open many stores).
	MemTableSizeBytes uint64
	// Logger receives pebble's background events. Default: no logging.
	Logger *zap.Logger
}

// DefaultOptions returns the options Open uses for zero fields.
func DefaultOptions() Options {
	return Options{
		CacheSizeBytes:    64 << 20,
		MemTableSizeBytes: 32 << 20,
		Logger:            zap.NewNop(),
	}
}

// withDefaults fills zero fields from DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.CacheSizeBytes == 0 {
		o.CacheSizeBytes = d.CacheSizeBytes
	}
	if o.MemTableSizeBytes == 0 {
		o.MemTableSizeBytes = d.MemTableSizeBytes
		if o.InMemory {
			o.MemTableSizeBytes = 4 << 20
		}
	}
	if o.Logger == nil {
		o.Logger = d.Logger
	}
	return o
}

// Validate returns an error naming the first bad field.
func (o Options) Validate() error {
	if o.CacheSizeBytes < 0 {
		return errors.New("embedded: Options.CacheSizeBytes must not be negative")
	}
	if o.MemTableSizeBytes != 0 && o.MemTableSizeBytes < 1<<20 {
		return errors.New("embedded: Options.MemTableSizeBytes must be at least 1 MiB")
	}
	return nil
}
