package cron

import (
	"fmt"
	"math"
	"time"

	robfig "github.com/robfig/cron/v3"
)

// Schedule is a parsed cron schedule.
type Schedule struct {
	spec  string
	sched robfig.Schedule
}

// Parse parses spec; the error says why it is not a valid schedule.
func Parse(spec string) (*Schedule, error) {
	s, err := robfig.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid cron schedule %q: %w", spec, err)
	}
	return &Schedule{spec: spec, sched: s}, nil
}

// Validate reports whether spec parses.
func Validate(spec string) error {
	_, err := Parse(spec)
	return err
}

// String is the spec the schedule was parsed from.
func (s *Schedule) String() string { return s.spec }

// Next is the first scheduled time strictly after t, or the zero time when
// the schedule never fires again (e.g. "0 0 30 2 *").
func (s *Schedule) Next(t time.Time) time.Time {
	return s.sched.Next(t.UTC())
}

// Backoff is how long a run scheduled for scheduled (the previous run's
// execution time, or the start time of a new chain) waits, at now, for the
// next scheduled time: the first one after scheduled that is not before
// now. It is rounded up to whole seconds, as Temporal does, so that a run
// never starts a little before its time. ok is false when the schedule
// never fires again.
func (s *Schedule) Backoff(scheduled, now time.Time) (d time.Duration, ok bool) {
	scheduled, now = scheduled.UTC(), now.UTC()
	next := scheduled
	if !now.Before(scheduled) {
		next = s.Next(scheduled)
		for !next.IsZero() && next.Before(now) {
			next = s.Next(next)
		}
	}
	if next.IsZero() {
		return 0, false
	}
	secs := math.Ceil(next.Sub(now).Seconds())
	return time.Duration(secs) * time.Second, true
}
