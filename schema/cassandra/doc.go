// Package cassandra holds Meridian's Cassandra schema: numbered CQL
// migrations (0001_initial.cql, 0002_..., embedded in the binary) and the
// code that applies them, used by `meridian schema setup` and `meridian
// schema update` and by the Cassandra persistence tests.
//
// # Versions
//
// A keyspace's schema version is the highest migration recorded in its
// schema_version table (schema_name, version, name, applied_at, checksum).
// Update applies the migrations above it in order and records each once all
// its statements succeeded. persistence/cassandra.Open refuses a keyspace
// whose version is below its RequiredSchemaVersion, naming the command to
// run; a newer keyspace is accepted (rolling upgrades update the schema
// before the binaries).
//
// # Rules for migrations
//
//   - Never edit a migration that was released: schema_version keeps each
//     file's SHA-256 and Update refuses a mismatch. Add a new file.
//   - Every statement is idempotent (CREATE ... IF NOT EXISTS, ALTER TABLE
//     ... ADD IF NOT EXISTS, DROP ... IF EXISTS): an update interrupted
//     half-way is completed by running it again.
//   - Changes are additive and backward compatible: binaries one version
//     behind must keep working on the new schema.
//   - Statements name tables without a keyspace; the keyspace is the one
//     `schema setup --keyspace` created.
package cassandra
