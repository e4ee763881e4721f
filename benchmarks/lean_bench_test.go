package benchmarks

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkLeanDriverCeiling measures the lean driver against the
// in-process fake server, which answers every call at once from memory:
// the workflows/s the bench tool can drive at most on this machine (the
// fake shares the CPU). b.N is the number of one-activity workflows.
func BenchmarkLeanDriverCeiling(b *testing.B) {
	for _, inFlight := range []int{200} {
		b.Run(fmt.Sprintf("inflight=%d", inFlight), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.FakeServer, cfg.Worker = true, WorkerLean
			cfg.Warmup, cfg.InFlight, cfg.Count = 0, inFlight, b.N
			res, err := Run(context.Background(), cfg, Env{})
			if err != nil {
				b.Fatal(err)
			}
			if k := res.Counts; k.Completed != int64(b.N) {
				b.Fatalf("%d of %d workflows completed: %+v", k.Completed, b.N, k)
			}
			b.ReportMetric(res.Throughput.WorkflowsPerSecond, "workflows/s")
			b.ReportMetric(res.Client.CPUSecondsPerWorkflow*1e6, "cpu-µs/workflow")
			b.ReportMetric(res.Latency[LatencyEndToEnd].P50Ms, "p50-ms")
		})
	}
}
