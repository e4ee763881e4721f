// Package benchmarks is Meridian's load generator, `meridian bench`, and
// the Go benchmarks beside it. It drives any endpoint that speaks
// Temporal's public gRPC API, so Meridian and other servers can be
// measured side by side with the same tool.
//
// Two kinds of worker host the workflows a run starts:
//
//   - the official Go SDK (WorkerSDK), in this process: what users feel;
//   - a lean protocol-level driver (WorkerLean) that polls and completes
//     workflow and activity tasks directly over gRPC with many concurrent
//     pollers and no replay: what the server can do. Package fakeserver is
//     a server that answers instantly; running the driver against it
//     measures the driver's own ceiling.
//
// A run keeps Config.InFlight workflows going (closed loop) or starts
// Config.Rate workflows per second (open loop, capped at MaxInFlight, with
// the starts it had to drop and its lag behind schedule reported). It
// records latencies in log-linear histograms (package hdr), prints live
// progress, and returns a Result that is written as JSON and plotted as
// SVG. Several processes can share one run (Config.RunID,
// ProcessIndex/Processes): each uses its own workflow IDs and task queue
// and writes its own result, and Merge combines them.
//
// Files: config.go (what a run does), run.go (one run end to end),
// load.go (closed and open loops), recorder.go (counts, histograms,
// timeline), progress.go (the line a second), sdk.go and lean.go (the two
// workers), decide.go (the lean driver's pure decision logic), conn.go
// (dialing, TLS), scrape.go (the server's Prometheus counters before and
// after), cpu_*.go (this process's CPU time), result.go (the results
// file), merge.go, report.go (summary and Markdown) and plot.go (SVG).
// sdk_bench_test.go and lean_bench_test.go hold the Go benchmarks.
//
// Invariants: only workflows whose (scheduled) start falls in the
// measurement window are counted and timed; every workflow started is
// accounted for as completed, failed or unfinished; a histogram reports
// no percentile below the true one.
package benchmarks
