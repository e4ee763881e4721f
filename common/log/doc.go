// Package log builds the process's *zap.Logger from a small Config (level
// and format, the values of the --log-level and --log-format flags).
//
// There is no package-level logger: New returns a logger that the caller
// passes down explicitly. Log messages are static strings; details go in
// typed fields.
package log
