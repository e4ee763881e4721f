package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeRun is a short lean run on the fake server as process index of
// processes in run runID.
func fakeRun(t *testing.T, runID string, index, processes int) *Result {
	t.Helper()
	cfg := fakeConfig()
	cfg.RunID, cfg.ProcessIndex, cfg.Processes = runID, index, processes
	res, err := Run(context.Background(), cfg, Env{})
	require.NoError(t, err)
	return res
}

func TestResultFileRoundTrip(t *testing.T) {
	res := fakeRun(t, "rt", 0, 1)
	res.Command = "meridian bench --fake-server"
	dir := t.TempDir()
	files, err := WriteResultFiles(res, filepath.Join(dir, "sub", ResultFileName(res)))
	require.NoError(t, err)
	require.Len(t, files, 2)
	require.Equal(t, ".svg", filepath.Ext(files[1]))

	back, err := ReadResult(files[0])
	require.NoError(t, err)
	want, err := json.Marshal(res)
	require.NoError(t, err)
	got, err := json.Marshal(back)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
	require.Equal(t, res.Latency[LatencyEndToEnd].P99Ms, back.Latency[LatencyEndToEnd].P99Ms)

	svg, err := os.ReadFile(files[1])
	require.NoError(t, err)
	requireWellFormedXML(t, svg)
	require.Contains(t, string(svg), "Latency CDF")
}

func TestReadResultRejectsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"schema":"something-else/9"}`), 0o644))
	_, err := ReadResult(p)
	require.ErrorContains(t, err, "schema")
	require.NoError(t, os.WriteFile(p, []byte(`{"schema":"`+Schema+`","latency":{"start":{}}}`), 0o644))
	_, err = ReadResult(p)
	require.ErrorContains(t, err, "no histogram")
}

func requireWellFormedXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err)
	}
}

func TestMergeProcesses(t *testing.T) {
	a, b := fakeRun(t, "shared", 0, 2), fakeRun(t, "shared", 1, 2)
	m, err := Merge([]*Result{a, b})
	require.NoError(t, err)
	require.Equal(t, a.Counts.Completed+b.Counts.Completed, m.Counts.Completed)
	require.Equal(t, a.Counts.AllCompleted+b.Counts.AllCompleted, m.Counts.AllCompleted)
	for k, l := range m.Latency {
		require.Equal(t, a.Latency[k].Count+b.Latency[k].Count, l.Count, k)
		require.Equal(t, max(a.Latency[k].MaxMs, b.Latency[k].MaxMs), l.MaxMs, k)
	}
	require.InDelta(t, a.Throughput.WorkflowsPerSecond+b.Throughput.WorkflowsPerSecond, m.Throughput.WorkflowsPerSecond, 1e-9)
	var completed int64
	for _, s := range m.Timeline {
		completed += s.Completed
	}
	require.Equal(t, m.Counts.AllCompleted, completed)
	require.Len(t, m.Merged, 2)

	// The merge survives its own file.
	p := filepath.Join(t.TempDir(), "m.json")
	_, err = WriteResultFiles(m, p)
	require.NoError(t, err)
	back, err := ReadResult(p)
	require.NoError(t, err)
	require.Equal(t, m.Counts, back.Counts)

	_, err = Merge([]*Result{a, a})
	require.ErrorContains(t, err, "given twice")
	_, err = Merge([]*Result{a, fakeRun(t, "other", 1, 2)})
	require.ErrorContains(t, err, "different runs")
	_, err = Merge([]*Result{m})
	require.ErrorContains(t, err, "already a merge")
	_, err = Merge(nil)
	require.Error(t, err)

	partial, err := Merge([]*Result{b})
	require.NoError(t, err)
	require.Contains(t, strings.Join(partial.Notes, "\n"), "missing [0]")
}

func TestMergeTakesTheWidestScrapes(t *testing.T) {
	a, b := fakeRun(t, "s", 0, 2), fakeRun(t, "s", 1, 2)
	// Process 0 scraped first and process 1 last: the merge spans both.
	a.Server = serverFigures("u", Snapshot{At: a.StartedAt, Values: map[string]float64{metricConditionalWrites: 10}},
		Snapshot{At: a.EndedAt, Values: map[string]float64{metricConditionalWrites: 50}}, a.Counts.AllCompleted)
	b.Server = serverFigures("u", Snapshot{At: b.StartedAt, Values: map[string]float64{metricConditionalWrites: 20}},
		Snapshot{At: b.EndedAt, Values: map[string]float64{metricConditionalWrites: 90}}, b.Counts.AllCompleted)
	m, err := Merge([]*Result{a, b})
	require.NoError(t, err)
	require.InDelta(t, 80/float64(m.Counts.AllCompleted), *m.Server.ConditionalWritesPerWorkflow, 1e-9)
}

func TestSummaryAndMarkdown(t *testing.T) {
	res := fakeRun(t, "md", 0, 1)
	res.Command = "meridian bench --fake-server --worker lean"
	var sum bytes.Buffer
	require.NoError(t, WriteSummary(&sum, res))
	for _, want := range []string{"throughput", "end to end", "activity schedule-to-start", "lean driver", "fakeserver"} {
		require.Contains(t, sum.String(), want)
	}
	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, "Results", []*Result{res, res}))
	require.Contains(t, md.String(), "| "+res.Name+" | lean driver |")
	require.Contains(t, md.String(), "```sh\nmeridian bench --fake-server --worker lean\n")
	require.Error(t, WriteMarkdown(&md, "Results", nil))
}

func TestSVGOfAnEmptyResult(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteSVG(&b, &Result{Name: "a<b & c", Config: DefaultConfig()}))
	requireWellFormedXML(t, b.Bytes())
	require.Contains(t, b.String(), "a&lt;b &amp; c")
}

func TestNiceScale(t *testing.T) {
	for _, tc := range []struct{ v, top, step float64 }{
		{0, 1, 1}, {3, 3, 1}, {7, 8, 2}, {467, 500, 100}, {8882, 10000, 2000},
	} {
		top, step := niceScale(tc.v)
		require.Equal(t, tc.top, top, "%v", tc.v)
		require.Equal(t, tc.step, step, "%v", tc.v)
	}
}
