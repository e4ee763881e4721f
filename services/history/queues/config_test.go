package queues

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"zero is all defaults", Config{}, ""},
		{"defaults", DefaultConfig(), ""},
		{"workers", Config{Workers: -1}, "Config.Workers"},
		{"batch size", Config{BatchSize: -5}, "Config.BatchSize"},
		{"ack interval", Config{AckInterval: -time.Second}, "Config.AckInterval"},
		{"retry backoff", Config{RetryBackoff: -time.Second}, "Config.RetryBackoff"},
		{"max below initial", Config{RetryBackoff: time.Minute, MaxRetryBackoff: time.Second}, "Config.MaxRetryBackoff"},
		{"max below default initial", Config{MaxRetryBackoff: time.Millisecond}, "Config.MaxRetryBackoff"},
		{"lookahead", Config{TimerLookahead: time.Millisecond}, "Config.TimerLookahead"},
		{"persist timeout", Config{PersistTimeout: -1}, "Config.PersistTimeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestConfigZeroMeansDefault(t *testing.T) {
	require.Equal(t, DefaultConfig(), Config{}.withDefaults())
	c := Config{Workers: 3}.withDefaults()
	require.Equal(t, 3, c.Workers)
	require.Equal(t, DefaultConfig().BatchSize, c.BatchSize)
}

func TestNewRejectsBadDeps(t *testing.T) {
	h := newHarness(t, transfer, Config{})
	good := Deps{Category: transfer, Store: h.store, Executor: h.exec, PersistAck: h.persistAck, Clock: h.clk}
	_, err := New(Config{}, good)
	require.NoError(t, err)

	for name, mutate := range map[string]func(*Deps){
		"Deps.Category":   func(d *Deps) { d.Category = replication },
		"Deps.Store":      func(d *Deps) { d.Store = nil },
		"Deps.Executor":   func(d *Deps) { d.Executor = nil },
		"Deps.PersistAck": func(d *Deps) { d.PersistAck = nil },
		"Deps.Clock":      func(d *Deps) { d.Clock = nil },
	} {
		d := good
		mutate(&d)
		_, err := New(Config{}, d)
		require.ErrorContains(t, err, name)
	}
	_, err = New(Config{Workers: -1}, good)
	require.ErrorContains(t, err, "Config.Workers")
}

func TestBackoffCappedAndJittered(t *testing.T) {
	h := newHarness(t, transfer, Config{RetryBackoff: 100 * time.Millisecond, MaxRetryBackoff: time.Second})
	q := h.newQueue()
	for attempt := 1; attempt <= 20; attempt++ {
		full := min(100*time.Millisecond<<(attempt-1), time.Second)
		if attempt > 10 {
			full = time.Second
		}
		for i := 0; i < 20; i++ {
			d := q.backoffLocked(attempt)
			require.GreaterOrEqual(t, d, full/2, "attempt %d", attempt)
			require.LessOrEqual(t, d, full, "attempt %d", attempt)
		}
	}
}
