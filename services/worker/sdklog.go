package worker

import (
	sdklog "go.temporal.io/sdk/log"
	"go.uber.org/zap"
)

// sdkLogger adapts zap to the SDK's logger: key-value pairs become zap's
// sugared fields.
type sdkLogger struct{ s *zap.SugaredLogger }

var (
	_ sdklog.Logger     = sdkLogger{}
	_ sdklog.WithLogger = sdkLogger{}
)

func newSDKLogger(l *zap.Logger) sdkLogger {
	return sdkLogger{s: l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

func (l sdkLogger) Debug(msg string, keyvals ...any) { l.s.Debugw(msg, keyvals...) }
func (l sdkLogger) Info(msg string, keyvals ...any)  { l.s.Infow(msg, keyvals...) }
func (l sdkLogger) Warn(msg string, keyvals ...any)  { l.s.Warnw(msg, keyvals...) }
func (l sdkLogger) Error(msg string, keyvals ...any) { l.s.Errorw(msg, keyvals...) }

func (l sdkLogger) With(keyvals ...any) sdklog.Logger { return sdkLogger{s: l.s.With(keyvals...)} }
