package ring

import (
	"bytes"
	"log"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newMemberlistLogger returns a standard logger for memberlist whose lines
// ("[WARN] memberlist: Refuting a suspect message ...") go to logger at the
// line's level, with the text in a field.
func newMemberlistLogger(logger *zap.Logger) *log.Logger {
	return log.New(&memberlistWriter{logger: logger.With(zap.String("component", "memberlist"))}, "", 0)
}

type memberlistWriter struct{ logger *zap.Logger }

var memberlistLevels = []struct {
	prefix []byte
	level  zapcore.Level
}{
	{[]byte("[DEBUG] "), zapcore.DebugLevel},
	{[]byte("[INFO] "), zapcore.InfoLevel},
	{[]byte("[WARN] "), zapcore.WarnLevel},
	{[]byte("[ERR] "), zapcore.ErrorLevel},
	{[]byte("[ERROR] "), zapcore.ErrorLevel},
}

func (w *memberlistWriter) Write(p []byte) (int, error) {
	line := bytes.TrimRight(p, "\n")
	level := zapcore.InfoLevel
	for _, l := range memberlistLevels {
		if bytes.HasPrefix(line, l.prefix) {
			level, line = l.level, line[len(l.prefix):]
			break
		}
	}
	if ce := w.logger.Check(level, "memberlist"); ce != nil {
		ce.Write(zap.String("detail", string(bytes.TrimPrefix(line, []byte("memberlist: ")))))
	}
	return len(p), nil
}
