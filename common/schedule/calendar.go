package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	schedulepb "go.temporal.io/api/schedule/v1"
)

// field describes one calendar field: its name in errors, its bounds and
// the names it accepts besides numbers.
type field struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	fieldSecond = field{name: "second", min: 0, max: 59}
	fieldMinute = field{name: "minute", min: 0, max: 59}
	fieldHour   = field{name: "hour", min: 0, max: 23}
	fieldDOM    = field{name: "day_of_month", min: 1, max: 31}
	fieldMonth  = field{name: "month", min: 1, max: 12, names: map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	}}
	fieldYear = field{name: "year", min: 1970, max: 2999}
	// day_of_week accepts 7 for Sunday, as cron does.
	fieldDOW = field{name: "day_of_week", min: 0, max: 7, names: map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	}}
)

// parseField parses one calendar expression ("*", "x", "x-z", "x/y",
// "x-z/y", "*/y" and comma lists of them) into ranges.
func parseField(f field, expr string) ([]*schedulepb.Range, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, fmt.Errorf("%s: empty expression", f.name)
	}
	var out []*schedulepb.Range
	for _, part := range strings.Split(expr, ",") {
		r, err := parseRange(f, part)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func parseRange(f field, part string) (*schedulepb.Range, error) {
	body, stepStr, hasStep := strings.Cut(part, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepStr)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: step %q must be a positive integer", f.name, stepStr)
		}
		step = n
	}
	var start, end int
	switch body {
	case "*", "?":
		start, end = f.min, f.max
		if f.name == fieldDOW.name {
			end = 6
		}
	default:
		lo, hi, isRange := strings.Cut(body, "-")
		var err error
		if start, err = f.value(lo); err != nil {
			return nil, err
		}
		end = start
		if isRange {
			if end, err = f.value(hi); err != nil {
				return nil, err
			}
			if end < start {
				return nil, fmt.Errorf("%s: range %q ends before it starts", f.name, body)
			}
		} else if hasStep {
			// "x/y" means x, x+y, ... up to the field's maximum.
			end = f.max
		}
	}
	r := &schedulepb.Range{Start: int32(start)}
	if end != start {
		r.End = int32(end)
	}
	if step != 1 {
		r.Step = int32(step)
	}
	return r, nil
}

func (f field) value(s string) (int, error) {
	s = strings.TrimSpace(s)
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	if len(s) > 3 {
		if v, ok := f.names[strings.ToLower(s[:3])]; ok {
			return v, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", f.name, s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%s: %d is out of range %d-%d", f.name, n, f.min, f.max)
	}
	return n, nil
}

// checkRanges checks ranges given as a StructuredCalendarSpec.
func checkRanges(f field, rs []*schedulepb.Range) error {
	for _, r := range rs {
		if r == nil {
			return fmt.Errorf("%s: nil range", f.name)
		}
		start, end := int(r.GetStart()), int(r.GetEnd())
		if end < start {
			end = start
		}
		if start < f.min || end > f.max {
			return fmt.Errorf("%s: range %d-%d is outside %d-%d", f.name, start, end, f.min, f.max)
		}
		if r.GetStep() < 0 {
			return fmt.Errorf("%s: step %d is negative", f.name, r.GetStep())
		}
	}
	return nil
}

// calendarFromSpec compiles a CalendarSpec (string fields with defaults).
func calendarFromSpec(c *schedulepb.CalendarSpec) (*schedulepb.StructuredCalendarSpec, error) {
	def := func(s, d string) string {
		if strings.TrimSpace(s) == "" {
			return d
		}
		return s
	}
	out := &schedulepb.StructuredCalendarSpec{Comment: c.GetComment()}
	var err error
	parse := func(f field, expr string) []*schedulepb.Range {
		if err != nil {
			return nil
		}
		var rs []*schedulepb.Range
		rs, err = parseField(f, expr)
		return rs
	}
	out.Second = parse(fieldSecond, def(c.GetSecond(), "0"))
	out.Minute = parse(fieldMinute, def(c.GetMinute(), "0"))
	out.Hour = parse(fieldHour, def(c.GetHour(), "0"))
	out.DayOfMonth = parse(fieldDOM, def(c.GetDayOfMonth(), "*"))
	out.Month = parse(fieldMonth, def(c.GetMonth(), "*"))
	if y := strings.TrimSpace(c.GetYear()); y != "" && y != "*" {
		out.Year = parse(fieldYear, y)
	}
	out.DayOfWeek = parse(fieldDOW, def(c.GetDayOfWeek(), "*"))
	return out, err
}

// cronResult is what one cron string compiles to.
type cronResult struct {
	calendar *schedulepb.StructuredCalendarSpec // or
	interval *schedulepb.IntervalSpec
	timezone string
}

var cronShorthands = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// parseCron compiles a cron_string: [CRON_TZ=zone|TZ=zone] then 5, 6 or 7
// fields, a shorthand or "@every d[/phase]", then an optional "#comment".
func parseCron(s string) (cronResult, error) {
	var res cronResult
	body, comment, _ := strings.Cut(s, "#")
	fields := strings.Fields(body)
	if len(fields) > 0 {
		for _, p := range []string{"CRON_TZ=", "TZ="} {
			if tz, ok := strings.CutPrefix(fields[0], p); ok {
				if _, err := time.LoadLocation(tz); err != nil || tz == "" {
					return res, fmt.Errorf("unknown time zone %q", tz)
				}
				res.timezone = tz
				fields = fields[1:]
				break
			}
		}
	}
	if len(fields) > 0 && strings.HasPrefix(fields[0], "@") {
		if fields[0] == "@every" {
			if len(fields) != 2 {
				return res, fmt.Errorf("@every wants one duration, got %d fields", len(fields)-1)
			}
			iv, err := parseEvery(fields[1])
			if err != nil {
				return res, err
			}
			res.interval = iv
			return res, nil
		}
		expanded, ok := cronShorthands[fields[0]]
		if !ok || len(fields) != 1 {
			return res, fmt.Errorf("unknown shorthand %q", strings.Join(fields, " "))
		}
		fields = strings.Fields(expanded)
	}
	cs := &schedulepb.CalendarSpec{Comment: strings.TrimSpace(comment)}
	switch len(fields) {
	case 5:
		cs.Minute, cs.Hour, cs.DayOfMonth, cs.Month, cs.DayOfWeek = fields[0], fields[1], fields[2], fields[3], fields[4]
	case 6:
		cs.Minute, cs.Hour, cs.DayOfMonth, cs.Month, cs.DayOfWeek, cs.Year = fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]
	case 7:
		cs.Second, cs.Minute, cs.Hour, cs.DayOfMonth, cs.Month, cs.DayOfWeek, cs.Year = fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]
	default:
		return res, fmt.Errorf("want 5, 6 or 7 fields, got %d", len(fields))
	}
	cal, err := calendarFromSpec(cs)
	if err != nil {
		return res, err
	}
	res.calendar = cal
	return res, nil
}

// parseEvery parses "<interval>[/<phase>]" with units s, m, h, d.
func parseEvery(s string) (*schedulepb.IntervalSpec, error) {
	ivs, phs, hasPhase := strings.Cut(s, "/")
	iv, err := parseDuration(ivs)
	if err != nil {
		return nil, err
	}
	out := &schedulepb.IntervalSpec{Interval: durpb(iv)}
	if hasPhase {
		ph, err := parseDuration(phs)
		if err != nil {
			return nil, err
		}
		out.Phase = durpb(ph)
	}
	return out, nil
}

func parseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return d, nil
}

// calendar is a compiled StructuredCalendarSpec.
type calendar struct {
	second, minute, hour, dom, month, year, dow []*schedulepb.Range
}

func newCalendar(s *schedulepb.StructuredCalendarSpec) calendar {
	return calendar{s.GetSecond(), s.GetMinute(), s.GetHour(), s.GetDayOfMonth(), s.GetMonth(), s.GetYear(), s.GetDayOfWeek()}
}

func inRanges(rs []*schedulepb.Range, v int) bool {
	for _, r := range rs {
		start, end, step := int(r.GetStart()), int(r.GetEnd()), int(r.GetStep())
		if end < start {
			end = start
		}
		if step <= 0 {
			step = 1
		}
		if v >= start && v <= end && (v-start)%step == 0 {
			return true
		}
	}
	return false
}

func (c calendar) matchDay(w time.Time) bool {
	if !inRanges(c.dom, w.Day()) {
		return false
	}
	dow := int(w.Weekday())
	return inRanges(c.dow, dow) || (dow == 0 && inRanges(c.dow, 7))
}

// maxSearchYears bounds the search for a calendar's next time.
const maxSearchYears = 100

// nextWall returns the first wall-clock time at or after w (a wall time
// expressed in UTC) that c matches, or false when there is none within
// maxSearchYears.
func (c calendar) nextWall(w time.Time) (time.Time, bool) {
	w = w.Truncate(time.Second)
	limit := w.Year() + maxSearchYears
	for w.Year() <= limit {
		switch {
		case len(c.year) > 0 && !inRanges(c.year, w.Year()):
			w = time.Date(w.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
		case !inRanges(c.month, int(w.Month())):
			w = time.Date(w.Year(), w.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.matchDay(w):
			w = time.Date(w.Year(), w.Month(), w.Day()+1, 0, 0, 0, 0, time.UTC)
		case !inRanges(c.hour, w.Hour()):
			w = time.Date(w.Year(), w.Month(), w.Day(), w.Hour()+1, 0, 0, 0, time.UTC)
		case !inRanges(c.minute, w.Minute()):
			w = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute()+1, 0, 0, time.UTC)
		case !inRanges(c.second, w.Second()):
			w = w.Add(time.Second)
		default:
			return w, true
		}
	}
	return time.Time{}, false
}

// matches reports whether instant t, read in loc, matches c.
func (c calendar) matches(t time.Time, loc *time.Location) bool {
	w := wall(t, loc)
	got, ok := c.nextWall(w)
	return ok && got.Equal(w)
}

// wall is t's wall-clock reading in loc, expressed in UTC.
func wall(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// offsets returns the smallest and largest UTC offsets loc uses within
// two days of instant t.
func offsets(t time.Time, loc *time.Location) (lo, hi time.Duration) {
	for i, probe := range []time.Duration{-48 * time.Hour, 0, 48 * time.Hour} {
		_, s := t.Add(probe).In(loc).Zone()
		off := time.Duration(s) * time.Second
		if i == 0 || off < lo {
			lo = off
		}
		if i == 0 || off > hi {
			hi = off
		}
	}
	return lo, hi
}

// instants returns the instants whose wall-clock reading in loc is w, in
// order: none for a time a DST change skips, two for one it repeats.
func instants(w time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	seen := map[int]bool{}
	for _, probe := range []time.Duration{-48 * time.Hour, 0, 48 * time.Hour} {
		_, off := w.Add(probe).In(loc).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		t := w.Add(-time.Duration(off) * time.Second)
		if wall(t, loc).Equal(w) {
			out = append(out, t)
		}
	}
	if len(out) == 2 && out[1].Before(out[0]) {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// next returns the first instant strictly after t that c matches in loc.
func (c calendar) next(t time.Time, loc *time.Location) (time.Time, bool) {
	t = t.Truncate(time.Second)
	// An instant after t reads at least wall(t) - (hi - lo) on the wall
	// clock (a repeated hour reads earlier), so the search starts there.
	lo, hi := offsets(t, loc)
	w := wall(t, loc).Add(-(hi - lo))
	var best time.Time
	for {
		got, ok := c.nextWall(w)
		if !ok {
			break
		}
		if !best.IsZero() {
			// Wall time got is instant got - offset: once even the
			// largest offset puts it after best, nothing later wins.
			if _, hi := offsets(got, loc); got.Add(-hi).After(best) {
				break
			}
		}
		for _, in := range instants(got, loc) {
			if in.After(t) && (best.IsZero() || in.Before(best)) {
				best = in
			}
		}
		w = got.Add(time.Second)
	}
	return best, !best.IsZero()
}
