package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/server"
)

func (a *App) newServerCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "server",
		Short: "Run Meridian server processes",
	}
	c.AddCommand(a.newStartDevCommand(), a.newStartCommand())
	return c
}

// devFlags are the raw flag values of `server start-dev`. Besides
// Meridian's own flags it accepts every flag SDK test harnesses pass to
// `temporal server start-dev`, so those harnesses can launch Meridian.
type devFlags struct {
	ip            string
	port          int
	namespaces    []string
	dbFilename    string
	dataDir       string
	shards        int32
	searchAttrs   []string
	dynamicConfig []string
	metricsPort   int
	pprof         bool
	logServerConf bool

	// Accepted for compatibility; Meridian serves no web UI, HTTP API or
	// SQLite database.
	headless        bool
	uiPort          int
	uiIP            string
	uiAssetPath     string
	uiCodecEndpoint string
	uiPublicPath    string
	httpPort        int
	sqlitePragmas   []string
}

func (f *devFlags) register(fs *pflag.FlagSet) {
	def := server.DefaultDevConfig()
	fs.StringVar(&f.ip, "ip", def.IP, "IP address the frontend (and metrics endpoint) bind to")
	fs.IntVarP(&f.port, "port", "p", def.Port, "frontend gRPC port")
	fs.StringArrayVarP(&f.namespaces, "namespace", "n", nil,
		`namespace to register at start (repeatable); "default" is always registered`)
	fs.StringVar(&f.dataDir, "data-dir", "",
		"data directory of the embedded store (default: a new temporary directory, removed on exit)")
	fs.StringVarP(&f.dbFilename, "db-filename", "f", "",
		"alias of --data-dir for Temporal compatibility: the path is used as a directory")
	fs.Int32Var(&f.shards, "shards", def.NumShards, "history shard count; fixed when the data directory is created")
	fs.StringArrayVar(&f.searchAttrs, "search-attribute", nil,
		"custom search attribute NAME=TYPE to register (repeatable); TYPE is one of "+
			strings.Join(server.SearchAttributeTypeNames(), ", "))
	fs.StringArrayVar(&f.dynamicConfig, "dynamic-config-value", nil,
		"dynamic config KEY=VALUE (repeatable); accepted for Temporal compatibility, unknown keys are ignored")
	fs.IntVar(&f.metricsPort, "metrics-port", 0, "serve Prometheus /metrics on --ip at this port (0 = off)")
	fs.BoolVar(&f.pprof, "pprof", false, "also serve /debug/pprof/ on the metrics port (needs --metrics-port)")
	fs.BoolVar(&f.logServerConf, "log-config", false, "log the resolved server configuration at start")

	fs.BoolVar(&f.headless, "headless", false, "disable the web UI (Meridian serves none; accepted for compatibility)")
	fs.IntVar(&f.uiPort, "ui-port", 0, "web UI port (ignored: Meridian serves no web UI)")
	fs.StringVar(&f.uiIP, "ui-ip", "", "web UI address (ignored: Meridian serves no web UI)")
	fs.StringVar(&f.uiAssetPath, "ui-asset-path", "", "web UI assets path (ignored)")
	fs.StringVar(&f.uiCodecEndpoint, "ui-codec-endpoint", "", "web UI codec endpoint (ignored)")
	fs.StringVar(&f.uiPublicPath, "ui-public-path", "", "web UI public path (ignored)")
	fs.IntVar(&f.httpPort, "http-port", 0, "frontend HTTP API port (ignored: Meridian serves gRPC only)")
	fs.StringArrayVar(&f.sqlitePragmas, "sqlite-pragma", nil, "SQLite pragma (ignored: Meridian uses no SQLite)")
}

func (a *App) newStartDevCommand() *cobra.Command {
	f := &devFlags{}
	c := &cobra.Command{
		Use:   "start-dev",
		Short: "Run every service in one process on the embedded store",
		Long: "start-dev runs a complete single-region Meridian (frontend, history, matching and\n" +
			"worker) in this process, storing data durably in a local directory. It accepts the\n" +
			"flags SDK test harnesses pass to `temporal server start-dev`.\n\n" +
			"Ctrl-C or SIGTERM stops it cleanly.",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.runStartDev(c, f)
		},
	}
	f.register(c.Flags())
	return c
}

// devConfig turns flag values into a validated DevConfig. It reports
// whether the data directory is the default one. Errors name the flag.
func (a *App) devConfig(f *devFlags) (cfg server.DevConfig, defaultDir bool, err error) {
	cfg = server.DefaultDevConfig()
	cfg.IP = f.ip
	cfg.Port = f.port
	cfg.NumShards = f.shards
	cfg.MetricsPort = f.metricsPort
	cfg.Pprof = f.pprof
	cfg.Log = a.logConfig

	seen := map[string]bool{server.DefaultNamespace: true}
	for _, ns := range f.namespaces {
		if !seen[ns] {
			seen[ns] = true
			cfg.Namespaces = append(cfg.Namespaces, ns)
		}
	}

	for _, kv := range f.searchAttrs {
		name, typ, ok := strings.Cut(kv, "=")
		if !ok {
			return cfg, false, fmt.Errorf("--search-attribute %q: want NAME=TYPE, TYPE one of %s",
				kv, strings.Join(server.SearchAttributeTypeNames(), ", "))
		}
		t, err := server.ParseSearchAttributeType(typ)
		if err != nil {
			return cfg, false, fmt.Errorf("--search-attribute %s: %w", kv, err)
		}
		cfg.SearchAttributes = append(cfg.SearchAttributes, server.SearchAttribute{Name: name, Type: t})
	}

	for _, kv := range f.dynamicConfig {
		key, value, ok := strings.Cut(kv, "=")
		if !ok {
			return cfg, false, fmt.Errorf("--dynamic-config-value %q: want KEY=VALUE", kv)
		}
		if cfg.DynamicConfig == nil {
			cfg.DynamicConfig = make(map[string]string)
		}
		cfg.DynamicConfig[strings.TrimSpace(key)] = value
	}

	flag, dir := "--data-dir", f.dataDir
	switch {
	case f.dataDir != "" && f.dbFilename != "" && filepath.Clean(f.dataDir) != filepath.Clean(f.dbFilename):
		return cfg, false, fmt.Errorf("--db-filename %s and --data-dir %s disagree: pass one of them", f.dbFilename, f.dataDir)
	case f.dataDir == "" && f.dbFilename != "":
		flag, dir = "--db-filename", f.dbFilename
	case dir == "":
		// Like Temporal's in-memory default: each server without a data
		// flag gets its own throwaway store, so harnesses that start
		// several never share one.
		// Directories of servers killed without cleanup (SDK harnesses
		// stop them with SIGKILL) are swept first.
		sweepStaleDevDirs(os.TempDir(), time.Now())
		if dir, err = os.MkdirTemp("", devTempPrefix); err != nil {
			return cfg, false, fmt.Errorf("--data-dir: create a temporary data directory: %w", err)
		}
		defaultDir = true
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return cfg, false, fmt.Errorf("%s: %w", flag, err)
	}
	if err := checkDataDir(flag, dir); err != nil {
		return cfg, false, err
	}
	cfg.DataDir = dir

	if err := cfg.Validate(); err != nil {
		return cfg, false, err
	}
	return cfg, defaultDir, nil
}

func (a *App) runStartDev(c *cobra.Command, f *devFlags) error {
	cfg, defaultDir, err := a.devConfig(f)
	if err != nil {
		return usage(c, err)
	}
	logger, err := a.newLogger()
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	if err := a.printDevBanner(cfg, defaultDir); err != nil {
		// A harness may close our stdout; the server is still wanted.
		logger.Warn("cannot print startup banner", zap.Error(err))
	}
	logger.Info("starting dev server",
		zap.String("frontend", cfg.FrontendAddress()),
		zap.String("data_dir", cfg.DataDir),
		zap.Strings("namespaces", cfg.AllNamespaces()),
		zap.Int32("shards", cfg.NumShards))
	if f.logServerConf {
		logger.Info("dev server config", zap.Any("config", cfg))
	}
	logIgnoredDevFlags(f, cfg, logger)

	if defaultDir {
		defer func() { _ = os.RemoveAll(cfg.DataDir) }()
	}
	ctx := c.Context()
	err = a.RunDev(ctx, cfg, logger)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil // stopped by a signal: a clean exit
	}
	if err == nil {
		logger.Info("dev server stopped")
	}
	return err
}

// printDevBanner tells the user where the server is and where its data
// lives.
func (a *App) printDevBanner(cfg server.DevConfig, defaultDir bool) error {
	dir := cfg.DataDir
	if defaultDir {
		dir += " (temporary, removed on exit; set --data-dir to keep data)"
	}
	metrics := "off (set --metrics-port)"
	if addr := cfg.MetricsAddress(); addr != "" {
		metrics = "http://" + addr + "/metrics"
		if cfg.Pprof {
			metrics += ", pprof at http://" + addr + "/debug/pprof/"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Meridian dev server (version %s)\n", Version())
	fmt.Fprintf(&b, "%-12s %s\n", "Frontend:", cfg.FrontendAddress())
	fmt.Fprintf(&b, "%-12s %s\n", "Namespaces:", strings.Join(cfg.AllNamespaces(), ", "))
	fmt.Fprintf(&b, "%-12s %s\n", "Data dir:", dir)
	fmt.Fprintf(&b, "%-12s %s\n", "Metrics:", metrics)
	_, err := io.WriteString(a.Stdout, b.String())
	return err
}

// logIgnoredDevFlags logs, once each, the Temporal flags Meridian accepts
// but does not act on.
func logIgnoredDevFlags(f *devFlags, cfg server.DevConfig, logger *zap.Logger) {
	if !f.headless {
		logger.Info("web UI is not served by Meridian; UI flags are ignored",
			zap.Int("ui_port", f.uiPort), zap.String("ui_ip", f.uiIP))
	}
	if f.httpPort != 0 {
		logger.Info("HTTP API is not served by Meridian; --http-port is ignored", zap.Int("http_port", f.httpPort))
	}
	for _, p := range f.sqlitePragmas {
		logger.Debug("sqlite pragma ignored", zap.String("pragma", p))
	}
	keys := make([]string, 0, len(cfg.DynamicConfig))
	for k := range cfg.DynamicConfig {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		logger.Debug("dynamic config value ignored", zap.String("key", k), zap.String("value", cfg.DynamicConfig[k]))
	}
}
