package metrics

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// startServer starts a metrics server on a free loopback port and returns
// its base URL; the server and root are stopped when the test ends.
func startServer(t *testing.T, root *Root, pprof bool) string {
	t.Helper()
	srv, err := NewServer(ServerConfig{Address: "127.0.0.1:0", EnablePprof: pprof}, root.Handler(), zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	t.Cleanup(func() {
		require.NoError(t, srv.Stop(context.Background()))
	})
	return "http://" + srv.Addr().String()
}

func newRoot(t *testing.T, cfg RootConfig) *Root {
	t.Helper()
	root, err := NewRoot(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, root.Close()) })
	return root
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer func() { require.NoError(t, resp.Body.Close()) }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestServerServesCounter(t *testing.T) {
	root := newRoot(t, RootConfig{ReportInterval: 10 * time.Millisecond})
	base := startServer(t, root, false)

	root.Scope().Tagged(map[string]string{OperationTag: "StartWorkflowExecution"}).Counter(ServiceRequests).Inc(3)

	// Counters reach Prometheus on the report loop's next tick.
	want := `service_requests{operation="StartWorkflowExecution"} 3`
	require.Eventually(t, func() bool {
		code, body := get(t, base+"/metrics")
		return code == http.StatusOK && strings.Contains(body, want)
	}, 10*time.Second, 10*time.Millisecond, "scrape never showed %s", want)
}

func TestServerServesTimerAtOnce(t *testing.T) {
	root := newRoot(t, RootConfig{ReportInterval: time.Hour})
	base := startServer(t, root, false)

	// Timers bypass tally's buffering, so they are visible immediately.
	root.Scope().Timer(ServiceLatency).Record(250 * time.Millisecond)

	code, body := get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "# TYPE service_latency histogram")
	require.Contains(t, body, "service_latency_count 1")
}

func TestRootCloseFlushes(t *testing.T) {
	root, err := NewRoot(RootConfig{ReportInterval: time.Hour, Prefix: "meridian"}, zaptest.NewLogger(t))
	require.NoError(t, err)
	base := startServer(t, root, false)

	root.Scope().Gauge("shards_owned").Update(4)
	require.NoError(t, root.Close())

	_, body := get(t, base+"/metrics")
	require.Contains(t, body, "meridian_shards_owned 4")
}

func TestPprof(t *testing.T) {
	t.Run("disabled", func(t *testing.T) {
		base := startServer(t, newRoot(t, DefaultRootConfig()), false)
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap"} {
			code, _ := get(t, base+path)
			require.Equal(t, http.StatusNotFound, code, path)
		}
	})
	t.Run("enabled", func(t *testing.T) {
		base := startServer(t, newRoot(t, DefaultRootConfig()), true)
		code, body := get(t, base+"/debug/pprof/")
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, body, "goroutine")
		code, _ = get(t, base+"/debug/pprof/heap?debug=1")
		require.Equal(t, http.StatusOK, code)
		code, _ = get(t, base+"/metrics")
		require.Equal(t, http.StatusOK, code)
	})
}

func TestProcessMetrics(t *testing.T) {
	base := startServer(t, newRoot(t, RootConfig{ProcessMetrics: true}), false)
	_, body := get(t, base+"/metrics")
	require.Contains(t, body, "go_goroutines")
}

func TestRegistrationErrorDoesNotPanic(t *testing.T) {
	root := newRoot(t, RootConfig{ReportInterval: time.Hour})
	base := startServer(t, root, false)

	// The same name with two different tag-key sets cannot both be
	// registered in Prometheus; the second is dropped and counted.
	root.Scope().Timer("clash").Record(time.Millisecond)
	root.Scope().Tagged(map[string]string{"k": "v"}).Timer("clash").Record(time.Millisecond)

	_, body := get(t, base+"/metrics")
	require.Contains(t, body, "metrics_registration_errors 1")
}

func TestServerConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg     ServerConfig
		wantErr string
	}{
		{cfg: ServerConfig{Address: "127.0.0.1:9090"}},
		{cfg: ServerConfig{}, wantErr: "Address is required"},
		{cfg: ServerConfig{Address: "9090"}, wantErr: `Address "9090"`},
	} {
		err := tc.cfg.Validate()
		if tc.wantErr == "" {
			require.NoError(t, err)
			continue
		}
		require.ErrorContains(t, err, tc.wantErr)
	}
}

func TestStartTwiceAndStopUnstarted(t *testing.T) {
	root := newRoot(t, DefaultRootConfig())
	srv, err := NewServer(ServerConfig{Address: "127.0.0.1:0"}, root.Handler(), zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, srv.Stop(context.Background()))
	require.Nil(t, srv.Addr())
	require.NoError(t, srv.Start())
	require.ErrorContains(t, srv.Start(), "already started")
	require.NoError(t, srv.Stop(context.Background()))
}
