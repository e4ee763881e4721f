package benchmarks

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// WorkerKind selects what hosts the workflows a run starts.
type WorkerKind string

const (
	// WorkerSDK runs the official Go SDK worker in the bench process and
	// starts and awaits workflows with the SDK client.
	WorkerSDK WorkerKind = "sdk"
	// WorkerLean runs the protocol-level driver: raw gRPC pollers that
	// answer each task with commands, no SDK, no replay.
	WorkerLean WorkerKind = "lean"
)

// Scenario selects the workflow a run starts.
type Scenario string

const (
	// ScenarioActivity runs Config.Activities no-op activities one after
	// another (1, the default, is the headline one-activity workflow).
	ScenarioActivity Scenario = "activity"
	// ScenarioSignals waits for Config.Signals signals, which the starter
	// sends one after another once the workflow has started.
	ScenarioSignals Scenario = "signals"
	// ScenarioTimer sleeps Config.Timer.
	ScenarioTimer Scenario = "timer"
	// ScenarioChildren starts Config.Children child workflows at once and
	// waits for all of them; each child returns at once.
	ScenarioChildren Scenario = "children"
)

// Scenarios lists every scenario, in help order.
var Scenarios = []Scenario{ScenarioActivity, ScenarioSignals, ScenarioTimer, ScenarioChildren}

// TLSConfig is the client side of TLS. Enabled without files uses the
// system roots; any file implies Enabled.
type TLSConfig struct {
	Enabled    bool   `json:"enabled"`
	CAFile     string `json:"ca_file,omitempty"`
	CertFile   string `json:"cert_file,omitempty"`
	KeyFile    string `json:"key_file,omitempty"`
	ServerName string `json:"server_name,omitempty"`
}

// on reports whether the connection uses TLS.
func (t TLSConfig) on() bool {
	return t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != ""
}

// Config is one bench run. Each field is a flag of `meridian bench`, and
// Validate's errors name that flag. DefaultConfig fills in the defaults;
// fields documented as "zero means default" are filled in by Run too.
type Config struct {
	// Address is the frontend host:port (--address). Default
	// 127.0.0.1:7233. Ignored with FakeServer.
	Address string `json:"address"`
	// Namespace must exist on the target (--namespace). Default "default".
	Namespace string `json:"namespace"`
	// TLS is --tls, --tls-ca, --tls-cert, --tls-key, --tls-server-name.
	TLS TLSConfig `json:"tls"`
	// ConnectTimeout is how long to retry GetSystemInfo while the target
	// is not yet answering (--connect-timeout). Zero means 10 s.
	ConnectTimeout time.Duration `json:"connect_timeout"`
	// MetricsURL is the target's Prometheus endpoint, scraped before and
	// after the run for server-side figures (--metrics-url). Default none.
	MetricsURL string `json:"metrics_url,omitempty"`
	// FakeServer runs the load against an in-process fakeserver instead of
	// Address (--fake-server): the bench tool's own ceiling. Lean worker
	// and activity scenario only.
	FakeServer bool `json:"fake_server,omitempty"`

	// Worker is sdk or lean (--worker). Default sdk.
	Worker WorkerKind `json:"worker"`
	// Scenario is the workflow (--scenario). Default activity.
	Scenario Scenario `json:"scenario"`
	// Activities is the chain length of the activity scenario
	// (--activities). Default 1.
	Activities int `json:"activities"`
	// Signals is the signal count of the signals scenario (--signals).
	// Default 10.
	Signals int `json:"signals"`
	// Timer is the sleep of the timer scenario (--timer). Default 1 s.
	Timer time.Duration `json:"timer"`
	// Children is the fan-out of the children scenario (--children).
	// Default 10.
	Children int `json:"children"`
	// Runs is how many runs each workflow has: it continues as new
	// Runs-1 times, doing the scenario in each run (--runs). Default 1.
	Runs int `json:"runs"`

	// InFlight is the closed loop's concurrency: a new workflow starts as
	// soon as one completes (--in-flight). Default 100. Ignored when Rate
	// is set.
	InFlight int `json:"in_flight"`
	// Rate, when positive, is the open loop's target start rate in
	// workflows per second (--rate). Default 0: closed loop.
	Rate float64 `json:"rate,omitempty"`
	// MaxInFlight caps the open loop: a start due while this many
	// workflows are in flight is dropped and counted (--max-in-flight).
	// Default 1000.
	MaxInFlight int `json:"max_in_flight,omitempty"`
	// Warmup runs the load this long before measuring; what it starts is
	// not counted (--warmup). Default 2 s; zero means none.
	Warmup time.Duration `json:"warmup"`
	// Duration is how long the measured load runs (--duration). Default
	// 20 s.
	Duration time.Duration `json:"duration"`
	// Count, when positive, ends the measured load after this many
	// starts instead of after Duration (--count). Closed loop only.
	Count int `json:"count,omitempty"`
	// DrainTimeout is how long to wait for workflows still in flight once
	// starting stops; those left are counted unfinished (--drain-timeout).
	// Default 30 s.
	DrainTimeout time.Duration `json:"drain_timeout"`
	// WorkflowTimeout is how long one workflow may take from start to
	// result before it is counted failed (--workflow-timeout). Default 60 s.
	WorkflowTimeout time.Duration `json:"workflow_timeout"`

	// WorkflowPollers and ActivityPollers are the concurrent task pollers
	// (--workflow-pollers, --activity-pollers). Zero means the worker's
	// default: the SDK's own for the SDK worker (2 each in SDK v1.50), 32
	// each for the lean driver.
	WorkflowPollers int `json:"workflow_pollers"`
	ActivityPollers int `json:"activity_pollers"`
	// Connections is how many gRPC connections the lean driver spreads its
	// calls over (--connections). Zero means 2.
	Connections int `json:"connections"`
	// EagerStart starts workflows with eager execution
	// (StartWorkflowOptions.EnableEagerStart): the server returns the first
	// workflow task with the start, to this process's worker
	// (--eager-start). SDK worker only. Default false, the SDK's default.
	EagerStart bool `json:"eager_start,omitempty"`
	// DisableEagerActivities stops the SDK worker from asking for its
	// activities with its workflow task completions
	// (worker.Options.DisableEagerActivities) and the lean driver, which
	// asks like the SDK by default, likewise (--disable-eager-activities).
	// Default false: eager activities, the SDK's default.
	DisableEagerActivities bool `json:"disable_eager_activities,omitempty"`

	// TaskQueue prefixes the task queue name; each process adds the run
	// ID and its index, so processes never take each other's tasks
	// (--task-queue). Default "meridian-bench".
	TaskQueue string `json:"task_queue"`
	// RunID names the run; processes that share a run pass the same one
	// (--run-id). Empty means a new one from the time and a random suffix.
	RunID string `json:"run_id"`
	// ProcessIndex and Processes split a run over several bench
	// processes (--process-index, --processes); workflow IDs carry the
	// index. Defaults 0 and 1.
	ProcessIndex int `json:"process_index"`
	Processes    int `json:"processes"`
	// Name labels the result in tables and file names (--name). Empty
	// means one built from the scenario, worker and load.
	Name string `json:"name"`
}

// Defaults of the fields whose zero value means default.
const (
	defaultConnectTimeout  = 10 * time.Second
	defaultLeanPollers     = 32
	defaultConnections     = 2
	defaultDrainTimeout    = 30 * time.Second
	defaultWorkflowTimeout = 60 * time.Second
	defaultTaskQueue       = "meridian-bench"
)

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Address:         "127.0.0.1:7233",
		Namespace:       "default",
		ConnectTimeout:  defaultConnectTimeout,
		Worker:          WorkerSDK,
		Scenario:        ScenarioActivity,
		Activities:      1,
		Signals:         10,
		Timer:           time.Second,
		Children:        10,
		Runs:            1,
		InFlight:        100,
		MaxInFlight:     1000,
		Warmup:          2 * time.Second,
		Duration:        20 * time.Second,
		DrainTimeout:    defaultDrainTimeout,
		WorkflowTimeout: defaultWorkflowTimeout,
		TaskQueue:       defaultTaskQueue,
		Processes:       1,
	}
}

// withDefaults fills in the fields whose zero value means default.
func (c Config) withDefaults() Config {
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = defaultConnectTimeout
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = defaultDrainTimeout
	}
	if c.WorkflowTimeout == 0 {
		c.WorkflowTimeout = defaultWorkflowTimeout
	}
	if c.Connections == 0 {
		c.Connections = defaultConnections
	}
	if c.TaskQueue == "" {
		c.TaskQueue = defaultTaskQueue
	}
	if c.Processes == 0 {
		c.Processes = 1
	}
	if c.Worker == WorkerLean {
		// The SDK worker keeps zero: the SDK's own default.
		if c.WorkflowPollers == 0 {
			c.WorkflowPollers = defaultLeanPollers
		}
		if c.ActivityPollers == 0 {
			c.ActivityPollers = defaultLeanPollers
		}
	}
	if c.Name == "" {
		c.Name = c.defaultName()
	}
	return c
}

// defaultName is e.g. "activity-sdk-inflight100" or
// "activity5-lean-rate500".
func (c Config) defaultName() string {
	s := string(c.Scenario)
	switch c.Scenario {
	case ScenarioActivity:
		if c.Activities != 1 {
			s += fmt.Sprint(c.Activities)
		}
	case ScenarioSignals:
		s += fmt.Sprint(c.Signals)
	case ScenarioTimer:
		s += c.Timer.String()
	case ScenarioChildren:
		s += fmt.Sprint(c.Children)
	}
	if c.Runs > 1 {
		s += fmt.Sprintf("-runs%d", c.Runs)
	}
	load := fmt.Sprintf("inflight%d", c.InFlight)
	if c.Rate > 0 {
		load = fmt.Sprintf("rate%g", c.Rate)
	}
	s += "-" + string(c.Worker) + "-" + load
	if c.EagerStart {
		s += "-eagerstart"
	}
	if c.DisableEagerActivities {
		s += "-noeageract"
	}
	if c.FakeServer {
		s += "-fake"
	}
	return s
}

// openLoop reports whether the run starts workflows at a fixed rate.
func (c Config) openLoop() bool { return c.Rate > 0 }

// Validate returns an error naming the first bad flag.
func (c Config) Validate() error {
	if !c.FakeServer && strings.TrimSpace(c.Address) == "" {
		return errors.New("--address: want host:port")
	}
	if c.Namespace == "" {
		return errors.New("--namespace: must not be empty")
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return errors.New("--tls-cert and --tls-key: give both or neither")
	}
	if c.FakeServer && c.TLS.on() {
		return errors.New("--tls: the fake server does not serve TLS")
	}
	if c.ConnectTimeout < 0 {
		return fmt.Errorf("--connect-timeout %v: must not be negative", c.ConnectTimeout)
	}
	if c.MetricsURL != "" {
		u, err := url.Parse(c.MetricsURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--metrics-url %q: want an http(s) URL such as http://127.0.0.1:9090/metrics", c.MetricsURL)
		}
	}
	switch c.Worker {
	case WorkerSDK, WorkerLean:
	default:
		return fmt.Errorf("--worker %q: want sdk or lean", c.Worker)
	}
	if !validScenario(c.Scenario) {
		return fmt.Errorf("--scenario %q: want one of %s", c.Scenario, scenarioNames())
	}
	if c.Worker == WorkerLean && c.Scenario != ScenarioActivity {
		return fmt.Errorf("--scenario %s: the lean driver runs only the activity scenario (a chain of --activities); use --worker sdk", c.Scenario)
	}
	if c.FakeServer && c.Worker != WorkerLean {
		return errors.New("--fake-server: the fake server runs only the lean driver (--worker lean)")
	}
	if err := atLeast("--activities", c.Activities, 1); err != nil {
		return err
	}
	if err := atLeast("--signals", c.Signals, 1); err != nil {
		return err
	}
	if err := atLeast("--children", c.Children, 1); err != nil {
		return err
	}
	if err := atLeast("--runs", c.Runs, 1); err != nil {
		return err
	}
	if c.Timer < 0 {
		return fmt.Errorf("--timer %v: must not be negative", c.Timer)
	}
	if c.Scenario == ScenarioSignals && c.Runs > 1 {
		return errors.New("--runs: the signals scenario has one run per workflow (signals sent across a continue-as-new would race it)")
	}
	if c.Rate < 0 {
		return fmt.Errorf("--rate %g: must not be negative", c.Rate)
	}
	if c.openLoop() {
		if err := atLeast("--max-in-flight", c.MaxInFlight, 1); err != nil {
			return err
		}
		if c.Count > 0 {
			return errors.New("--count: only for the closed loop; with --rate the run lasts --duration")
		}
	} else if err := atLeast("--in-flight", c.InFlight, 1); err != nil {
		return err
	}
	if c.Warmup < 0 {
		return fmt.Errorf("--warmup %v: must not be negative", c.Warmup)
	}
	if c.Count < 0 {
		return fmt.Errorf("--count %d: must not be negative", c.Count)
	}
	if c.Count == 0 && c.Duration <= 0 {
		return fmt.Errorf("--duration %v: must be positive (or set --count)", c.Duration)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--drain-timeout", c.DrainTimeout}, {"--workflow-timeout", c.WorkflowTimeout}} {
		if d.v < 0 {
			return fmt.Errorf("%s %v: must not be negative", d.flag, d.v)
		}
	}
	for _, p := range []struct {
		flag string
		v    int
	}{{"--workflow-pollers", c.WorkflowPollers}, {"--activity-pollers", c.ActivityPollers}, {"--connections", c.Connections}} {
		if p.v < 0 {
			return fmt.Errorf("%s %d: must not be negative", p.flag, p.v)
		}
	}
	if c.EagerStart && c.Worker != WorkerSDK {
		return fmt.Errorf("--eager-start: needs --worker %s (the lean driver polls every workflow task)", WorkerSDK)
	}
	if strings.ContainsAny(c.TaskQueue, " \t\n") {
		return fmt.Errorf("--task-queue %q: must not contain spaces", c.TaskQueue)
	}
	if strings.ContainsAny(c.RunID, " \t\n/") {
		return fmt.Errorf("--run-id %q: must not contain spaces or slashes", c.RunID)
	}
	if strings.ContainsAny(c.Name, "/\\") {
		return fmt.Errorf("--name %q: must not contain slashes (it becomes a file name)", c.Name)
	}
	if c.Processes < 0 || c.ProcessIndex < 0 || (c.Processes > 0 && c.ProcessIndex >= c.Processes) ||
		(c.Processes == 0 && c.ProcessIndex > 0) {
		return fmt.Errorf("--process-index %d: want 0 to --processes - 1 (--processes %d)", c.ProcessIndex, c.Processes)
	}
	return nil
}

func atLeast(flag string, v, lo int) error {
	if v < lo {
		return fmt.Errorf("%s %d: want at least %d", flag, v, lo)
	}
	return nil
}

func validScenario(s Scenario) bool {
	for _, x := range Scenarios {
		if s == x {
			return true
		}
	}
	return false
}

func scenarioNames() string {
	names := make([]string, len(Scenarios))
	for i, s := range Scenarios {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
