// Package schedule is the pure core of Temporal schedules, shared by the
// frontend (validation, ListScheduleMatchingTimes, describe) and the
// system worker's scheduler workflow (services/worker): it compiles a
// ScheduleSpec and computes its action times, and it names the contract
// between the frontend and the scheduler workflow (contract.go).
//
// Invariants:
//
//   - No I/O and no clock: every function takes the times it works on, so
//     the scheduler workflow stays deterministic on replay.
//   - Compile accepts exactly the specs the API allows and rejects the
//     rest with an error naming the field (Error.Field); a compiled Spec
//     never fails afterwards.
//   - Calendars match wall-clock time in the spec's time zone literally:
//     a wall time that a DST change skips never fires, one it repeats
//     fires twice (the API's documented behavior). Intervals are absolute
//     (epoch + n*interval + phase) and ignore time zones.
//   - Jitter is a pure function of the jitter seed and the nominal time,
//     at most spec.jitter and always before the following nominal time, so
//     actions keep their order and replays compute the same times.
//   - Canonical turns calendar and cron_string into structured_calendar
//     (and interval, timezone_name), which is what describe returns.
package schedule
