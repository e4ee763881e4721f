package benchmarks

import (
	"fmt"
	"sort"

	"github.com/meridian-dev/meridian/benchmarks/hdr"
)

// Merge combines the results of the processes of one run into one result:
// counts add up, histograms merge exactly, timelines add up second by
// second, and the throughputs add up (the processes ran side by side).
// Server figures span the earliest scrape before and the latest after,
// divided by every process's completions. The results must share a run ID
// and have distinct process indexes.
func Merge(rs []*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, errNoResults
	}
	first := rs[0]
	out := &Result{
		Schema:    Schema,
		Name:      first.Name,
		RunID:     first.RunID,
		Processes: first.Processes,
		Config:    first.Config,
		Target:    first.Target,
		Host:      first.Host,
		Latency:   map[string]*Latency{},
	}
	seen := map[int]bool{}
	hists := map[string]*hdr.Histogram{}
	seconds := map[int64]*Second{}
	var before, after *Snapshot
	var metricsURL string
	var minWindow, maxWindow float64
	for i, r := range rs {
		if r.RunID != first.RunID {
			return nil, fmt.Errorf("merge: results from different runs (%s and %s); merge only the processes of one run", first.RunID, r.RunID)
		}
		if len(r.Merged) > 0 {
			return nil, fmt.Errorf("merge: %s is already a merge; merge the process results instead", r.Name)
		}
		if seen[r.ProcessIndex] {
			return nil, fmt.Errorf("merge: process %d given twice", r.ProcessIndex)
		}
		seen[r.ProcessIndex] = true
		if r.Processes > out.Processes {
			out.Processes = r.Processes
		}
		out.Merged = append(out.Merged, fmt.Sprintf("%s p%d", r.Name, r.ProcessIndex))
		if i == 0 || r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		if i == 0 || r.MeasureStart.Before(out.MeasureStart) {
			out.MeasureStart = r.MeasureStart
		}
		if r.MeasureEnd.After(out.MeasureEnd) {
			out.MeasureEnd = r.MeasureEnd
		}
		if r.EndedAt.After(out.EndedAt) {
			out.EndedAt = r.EndedAt
		}
		addCounts(&out.Counts, r.Counts)
		out.Throughput.WorkflowsPerSecond += r.Throughput.WorkflowsPerSecond
		out.Throughput.StartsPerSecond += r.Throughput.StartsPerSecond
		if i == 0 || r.Throughput.WindowSeconds < minWindow {
			minWindow = r.Throughput.WindowSeconds
		}
		maxWindow = max(maxWindow, r.Throughput.WindowSeconds)
		for k, l := range r.Latency {
			h, ok := hists[k]
			if !ok {
				h = hdr.New()
				hists[k] = h
			}
			h.Merge(l.Histogram)
		}
		for _, s := range r.Timeline {
			m, ok := seconds[s.T]
			if !ok {
				m = &Second{T: s.T}
				seconds[s.T] = m
			}
			m.Started += s.Started
			m.Completed += s.Completed
			m.Errors += s.Errors
			m.Dropped += s.Dropped
			m.InFlight += s.InFlight
		}
		if s := r.Server; s != nil {
			metricsURL = s.MetricsURL
			if before == nil || s.Before.At.Before(before.At) {
				before = &s.Before
			}
			if after == nil || s.After.At.After(after.At) {
				after = &s.After
			}
		}
		out.Client.CPUSeconds += r.Client.CPUSeconds
		out.Client.CPUUtilization += r.Client.CPUUtilization
		for _, n := range r.Notes {
			out.Notes = append(out.Notes, fmt.Sprintf("p%d: %s", r.ProcessIndex, n))
		}
	}
	out.Throughput.WindowSeconds = maxWindow
	if minWindow < 0.9*maxWindow {
		out.Notes = append(out.Notes, fmt.Sprintf("measurement windows differ (%.1f s to %.1f s): the summed throughput assumes the processes ran side by side", minWindow, maxWindow))
	}
	if len(rs) < out.Processes {
		var missing []int
		for i := range out.Processes {
			if !seen[i] {
				missing = append(missing, i)
			}
		}
		out.Notes = append(out.Notes, fmt.Sprintf("%d of %d processes merged; missing %v", len(rs), out.Processes, missing))
	}
	for k, h := range hists {
		out.Latency[k] = newLatency(h)
	}
	for _, s := range seconds {
		out.Timeline = append(out.Timeline, *s)
	}
	sort.Slice(out.Timeline, func(i, j int) bool { return out.Timeline[i].T < out.Timeline[j].T })
	if before != nil && after != nil {
		out.Server = serverFigures(metricsURL, *before, *after, out.Counts.AllCompleted)
	}
	if n := out.Counts.AllCompleted; n > 0 {
		out.Client.CPUSecondsPerWorkflow = out.Client.CPUSeconds / float64(n)
	}
	return out, nil
}

func addCounts(a *Counts, b Counts) {
	a.Started += b.Started
	a.StartErrors += b.StartErrors
	a.Completed += b.Completed
	a.Failed += b.Failed
	a.Unfinished += b.Unfinished
	a.Dropped += b.Dropped
	a.WindowCompleted += b.WindowCompleted
	a.AllCompleted += b.AllCompleted
}
