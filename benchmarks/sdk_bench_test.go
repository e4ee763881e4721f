package benchmarks

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/server"
)

func noop(ctx context.Context) error { return nil }

func oneActivity(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteActivity(ctx, noop).Get(ctx, nil)
}

// startBench starts a dev server on a temp dir (durable: every write is
// synced) and a worker for the one-activity workflow.
func startBench(b *testing.B) (client.Client, func()) {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cfg := server.DefaultDevConfig()
	cfg.Port = port
	cfg.DataDir = b.TempDir()
	dev, err := server.StartDev(context.Background(), cfg, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: dev.Address(), Namespace: "default", Logger: quiet{}})
	if err != nil {
		b.Fatal(err)
	}
	w := worker.New(c, "bench", worker.Options{})
	w.RegisterWorkflow(oneActivity)
	w.RegisterActivity(noop)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	return c, func() { w.Stop(); c.Close(); dev.Stop() }
}

// runClosedLoop keeps inFlight workflows running until b.N have completed
// and returns each one's start-to-result latency.
func runClosedLoop(b *testing.B, c client.Client, inFlight int) []time.Duration {
	b.Helper()
	ctx := context.Background()
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := 0; w < inFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				start := time.Now()
				run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
					ID: fmt.Sprintf("bench-%d-%d", b.N, i), TaskQueue: "bench",
				}, oneActivity)
				if err == nil {
					err = run.Get(ctx, nil)
				}
				if err != nil {
					failed.Store(err)
					return
				}
				lat[i] = time.Since(start)
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return lat
}

func percentile(lat []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

// BenchmarkOneActivityWorkflow reports workflows/s and latency percentiles
// of a workflow that runs one no-op activity, at 1 and 100 in flight.
func BenchmarkOneActivityWorkflow(b *testing.B) {
	for _, inFlight := range []int{1, 100} {
		b.Run(fmt.Sprintf("inflight=%d", inFlight), func(b *testing.B) {
			c, stop := startBench(b)
			defer stop()
			// Warm up: the first workflow pays for connections and caches.
			runWarmup(b, c)
			b.ResetTimer()
			start := time.Now()
			lat := runClosedLoop(b, c, inFlight)
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "workflows/s")
			b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
		})
	}
}

func runWarmup(b *testing.B, c client.Client) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "bench"}, oneActivity)
	if err == nil {
		err = run.Get(ctx, nil)
	}
	if err != nil {
		b.Fatal(err)
	}
}

// quiet drops the SDK's logs so they do not skew the measurement.
type quiet struct{}

func (quiet) Debug(string, ...interface{}) {}
func (quiet) Info(string, ...interface{})  {}
func (quiet) Warn(string, ...interface{})  {}
func (quiet) Error(string, ...interface{}) {}
