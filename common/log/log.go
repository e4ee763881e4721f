package log

import (
	"fmt"
	"os"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Levels accepted by Config.Level, in increasing severity. "never" (alias
// "off") disables logging; these are the values `temporal server start-dev
// --log-level` accepts.
const (
	LevelDebug = "debug"
	LevelInfo  = "info"
	LevelWarn  = "warn"
	LevelError = "error"
	LevelNever = "never"
)

// Formats accepted by Config.Format. "pretty" and "console" are aliases of
// "text", kept because SDK test harnesses pass "pretty" to
// `temporal server start-dev --log-format`.
const (
	FormatText = "text"
	FormatJSON = "json"
)

var (
	levelNames  = []string{LevelDebug, LevelInfo, LevelWarn, LevelError, LevelNever}
	formatNames = []string{FormatText, FormatJSON, "pretty", "console"}
)

// Config selects the level and encoding of a logger. The zero value means
// DefaultConfig.
type Config struct {
	// Level is the minimum level logged: debug, info, warn, error, or never
	// (alias off). Case-insensitive; "warning" is accepted for warn.
	// Empty means info.
	Level string
	// Format is text (alias pretty, console) for human-readable lines, or
	// json for one JSON object per line. Empty means text.
	Format string
}

// DefaultConfig logs at info level in text format.
func DefaultConfig() Config {
	return Config{Level: LevelInfo, Format: FormatText}
}

// Validate reports whether Level and Format are accepted values. Its error
// names the bad field and lists the valid values.
func (c Config) Validate() error {
	if _, _, err := ParseLevel(c.Level); err != nil {
		return err
	}
	if _, err := ParseFormat(c.Format); err != nil {
		return err
	}
	return nil
}

// ParseLevel maps a level name to a zap level. enabled is false for "never"
// and "off". The empty string means info.
func ParseLevel(s string) (level zapcore.Level, enabled bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", LevelInfo:
		return zapcore.InfoLevel, true, nil
	case LevelDebug:
		return zapcore.DebugLevel, true, nil
	case LevelWarn, "warning":
		return zapcore.WarnLevel, true, nil
	case LevelError:
		return zapcore.ErrorLevel, true, nil
	case LevelNever, "off":
		return zapcore.InvalidLevel, false, nil
	}
	return zapcore.InvalidLevel, false, fmt.Errorf("invalid log level %q: valid levels are %s",
		s, strings.Join(levelNames, ", "))
}

// ParseFormat maps a format name to FormatText or FormatJSON. The empty
// string means text.
func ParseFormat(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", FormatText, "pretty", "console":
		return FormatText, nil
	case FormatJSON:
		return FormatJSON, nil
	}
	return "", fmt.Errorf("invalid log format %q: valid formats are %s",
		s, strings.Join(formatNames, ", "))
}

// New builds a logger writing to w, or to standard error when w is nil.
// It fails only when cfg does not validate.
func New(cfg Config, w zapcore.WriteSyncer) (*zap.Logger, error) {
	level, enabled, err := ParseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	format, err := ParseFormat(cfg.Format)
	if err != nil {
		return nil, err
	}
	if !enabled {
		return zap.NewNop(), nil
	}
	color := false
	if w == nil {
		w = zapcore.Lock(os.Stderr)
		color = isTerminal(os.Stderr)
	}

	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "ts"
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	enc.EncodeDuration = zapcore.StringDurationEncoder
	var encoder zapcore.Encoder
	if format == FormatJSON {
		encoder = zapcore.NewJSONEncoder(enc)
	} else {
		enc.EncodeLevel = zapcore.CapitalLevelEncoder
		if color {
			enc.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		encoder = zapcore.NewConsoleEncoder(enc)
	}

	core := zapcore.NewCore(encoder, w, zap.NewAtomicLevelAt(level))
	return zap.New(core,
		zap.AddCaller(),
		zap.AddStacktrace(zapcore.DPanicLevel),
		zap.ErrorOutput(w),
	), nil
}

// isTerminal reports whether f is a character device (a terminal), so that
// text logs are colored only for people, never for files or pipes.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
