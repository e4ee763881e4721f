package cassandra

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gocql/gocql"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
)

// versionTable records every applied migration: one partition (schema_name
// = schemaName), one row per version.
const (
	versionTable = "schema_version"
	schemaName   = "meridian"
)

const createVersionTable = `CREATE TABLE IF NOT EXISTS ` + versionTable + ` (
    schema_name text,
    version     int,
    name        text,
    applied_at  timestamp,
    checksum    text,
    PRIMARY KEY ((schema_name), version)
)`

// AppliedMigration is one row of a keyspace's schema_version table.
type AppliedMigration struct {
	Version   int
	Name      string
	AppliedAt time.Time
	// Checksum of the file when it was applied.
	Checksum string
}

// KeyspaceExists reports whether the cluster has the keyspace.
func KeyspaceExists(ctx context.Context, s *gocql.Session, keyspace string) (bool, error) {
	var name string
	err := s.Query(`SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?`, keyspace).
		WithContext(ctx).Scan(&name)
	if errors.Is(err, gocql.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("schema: look up keyspace %q: %w", keyspace, err)
	}
	return true, nil
}

// CreateKeyspace creates the keyspace o describes unless it exists; it
// reports whether it already existed (its replication is then left as it
// is: change it with ALTER KEYSPACE and a repair).
func CreateKeyspace(ctx context.Context, s *gocql.Session, o KeyspaceOptions) (existed bool, err error) {
	stmt, err := o.CreateStatement()
	if err != nil {
		return false, err
	}
	name := o.withDefaults().Name
	if existed, err = KeyspaceExists(ctx, s, name); err != nil || existed {
		return existed, err
	}
	if err := s.Query(stmt).WithContext(ctx).Exec(); err != nil {
		return false, fmt.Errorf("schema: create keyspace %q: %w", name, err)
	}
	return false, nil
}

// Applied returns the migrations applied to keyspace, in version order; none
// when the keyspace has no schema_version table (or does not exist).
func Applied(ctx context.Context, s *gocql.Session, keyspace string) ([]AppliedMigration, error) {
	if err := ValidateKeyspaceName(keyspace); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	var table string
	err := s.Query(`SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?`, keyspace, versionTable).
		WithContext(ctx).Scan(&table)
	if errors.Is(err, gocql.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schema: look up %s.%s: %w", keyspace, versionTable, err)
	}
	iter := s.Query(`SELECT version, name, applied_at, checksum FROM `+keyspace+`.`+versionTable+` WHERE schema_name = ?`, schemaName).
		WithContext(ctx).Iter()
	var (
		out []AppliedMigration
		m   AppliedMigration
	)
	for iter.Scan(&m.Version, &m.Name, &m.AppliedAt, &m.Checksum) {
		out = append(out, m)
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("schema: read %s.%s: %w", keyspace, versionTable, err)
	}
	return out, nil
}

// Version is the highest migration version applied to keyspace; 0 when it
// has no Meridian schema.
func Version(ctx context.Context, s *gocql.Session, keyspace string) (int, error) {
	applied, err := Applied(ctx, s, keyspace)
	if err != nil || len(applied) == 0 {
		return 0, err
	}
	return applied[len(applied)-1].Version, nil
}

// sessionKeyspace is the keyspace s was connected to ("" for none).
func sessionKeyspace(s *gocql.Session) string {
	q := s.Query("")
	defer q.Release()
	return q.Keyspace()
}

// Update applies every embedded migration newer than the keyspace's schema
// version, in order, and records each in schema_version (version, name,
// applied_at from clk, checksum) once all its statements succeeded. s must
// be connected to the keyspace (ClusterConfig.Keyspace): migrations name
// tables without a keyspace. It returns the migrations it applied.
//
// Before applying anything it checks that the versions already applied are
// 1..N without gaps and that their checksums match the embedded files: a
// migration edited after release, or a keyspace written by another tool,
// stops the update. A keyspace newer than this binary is left alone.
//
// Run one update at a time: two concurrent updates may both run a
// migration's (idempotent) DDL, and the second to record it fails.
func Update(ctx context.Context, s *gocql.Session, clk clock.Clock, logger *zap.Logger) ([]Migration, error) {
	keyspace := sessionKeyspace(s)
	if keyspace == "" {
		return nil, errors.New("schema: Update needs a session connected to the keyspace (ClusterConfig.Keyspace)")
	}
	if err := ValidateKeyspaceName(keyspace); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	migrations, err := Migrations()
	if err != nil {
		return nil, err
	}
	if err := s.Query(createVersionTable).WithContext(ctx).Exec(); err != nil {
		return nil, fmt.Errorf("schema: create %s.%s: %w", keyspace, versionTable, err)
	}
	applied, err := Applied(ctx, s, keyspace)
	if err != nil {
		return nil, err
	}
	if err := checkApplied(keyspace, applied, migrations); err != nil {
		return nil, err
	}
	latest := migrations[len(migrations)-1].Version
	if n := len(applied); n > 0 && applied[n-1].Version >= latest {
		if applied[n-1].Version > latest {
			logger.Warn("keyspace schema is newer than this binary; nothing to apply",
				zap.String("keyspace", keyspace), zap.Int("version", applied[n-1].Version), zap.Int("binary_version", latest))
		}
		return nil, nil
	}
	var done []Migration
	for _, m := range migrations[len(applied):] {
		for i, stmt := range m.Statements {
			if err := s.Query(stmt).WithContext(ctx).Exec(); err != nil {
				return done, fmt.Errorf("schema: migration %s, statement %d of %d: %w", m.File, i+1, len(m.Statements), err)
			}
		}
		ok, err := s.Query(`INSERT INTO `+versionTable+` (schema_name, version, name, applied_at, checksum) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS`,
			schemaName, m.Version, m.Name, clk.Now(), m.Checksum).WithContext(ctx).MapScanCAS(map[string]any{})
		if err != nil {
			return done, fmt.Errorf("schema: record version %d in %s.%s: %w", m.Version, keyspace, versionTable, err)
		}
		if !ok {
			return done, fmt.Errorf("schema: version %d of keyspace %q was recorded by a concurrent update; run one schema update at a time", m.Version, keyspace)
		}
		logger.Info("applied schema migration", zap.String("keyspace", keyspace), zap.Int("version", m.Version), zap.String("file", m.File))
		done = append(done, m)
	}
	return done, nil
}

// checkApplied verifies that the applied versions are 1..N and match the
// embedded files' checksums.
func checkApplied(keyspace string, applied []AppliedMigration, migrations []Migration) error {
	for i, a := range applied {
		if a.Version != i+1 {
			return fmt.Errorf("schema: keyspace %q records version %d where version %d was expected; its schema_version table is not Meridian's or was edited", keyspace, a.Version, i+1)
		}
		if i >= len(migrations) {
			continue // newer than this binary
		}
		if m := migrations[i]; a.Checksum != m.Checksum {
			return fmt.Errorf("schema: keyspace %q applied version %d with checksum %s, but %s has checksum %s: a released migration must never change; add a new one",
				keyspace, a.Version, a.Checksum, m.File, m.Checksum)
		}
	}
	return nil
}
