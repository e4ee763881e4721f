// Package sdkzap adapts a zap logger to the Temporal Go SDK's logger, for
// the places Meridian runs the SDK itself (the system worker, the CLI, the
// bench tool): the SDK's key-value pairs become zap's sugared fields.
package sdkzap

import (
	sdklog "go.temporal.io/sdk/log"
	"go.uber.org/zap"
)

// Logger implements the SDK's log.Logger and log.WithLogger over zap.
type Logger struct{ s *zap.SugaredLogger }

var (
	_ sdklog.Logger     = Logger{}
	_ sdklog.WithLogger = Logger{}
)

// New returns l as an SDK logger; callers are reported as the SDK's.
func New(l *zap.Logger) Logger {
	return Logger{s: l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

// Debug logs at debug level.
func (l Logger) Debug(msg string, keyvals ...any) { l.s.Debugw(msg, keyvals...) }

// Info logs at info level.
func (l Logger) Info(msg string, keyvals ...any) { l.s.Infow(msg, keyvals...) }

// Warn logs at warn level.
func (l Logger) Warn(msg string, keyvals ...any) { l.s.Warnw(msg, keyvals...) }

// Error logs at error level.
func (l Logger) Error(msg string, keyvals ...any) { l.s.Errorw(msg, keyvals...) }

// With returns a logger that adds keyvals to every entry.
func (l Logger) With(keyvals ...any) sdklog.Logger { return Logger{s: l.s.With(keyvals...)} }
