package sdkzap

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestKeyValuesBecomeFields(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := New(zap.New(core)).With("namespace", "default")
	l.Warn("poll failed", "attempt", 3)
	l.Debug("quiet")
	entries := logs.All()
	require.Len(t, entries, 2)
	require.Equal(t, zapcore.WarnLevel, entries[0].Level)
	require.Equal(t, "poll failed", entries[0].Message)
	require.Equal(t, map[string]any{"namespace": "default", "attempt": int64(3)}, entries[0].ContextMap())
	require.Equal(t, zapcore.DebugLevel, entries[1].Level)
}
