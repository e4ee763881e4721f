package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/meridian-dev/meridian/server"
)

// harness is an App whose dev server records its config instead of
// running, with a fake environment.
type harness struct {
	app    *App
	stdout bytes.Buffer
	stderr bytes.Buffer
	logs   bytes.Buffer
	env    map[string]string
	home   string
	// runDev, if set, replaces the default fake that records cfg.
	runDev func(ctx context.Context, cfg server.DevConfig, logger *zap.Logger) error
	got    *server.DevConfig
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{env: map[string]string{}, home: t.TempDir()}
	h.app = NewApp(&h.stdout, &h.stderr)
	h.app.Getenv = func(k string) string { return h.env[k] }
	h.app.UserHomeDir = func() (string, error) {
		if h.home == "" {
			return "", errors.New("$HOME is not defined")
		}
		return h.home, nil
	}
	h.app.LogOutput = zapcore.AddSync(&h.logs)
	h.app.RunDev = func(ctx context.Context, cfg server.DevConfig, logger *zap.Logger) error {
		h.got = &cfg
		if h.runDev != nil {
			return h.runDev(ctx, cfg, logger)
		}
		return nil
	}
	return h
}

func (h *harness) run(args ...string) int {
	return h.app.Run(context.Background(), args)
}

func startDev(args ...string) []string {
	return append([]string{"server", "start-dev"}, args...)
}

// TestStartDevGoHarness feeds the exact command line of the Go SDK's
// testsuite.StartDevServer.
func TestStartDevGoHarness(t *testing.T) {
	h := newHarness(t)
	db := filepath.Join(t.TempDir(), "temporal.db")
	code := h.run(startDev(
		"--ip", "127.0.0.1", "--port", "54321",
		"--namespace", "default",
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false",
		"--log-level", "warn",
		"--log-format", "pretty",
		"--headless",
		"--db-filename", db,
		"--search-attribute", "CustomKeywordField=Keyword",
		"--search-attribute", "CustomIntField=Int",
	)...)
	require.Equal(t, 0, code, h.stderr.String())
	require.NotNil(t, h.got)
	cfg := *h.got
	require.Equal(t, "127.0.0.1:54321", cfg.FrontendAddress())
	require.Empty(t, cfg.Namespaces, `"default" is implicit`)
	require.Equal(t, []string{"default"}, cfg.AllNamespaces())
	require.Equal(t, db, cfg.DataDir, "--db-filename is used as the data directory")
	require.Equal(t, map[string]string{"frontend.enableServerVersionCheck": "false"}, cfg.DynamicConfig)
	require.Equal(t, []server.SearchAttribute{
		{Name: "CustomKeywordField", Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		{Name: "CustomIntField", Type: enumspb.INDEXED_VALUE_TYPE_INT},
	}, cfg.SearchAttributes)
	require.Equal(t, "warn", cfg.Log.Level)
	require.Equal(t, "pretty", cfg.Log.Format)
	require.Equal(t, int32(server.DefaultDevShards), cfg.NumShards)
	require.Zero(t, cfg.MetricsPort)
	require.NotContains(t, h.logs.String(), "web UI", "--headless: nothing to say about the UI")
}

// TestStartDevCoreHarness feeds the command line of the SDKs built on
// sdk-core (Python, TypeScript, .NET, Ruby), including their integration
// tests' extra arguments.
func TestStartDevCoreHarness(t *testing.T) {
	h := newHarness(t)
	code := h.run(startDev(
		"--port", "60123", "--namespace", "ns1", "--ip", "127.0.0.1",
		"--log-format", "pretty", "--log-level", "warn",
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false",
		"--dynamic-config-value", "system.enableEagerWorkflowStart=true",
		"--dynamic-config-value", `limit.blobSize.warn="large"`,
		"--ui-port", "61123",
		"--http-port", "7243",
		"--search-attribute", "SearchAttr1=Text",
		"--search-attribute", "SearchAttr2=keyword_list",
		"--search-attribute", "SearchAttr3=INDEXED_VALUE_TYPE_DATETIME",
		"--sqlite-pragma", "journal_mode=wal",
	)...)
	require.Equal(t, 0, code, h.stderr.String())
	cfg := *h.got
	require.Equal(t, []string{"default", "ns1"}, cfg.AllNamespaces())
	require.Equal(t, `"large"`, cfg.DynamicConfig["limit.blobSize.warn"])
	require.Len(t, cfg.DynamicConfig, 3)
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST, cfg.SearchAttributes[1].Type)
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_DATETIME, cfg.SearchAttributes[2].Type)
	// log-level warn: the info notes about ignored UI/HTTP flags are hidden.
	require.Empty(t, h.logs.String())
}

func TestStartDevDefaults(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, 0, h.run(startDev()...), h.stderr.String())
	cfg := *h.got
	want := server.DefaultDevConfig()
	require.True(t, strings.HasPrefix(cfg.DataDir, filepath.Join(os.TempDir(), "meridian-dev-")), cfg.DataDir)
	want.DataDir = cfg.DataDir
	require.Equal(t, want, cfg)

	out := h.stdout.String()
	require.Contains(t, out, "Frontend:    127.0.0.1:7233")
	require.Contains(t, out, "Data dir:    "+want.DataDir+" (temporary")
	require.Contains(t, out, "Metrics:     off")
	// The UI is not served: said once, at info.
	require.Equal(t, 1, strings.Count(h.logs.String(), "web UI is not served"), h.logs.String())
	require.Contains(t, h.logs.String(), "starting dev server")
}

func TestStartDevDataDir(t *testing.T) {
	t.Run("default is a fresh temporary directory removed on exit", func(t *testing.T) {
		h1 := newHarness(t)
		require.Equal(t, 0, h1.run(startDev()...), h1.stderr.String())
		h2 := newHarness(t)
		require.Equal(t, 0, h2.run(startDev()...), h2.stderr.String())
		require.NotEqual(t, h1.got.DataDir, h2.got.DataDir)
		_, err := os.Stat(h1.got.DataDir)
		require.True(t, os.IsNotExist(err), "temporary data dir %s should be removed, stat: %v", h1.got.DataDir, err)
	})
	t.Run("relative --data-dir is made absolute", func(t *testing.T) {
		h := newHarness(t)
		require.Equal(t, 0, h.run(startDev("--data-dir", "rel/dev")...), h.stderr.String())
		wd, err := os.Getwd()
		require.NoError(t, err)
		require.Equal(t, filepath.Join(wd, "rel", "dev"), h.got.DataDir)
		require.Contains(t, h.stdout.String(), "Data dir:    "+h.got.DataDir+"\n")
	})
	t.Run("same path twice", func(t *testing.T) {
		h := newHarness(t)
		dir := t.TempDir()
		require.Equal(t, 0, h.run(startDev("--data-dir", dir, "--db-filename", dir+"/")...), h.stderr.String())
		require.Equal(t, dir, h.got.DataDir)
	})
	t.Run("existing directory", func(t *testing.T) {
		h := newHarness(t)
		dir := t.TempDir()
		require.Equal(t, 0, h.run(startDev("-f", dir)...), h.stderr.String())
		require.Equal(t, dir, h.got.DataDir)
	})
}

// TestStartDevBadFlags checks that each bad flag is refused with exit code 2
// and an error naming it.
func TestStartDevBadFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.db")
	require.NoError(t, os.WriteFile(file, []byte("SQLite format 3"), 0o600))

	for _, tc := range []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{"port zero", []string{"--port", "0"}, []string{"--port 0"}},
		{"port too big", []string{"--port", "70000"}, []string{"--port 70000"}},
		{"port not a number", []string{"--port", "x"}, []string{`"x"`, "--port"}},
		{"ip", []string{"--ip", "not-an-ip"}, []string{`--ip "not-an-ip"`}},
		{"empty namespace", []string{"--namespace", ""}, []string{"--namespace", "empty"}},
		{"namespace with space", []string{"-n", "a b"}, []string{"--namespace", `"a b"`}},
		{"shards zero", []string{"--shards", "0"}, []string{"--shards 0"}},
		{"shards too many", []string{"--shards", "100000"}, []string{"--shards 100000"}},
		{"search attribute without type", []string{"--search-attribute", "Foo"}, []string{`--search-attribute "Foo"`, "NAME=TYPE"}},
		{"search attribute bad type", []string{"--search-attribute", "Foo=Strin"}, []string{
			"--search-attribute Foo=Strin", `"Strin"`, "Text, Keyword, Int, Double, Bool, Datetime, KeywordList",
		}},
		{"search attribute unspecified", []string{"--search-attribute", "Foo=Unspecified"}, []string{"--search-attribute", `"Unspecified"`}},
		{"search attribute no name", []string{"--search-attribute", "=Text"}, []string{"--search-attribute", "name must not be empty"}},
		{"search attribute two types", []string{"--search-attribute", "Foo=Text", "--search-attribute", "Foo=Int"}, []string{"--search-attribute Foo", "different types"}},
		{"dynamic config without value", []string{"--dynamic-config-value", "frontend.x"}, []string{`--dynamic-config-value "frontend.x"`, "KEY=VALUE"}},
		{"dynamic config without key", []string{"--dynamic-config-value", "=1"}, []string{"--dynamic-config-value", "key must not be empty"}},
		{"log level", []string{"--log-level", "verbose"}, []string{"--log-level", `"verbose"`, "debug, info, warn, error, never"}},
		{"log format", []string{"--log-format", "xml"}, []string{"--log-format", `"xml"`, "text, json"}},
		{"metrics port negative", []string{"--metrics-port", "-1"}, []string{"--metrics-port -1"}},
		{"metrics port is frontend port", []string{"--metrics-port", "7233"}, []string{"--metrics-port 7233", "--port"}},
		{"pprof without metrics", []string{"--pprof"}, []string{"--pprof", "--metrics-port"}},
		{"db-filename is a file", []string{"--db-filename", file}, []string{"--db-filename " + file, "not a directory"}},
		{"data-dir is a file", []string{"--data-dir", file}, []string{"--data-dir " + file, "not a directory"}},
		{"data-dir and db-filename disagree", []string{"--data-dir", "/a", "--db-filename", "/b"}, []string{"--db-filename /b", "--data-dir /a"}},
		{"unknown flag", []string{"--bogus"}, []string{"unknown flag: --bogus"}},
		{"positional argument", []string{"extra"}, []string{`unknown command "extra"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			code := h.run(startDev(tc.args...)...)
			require.Equal(t, 2, code, "stderr: %s", h.stderr.String())
			require.Nil(t, h.got, "the server must not start")
			for _, w := range tc.want {
				require.Contains(t, h.stderr.String(), w)
			}
			require.Contains(t, h.stderr.String(), "Run 'meridian server start-dev --help' for usage.")
		})
	}
}

func TestStartDevStops(t *testing.T) {
	t.Run("canceled by a signal is a clean exit", func(t *testing.T) {
		h := newHarness(t)
		h.runDev = func(ctx context.Context, _ server.DevConfig, _ *zap.Logger) error {
			<-ctx.Done()
			return ctx.Err()
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.Equal(t, 0, h.app.Run(ctx, startDev("--headless")), h.stderr.String())
		require.Contains(t, h.logs.String(), "dev server stopped")
	})
	t.Run("failure", func(t *testing.T) {
		h := newHarness(t)
		h.runDev = func(context.Context, server.DevConfig, *zap.Logger) error {
			return errors.New("open store: locked")
		}
		require.Equal(t, 1, h.run(startDev()...))
		require.Equal(t, "meridian: open store: locked\n", h.stderr.String())
	})
}

func TestStartDevMetricsAndLogConfig(t *testing.T) {
	h := newHarness(t)
	code := h.run(startDev("--metrics-port", "9090", "--pprof", "--log-config", "--log-format", "json", "--headless")...)
	require.Equal(t, 0, code, h.stderr.String())
	require.Equal(t, "127.0.0.1:9090", h.got.MetricsAddress())
	require.True(t, h.got.Pprof)
	require.Contains(t, h.stdout.String(), "Metrics:     http://127.0.0.1:9090/metrics, pprof at http://127.0.0.1:9090/debug/pprof/")
	require.Contains(t, h.logs.String(), `"msg":"dev server config"`)
}

func TestVersion(t *testing.T) {
	h := newHarness(t)
	require.Equal(t, 0, h.run("version"))
	require.True(t, strings.HasPrefix(h.stdout.String(), "meridian dev ("), h.stdout.String())

	h = newHarness(t)
	require.Equal(t, 0, h.run("version", "-o", "json"))
	require.Contains(t, h.stdout.String(), `"version": "dev"`)

	h = newHarness(t)
	require.Equal(t, 2, h.run("version", "-o", "yaml"))
	require.Contains(t, h.stderr.String(), `--output "yaml"`)
}
