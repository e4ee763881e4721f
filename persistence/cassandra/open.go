package cassandra

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gocql/gocql"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	schema "github.com/meridian-dev/meridian/schema/cassandra"
)

// RequiredSchemaVersion is the schema version (schema/cassandra migration)
// this code needs. Open refuses an older keyspace.
const RequiredSchemaVersion = 1

// SchemaVersionError: the keyspace's schema is older than this build needs.
type SchemaVersionError struct {
	Keyspace string
	// Have is the keyspace's version (0: no Meridian schema at all).
	Have int
	// Need is RequiredSchemaVersion.
	Need int
	// Missing: the keyspace itself does not exist.
	Missing bool
	// Hosts and Port, for the command in the message.
	Hosts []string
	Port  int
}

func (e *SchemaVersionError) Error() string {
	cmd := "update"
	what := fmt.Sprintf("has schema version %d", e.Have)
	switch {
	case e.Missing:
		cmd = "setup"
		what = "does not exist"
	case e.Have == 0:
		cmd = "setup"
		what = "has no Meridian schema (version 0)"
	}
	return fmt.Sprintf("cassandra: keyspace %q %s, but this build of Meridian needs schema version %d: run 'meridian schema %s --hosts %s --port %d --keyspace %s' first",
		e.Keyspace, what, e.Need, cmd, strings.Join(e.Hosts, ","), e.Port, e.Keyspace)
}

// db is the shared state behind every store of one Open.
type db struct {
	session *gocql.Session
	logger  *zap.Logger
	metrics opMetricsCache

	closeOnce sync.Once
}

// Open connects to the cluster, checks the keyspace's schema version, and
// returns the stores. Call Stores.Close when done. logger may be nil.
func Open(cfg Config, logger *zap.Logger) (*persistence.Stores, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	cl, err := cfg.ClusterConfig()
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	cl.Logger = driverLogger{logger}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	session, err := cl.CreateSession()
	if err != nil {
		return nil, connectError(ctx, err, cfg, logger)
	}
	have, err := schema.Version(ctx, session, cfg.Keyspace)
	if err != nil {
		session.Close()
		return nil, fmt.Errorf("cassandra: read schema version of keyspace %q: %w", cfg.Keyspace, err)
	}
	if have < RequiredSchemaVersion {
		session.Close()
		return nil, &SchemaVersionError{Keyspace: cfg.Keyspace, Have: have, Need: RequiredSchemaVersion, Hosts: cfg.Hosts, Port: cfg.Port}
	}
	if have > RequiredSchemaVersion {
		logger.Info("cassandra keyspace schema is newer than this build needs",
			zap.String("keyspace", cfg.Keyspace), zap.Int("version", have), zap.Int("required", RequiredSchemaVersion))
	}
	d := &db{session: session, logger: logger, metrics: opMetricsCache{root: cfg.Metrics}}
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

// connectError explains a failed connection. gocql reports a missing
// keyspace as "no connections were made", so a session without a keyspace
// checks whether the keyspace exists: if not, the error is a
// *SchemaVersionError naming `meridian schema setup`.
func connectError(ctx context.Context, err error, cfg Config, logger *zap.Logger) error {
	wrapped := fmt.Errorf("cassandra: connect to %s port %d, keyspace %q: %w", strings.Join(cfg.Hosts, ","), cfg.Port, cfg.Keyspace, err)
	cl, cerr := cfg.ClusterConfig()
	if cerr != nil {
		return wrapped
	}
	cl.Keyspace = ""
	cl.Logger = driverLogger{logger}
	s, cerr := cl.CreateSession()
	if cerr != nil {
		return wrapped // the cluster itself is unreachable
	}
	defer s.Close()
	if ok, cerr := schema.KeyspaceExists(ctx, s, cfg.Keyspace); cerr == nil && !ok {
		return &SchemaVersionError{Keyspace: cfg.Keyspace, Need: RequiredSchemaVersion, Hosts: cfg.Hosts, Port: cfg.Port, Missing: true}
	}
	return wrapped
}

// close is idempotent. Callers stop using the stores first.
func (d *db) close() error {
	d.closeOnce.Do(d.session.Close)
	return nil
}

// readRetries is how many times an idempotent read is retried after a
// timeout or an unavailable replica. Writes are never retried here.
const readRetries = 2

// readRetryPolicy retries reads that failed for want of time or replicas,
// at once, on the same coordinator.
type readRetryPolicy struct{}

func (readRetryPolicy) Attempt(q gocql.RetryableQuery) bool {
	return q.Attempts() <= readRetries && q.Context().Err() == nil
}

func (readRetryPolicy) GetRetryType(err error) gocql.RetryType {
	switch t, _ := classify("", err); t {
	case errTypeTimeout, errTypeUnavailable:
		return gocql.Retry
	}
	return gocql.Rethrow
}

// read returns a query for an idempotent read, retried by readRetryPolicy.
func (d *db) read(ctx context.Context, stmt string, args ...any) *gocql.Query {
	return d.session.Query(stmt, args...).WithContext(ctx).Idempotent(true).RetryPolicy(readRetryPolicy{})
}

// fail records a failed request of op and returns its classified error.
func (d *db) fail(m *opMetrics, op string, err error) error {
	t, err := classify(op, err)
	m.error(t)
	return err
}

// scanOne runs a single-row read into dest; persistence.ErrNotFound when
// there is no row.
func (d *db) scanOne(ctx context.Context, op, stmt string, args []any, dest ...any) error {
	m := d.metrics.get(op)
	m.requests.Inc(1)
	sw := m.latency.Start()
	err := d.read(ctx, stmt, args...).Scan(dest...)
	sw.Stop()
	if err != nil {
		if errors.Is(err, gocql.ErrNotFound) {
			return fmt.Errorf("cassandra: %s: %w", op, persistence.ErrNotFound)
		}
		return d.fail(m, op, err)
	}
	return nil
}

// iterate runs a read and calls row for each row until it returns false.
// scan receives the iterator's Scan; row must call it.
func (d *db) iterate(ctx context.Context, op string, q *gocql.Query, row func(scan func(dest ...any) bool) bool) error {
	m := d.metrics.get(op)
	m.requests.Inc(1)
	sw := m.latency.Start()
	defer sw.Stop()
	iter := q.WithContext(ctx).Idempotent(true).RetryPolicy(readRetryPolicy{}).Iter()
	for row(iter.Scan) {
	}
	if err := iter.Close(); err != nil {
		return d.fail(m, op, err)
	}
	return nil
}

// exec runs a plain (unconditional) write.
func (d *db) exec(ctx context.Context, op, stmt string, args ...any) error {
	m := d.metrics.get(op)
	m.requests.Inc(1)
	sw := m.latency.Start()
	err := d.session.Query(stmt, args...).WithContext(ctx).Exec()
	sw.Stop()
	if err != nil {
		return d.fail(m, op, err)
	}
	return nil
}

// casRow is one row of a conditional write's result: the current values of
// a row whose condition was checked (columns missing from the result read
// as zero values; a row that does not exist is absent from the result).
type casRow map[string]any

// cas runs one conditional statement (a lightweight transaction). When it
// was not applied, prev holds the row's current values (nil when the row
// does not exist).
func (d *db) cas(ctx context.Context, op, stmt string, args ...any) (applied bool, prev casRow, err error) {
	m := d.metrics.get(op)
	m.requests.Inc(1)
	m.lwt.Inc(1)
	sw := m.latency.Start()
	lsw := m.lwtLatency.Start()
	row := casRow{}
	applied, err = d.session.Query(stmt, args...).WithContext(ctx).MapScanCAS(row)
	lsw.Stop()
	sw.Stop()
	if err != nil {
		return false, nil, d.fail(m, op, err)
	}
	if applied {
		return true, nil, nil
	}
	m.lwtNotApplied.Inc(1)
	if len(row) == 0 {
		return false, nil, nil
	}
	return false, row, nil
}

// casBatch runs a conditional batch (one lightweight transaction: every
// statement in one partition of one table). When it was not applied, rows
// hold the current values of the conditioned rows that exist.
func (d *db) casBatch(ctx context.Context, op string, b *gocql.Batch) (applied bool, rows []casRow, err error) {
	m := d.metrics.get(op)
	m.requests.Inc(1)
	m.lwt.Inc(1)
	sw := m.latency.Start()
	lsw := m.lwtLatency.Start()
	first := map[string]any{}
	applied, iter, err := d.session.MapExecuteBatchCAS(b.WithContext(ctx), first)
	if err == nil && !applied {
		var more []map[string]any
		more, err = iter.SliceMap()
		if len(first) > 0 {
			rows = append(rows, first)
		}
		for _, r := range more {
			rows = append(rows, r)
		}
	}
	if iter != nil {
		if cerr := iter.Close(); err == nil {
			err = cerr
		}
	}
	lsw.Stop()
	sw.Stop()
	if err != nil {
		return false, nil, d.fail(m, op, err)
	}
	if !applied {
		m.lwtNotApplied.Inc(1)
	}
	return applied, rows, nil
}

// newBatch returns an empty conditional batch. Unlogged: a single-partition
// batch is applied atomically without the batch log.
func (d *db) newBatch() *gocql.Batch {
	return d.session.NewBatch(gocql.UnloggedBatch)
}

// Typed access to casRow columns; a missing or null column is the zero value.

func (r casRow) int64(col string) int64 {
	switch v := r[col].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case int32:
		return int64(v)
	}
	return 0
}

func (r casRow) string(col string) string {
	s, _ := r[col].(string)
	return s
}

func (r casRow) bytes(col string) []byte {
	b, _ := r[col].([]byte)
	return b
}

// marshal encodes m, naming its type in the error.
func marshal(m proto.Message) ([]byte, error) {
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("cassandra: encode %T: %w", m, err)
	}
	return b, nil
}

// unmarshal decodes b into m, naming its type in the error.
func unmarshal(b []byte, m proto.Message) error {
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("cassandra: decode %T: %w", m, err)
	}
	return nil
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cassandra: %w", err)
	}
	return nil
}

// driverLogger sends gocql's log lines to zap.
type driverLogger struct{ l *zap.Logger }

func (d driverLogger) Print(v ...any) {
	d.l.Warn("cassandra driver", zap.String("detail", strings.TrimSpace(fmt.Sprint(v...))))
}

func (d driverLogger) Printf(format string, v ...any) {
	d.l.Warn("cassandra driver", zap.String("detail", strings.TrimSpace(fmt.Sprintf(format, v...))))
}

func (d driverLogger) Println(v ...any) {
	d.l.Warn("cassandra driver", zap.String("detail", strings.TrimSpace(fmt.Sprintln(v...))))
}
