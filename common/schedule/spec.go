package schedule

import (
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	schedulepb "go.temporal.io/api/schedule/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Error is a spec that does not compile; Field names the bad field of the
// ScheduleSpec ("cron_string[0]", "interval[1].interval", ...).
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field string, format string, args ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// interval is a compiled IntervalSpec, in whole seconds.
type interval struct {
	every, phase int64
}

// next is the first time epoch + n*every + phase strictly after t.
func (iv interval) next(t time.Time) time.Time {
	n := floorDiv(t.Unix()-iv.phase, iv.every) + 1
	return time.Unix(n*iv.every+iv.phase, 0).UTC()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Spec is a compiled ScheduleSpec.
type Spec struct {
	canonical  *schedulepb.ScheduleSpec
	calendars  []calendar
	intervals  []interval
	excludes   []calendar
	start, end time.Time
	jitter     time.Duration
	loc        *time.Location
}

// Compile checks spec and compiles it. A nil spec is an empty one, which
// never fires (actions can still be triggered or backfilled).
func Compile(spec *schedulepb.ScheduleSpec) (*Spec, error) {
	c := &schedulepb.ScheduleSpec{
		StartTime:    spec.GetStartTime(),
		EndTime:      spec.GetEndTime(),
		Jitter:       spec.GetJitter(),
		TimezoneName: spec.GetTimezoneName(),
		TimezoneData: spec.GetTimezoneData(),
	}
	for i, sc := range spec.GetStructuredCalendar() {
		if err := checkStructured(sc); err != nil {
			return nil, fieldErr(fmt.Sprintf("structured_calendar[%d]", i), "%v", err)
		}
		c.StructuredCalendar = append(c.StructuredCalendar, sc)
	}
	for i, cs := range spec.GetCalendar() {
		sc, err := calendarFromSpec(cs)
		if err != nil {
			return nil, fieldErr(fmt.Sprintf("calendar[%d]", i), "%v", err)
		}
		c.StructuredCalendar = append(c.StructuredCalendar, sc)
	}
	for i, cron := range spec.GetCronString() {
		res, err := parseCron(cron)
		if err != nil {
			return nil, fieldErr(fmt.Sprintf("cron_string[%d]", i), "invalid cron string %q: %v", cron, err)
		}
		if res.timezone != "" {
			if c.TimezoneName != "" && c.TimezoneName != res.timezone {
				return nil, fieldErr(fmt.Sprintf("cron_string[%d]", i), "time zone %q conflicts with timezone_name %q", res.timezone, c.TimezoneName)
			}
			c.TimezoneName = res.timezone
		}
		if res.interval != nil {
			c.Interval = append(c.Interval, res.interval)
		} else {
			c.StructuredCalendar = append(c.StructuredCalendar, res.calendar)
		}
	}
	c.Interval = append(c.Interval, spec.GetInterval()...)
	for i, sc := range spec.GetExcludeStructuredCalendar() {
		if err := checkStructured(sc); err != nil {
			return nil, fieldErr(fmt.Sprintf("exclude_structured_calendar[%d]", i), "%v", err)
		}
		c.ExcludeStructuredCalendar = append(c.ExcludeStructuredCalendar, sc)
	}
	for i, cs := range spec.GetExcludeCalendar() { //nolint:staticcheck // deprecated field, still accepted on input
		sc, err := calendarFromSpec(cs)
		if err != nil {
			return nil, fieldErr(fmt.Sprintf("exclude_calendar[%d]", i), "%v", err)
		}
		c.ExcludeStructuredCalendar = append(c.ExcludeStructuredCalendar, sc)
	}
	return compileCanonical(c)
}

func checkStructured(sc *schedulepb.StructuredCalendarSpec) error {
	if sc == nil {
		return errors.New("nil calendar")
	}
	for _, f := range []struct {
		f  field
		rs []*schedulepb.Range
	}{
		{fieldSecond, sc.GetSecond()}, {fieldMinute, sc.GetMinute()}, {fieldHour, sc.GetHour()},
		{fieldDOM, sc.GetDayOfMonth()}, {fieldMonth, sc.GetMonth()}, {fieldYear, sc.GetYear()},
		{fieldDOW, sc.GetDayOfWeek()},
	} {
		if err := checkRanges(f.f, f.rs); err != nil {
			return err
		}
	}
	return nil
}

// compileCanonical compiles a spec whose calendars are all structured.
func compileCanonical(c *schedulepb.ScheduleSpec) (*Spec, error) {
	s := &Spec{canonical: c, loc: time.UTC}
	for _, sc := range c.StructuredCalendar {
		s.calendars = append(s.calendars, newCalendar(sc))
	}
	for _, sc := range c.ExcludeStructuredCalendar {
		s.excludes = append(s.excludes, newCalendar(sc))
	}
	for i, iv := range c.Interval {
		if iv == nil {
			return nil, fieldErr(fmt.Sprintf("interval[%d]", i), "nil interval")
		}
		every, phase := iv.GetInterval().AsDuration().Truncate(time.Second), iv.GetPhase().AsDuration().Truncate(time.Second)
		if every < time.Second {
			return nil, fieldErr(fmt.Sprintf("interval[%d].interval", i), "must be at least 1s, got %v", iv.GetInterval().AsDuration())
		}
		if phase < 0 {
			return nil, fieldErr(fmt.Sprintf("interval[%d].phase", i), "must not be negative, got %v", phase)
		}
		s.intervals = append(s.intervals, interval{every: int64(every / time.Second), phase: int64(phase / time.Second)})
	}
	if c.StartTime != nil {
		if err := c.StartTime.CheckValid(); err != nil {
			return nil, fieldErr("start_time", "%v", err)
		}
		s.start = c.StartTime.AsTime()
	}
	if c.EndTime != nil {
		if err := c.EndTime.CheckValid(); err != nil {
			return nil, fieldErr("end_time", "%v", err)
		}
		s.end = c.EndTime.AsTime()
		if !s.start.IsZero() && s.end.Before(s.start) {
			return nil, fieldErr("end_time", "is before start_time")
		}
	}
	if c.Jitter != nil {
		if err := c.Jitter.CheckValid(); err != nil || c.Jitter.AsDuration() < 0 {
			return nil, fieldErr("jitter", "must be a non-negative duration")
		}
		s.jitter = c.Jitter.AsDuration()
	}
	var err error
	switch {
	case len(c.TimezoneData) > 0:
		s.loc, err = time.LoadLocationFromTZData(c.TimezoneName, c.TimezoneData)
		if err != nil {
			return nil, fieldErr("timezone_data", "%v", err)
		}
	case c.TimezoneName != "":
		s.loc, err = time.LoadLocation(c.TimezoneName)
		if err != nil {
			return nil, fieldErr("timezone_name", "unknown time zone %q", c.TimezoneName)
		}
	}
	return s, nil
}

// Canonical is the spec as describe shows it: calendar and cron_string
// compiled into structured_calendar, interval and timezone_name. Callers
// must not modify it.
func (s *Spec) Canonical() *schedulepb.ScheduleSpec { return s.canonical }

// Empty reports whether the spec has no calendar and no interval.
func (s *Spec) Empty() bool { return len(s.calendars) == 0 && len(s.intervals) == 0 }

// maxExcluded bounds how many excluded times Nominal skips in a row.
const maxExcluded = 100000

// Nominal returns the first time strictly after t that the spec names,
// before jitter, or false when there is none.
func (s *Spec) Nominal(t time.Time) (time.Time, bool) {
	if !s.start.IsZero() && t.Before(s.start) {
		t = s.start.Add(-time.Nanosecond)
	}
	for range maxExcluded {
		var best time.Time
		for i := range s.calendars {
			if n, ok := s.calendars[i].next(t, s.loc); ok && (best.IsZero() || n.Before(best)) {
				best = n
			}
		}
		for _, iv := range s.intervals {
			if n := iv.next(t); best.IsZero() || n.Before(best) {
				best = n
			}
		}
		if best.IsZero() || (!s.end.IsZero() && best.After(s.end)) {
			return time.Time{}, false
		}
		if !s.excluded(best) {
			return best, true
		}
		t = best
	}
	return time.Time{}, false
}

func (s *Spec) excluded(t time.Time) bool {
	for i := range s.excludes {
		if s.excludes[i].matches(t, s.loc) {
			return true
		}
	}
	return false
}

// Next returns the first action after t: its nominal time and its actual
// time (nominal plus jitter), or false when there is none. seed makes the
// jitter differ between schedules; the same seed and nominal time always
// give the same jitter.
func (s *Spec) Next(seed string, t time.Time) (nominal, actual time.Time, ok bool) {
	nominal, ok = s.Nominal(t)
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	return nominal, nominal.Add(s.Jitter(seed, nominal)), true
}

// Jitter is the jitter of the action at nominal: in [0, spec.jitter), and
// before the following nominal time so that actions keep their order.
func (s *Spec) Jitter(seed string, nominal time.Time) time.Duration {
	limit := s.jitter
	if limit <= 0 {
		return 0
	}
	if following, ok := s.Nominal(nominal); ok && following.Sub(nominal) < limit {
		limit = following.Sub(nominal)
	}
	if limit <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(seed))
	_, _ = fmt.Fprintf(h, "|%d", nominal.UnixNano())
	// Millisecond resolution: jitter finer than that is noise.
	ms := int64(limit / time.Millisecond)
	if ms <= 0 {
		return 0
	}
	return time.Duration(h.Sum64()%uint64(ms)) * time.Millisecond
}

// Times returns up to n action times (actual, with jitter) in (from, to]
// — to zero means no bound.
func (s *Spec) Times(seed string, from, to time.Time, n int) []time.Time {
	var out []time.Time
	t := from
	for len(out) < n {
		_, actual, ok := s.Next(seed, t)
		if !ok || (!to.IsZero() && actual.After(to)) {
			break
		}
		out = append(out, actual)
		t = actual
	}
	return out
}

func durpb(d time.Duration) *durationpb.Duration { return durationpb.New(d) }

// CloneSpec returns a deep copy, for callers that modify a canonical spec.
func CloneSpec(s *schedulepb.ScheduleSpec) *schedulepb.ScheduleSpec {
	return proto.Clone(s).(*schedulepb.ScheduleSpec)
}

// Timestamp is a convenience for building specs in tests and callers.
func Timestamp(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
