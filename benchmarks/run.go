package benchmarks

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/meridian-dev/meridian/benchmarks/fakeserver"
	"github.com/meridian-dev/meridian/common/clock"
)

// Env is what Run takes from the outside world.
type Env struct {
	// Clock tells time. Nil means the system clock.
	Clock clock.Clock
	// Progress receives a line a second while the run goes. Nil prints
	// nothing.
	Progress io.Writer
	// Logger receives the tool's and the SDK's logs. Nil discards them.
	Logger *zap.Logger
	// HTTPClient scrapes Config.MetricsURL. Nil means http.DefaultClient.
	HTTPClient *http.Client
}

// benchWorker is a running SDK worker or lean driver.
type benchWorker interface {
	starter
	stop()
}

// Run performs one bench run as cfg describes and returns what it
// measured. It fails before any load if the config is bad, the target
// does not answer within ConnectTimeout, or MetricsURL cannot be scraped.
// Failed workflows do not fail Run: they are counted in the result.
// Canceling ctx stops the load early; Run still returns what it measured,
// with the workflows it stopped waiting for counted unfinished.
func Run(ctx context.Context, cfg Config, env Env) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	clk := env.Clock
	if clk == nil {
		clk = clock.Real()
	}
	logger := env.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	httpClient := env.HTTPClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	if cfg.RunID == "" {
		cfg.RunID = clk.Now().Format("20060102-150405") + "-" + uuid.NewString()[:4]
	}

	address := cfg.Address
	if cfg.FakeServer {
		fs, err := fakeserver.Start("127.0.0.1:0", clk)
		if err != nil {
			return nil, err
		}
		defer fs.Stop()
		address = fs.Address()
	}
	tlsCfg, err := buildTLS(cfg.TLS)
	if err != nil {
		return nil, err
	}
	// The SDK dials its own connection; it needs one more only to ask
	// the server's version.
	nconns := 1
	if cfg.Worker == WorkerLean {
		nconns = cfg.Connections
	}
	conns := make([]*grpc.ClientConn, 0, nconns)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	svcs := make([]workflowservice.WorkflowServiceClient, 0, nconns)
	for range nconns {
		c, err := dial(address, tlsCfg)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		svcs = append(svcs, workflowservice.NewWorkflowServiceClient(c))
	}
	info, err := systemInfo(ctx, clk, svcs[0], cfg.ConnectTimeout)
	if err != nil {
		return nil, fmt.Errorf("reach %s: %w", address, err)
	}

	res := &Result{
		Schema:       Schema,
		Name:         cfg.Name,
		RunID:        cfg.RunID,
		ProcessIndex: cfg.ProcessIndex,
		Processes:    cfg.Processes,
		Config:       cfg,
		Target: Target{
			Address:       address,
			Namespace:     cfg.Namespace,
			ServerVersion: info.GetServerVersion(),
			Meridian:      isMeridian(info.GetServerVersion()),
		},
		Host: host(),
	}
	if cfg.FakeServer {
		res.Notes = append(res.Notes, "target is the in-process fake server: it shares this process's CPU, and the client CPU figures include it")
	}
	if res.Target.Meridian && cfg.MetricsURL == "" {
		res.Notes = append(res.Notes, "server-side figures not measured: the target is Meridian but no --metrics-url was given")
	}

	var before Snapshot
	if cfg.MetricsURL != "" {
		if before, err = scrapeSettled(ctx, clk, httpClient, cfg.MetricsURL); err != nil {
			return nil, err
		}
	}
	cpu0, cpuOK := processCPU()
	machine0, machineOK := machineCPU()
	wall0 := clk.Now()

	rec := newRecorder(clk)
	// Runs that share a run ID (a suite, several processes) get their own
	// task queues and workflow IDs by name and process: reusing a closed
	// workflow's ID would cost an extra conditional write per start.
	taskQueue := fmt.Sprintf("%s-%s-%s-%d", cfg.TaskQueue, cfg.RunID, cfg.Name, cfg.ProcessIndex)
	var w benchWorker
	var notes func() []string
	switch cfg.Worker {
	case WorkerLean:
		d, err := newLeanDriver(cfg, clk, rec, svcs, taskQueue)
		if err != nil {
			return nil, err
		}
		d.run()
		w, notes = d, d.notes
	default:
		s, err := newSDKRunner(ctx, cfg, address, tlsCfg, rec, logger, taskQueue)
		if err != nil {
			return nil, err
		}
		if err := s.run(); err != nil {
			s.c.Close()
			return nil, err
		}
		w = s
	}

	t0 := clk.Now()
	res.StartedAt = t0
	rec.setMeasureStart(t0.Add(cfg.Warmup))
	l := newLoad(cfg, clk, rec, w, fmt.Sprintf("bench-%s-%s-p%d", cfg.RunID, cfg.Name, cfg.ProcessIndex))
	progressCtx, stopProgress := context.WithCancel(ctx)
	p := &progress{w: env.Progress, clk: clk, rec: rec, load: l, openLoop: cfg.openLoop()}
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		p.run(progressCtx, t0)
	}()
	l.run(ctx, t0)
	stopProgress()
	<-progressDone
	w.stop()
	res.EndedAt = clk.Now()

	rec.fill(res)
	if cfg.MetricsURL != "" {
		// Scrape even after Ctrl-C: the result is still written.
		after, err := scrapeSettled(context.WithoutCancel(ctx), clk, httpClient, cfg.MetricsURL)
		if err != nil {
			res.Notes = append(res.Notes, "server-side figures not measured: "+err.Error())
		} else {
			res.Server = serverFigures(cfg.MetricsURL, before, after, res.Counts.AllCompleted)
		}
	}
	// The CPU readings span the same time as the scrapes (from just after
	// the first to just after the last), so that the bench's, the
	// server's and the machine's CPU can be compared.
	wall := clk.Now().Sub(wall0).Seconds()
	if cpu1, ok := processCPU(); ok && cpuOK && wall > 0 {
		cpu := (cpu1 - cpu0).Seconds()
		res.Client.CPUSeconds = cpu
		res.Client.CPUUtilization = cpu / wall
		if n := res.Counts.AllCompleted; n > 0 {
			res.Client.CPUSecondsPerWorkflow = cpu / float64(n)
		}
	}
	if machine1, ok := machineCPU(); ok && machineOK && wall > 0 {
		m := &MachineFigures{BusyCores: (machine1 - machine0).Seconds() / wall}
		// With the fake server, the server is this process.
		serverCores, known := 0.0, cfg.FakeServer
		if s := res.Server; s != nil && s.CPUUtilization != nil {
			serverCores, known = *s.CPUUtilization, true
		}
		if known {
			other := max(m.BusyCores-res.Client.CPUUtilization-serverCores, 0)
			m.OtherCores = &other
			if other > busyOther {
				res.Notes = append(res.Notes, fmt.Sprintf("other processes used %.2f cores during the run: the figures may be low", other))
			}
		}
		res.Machine = m
	}
	if notes != nil {
		res.Notes = append(res.Notes, notes()...)
	}
	if ctx.Err() != nil {
		res.Notes = append(res.Notes, "the run was interrupted before it finished")
	}
	return res, nil
}

// host describes this machine.
func host() Host {
	return Host{
		CPUs:       runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		CPUModel:   cpuModel(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		GoVersion:  runtime.Version(),
	}
}

// machineCPU is the CPU time every process on the machine has used, from
// /proc/stat (Linux; false elsewhere). It assumes the usual USER_HZ of 100.
func machineCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false
		}
		// Fields: user nice system idle iowait irq softirq steal guest
		// guest_nice; idle and iowait are not busy, and guest time is
		// already counted in user.
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += n
	}
	return time.Duration(busy) * (time.Second / 100), true
}

// busyOther is how many cores other processes may use during a run
// before the result notes that the figures may be low.
const busyOther = 0.25

// cpuModel is the processor's name from /proc/cpuinfo, or "" where there
// is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
