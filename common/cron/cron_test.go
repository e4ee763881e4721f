package cron

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		spec string
		ok   bool
	}{
		{"* * * * *", true},
		{"*/5 1-3 * * MON-FRI", true},
		{"@hourly", true},
		{"@daily", true},
		{"@every 1s", true},
		{"@every 90m", true},
		{"CRON_TZ=UTC 0 9 * * *", true},
		{"", false},
		{"* * * *", false},
		{"61 * * * *", false},
		{"@every", false},
		{"@every banana", false},
		{"@sometimes", false},
		{"* * * * * *", false}, // seconds field: not standard
	} {
		err := Validate(tc.spec)
		if tc.ok {
			require.NoError(t, err, tc.spec)
		} else {
			require.Error(t, err, tc.spec)
		}
	}
}

func TestBackoff(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return tm
	}
	for _, tc := range []struct {
		name           string
		spec           string
		scheduled, now string
		want           time.Duration
	}{
		{"new chain waits for the next minute", "* * * * *", "2025-01-01T00:00:10Z", "2025-01-01T00:00:10Z", 50 * time.Second},
		{"on the minute: the next one", "* * * * *", "2025-01-01T00:01:00Z", "2025-01-01T00:01:00Z", time.Minute},
		{"run finished early: wait for the next slot", "*/5 * * * *", "2025-01-01T00:05:00Z", "2025-01-01T00:06:30Z", 3*time.Minute + 30*time.Second},
		{"run overran slots: the first slot not before now", "*/5 * * * *", "2025-01-01T00:05:00Z", "2025-01-01T00:17:00Z", 3 * time.Minute},
		{"rounded up to whole seconds", "@every 1s", "2025-01-01T00:00:00.300Z", "2025-01-01T00:00:00.300Z", time.Second},
		{"every: from the scheduled time", "@every 10s", "2025-01-01T00:00:00Z", "2025-01-01T00:00:04.5Z", 6 * time.Second},
		{"scheduled in the future: wait for it", "@hourly", "2025-01-01T01:00:00Z", "2025-01-01T00:59:00Z", time.Minute},
		{"hourly", "@hourly", "2025-01-01T00:00:00Z", "2025-01-01T00:20:00Z", 40 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.spec)
			require.NoError(t, err)
			d, ok := s.Backoff(at(tc.scheduled), at(tc.now))
			require.True(t, ok)
			require.Equal(t, tc.want, d)
		})
	}
}

func TestBackoffNeverFires(t *testing.T) {
	s, err := Parse("0 0 30 2 *") // February 30th
	require.NoError(t, err)
	_, ok := s.Backoff(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	require.False(t, ok)
}
