// Package cron parses workflow cron schedules and computes the backoff to
// the next scheduled run. It is a pure leaf: it reads no clock (callers pass
// the times in) and depends only on github.com/robfig/cron/v3, the parser
// the Temporal ecosystem uses, so that a schedule means the same here as in
// the SDKs' tooling.
//
// A schedule is a standard 5-field spec ("*/5 * * * *"), a descriptor
// (@yearly, @monthly, @weekly, @daily, @hourly, @every <duration>), either
// optionally prefixed with CRON_TZ=<zone>. Times are computed in UTC unless
// the spec names a zone.
package cron
