package benchmarks

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/meridian-dev/meridian/common/clock"
)

// Server metrics the bench reads from the target's Prometheus endpoint.
// A series counts toward a name when it is the name, or ends in "_" plus
// the name (Meridian prefixes each service's metrics with its scope, as in
// history_persistence_conditional_writes), with or without "_total";
// every matching series is summed.
const (
	metricConditionalWrites = "persistence_conditional_writes"
	metricTransactions      = "history_transactions"
	metricCPUSeconds        = "process_cpu_seconds_total"
)

var scrapedMetrics = []string{metricConditionalWrites, metricTransactions, metricCPUSeconds}

// Snapshot is one scrape: each metric's value summed over its series. A
// metric the server did not export is absent.
type Snapshot struct {
	At     time.Time          `json:"at"`
	Values map[string]float64 `json:"values"`
}

// scrape reads url once.
func scrape(ctx context.Context, clk clock.Clock, client *http.Client, url string) (Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Snapshot{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Snapshot{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return Snapshot{}, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	values, err := parseMetrics(resp.Body, scrapedMetrics)
	if err != nil {
		return Snapshot{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	return Snapshot{At: clk.Now(), Values: values}, nil
}

// metricsSettle is how long a server's counters may lag behind its work:
// Meridian flushes its tally counters into Prometheus every second.
const metricsSettle = 1100 * time.Millisecond

// maxSettles bounds the scrapes scrapeSettled takes.
const maxSettles = 5

// scrapeSettled scrapes until the counters (the CPU time aside, which
// always moves) hold still across metricsSettle, so that a scrape right
// after the load ends sees all of it. It fails at once if the first
// scrape fails.
func scrapeSettled(ctx context.Context, clk clock.Clock, client *http.Client, url string) (Snapshot, error) {
	prev, err := scrape(ctx, clk, client, url)
	if err != nil {
		return Snapshot{}, err
	}
	for range maxSettles {
		if err := clock.Sleep(ctx, clk, metricsSettle); err != nil {
			return Snapshot{}, err
		}
		cur, err := scrape(ctx, clk, client, url)
		if err != nil {
			return Snapshot{}, err
		}
		if sameCounters(prev, cur) {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// sameCounters reports whether two scrapes agree on every metric but the
// CPU time.
func sameCounters(a, b Snapshot) bool {
	for _, name := range scrapedMetrics {
		if name == metricCPUSeconds {
			continue
		}
		va, oka := a.Values[name]
		vb, okb := b.Values[name]
		if oka != okb || va != vb {
			return false
		}
	}
	return true
}

// parseMetrics reads the Prometheus text exposition format and sums the
// samples of each wanted metric (matched as described on the constants).
func parseMetrics(r io.Reader, wanted []string) (map[string]float64, error) {
	out := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, err := splitSample(line)
		if err != nil {
			return nil, err
		}
		var w string
		for _, x := range wanted {
			if metricMatches(name, x) {
				w = x
				break
			}
		}
		if w == "" {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("sample %q has no value", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("sample %q: %w", line, err)
		}
		out[w] += v
	}
	return out, sc.Err()
}

// metricMatches reports whether series name counts toward wanted.
func metricMatches(name, wanted string) bool {
	base := strings.TrimSuffix(wanted, "_total")
	for _, w := range []string{base, base + "_total"} {
		if name == w || strings.HasSuffix(name, "_"+w) {
			return true
		}
	}
	return false
}

// splitSample splits `name{labels} value [timestamp]` into the name and
// what follows the labels. Label values may hold any character, quoted.
func splitSample(line string) (name, rest string, err error) {
	i := strings.IndexAny(line, "{ \t")
	if i < 0 {
		return "", "", fmt.Errorf("sample %q has no value", line)
	}
	name = line[:i]
	if line[i] != '{' {
		return name, line[i:], nil
	}
	inQuote, escaped := false, false
	for j := i + 1; j < len(line); j++ {
		c := line[j]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case c == '}' && !inQuote:
			return name, line[j+1:], nil
		}
	}
	return "", "", fmt.Errorf("sample %q: unterminated labels", line)
}

// serverFigures divides the counters' growth between two scrapes by the
// workflows completed.
func serverFigures(url string, before, after Snapshot, workflows int64) *ServerFigures {
	f := &ServerFigures{MetricsURL: url, Before: before, After: after, Workflows: workflows}
	delta := func(name string) (float64, bool) {
		b, ok1 := before.Values[name]
		a, ok2 := after.Values[name]
		if !ok2 {
			return 0, false
		}
		if !ok1 {
			b = 0 // a counter first reported during the run started at 0
		}
		return a - b, true
	}
	per := func(name string) *float64 {
		d, ok := delta(name)
		if !ok || workflows == 0 {
			return nil
		}
		v := d / float64(workflows)
		return &v
	}
	f.ConditionalWritesPerWorkflow = per(metricConditionalWrites)
	f.TransactionsPerWorkflow = per(metricTransactions)
	f.CPUSecondsPerWorkflow = per(metricCPUSeconds)
	if d, ok := delta(metricCPUSeconds); ok {
		if wall := after.At.Sub(before.At).Seconds(); wall > 0 {
			u := d / wall
			f.CPUUtilization = &u
		}
	}
	return f
}
