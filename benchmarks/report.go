package benchmarks

import (
	"fmt"
	"io"
	"strings"
)

// latencyLabels are the table labels of the latency names.
var latencyLabels = map[string]string{
	LatencyStart:                       "start (StartWorkflowExecution)",
	LatencyEndToEnd:                    "end to end (start to result)",
	LatencyWorkflowTaskScheduleToStart: "workflow task schedule-to-start",
	LatencyActivityScheduleToStart:     "activity schedule-to-start",
	LatencyStartLag:                    "start lag behind schedule",
}

// describeScenario says what each workflow does, e.g. "1 no-op activity".
func describeScenario(c Config) string {
	var s string
	switch c.Scenario {
	case ScenarioActivity:
		if c.Activities == 1 {
			s = "1 no-op activity"
		} else {
			s = fmt.Sprintf("chain of %d no-op activities", c.Activities)
		}
	case ScenarioSignals:
		s = fmt.Sprintf("waits for %d signals", c.Signals)
	case ScenarioTimer:
		s = fmt.Sprintf("sleeps %v", c.Timer)
	case ScenarioChildren:
		s = fmt.Sprintf("fans out %d child workflows", c.Children)
	default:
		s = string(c.Scenario)
	}
	if c.Runs > 1 {
		s += fmt.Sprintf(", %d runs (continue-as-new)", c.Runs)
	}
	return s
}

// describeLoad says how workflows were started, e.g. "closed loop, 100 in
// flight".
func describeLoad(c Config) string {
	if c.openLoop() {
		return fmt.Sprintf("open loop, %g workflows/s (at most %d in flight)", c.Rate, c.MaxInFlight)
	}
	return fmt.Sprintf("closed loop, %d in flight", c.InFlight)
}

// describeLength says how long the run measured.
func describeLength(c Config) string {
	s := fmt.Sprintf("%v measured", c.Duration)
	if c.Count > 0 {
		s = fmt.Sprintf("%d workflows measured", c.Count)
	}
	if c.Warmup > 0 {
		s += fmt.Sprintf(" after %v warmup", c.Warmup)
	}
	return s
}

func workerLabel(c Config) string {
	if c.Worker == WorkerLean {
		return "lean driver"
	}
	return "Go SDK worker"
}

// WriteSummary writes the human-readable summary of r: what ran, the
// counts, throughput, latency percentiles and the server and client
// figures.
func WriteSummary(w io.Writer, r *Result) error {
	var b strings.Builder
	c := r.Config
	fmt.Fprintf(&b, "meridian bench: %s (run %s", r.Name, r.RunID)
	if len(r.Merged) > 0 {
		fmt.Fprintf(&b, ", %d processes merged", len(r.Merged))
	} else if r.Processes > 1 {
		fmt.Fprintf(&b, ", process %d of %d", r.ProcessIndex, r.Processes)
	}
	b.WriteString(")\n")
	fmt.Fprintf(&b, "target      %s (%s), namespace %s\n", r.Target.Address, r.Target.ServerVersion, r.Target.Namespace)
	fmt.Fprintf(&b, "load        %s; %s; %s; %s\n", workerLabel(c), describeScenario(c), describeLoad(c), describeLength(c))
	k := r.Counts
	fmt.Fprintf(&b, "workflows   started %d, completed %d, failed %d, start errors %d, unfinished %d",
		k.Started, k.Completed, k.Failed, k.StartErrors, k.Unfinished)
	if c.openLoop() {
		fmt.Fprintf(&b, ", dropped %d", k.Dropped)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "throughput  %.1f workflows/s completed (%.1f/s started) over %.1f s\n\n",
		r.Throughput.WorkflowsPerSecond, r.Throughput.StartsPerSecond, r.Throughput.WindowSeconds)

	fmt.Fprintf(&b, "%-33s %8s %8s %8s %8s %8s %8s\n", "latency (ms)", "count", "p50", "p95", "p99", "max", "mean")
	for _, name := range latencyOrder {
		l, ok := r.Latency[name]
		if !ok {
			continue
		}
		if l.Count == 0 {
			fmt.Fprintf(&b, "%-33s %8d %8s %8s %8s %8s %8s\n", latencyLabels[name], 0, "-", "-", "-", "-", "-")
			continue
		}
		fmt.Fprintf(&b, "%-33s %8d %8s %8s %8s %8s %8s\n", latencyLabels[name], l.Count,
			fmtMs(l.P50Ms), fmtMs(l.P95Ms), fmtMs(l.P99Ms), fmtMs(l.MaxMs), fmtMs(l.MeanMs))
	}
	b.WriteString("\n")
	if s := r.Server; s != nil {
		fmt.Fprintf(&b, "server      %s per workflow over %d workflows", serverFiguresText(s), s.Workflows)
		if s.CPUUtilization != nil {
			fmt.Fprintf(&b, "; server CPU %.2f cores", *s.CPUUtilization)
		}
		b.WriteString("\n")
	}
	if r.Client.CPUSeconds > 0 {
		fmt.Fprintf(&b, "bench       %.3f CPU ms per workflow; bench CPU %.2f cores\n",
			r.Client.CPUSecondsPerWorkflow*1e3, r.Client.CPUUtilization)
	}
	if m := r.Machine; m != nil {
		fmt.Fprintf(&b, "machine     %.2f cores busy", m.BusyCores)
		if m.OtherCores != nil {
			fmt.Fprintf(&b, ", %.2f of them other processes'", *m.OtherCores)
		}
		fmt.Fprintf(&b, " (%d CPUs)\n", r.Host.CPUs)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note        %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// serverFiguresText is e.g. "7.00 conditional writes, 7.00 transactions,
// 1.234 CPU ms".
func serverFiguresText(s *ServerFigures) string {
	var parts []string
	if v := s.ConditionalWritesPerWorkflow; v != nil {
		parts = append(parts, fmt.Sprintf("%.2f conditional writes", *v))
	}
	if v := s.TransactionsPerWorkflow; v != nil {
		parts = append(parts, fmt.Sprintf("%.2f transactions", *v))
	}
	if v := s.CPUSecondsPerWorkflow; v != nil {
		parts = append(parts, fmt.Sprintf("%.3f CPU ms", *v*1e3))
	}
	if len(parts) == 0 {
		return "no known metrics"
	}
	return strings.Join(parts, ", ")
}

// fmtMs prints a latency in milliseconds with three significant digits or
// more.
func fmtMs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// WriteMarkdown writes a Markdown report of several results: the machine
// and targets, one table row per result, and the commands that produced
// them.
func WriteMarkdown(w io.Writer, title string, rs []*Result) error {
	if len(rs) == 0 {
		return errNoResults
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", title)
	h := rs[0].Host
	fmt.Fprintf(&b, "Machine: %d CPUs", h.CPUs)
	if h.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", h.CPUModel)
	}
	fmt.Fprintf(&b, ", %s/%s, %s. The bench process shares the machine with the server unless the target is remote.\n\n", h.OS, h.Arch, h.GoVersion)
	seen := map[string]bool{}
	for _, r := range rs {
		t := fmt.Sprintf("%#q at %s", r.Target.ServerVersion, r.Target.Address)
		if !seen[t] {
			seen[t] = true
			fmt.Fprintf(&b, "- Target: %s\n", t)
		}
	}
	b.WriteString("\n")
	b.WriteString("| run | worker | workflow | load | wf/s | e2e p50 ms | e2e p99 ms | start p50 ms | wft s2s p50 ms | act s2s p50 ms | failed or unfinished | cond. writes/wf | server CPU ms/wf | bench CPU ms/wf | other cores |\n")
	b.WriteString("|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rs {
		p50 := func(name string) string {
			if l, ok := r.Latency[name]; ok && l.Count > 0 {
				return fmtMs(l.P50Ms)
			}
			return "-"
		}
		p99 := "-"
		if l, ok := r.Latency[LatencyEndToEnd]; ok && l.Count > 0 {
			p99 = fmtMs(l.P99Ms)
		}
		writes, serverCPU := "-", "-"
		if s := r.Server; s != nil {
			if v := s.ConditionalWritesPerWorkflow; v != nil {
				writes = fmt.Sprintf("%.2f", *v)
			}
			if v := s.CPUSecondsPerWorkflow; v != nil {
				serverCPU = fmt.Sprintf("%.3f", *v*1e3)
			}
		}
		other := "-"
		if m := r.Machine; m != nil && m.OtherCores != nil {
			other = fmt.Sprintf("%.2f", *m.OtherCores)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.1f | %s | %s | %s | %s | %s | %d | %s | %s | %.3f | %s |\n",
			r.Name, workerLabel(r.Config), describeScenario(r.Config), describeLoad(r.Config),
			r.Throughput.WorkflowsPerSecond, p50(LatencyEndToEnd), p99, p50(LatencyStart),
			p50(LatencyWorkflowTaskScheduleToStart), p50(LatencyActivityScheduleToStart),
			r.Counts.Failed+r.Counts.StartErrors+r.Counts.Unfinished, writes, serverCPU,
			r.Client.CPUSecondsPerWorkflow*1e3, other)
	}
	b.WriteString("\nwf/s counts completions in the measurement window; e2e is start to result as the\n" +
		"starter sees it; s2s is schedule-to-start from the task's scheduled and started times;\n" +
		"per-workflow server figures are counter deltas from the server's /metrics over the\n" +
		"whole run (warmup included) divided by the workflows completed in it; other cores\n" +
		"is the CPU that other processes on the machine used meanwhile.\n")
	var cmds []string
	for _, r := range rs {
		if r.Command != "" {
			cmds = append(cmds, r.Command)
		}
	}
	if len(cmds) > 0 {
		b.WriteString("\nCommands:\n\n```sh\n")
		for _, c := range cmds {
			b.WriteString(c + "\n")
		}
		b.WriteString("```\n")
	}
	var notes []string
	for _, r := range rs {
		for _, n := range r.Notes {
			notes = append(notes, fmt.Sprintf("- %s: %s", r.Name, n))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes:\n\n" + strings.Join(notes, "\n") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
