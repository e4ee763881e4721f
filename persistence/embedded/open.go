package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
)

// db is the shared state behind every store of one Open.
type db struct {
	pebble *pebble.DB
	cache  *pebble.Cache

	shards shardCache
	// workflows serializes condition checks and commits per (shard,
	// namespace, workflow ID) stripe.
	workflows stripedMutex
	// taskQueues fences backlog writes: readers are writes conditional on
	// range_id, the writer is LeaseTaskQueue.
	taskQueues stripedRWMutex
	// queues serializes ID allocation per queue.
	queues      stripedMutex
	namespaceMu sync.Mutex
	clusterMu   sync.Mutex

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the embedded store in dir and returns its
// stores. Only one Open of a dir may be live at a time (pebble locks it).
// Call Stores.Close when done.
func Open(dir string, opts Options) (*persistence.Stores, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	fs := opts.FS
	if fs == nil {
		if opts.InMemory {
			fs = vfs.NewMem()
		} else {
			fs = vfs.Default
		}
	}
	if dir == "" {
		if !opts.InMemory && opts.FS == nil {
			return nil, errors.New("embedded: Open needs a directory")
		}
		dir = "meridian"
	}
	if err := ensureDir(fs, dir); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(opts.CacheSizeBytes)
	po := &pebble.Options{
		FS:                 fs,
		Cache:              cache,
		MemTableSize:       opts.MemTableSizeBytes,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             zapLogger{opts.Logger},
	}
	pdb, err := pebble.Open(dir, po)
	if err != nil {
		cache.Unref()
		return nil, fmt.Errorf("embedded: open %s: %w", dir, err)
	}
	d := &db{pebble: pdb, cache: cache}
	d.shards.init()
	return &persistence.Stores{
		Shard:           &shardStore{d},
		Execution:       &executionStore{d},
		History:         &historyStore{d},
		Task:            &taskStore{d},
		Namespace:       &namespaceStore{d},
		ClusterMetadata: &clusterMetadataStore{d},
		Queue:           &queueStore{d},
		Visibility:      &visibilityStore{d},
		Close:           d.close,
	}, nil
}

// ensureDir creates dir (and missing parents) and fsyncs the parent of
// every directory it created, so that a store made on first start survives
// a power loss like its contents do (pebble syncs the entries of its
// directory, not the directory's own entry in its parent).
func ensureDir(fs vfs.FS, dir string) error {
	var missing []string
	for d := dir; ; {
		if _, err := fs.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		parent := fs.PathDir(d)
		if parent == d || parent == "" {
			break
		}
		d = parent
	}
	if len(missing) == 0 {
		return nil
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("embedded: create %s: %w", dir, err)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		parent := fs.PathDir(missing[i])
		if parent == "" {
			parent = "."
		}
		if err := syncDir(fs, parent); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(fs vfs.FS, dir string) (err error) {
	d, err := fs.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("embedded: open %s: %w", dir, err)
	}
	defer closeInto(&err, d, "directory "+dir)
	if err := d.Sync(); err != nil {
		return fmt.Errorf("embedded: sync %s: %w", dir, err)
	}
	return nil
}

// close is idempotent. Callers stop using the stores first.
func (d *db) close() error {
	d.closeOnce.Do(func() {
		d.closeErr = d.pebble.Close()
		d.cache.Unref()
	})
	return d.closeErr
}

// get reads key from r into m; persistence.ErrNotFound when absent.
func get(r pebble.Reader, key []byte, m proto.Message) (err error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return persistence.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("embedded: get: %w", err)
	}
	defer closeInto(&err, closer, "value")
	if err := proto.Unmarshal(v, m); err != nil {
		return fmt.Errorf("embedded: decode %T: %w", m, err)
	}
	return nil
}

// getRaw returns a copy of key's value, or persistence.ErrNotFound.
func getRaw(r pebble.Reader, key []byte) (_ []byte, err error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, persistence.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: get: %w", err)
	}
	defer closeInto(&err, closer, "value")
	return append([]byte(nil), v...), nil
}

// exists reports whether key is present.
func exists(r pebble.Reader, key []byte) (bool, error) {
	_, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("embedded: get: %w", err)
	}
	if err := closer.Close(); err != nil {
		return false, fmt.Errorf("embedded: close value: %w", err)
	}
	return true, nil
}

// setProto adds key=marshal(m) to b.
func setProto(b *pebble.Batch, key []byte, m proto.Message) error {
	v, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("embedded: encode %T: %w", m, err)
	}
	return b.Set(key, v, nil)
}

// commit makes b durable (fsync of the WAL; concurrent commits share one
// fsync) and releases it.
func commit(b *pebble.Batch) (err error) {
	defer closeInto(&err, b, "batch")
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("embedded: commit: %w", err)
	}
	return nil
}

// discard releases b, which is not to be committed, and returns err, the
// reason why; a failure to release it is joined to err.
func discard(b *pebble.Batch, err error) error {
	if cerr := b.Close(); cerr != nil {
		return errors.Join(err, fmt.Errorf("embedded: close batch: %w", cerr))
	}
	return err
}

// closeInto closes c (what names it in the error) and reports a failure to
// close through *err when *err is nil. An error already being returned takes
// precedence: it is the cause, and an iterator's Close repeats the error its
// Error method reported.
func closeInto(err *error, c io.Closer, what string) {
	if cerr := c.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("embedded: close %s: %w", what, cerr)
	}
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	return nil
}

// zapLogger adapts zap to pebble's logger.
type zapLogger struct{ l *zap.Logger }

func (z zapLogger) Infof(format string, args ...interface{}) {
	z.l.Info("pebble", zap.String("detail", fmt.Sprintf(format, args...)))
}

func (z zapLogger) Fatalf(format string, args ...interface{}) {
	z.l.Fatal("pebble fatal", zap.String("detail", fmt.Sprintf(format, args...)))
}
