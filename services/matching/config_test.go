package matching

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string // "" means valid
	}{
		{"zero value means defaults", Config{}, ""},
		{"defaults", DefaultConfig(), ""},
		{"negative poll wait", Config{MaxPollWait: -time.Second}, "MaxPollWait"},
		{"negative margin", Config{PollDeadlineMargin: -1}, "PollDeadlineMargin"},
		{"negative sync wait", Config{SyncMatchWait: -1}, "SyncMatchWait"},
		{"negative buffer", Config{BacklogBufferSize: -1}, "BacklogBufferSize"},
		{"negative read batch", Config{ReadBatchSize: -1}, "ReadBatchSize"},
		{"negative write batch", Config{WriteBatchSize: -1}, "WriteBatchSize"},
		{"negative flush", Config{AckFlushInterval: -1}, "AckFlushInterval"},
		{"negative idle", Config{IdleTimeout: -1}, "IdleTimeout"},
		{"negative poller ttl", Config{PollerHistoryTTL: -1}, "PollerHistoryTTL"},
		{"negative store timeout", Config{StoreTimeout: -1}, "StoreTimeout"},
		{"negative backoff", Config{StoreRetryBackoff: -1}, "StoreRetryBackoff"},
		{"margin not below poll wait", Config{MaxPollWait: time.Second, PollDeadlineMargin: time.Second}, "PollDeadlineMargin"},
		{"sync wait not below poll wait", Config{SyncMatchWait: time.Minute}, "SyncMatchWait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.field)
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	require.Equal(t, DefaultConfig(), Config{}.withDefaults())
	custom := Config{MaxPollWait: 30 * time.Second}.withDefaults()
	require.Equal(t, 30*time.Second, custom.MaxPollWait)
	require.Equal(t, DefaultConfig().AckFlushInterval, custom.AckFlushInterval)
}

func TestNewServiceRequiresDeps(t *testing.T) {
	_, err := NewService(Config{}, Deps{History: &fakeHistory{}})
	require.ErrorContains(t, err, "TaskStore")
	_, err = NewService(Config{}, Deps{TaskStore: newMemTaskStore()})
	require.ErrorContains(t, err, "History")
	_, err = NewService(Config{MaxPollWait: -1}, Deps{TaskStore: newMemTaskStore(), History: &fakeHistory{}})
	require.ErrorContains(t, err, "MaxPollWait")
}
