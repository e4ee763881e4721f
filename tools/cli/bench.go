package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/benchmarks"
	"github.com/meridian-dev/meridian/common/log"
)

// benchFlags are the flags of `meridian bench` besides the run's Config.
type benchFlags struct {
	cfg     benchmarks.Config
	outDir  string
	outFile string
	quiet   bool
}

func (f *benchFlags) register(fs *pflag.FlagSet) {
	f.cfg = benchmarks.DefaultConfig()
	c := &f.cfg
	fs.StringVar(&c.Address, "address", c.Address, "frontend host:port of any Temporal-API server")
	fs.StringVarP(&c.Namespace, "namespace", "n", c.Namespace, "namespace to run in (must exist)")
	fs.BoolVar(&c.TLS.Enabled, "tls", false, "connect with TLS (system roots unless --tls-ca)")
	fs.StringVar(&c.TLS.CAFile, "tls-ca", "", "PEM file of the CA certificates to trust (implies --tls)")
	fs.StringVar(&c.TLS.CertFile, "tls-cert", "", "PEM client certificate for mutual TLS (implies --tls; needs --tls-key)")
	fs.StringVar(&c.TLS.KeyFile, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&c.TLS.ServerName, "tls-server-name", "", "server name to verify the certificate against (implies --tls)")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", c.ConnectTimeout, "keep retrying a server that does not answer yet for this long")
	fs.StringVar(&c.MetricsURL, "metrics-url", "",
		"the server's Prometheus endpoint, e.g. http://127.0.0.1:9090/metrics: scraped before and after for per-workflow server figures")
	fs.BoolVar(&c.FakeServer, "fake-server", false,
		"run against an in-process fake server that answers instantly: the bench tool's own ceiling (lean worker only)")

	fs.StringVar((*string)(&c.Worker), "worker", string(c.Worker),
		"what hosts the workflows: sdk (the official Go SDK worker) or lean (raw gRPC pollers, no SDK)")
	fs.StringVar((*string)(&c.Scenario), "scenario", string(c.Scenario), "workflow to run: "+scenarioList())
	fs.IntVar(&c.Activities, "activities", c.Activities, "activity scenario: no-op activities run one after another")
	fs.IntVar(&c.Signals, "signals", c.Signals, "signals scenario: signals each workflow waits for")
	fs.DurationVar(&c.Timer, "timer", c.Timer, "timer scenario: how long each workflow sleeps")
	fs.IntVar(&c.Children, "children", c.Children, "children scenario: child workflows each workflow fans out to")
	fs.IntVar(&c.Runs, "runs", c.Runs, "runs per workflow: it continues as new runs-1 times, doing the scenario each run")

	fs.IntVar(&c.InFlight, "in-flight", c.InFlight, "closed loop: workflows kept in flight")
	fs.Float64Var(&c.Rate, "rate", 0, "open loop: workflows started per second (0 = closed loop)")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", c.MaxInFlight, "open loop: starts due beyond this many in flight are dropped and counted")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "load run before measuring, not counted")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "how long to measure")
	fs.IntVar(&c.Count, "count", 0, "closed loop: measure this many workflows instead of --duration")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", c.DrainTimeout, "how long to wait for workflows in flight once starting stops")
	fs.DurationVar(&c.WorkflowTimeout, "workflow-timeout", c.WorkflowTimeout, "a workflow taking longer from start to result counts as failed")
	fs.IntVar(&c.WorkflowPollers, "workflow-pollers", 0, "concurrent workflow task pollers (0 = the SDK's default for sdk, 32 for lean)")
	fs.IntVar(&c.ActivityPollers, "activity-pollers", 0, "concurrent activity task pollers (0 = the SDK's default for sdk, 32 for lean)")
	fs.IntVar(&c.Connections, "connections", 0, "gRPC connections the lean driver spreads its calls over (0 = 2)")
	fs.BoolVar(&c.EagerStart, "eager-start", false, "sdk worker: start workflows with eager execution (the first workflow task comes back with the start)")
	fs.BoolVar(&c.DisableEagerActivities, "disable-eager-activities", false, "do not ask for activities with workflow task completions (asked for by default, as the SDK does)")

	fs.StringVar(&c.TaskQueue, "task-queue", c.TaskQueue, "task queue prefix; the run ID and process index are appended")
	fs.StringVar(&c.RunID, "run-id", "", "run ID shared by the processes of one run (default: a new one)")
	fs.IntVar(&c.ProcessIndex, "process-index", 0, "this process's index in a run split over --processes processes")
	fs.IntVar(&c.Processes, "processes", c.Processes, "processes sharing the run (each passes the same --run-id)")
	fs.StringVar(&c.Name, "name", "", "label of the result (default: built from scenario, worker and load)")

	fs.StringVar(&f.outDir, "out-dir", ".", "directory for the results file NAME-RUNID-pINDEX.json and its .svg plot")
	fs.StringVar(&f.outFile, "out", "", "results file path (overrides --out-dir); the plot goes beside it as .svg")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress lines on stderr")
}

func scenarioList() string {
	names := make([]string, len(benchmarks.Scenarios))
	for i, s := range benchmarks.Scenarios {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func (a *App) newBenchCommand() *cobra.Command {
	f := &benchFlags{}
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure workflow throughput and latency of any Temporal-API server",
		Long: "bench starts workflows against a Temporal-API frontend and hosts them in this process,\n" +
			"with the official Go SDK worker (--worker sdk) or a lean protocol-level driver that polls\n" +
			"and completes tasks over raw gRPC (--worker lean). It keeps --in-flight workflows going\n" +
			"(closed loop) or starts --rate per second (open loop), prints progress every second on\n" +
			"stderr and a summary on stdout, and writes a JSON results file with latency histograms\n" +
			"and an SVG plot. Against Meridian, --metrics-url adds server-side figures per workflow.\n\n" +
			"Several processes can share a run: give each the same --run-id and --processes and its\n" +
			"own --process-index, then combine their files with `meridian bench merge`.\n\n" +
			"See docs/benchmarks.md.",
		Example: "  meridian bench --address 127.0.0.1:7233 --in-flight 100 --duration 20s\n" +
			"  meridian bench --worker lean --in-flight 200 --metrics-url http://127.0.0.1:9090/metrics\n" +
			"  meridian bench --scenario children --children 20 --rate 50 --duration 1m\n" +
			"  meridian bench --fake-server --worker lean --in-flight 200",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return a.runBench(c, f) },
	}
	f.register(c.Flags())
	c.AddCommand(a.newBenchMergeCommand(), a.newBenchReportCommand())
	return c
}

// errBenchFailed reports workflows that failed; the results are written
// first.
var errBenchFailed = errors.New("bench: workflows failed")

func (a *App) runBench(c *cobra.Command, f *benchFlags) error {
	if err := f.cfg.Validate(); err != nil {
		return usage(c, err)
	}
	logger, err := a.benchLogger(c)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	env := benchmarks.Env{Logger: logger}
	if !f.quiet {
		env.Progress = a.Stderr
	}
	res, err := benchmarks.Run(c.Context(), f.cfg, env)
	if err != nil {
		return err
	}
	res.Command = commandLine(c)
	path := f.outFile
	if path == "" {
		path = filepath.Join(f.outDir, benchmarks.ResultFileName(res))
	}
	files, err := benchmarks.WriteResultFiles(res, path)
	if err != nil {
		return err
	}
	if err := benchmarks.WriteSummary(a.Stdout, res); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(a.Stdout, "results     %s\n", strings.Join(files, ", ")); err != nil {
		return err
	}
	// The results are written either way; the exit code says whether
	// every workflow did what it should.
	k := res.Counts
	interrupted := c.Context().Err() != nil
	switch {
	case k.Failed+k.StartErrors > 0:
		return fmt.Errorf("%w: %d failed, %d could not start", errBenchFailed, k.Failed, k.StartErrors)
	case k.Unfinished > 0 && !interrupted:
		return fmt.Errorf("%w: %d still running when the drain ended (--drain-timeout %v)", errBenchFailed, k.Unfinished, res.Config.DrainTimeout)
	case k.Completed == 0 && !interrupted:
		return fmt.Errorf("%w: none completed", errBenchFailed)
	}
	return nil
}

// benchLogger logs at warn unless --log-level was given: the SDK logs
// every worker start and stop at info, which would interleave with the
// progress lines.
func (a *App) benchLogger(c *cobra.Command) (*zap.Logger, error) {
	if !c.Flags().Changed("log-level") {
		a.logConfig.Level = log.LevelWarn
	}
	return a.newLogger()
}

// commandLine reconstructs the command as typed, with the flags given
// explicitly, for the results file.
func commandLine(c *cobra.Command) string {
	parts := []string{c.CommandPath()}
	c.Flags().Visit(func(fl *pflag.Flag) {
		v := fl.Value.String()
		switch {
		case fl.Value.Type() == "bool" && v == "true":
			parts = append(parts, "--"+fl.Name)
		case strings.ContainsAny(v, " \t'\"") || v == "":
			parts = append(parts, fmt.Sprintf("--%s=%q", fl.Name, v))
		default:
			parts = append(parts, "--"+fl.Name+"="+v)
		}
	})
	return strings.Join(parts, " ")
}

func (a *App) newBenchMergeCommand() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "merge FILE...",
		Short: "Combine the results files of the processes of one run",
		Long: "merge combines the results files that the processes of one run wrote (same --run-id)\n" +
			"into one: counts and throughputs add up, latency histograms merge exactly. It writes\n" +
			"the merged JSON and its SVG plot and prints the summary.",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usage(c, errors.New("give the results files to merge"))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			rs, err := readResults(args)
			if err != nil {
				return err
			}
			m, err := benchmarks.Merge(rs)
			if err != nil {
				return err
			}
			path := out
			if path == "" {
				path = filepath.Join(filepath.Dir(args[0]), fmt.Sprintf("%s-%s-merged.json", m.Name, m.RunID))
			}
			files, err := benchmarks.WriteResultFiles(m, path)
			if err != nil {
				return err
			}
			if err := benchmarks.WriteSummary(a.Stdout, m); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Stdout, "results     %s\n", strings.Join(files, ", "))
			return err
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "merged results file (default: NAME-RUNID-merged.json beside the first file)")
	return c
}

func (a *App) newBenchReportCommand() *cobra.Command {
	var title string
	c := &cobra.Command{
		Use:   "report FILE...",
		Short: "Print a Markdown table of results files",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usage(c, errors.New("give the results files to report"))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			rs, err := readResults(args)
			if err != nil {
				return err
			}
			return benchmarks.WriteMarkdown(a.Stdout, title, rs)
		},
	}
	c.Flags().StringVar(&title, "title", "Meridian bench results", "heading of the report")
	return c
}

func readResults(paths []string) ([]*benchmarks.Result, error) {
	rs := make([]*benchmarks.Result, 0, len(paths))
	for _, p := range paths {
		r, err := benchmarks.ReadResult(p)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}
