package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
)

func TestProcessBuffer(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	items := func(n int, p enumspb.ScheduleOverlapPolicy) []Start {
		var out []Start
		for i := range n {
			at := t0.Add(time.Duration(i) * time.Minute)
			out = append(out, Start{Nominal: at, Actual: at, Overlap: p})
		}
		return out
	}
	all := func(Start) bool { return true }
	const (
		skip      = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
		bufOne    = enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE
		bufAll    = enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL
		cancel    = enumspb.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER
		terminate = enumspb.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER
		allowAll  = enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL
		unset     = enumspb.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED
	)
	tests := []struct {
		name                    string
		buffer                  []Start
		running                 bool
		def                     enumspb.ScheduleOverlapPolicy
		start, keep             int
		skipped                 int64
		wantCancel, wantTermina bool
	}{
		{"skip, idle: first starts, rest skipped", items(3, unset), false, skip, 1, 0, 2, false, false},
		{"skip, running: all skipped", items(3, unset), true, skip, 0, 0, 3, false, false},
		{"unspecified default is skip", items(2, unset), true, unset, 0, 0, 2, false, false},
		{"buffer one, running: one kept", items(3, bufOne), true, skip, 0, 1, 2, false, false},
		{"buffer one, idle: one starts, one kept", items(3, unset), false, bufOne, 1, 1, 1, false, false},
		{"buffer all, running: all kept", items(3, unset), true, bufAll, 0, 3, 0, false, false},
		{"allow all: all start", items(3, allowAll), true, skip, 3, 0, 0, false, false},
		{"cancel other: last kept, cancel", items(2, cancel), true, skip, 0, 1, 0, true, false},
		{"terminate other: last kept, terminate", items(2, unset), true, terminate, 0, 1, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := processBuffer(tt.buffer, tt.running, tt.def, all)
			require.Len(t, d.Start, tt.start)
			require.Len(t, d.Keep, tt.keep)
			require.Equal(t, tt.skipped, d.Skipped)
			require.Equal(t, tt.wantCancel, d.Cancel)
			require.Equal(t, tt.wantTermina, d.Terminate)
			if tt.start > 0 {
				require.Equal(t, tt.buffer[0], d.Start[0], "the oldest action starts first")
			}
		})
	}
	t.Run("actions that may not start stay buffered", func(t *testing.T) {
		buf := items(2, unset)
		buf[1].Manual = true
		d := processBuffer(buf, false, skip, func(s Start) bool { return s.Manual })
		require.Equal(t, []Start{buf[1]}, d.Start)
		require.Equal(t, []Start{buf[0]}, d.Keep)
	})
}
