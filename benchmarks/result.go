package benchmarks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meridian-dev/meridian/benchmarks/hdr"
)

// Schema identifies the results file format; readers refuse others.
const Schema = "meridian-bench/1"

// Latency names: the keys of Result.Latency.
const (
	// LatencyStart times the StartWorkflowExecution RPC.
	LatencyStart = "start"
	// LatencyEndToEnd times a workflow from its start (its scheduled
	// start in the open loop) to its result as the starter sees it.
	LatencyEndToEnd = "end_to_end"
	// LatencyWorkflowTaskScheduleToStart is a workflow task's
	// scheduled_time to started_time, from the poll response the worker got.
	LatencyWorkflowTaskScheduleToStart = "workflow_task_schedule_to_start"
	// LatencyActivityScheduleToStart is the same for activity tasks
	// (current attempt).
	LatencyActivityScheduleToStart = "activity_schedule_to_start"
	// LatencyStartLag is how late the open loop issued each start against
	// its schedule.
	LatencyStartLag = "start_lag"
)

// latencyOrder is the order tables list latencies in.
var latencyOrder = []string{
	LatencyStart, LatencyEndToEnd, LatencyWorkflowTaskScheduleToStart, LatencyActivityScheduleToStart, LatencyStartLag,
}

// Result is what one bench process (or a merge of several) measured. It is
// the JSON results file.
type Result struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Command is the command line that produced the result, when known.
	Command      string `json:"command,omitempty"`
	RunID        string `json:"run_id"`
	ProcessIndex int    `json:"process_index"`
	Processes    int    `json:"processes"`
	// Merged names the process results a merge combined (empty for one
	// process).
	Merged []string `json:"merged,omitempty"`
	Config Config   `json:"config"`
	Target Target   `json:"target"`
	Host   Host     `json:"host"`

	StartedAt    time.Time `json:"started_at"`
	MeasureStart time.Time `json:"measure_start"`
	MeasureEnd   time.Time `json:"measure_end"`
	EndedAt      time.Time `json:"ended_at"`

	Counts     Counts              `json:"counts"`
	Throughput Throughput          `json:"throughput"`
	Latency    map[string]*Latency `json:"latency"`
	// Timeline has one entry per wall-clock second of the whole run,
	// warmup and drain included, so merged processes line up.
	Timeline []Second       `json:"timeline"`
	Server   *ServerFigures `json:"server,omitempty"`
	Client   ClientFigures  `json:"client"`
	// Machine is the whole machine's CPU use over the run, where known.
	Machine *MachineFigures `json:"machine,omitempty"`
	Notes   []string        `json:"notes,omitempty"`
}

// Target is the endpoint measured.
type Target struct {
	Address       string `json:"address"`
	Namespace     string `json:"namespace"`
	ServerVersion string `json:"server_version"`
	// Meridian is set when server_version starts with "meridian".
	Meridian bool `json:"meridian"`
}

// Host is the machine the bench process ran on.
type Host struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model,omitempty"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	GoVersion  string `json:"go_version"`
}

// Counts are workflow counts. Started, StartErrors, Completed, Failed,
// Unfinished and Dropped count only workflows whose (scheduled) start fell
// in the measurement window.
type Counts struct {
	Started     int64 `json:"started"`
	StartErrors int64 `json:"start_errors"`
	Completed   int64 `json:"completed"`
	// Failed workflows returned an error or outlived WorkflowTimeout.
	Failed int64 `json:"failed"`
	// Unfinished workflows were still running when the drain ended.
	Unfinished int64 `json:"unfinished"`
	// Dropped starts were due while the open loop was at MaxInFlight.
	Dropped int64 `json:"dropped"`
	// WindowCompleted counts completions of any workflow inside the
	// measurement window: the throughput numerator.
	WindowCompleted int64 `json:"window_completed"`
	// AllCompleted counts every completion, warmup included: the
	// denominator of the per-workflow server figures, which are scraped
	// around the whole run.
	AllCompleted int64 `json:"all_completed"`
}

// Throughput is the measured rate.
type Throughput struct {
	// WindowSeconds is the measurement window: Duration, or in a --count
	// run the time from its start to the last result.
	WindowSeconds float64 `json:"window_seconds"`
	// WorkflowsPerSecond is WindowCompleted / WindowSeconds.
	WorkflowsPerSecond float64 `json:"workflows_per_second"`
	// StartsPerSecond is Started / WindowSeconds.
	StartsPerSecond float64 `json:"starts_per_second"`
}

// Latency summarizes one histogram; the summary fields are derived from
// Histogram (nanoseconds) whenever a result is built or read.
type Latency struct {
	Count     uint64         `json:"count"`
	MinMs     float64        `json:"min_ms"`
	MeanMs    float64        `json:"mean_ms"`
	P50Ms     float64        `json:"p50_ms"`
	P95Ms     float64        `json:"p95_ms"`
	P99Ms     float64        `json:"p99_ms"`
	MaxMs     float64        `json:"max_ms"`
	Histogram *hdr.Histogram `json:"histogram_ns"`
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// newLatency summarizes h.
func newLatency(h *hdr.Histogram) *Latency {
	if h == nil {
		h = hdr.New()
	}
	return &Latency{
		Count:     h.Count(),
		MinMs:     ms(h.Min()),
		MeanMs:    h.Mean() / 1e6,
		P50Ms:     ms(h.Quantile(0.50)),
		P95Ms:     ms(h.Quantile(0.95)),
		P99Ms:     ms(h.Quantile(0.99)),
		MaxMs:     ms(h.Max()),
		Histogram: h,
	}
}

// Second is one second of the timeline. T is the Unix time in seconds.
type Second struct {
	T         int64 `json:"t"`
	Started   int64 `json:"started"`
	Completed int64 `json:"completed"`
	Errors    int64 `json:"errors"`
	Dropped   int64 `json:"dropped,omitempty"`
	// InFlight is sampled once in the second (summed over merged
	// processes).
	InFlight int64 `json:"in_flight"`
}

// ServerFigures are the server's own counters, scraped from its
// Prometheus endpoint before and after the run. A per-workflow figure is
// absent when the server does not export that metric.
type ServerFigures struct {
	MetricsURL string   `json:"metrics_url"`
	Before     Snapshot `json:"before"`
	After      Snapshot `json:"after"`
	// Workflows is the denominator: Counts.AllCompleted.
	Workflows                    int64    `json:"workflows"`
	ConditionalWritesPerWorkflow *float64 `json:"conditional_writes_per_workflow,omitempty"`
	TransactionsPerWorkflow      *float64 `json:"transactions_per_workflow,omitempty"`
	CPUSecondsPerWorkflow        *float64 `json:"cpu_seconds_per_workflow,omitempty"`
	// CPUUtilization is server CPU seconds per second of wall time between
	// the scrapes (1.0 = one core busy).
	CPUUtilization *float64 `json:"cpu_utilization,omitempty"`
}

// ClientFigures are the bench process's own CPU use over the run, from
// just after the first scrape of the server's metrics to just after the
// last when there are any (with --fake-server they include the fake
// server, which runs in this process).
type ClientFigures struct {
	CPUSeconds            float64 `json:"cpu_seconds"`
	CPUSecondsPerWorkflow float64 `json:"cpu_seconds_per_workflow"`
	CPUUtilization        float64 `json:"cpu_utilization"`
}

// MachineFigures are the whole machine's CPU use over the same span as
// ClientFigures (Linux: /proc/stat), to tell whether other work competed
// with the bench and the server.
type MachineFigures struct {
	// BusyCores is the CPU time of every process on the machine per
	// second of wall time.
	BusyCores float64 `json:"busy_cores"`
	// OtherCores is BusyCores less the bench process and, when its
	// metrics were scraped, the server: other processes' share. It is
	// absent when the server's share is unknown.
	OtherCores *float64 `json:"other_cores,omitempty"`
}

// WriteResultFiles writes r as indented JSON to path and its plot beside
// it (path with .svg for .json). It returns the paths written.
func WriteResultFiles(r *Result, path string) ([]string, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create results directory: %w", err)
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write results: %w", err)
	}
	var svg bytes.Buffer
	if err := WriteSVG(&svg, r); err != nil {
		return nil, err
	}
	svgPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".svg"
	if err := os.WriteFile(svgPath, svg.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("write plot: %w", err)
	}
	return []string{path, svgPath}, nil
}

// ReadResult reads a results file written by WriteResultFiles and
// recomputes the latency summaries from the histograms.
func ReadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %q, want %q", path, r.Schema, Schema)
	}
	for k, l := range r.Latency {
		if l == nil || l.Histogram == nil {
			return nil, fmt.Errorf("%s: latency %s has no histogram", path, k)
		}
		r.Latency[k] = newLatency(l.Histogram)
	}
	return &r, nil
}

// ResultFileName is the default file name of a process's results:
// NAME-RUNID-pINDEX.json.
func ResultFileName(r *Result) string {
	return fmt.Sprintf("%s-%s-p%d.json", r.Name, r.RunID, r.ProcessIndex)
}

// errNoResults is returned by Merge and WriteMarkdown given nothing.
var errNoResults = errors.New("no results given")
