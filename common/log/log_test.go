package log

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "zero value", cfg: Config{}},
		{name: "default", cfg: DefaultConfig()},
		{name: "debug json", cfg: Config{Level: "debug", Format: "json"}},
		{name: "warn pretty", cfg: Config{Level: "warn", Format: "pretty"}},
		{name: "upper case", cfg: Config{Level: "ERROR", Format: "Text"}},
		{name: "never console", cfg: Config{Level: "never", Format: "console"}},
		{name: "off", cfg: Config{Level: "off"}},
		{name: "bad level", cfg: Config{Level: "verbose"}, wantErr: `invalid log level "verbose": valid levels are debug, info, warn, error, never`},
		{name: "bad format", cfg: Config{Format: "xml"}, wantErr: `invalid log format "xml": valid formats are text, json, pretty, console`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.wantErr)
		})
	}
}

func TestNewJSON(t *testing.T) {
	var buf bytes.Buffer
	logger, err := New(Config{Level: "info", Format: "json"}, zapcore.AddSync(&buf))
	require.NoError(t, err)

	logger.Debug("hidden")
	logger.Info("shard acquired", zap.Int32("shard_id", 3))
	require.NoError(t, logger.Sync())

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1)
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	require.Equal(t, "info", rec["level"])
	require.Equal(t, "shard acquired", rec["msg"])
	require.EqualValues(t, 3, rec["shard_id"])
	require.Contains(t, rec, "ts")
	require.Contains(t, rec, "caller")
}

func TestNewText(t *testing.T) {
	var buf bytes.Buffer
	logger, err := New(Config{Level: "warn", Format: "pretty"}, zapcore.AddSync(&buf))
	require.NoError(t, err)

	logger.Info("hidden")
	logger.Warn("slow poll", zap.String("task_queue", "orders"))
	require.NoError(t, logger.Sync())

	out := buf.String()
	require.NotContains(t, out, "hidden")
	require.Contains(t, out, "WARN")
	require.Contains(t, out, "slow poll")
	require.Contains(t, out, `"task_queue": "orders"`)
}

func TestNewNever(t *testing.T) {
	var buf bytes.Buffer
	logger, err := New(Config{Level: "never"}, zapcore.AddSync(&buf))
	require.NoError(t, err)
	logger.Error("not written")
	require.Empty(t, buf.String())
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(Config{Level: "loud"}, nil)
	require.ErrorContains(t, err, `invalid log level "loud"`)
}
