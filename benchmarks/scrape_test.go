package benchmarks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/common/clock"
)

const exposition = `# HELP history_history_transactions history_transactions counter
# TYPE history_history_transactions counter
history_history_transactions{cluster="active"} 70
history_persistence_conditional_writes{cluster="active",shard="1"} 40
history_persistence_conditional_writes{cluster="active",shard="2"} 30
history_transaction_latency_bucket{le="0.005"} 12
weird_label{a="x}y \"q\" z",b="2"} 99
process_cpu_seconds_total 1.5
persistence_conditional_writes_histogram_bucket{le="1"} 3
`

func TestParseMetrics(t *testing.T) {
	got, err := parseMetrics(strings.NewReader(exposition), append(scrapedMetrics, "weird_label"))
	require.NoError(t, err)
	require.Equal(t, map[string]float64{
		metricTransactions:      70,
		metricConditionalWrites: 70,
		metricCPUSeconds:        1.5,
		"weird_label":           99,
	}, got)

	_, err = parseMetrics(strings.NewReader("process_cpu_seconds_total{a=\"b\" 1\n"), scrapedMetrics)
	require.Error(t, err)
	_, err = parseMetrics(strings.NewReader("process_cpu_seconds_total x\n"), scrapedMetrics)
	require.Error(t, err)
}

func TestMetricMatches(t *testing.T) {
	for _, tc := range []struct {
		name, wanted string
		want         bool
	}{
		{"persistence_conditional_writes", metricConditionalWrites, true},
		{"history_persistence_conditional_writes", metricConditionalWrites, true},
		{"persistence_conditional_writes_total", metricConditionalWrites, true},
		{"xpersistence_conditional_writes", metricConditionalWrites, false},
		{"persistence_conditional_writes_bucket", metricConditionalWrites, false},
		{"process_cpu_seconds_total", metricCPUSeconds, true},
		{"process_cpu_seconds", metricCPUSeconds, true},
	} {
		require.Equal(t, tc.want, metricMatches(tc.name, tc.wanted), "%s vs %s", tc.name, tc.wanted)
	}
}

func TestServerFigures(t *testing.T) {
	t0 := time.Unix(1000, 0)
	before := Snapshot{At: t0, Values: map[string]float64{metricConditionalWrites: 100, metricCPUSeconds: 2}}
	after := Snapshot{At: t0.Add(10 * time.Second), Values: map[string]float64{
		metricConditionalWrites: 800, metricTransactions: 700, metricCPUSeconds: 7,
	}}
	f := serverFigures("http://x/metrics", before, after, 100)
	require.InDelta(t, 7.0, *f.ConditionalWritesPerWorkflow, 1e-9)
	require.InDelta(t, 7.0, *f.TransactionsPerWorkflow, 1e-9, "a counter first seen after the start counts from 0")
	require.InDelta(t, 0.05, *f.CPUSecondsPerWorkflow, 1e-9)
	require.InDelta(t, 0.5, *f.CPUUtilization, 1e-9)

	none := serverFigures("http://x/metrics", Snapshot{At: t0}, Snapshot{At: t0}, 100)
	require.Nil(t, none.ConditionalWritesPerWorkflow, "absent metrics give no figure")
	require.Nil(t, serverFigures("u", before, after, 0).CPUSecondsPerWorkflow, "no workflows, no figure")
}

func TestScrape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		_, _ = fmt.Fprint(w, exposition)
	}))
	defer srv.Close()
	s, err := scrape(context.Background(), clock.Real(), srv.Client(), srv.URL+"/metrics")
	require.NoError(t, err)
	require.Equal(t, 70.0, s.Values[metricConditionalWrites])
	_, err = scrape(context.Background(), clock.Real(), srv.Client(), srv.URL+"/nope")
	require.ErrorContains(t, err, "404")
}
