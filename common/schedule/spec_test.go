package schedule

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	schedulepb "go.temporal.io/api/schedule/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func rfc(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.UTC().Format(time.RFC3339)
	}
	return out
}

func TestSpecTimes(t *testing.T) {
	tests := []struct {
		name string
		spec *schedulepb.ScheduleSpec
		from string
		want []string
	}{
		{
			name: "interval",
			spec: &schedulepb.ScheduleSpec{Interval: []*schedulepb.IntervalSpec{{Interval: durationpb.New(time.Hour)}}},
			from: "2024-01-01T10:30:00Z",
			want: []string{"2024-01-01T11:00:00Z", "2024-01-01T12:00:00Z", "2024-01-01T13:00:00Z"},
		},
		{
			name: "interval with phase; from on a match is exclusive",
			spec: &schedulepb.ScheduleSpec{Interval: []*schedulepb.IntervalSpec{{Interval: durationpb.New(time.Hour), Phase: durationpb.New(19 * time.Minute)}}},
			from: "2024-01-01T10:19:00Z",
			want: []string{"2024-01-01T11:19:00Z", "2024-01-01T12:19:00Z", "2024-01-01T13:19:00Z"},
		},
		{
			name: "28 day interval with phase (the API's example)",
			spec: &schedulepb.ScheduleSpec{Interval: []*schedulepb.IntervalSpec{{Interval: durationpb.New(28 * 24 * time.Hour), Phase: durationpb.New(3*24*time.Hour + 5*time.Hour + 23*time.Minute)}}},
			from: "2022-02-01T00:00:00Z",
			want: []string{"2022-02-20T05:23:00Z", "2022-03-20T05:23:00Z", "2022-04-17T05:23:00Z"},
		},
		{
			name: "cron five fields",
			spec: &schedulepb.ScheduleSpec{CronString: []string{"30 2 * * 1-5"}},
			from: "2024-01-05T03:00:00Z", // a Friday
			want: []string{"2024-01-08T02:30:00Z", "2024-01-09T02:30:00Z", "2024-01-10T02:30:00Z"},
		},
		{
			name: "cron seven fields with seconds, names and a comment",
			spec: &schedulepb.ScheduleSpec{CronString: []string{"15 0 12 1 jan,jul * 2025-2026 # twice a year"}},
			from: "2024-06-01T00:00:00Z",
			want: []string{"2025-01-01T12:00:15Z", "2025-07-01T12:00:15Z", "2026-01-01T12:00:15Z"},
		},
		{
			name: "day of month and day of week both match (and, not or)",
			spec: &schedulepb.ScheduleSpec{CronString: []string{"0 0 13 * fri"}},
			from: "2024-01-01T00:00:00Z",
			want: []string{"2024-09-13T00:00:00Z", "2024-12-13T00:00:00Z", "2025-06-13T00:00:00Z"},
		},
		{
			name: "sunday as 7",
			spec: &schedulepb.ScheduleSpec{CronString: []string{"0 9 * * 7"}},
			from: "2024-01-01T00:00:00Z",
			want: []string{"2024-01-07T09:00:00Z", "2024-01-14T09:00:00Z", "2024-01-21T09:00:00Z"},
		},
		{
			name: "@every with phase",
			spec: &schedulepb.ScheduleSpec{CronString: []string{"@every 2h/30m"}},
			from: "2024-01-01T00:00:00Z",
			want: []string{"2024-01-01T00:30:00Z", "2024-01-01T02:30:00Z", "2024-01-01T04:30:00Z"},
		},
		{
			name: "@daily in CRON_TZ",
			spec: &schedulepb.ScheduleSpec{CronString: []string{"CRON_TZ=Asia/Tokyo @daily"}},
			from: "2024-01-01T00:00:00Z",
			want: []string{"2024-01-01T15:00:00Z", "2024-01-02T15:00:00Z", "2024-01-03T15:00:00Z"},
		},
		{
			name: "DST spring forward skips the missing 02:30",
			spec: &schedulepb.ScheduleSpec{CronString: []string{"30 2 * * *"}, TimezoneName: "America/New_York"},
			from: "2024-03-09T00:00:00Z",
			want: []string{"2024-03-09T07:30:00Z", "2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"},
		},
		{
			name: "DST fall back fires the repeated 01:30 twice",
			spec: &schedulepb.ScheduleSpec{CronString: []string{"30 1 * * *"}, TimezoneName: "America/New_York"},
			from: "2024-11-02T12:00:00Z",
			want: []string{"2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z", "2024-11-04T06:30:00Z"},
		},
		{
			name: "calendar defaults and a union with an interval",
			spec: &schedulepb.ScheduleSpec{
				Calendar: []*schedulepb.CalendarSpec{{Hour: "12"}},
				Interval: []*schedulepb.IntervalSpec{{Interval: durationpb.New(24 * time.Hour), Phase: durationpb.New(6 * time.Hour)}},
			},
			from: "2024-01-01T00:00:00Z",
			want: []string{"2024-01-01T06:00:00Z", "2024-01-01T12:00:00Z", "2024-01-02T06:00:00Z"},
		},
		{
			name: "exclusions, start and end",
			spec: &schedulepb.ScheduleSpec{
				Interval: []*schedulepb.IntervalSpec{{Interval: durationpb.New(time.Hour)}},
				ExcludeStructuredCalendar: []*schedulepb.StructuredCalendarSpec{{
					Second: []*schedulepb.Range{{Start: 0}}, Minute: []*schedulepb.Range{{Start: 0}},
					Hour: []*schedulepb.Range{{Start: 3, End: 4}}, DayOfMonth: []*schedulepb.Range{{Start: 1, End: 31}},
					Month: []*schedulepb.Range{{Start: 1, End: 12}}, DayOfWeek: []*schedulepb.Range{{Start: 0, End: 6}},
				}},
				StartTime: timestamppb.New(utc("2024-01-01T02:00:00Z")),
				EndTime:   timestamppb.New(utc("2024-01-01T06:00:00Z")),
			},
			from: "2023-12-31T00:00:00Z",
			want: []string{"2024-01-01T02:00:00Z", "2024-01-01T05:00:00Z", "2024-01-01T06:00:00Z"},
		},
		{
			name: "structured calendar with step",
			spec: &schedulepb.ScheduleSpec{StructuredCalendar: []*schedulepb.StructuredCalendarSpec{{
				Second: []*schedulepb.Range{{Start: 0, End: 59, Step: 20}}, Minute: []*schedulepb.Range{{Start: 5}},
				Hour: []*schedulepb.Range{{Start: 0, End: 23}}, DayOfMonth: []*schedulepb.Range{{Start: 1, End: 31}},
				Month: []*schedulepb.Range{{Start: 1, End: 12}}, DayOfWeek: []*schedulepb.Range{{Start: 0, End: 6}},
			}}},
			from: "2024-01-01T00:05:20Z",
			want: []string{"2024-01-01T00:05:40Z", "2024-01-01T01:05:00Z", "2024-01-01T01:05:20Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(tt.spec)
			require.NoError(t, err)
			require.Equal(t, tt.want, rfc(s.Times("seed", utc(tt.from), time.Time{}, 3)))
		})
	}
}

func TestSpecEnds(t *testing.T) {
	s, err := Compile(&schedulepb.ScheduleSpec{CronString: []string{"0 0 30 2 *"}})
	require.NoError(t, err)
	_, ok := s.Nominal(utc("2024-01-01T00:00:00Z"))
	require.False(t, ok, "February 30th never comes")

	s, err = Compile(nil)
	require.NoError(t, err)
	require.True(t, s.Empty())
	_, ok = s.Nominal(utc("2024-01-01T00:00:00Z"))
	require.False(t, ok)
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		spec  *schedulepb.ScheduleSpec
		field string
	}{
		{"bad cron", &schedulepb.ScheduleSpec{CronString: []string{"* * *"}}, "cron_string[0]"},
		{"cron value out of range", &schedulepb.ScheduleSpec{CronString: []string{"0 0 * * *", "61 * * * *"}}, "cron_string[1]"},
		{"cron unknown zone", &schedulepb.ScheduleSpec{CronString: []string{"CRON_TZ=Nowhere/Land 0 0 * * *"}}, "cron_string[0]"},
		{"cron zone conflicts", &schedulepb.ScheduleSpec{CronString: []string{"CRON_TZ=Asia/Tokyo 0 0 * * *"}, TimezoneName: "UTC"}, "cron_string[0]"},
		{"calendar", &schedulepb.ScheduleSpec{Calendar: []*schedulepb.CalendarSpec{{Hour: "25"}}}, "calendar[0]"},
		{"structured", &schedulepb.ScheduleSpec{StructuredCalendar: []*schedulepb.StructuredCalendarSpec{{Month: []*schedulepb.Range{{Start: 13}}}}}, "structured_calendar[0]"},
		{"interval too small", &schedulepb.ScheduleSpec{Interval: []*schedulepb.IntervalSpec{{Interval: durationpb.New(time.Millisecond)}}}, "interval[0].interval"},
		{"negative phase", &schedulepb.ScheduleSpec{Interval: []*schedulepb.IntervalSpec{{Interval: durationpb.New(time.Hour), Phase: durationpb.New(-time.Hour)}}}, "interval[0].phase"},
		{"end before start", &schedulepb.ScheduleSpec{StartTime: timestamppb.New(utc("2024-01-02T00:00:00Z")), EndTime: timestamppb.New(utc("2024-01-01T00:00:00Z"))}, "end_time"},
		{"negative jitter", &schedulepb.ScheduleSpec{Jitter: durationpb.New(-time.Second)}, "jitter"},
		{"time zone", &schedulepb.ScheduleSpec{TimezoneName: "Mars/Olympus"}, "timezone_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.spec)
			var se *Error
			require.True(t, errors.As(err, &se), "got %v", err)
			require.Equal(t, tt.field, se.Field)
		})
	}
}

func TestCanonical(t *testing.T) {
	s, err := Compile(&schedulepb.ScheduleSpec{
		CronString: []string{"CRON_TZ=Europe/Paris 0 12 * * mon-fri", "@every 90s"},
		Calendar:   []*schedulepb.CalendarSpec{{DayOfWeek: "sat", Hour: "9", Comment: "weekend"}},
	})
	require.NoError(t, err)
	c := s.Canonical()
	require.Empty(t, c.GetCronString())
	require.Empty(t, c.GetCalendar())
	require.Equal(t, "Europe/Paris", c.GetTimezoneName())
	require.Len(t, c.GetInterval(), 1)
	require.Equal(t, 90*time.Second, c.GetInterval()[0].GetInterval().AsDuration())
	require.Len(t, c.GetStructuredCalendar(), 2)
	// calendar entries come first, then compiled cron strings.
	weekend, weekdays := c.GetStructuredCalendar()[0], c.GetStructuredCalendar()[1]
	require.Equal(t, "weekend", weekend.GetComment())
	require.Equal(t, int32(6), weekend.GetDayOfWeek()[0].GetStart())
	require.Equal(t, []int32{1, 5}, []int32{weekdays.GetDayOfWeek()[0].GetStart(), weekdays.GetDayOfWeek()[0].GetEnd()})

	// Compiling the canonical form again names the same times.
	again, err := Compile(c)
	require.NoError(t, err)
	from := utc("2024-01-01T00:00:00Z")
	require.Equal(t, rfc(s.Times("x", from, time.Time{}, 20)), rfc(again.Times("x", from, time.Time{}, 20)))
}

func TestJitterBounds(t *testing.T) {
	for _, tt := range []struct {
		name   string
		every  time.Duration
		jitter time.Duration
		limit  time.Duration
	}{
		{"jitter below the interval", time.Minute, 10 * time.Second, 10 * time.Second},
		{"jitter capped by the following action", 10 * time.Second, time.Hour, 10 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(&schedulepb.ScheduleSpec{
				Interval: []*schedulepb.IntervalSpec{{Interval: durationpb.New(tt.every)}},
				Jitter:   durationpb.New(tt.jitter),
			})
			require.NoError(t, err)
			from := utc("2024-01-01T00:00:00Z")
			var distinct = map[time.Duration]bool{}
			prev := from
			tt2 := from
			for range 200 {
				nominal, actual, ok := s.Next("sched-1", tt2)
				require.True(t, ok)
				j := actual.Sub(nominal)
				require.GreaterOrEqual(t, j, time.Duration(0))
				require.Less(t, j, tt.limit)
				require.True(t, actual.After(prev), "actions keep their order")
				// Deterministic: the same seed and nominal time give the
				// same jitter.
				require.Equal(t, j, s.Jitter("sched-1", nominal))
				distinct[j] = true
				prev, tt2 = actual, actual
			}
			require.Greater(t, len(distinct), 50, "jitter varies between actions")
		})
	}
	s, err := Compile(&schedulepb.ScheduleSpec{Interval: []*schedulepb.IntervalSpec{{Interval: durationpb.New(time.Minute)}}, Jitter: durationpb.New(30 * time.Second)})
	require.NoError(t, err)
	n := utc("2024-01-01T00:00:00Z")
	differ := false
	for i := range 10 {
		at := n.Add(time.Duration(i) * time.Minute)
		if s.Jitter("a", at) != s.Jitter("b", at) {
			differ = true
		}
	}
	require.True(t, differ, "different schedules get different jitter")
}

// TestCalendarAgainstNaive checks the calendar search against a scan of
// every second in a DST-changing zone.
func TestCalendarAgainstNaive(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	s, err := Compile(&schedulepb.ScheduleSpec{CronString: []string{"*/7 1-3 * * *"}, TimezoneName: "America/New_York"})
	require.NoError(t, err)
	c := s.calendars[0]
	for _, day := range []string{"2024-03-10T04:00:00Z", "2024-11-03T04:00:00Z", "2024-06-01T04:00:00Z"} {
		from := utc(day)
		var naive []time.Time
		for t0 := from.Add(time.Second); len(naive) < 40; t0 = t0.Add(time.Second) {
			if c.matches(t0, loc) {
				naive = append(naive, t0)
			}
		}
		got := s.Times("", from, time.Time{}, 40)
		require.Equal(t, rfc(naive), rfc(got), day)
	}
}
