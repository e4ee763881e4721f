package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/benchmarks"
)

// fakeBench is a short, quiet bench against the in-process fake server.
func fakeBench(dir string, extra ...string) []string {
	return append(fakeBenchLoud(dir, "--quiet"), extra...)
}

// fakeBenchLoud is fakeBench with progress lines.
func fakeBenchLoud(dir string, extra ...string) []string {
	return append([]string{"bench", "--fake-server", "--worker", "lean", "--warmup", "0",
		"--count", "20", "--in-flight", "4", "--out-dir", dir}, extra...)
}

func TestBenchWritesResults(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	require.Equal(t, exitOK, h.run(fakeBench(dir, "--name", "smoke", "--run-id", "r1")...), h.stderr.String())
	out := h.stdout.String()
	require.Contains(t, out, "throughput")
	require.Contains(t, out, "end to end")
	require.Empty(t, h.stderr.String(), "--quiet prints no progress")

	path := filepath.Join(dir, "smoke-r1-p0.json")
	res, err := benchmarks.ReadResult(path)
	require.NoError(t, err)
	require.Equal(t, int64(20), res.Counts.Completed)
	require.Equal(t, "meridian bench --count=20 --fake-server --in-flight=4 --name=smoke --out-dir="+dir+
		" --quiet --run-id=r1 --warmup=0s --worker=lean", res.Command)
	_, err = os.Stat(filepath.Join(dir, "smoke-r1-p0.svg"))
	require.NoError(t, err)
}

func TestBenchProgressGoesToStderr(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	// Progress is printed once a second: a run of 1.5 s prints at least
	// one line.
	args := fakeBenchLoud(dir, "--out", filepath.Join(dir, "x.json"), "--count", "0", "--duration", "1500ms")
	require.Equal(t, exitOK, h.run(args...), h.stderr.String())
	require.Contains(t, h.stderr.String(), "wf/s  in flight")
	require.FileExists(t, filepath.Join(dir, "x.json"))
	require.FileExists(t, filepath.Join(dir, "x.svg"))
}

func TestBenchMergeAndReport(t *testing.T) {
	dir := t.TempDir()
	for _, i := range []string{"0", "1"} {
		h := newHarness(t)
		require.Equal(t, exitOK, h.run(fakeBench(dir, "--name", "split", "--run-id", "shared", "--processes", "2", "--process-index", i)...), h.stderr.String())
	}
	files := []string{filepath.Join(dir, "split-shared-p0.json"), filepath.Join(dir, "split-shared-p1.json")}

	h := newHarness(t)
	merged := filepath.Join(dir, "merged.json")
	require.Equal(t, exitOK, h.run(append([]string{"bench", "merge", "-o", merged}, files...)...), h.stderr.String())
	require.Contains(t, h.stdout.String(), "2 processes merged")
	b, err := os.ReadFile(merged)
	require.NoError(t, err)
	var m benchmarks.Result
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, int64(40), m.Counts.Completed)
	require.FileExists(t, filepath.Join(dir, "merged.svg"))

	h = newHarness(t)
	require.Equal(t, exitOK, h.run("bench", "merge", files[0], files[1]), h.stderr.String())
	require.FileExists(t, filepath.Join(dir, "split-shared-merged.json"))

	h = newHarness(t)
	require.Equal(t, exitOK, h.run(append([]string{"bench", "report", "--title", "Split"}, files...)...), h.stderr.String())
	md := h.stdout.String()
	require.True(t, strings.HasPrefix(md, "# Split\n"), md)
	require.Equal(t, 2, strings.Count(md, "| split | lean driver |"), md)
}

func TestBenchUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--worker", "python"}, "--worker"},
		{[]string{"bench", "--scenario", "nap"}, "--scenario"},
		{[]string{"bench", "--fake-server"}, "--fake-server"},
		{[]string{"bench", "--worker", "lean", "--scenario", "timer"}, "lean driver"},
		{[]string{"bench", "--worker", "lean", "--eager-start"}, "--eager-start"},
		{[]string{"bench", "--in-flight", "0"}, "--in-flight"},
		{[]string{"bench", "--rate", "10", "--count", "5"}, "--count"},
		{[]string{"bench", "--processes", "2", "--process-index", "2"}, "--process-index"},
		{[]string{"bench", "--tls-cert", "c.pem"}, "--tls-key"},
		{[]string{"bench", "--metrics-url", "localhost:9090"}, "--metrics-url"},
		{[]string{"bench", "extra"}, "unknown command"},
		{[]string{"bench", "merge"}, "results files"},
		{[]string{"bench", "report"}, "results files"},
	} {
		h := newHarness(t)
		require.Equal(t, exitUsage, h.run(tc.args...), "%v: %s", tc.args, h.stderr.String())
		require.Contains(t, h.stderr.String(), tc.want, "%v", tc.args)
	}
}

func TestBenchMergeRejectsMixedRuns(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"a", "b"} {
		h := newHarness(t)
		require.Equal(t, exitOK, h.run(fakeBench(dir, "--name", "x", "--run-id", id)...), h.stderr.String())
	}
	h := newHarness(t)
	require.Equal(t, exitError, h.run("bench", "merge", filepath.Join(dir, "x-a-p0.json"), filepath.Join(dir, "x-b-p0.json")))
	require.Contains(t, h.stderr.String(), "different runs")
}
