package ring

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestMemberlistLogger(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := newMemberlistLogger(zap.New(core))
	l.Printf("[DEBUG] memberlist: Stream connection from=%s", "127.0.0.1:1234")
	l.Printf("[INFO] memberlist: Suspect node-3 has failed, no acks received")
	l.Printf("[WARN] memberlist: Refuting a suspect message (from: node-1)")
	l.Printf("[ERR] memberlist: Failed to send ping: boom")
	l.Printf("no level at all")

	entries := logs.AllUntimed()
	require.Len(t, entries, 5)
	want := []struct {
		level  zapcore.Level
		detail string
	}{
		{zapcore.DebugLevel, "Stream connection from=127.0.0.1:1234"},
		{zapcore.InfoLevel, "Suspect node-3 has failed, no acks received"},
		{zapcore.WarnLevel, "Refuting a suspect message (from: node-1)"},
		{zapcore.ErrorLevel, "Failed to send ping: boom"},
		{zapcore.InfoLevel, "no level at all"},
	}
	for i, e := range entries {
		require.Equal(t, "memberlist", e.Message, "static message")
		require.Equal(t, want[i].level, e.Level)
		require.Equal(t, want[i].detail, e.ContextMap()["detail"])
		require.Equal(t, "memberlist", e.ContextMap()["component"])
	}
}
