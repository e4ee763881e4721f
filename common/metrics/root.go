package metrics

import (
	"fmt"
	"io"
	"net/http"
	"time"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.uber.org/zap"
)

// DefaultReportInterval is how often counters, gauges and histograms are
// pushed from tally into the Prometheus registry (timers report at once).
// One second keeps a scrape at most a second behind.
const DefaultReportInterval = time.Second

// RootConfig configures NewRoot. The zero value means DefaultRootConfig.
type RootConfig struct {
	// Prefix is prepended to every metric name, joined with "_".
	// Empty (the default) means no prefix.
	Prefix string
	// Tags are added to every metric, e.g. {"cluster": "us-east"}.
	// Default none.
	Tags map[string]string
	// ReportInterval is how often tally flushes to Prometheus. Zero means
	// DefaultReportInterval.
	ReportInterval time.Duration
	// ProcessMetrics adds the Go runtime and process collectors
	// (go_*, process_*) to the registry. Default false; servers turn it on.
	ProcessMetrics bool
}

// DefaultRootConfig has no prefix, no tags and a one-second report
// interval.
func DefaultRootConfig() RootConfig {
	return RootConfig{ReportInterval: DefaultReportInterval}
}

// Validate returns an error naming the first bad field.
func (c RootConfig) Validate() error {
	if c.ReportInterval < 0 {
		return fmt.Errorf("metrics: ReportInterval must not be negative, got %v", c.ReportInterval)
	}
	return nil
}

// Root is a tally root scope reporting into a private Prometheus registry.
type Root struct {
	scope   tally.Scope
	closer  io.Closer
	handler http.Handler
}

// NewRoot creates the root scope. logger receives metric registration
// errors. Close it to stop the report loop.
func NewRoot(cfg RootConfig, logger *zap.Logger) (*Root, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ReportInterval == 0 {
		cfg.ReportInterval = DefaultReportInterval
	}
	registry := promclient.NewRegistry()
	if cfg.ProcessMetrics {
		if err := registry.Register(collectors.NewGoCollector()); err != nil {
			return nil, fmt.Errorf("metrics: register go collector: %w", err)
		}
		if err := registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
			return nil, fmt.Errorf("metrics: register process collector: %w", err)
		}
	}

	regErrors := promclient.NewCounter(promclient.CounterOpts{
		Name: registrationErrors,
		Help: "Metrics that could not be registered with Prometheus (a name reused with different tag keys).",
	})
	if err := registry.Register(regErrors); err != nil {
		return nil, fmt.Errorf("metrics: register %s: %w", registrationErrors, err)
	}

	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       registry,
		Gatherer:         registry,
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError: func(err error) {
			regErrors.Inc()
			logger.Error("metric registration failed", zap.Error(err))
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		Prefix:          cfg.Prefix,
		Tags:            cfg.Tags,
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &tallyprom.DefaultSanitizerOpts,
		// Cardinality metrics are tally's own bookkeeping, not ours.
		OmitCardinalityMetrics: true,
	}, cfg.ReportInterval)

	return &Root{scope: scope, closer: closer, handler: reporter.HTTPHandler()}, nil
}

// Scope is the root scope; pass it (or SubScope/Tagged children) to
// components.
func (r *Root) Scope() tally.Scope { return r.scope }

// Handler serves the Prometheus text exposition of this root's registry.
func (r *Root) Handler() http.Handler { return r.handler }

// Close flushes pending values into the registry and stops the report loop.
// Handler keeps serving the last values.
func (r *Root) Close() error {
	if err := r.closer.Close(); err != nil {
		return fmt.Errorf("metrics: close root scope: %w", err)
	}
	return nil
}
