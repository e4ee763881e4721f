// Package metrics owns Meridian's metrics plumbing: the tally root scope
// reported to Prometheus (NewRoot) and the HTTP server that exposes it at
// /metrics, with /debug/pprof/ beside it when enabled (Server).
//
// Scopes are injected, never global: a process makes one Root and hands
// Root.Scope (or sub-scopes of it) to every component.
//
// Metric names: each service declares the names it emits in its own
// metrics.go (for example services/history/metrics.go), as constants, so
// that every name a package emits is in one file. This package holds only
// the few names shared by every service (defs.go); keep it that way.
//
// The Prometheus registry behind a Root is private to it. A name that is
// reported with two different sets of tag keys cannot be registered in
// Prometheus twice; Root logs that error (and counts it in
// metrics_registration_errors) instead of panicking, and the clashing metric
// is dropped.
package metrics
