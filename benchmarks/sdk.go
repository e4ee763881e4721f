package benchmarks

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// Names the SDK worker registers.
const (
	sdkActivitiesWorkflow = "BenchActivities"
	sdkSignalsWorkflow    = "BenchSignals"
	sdkTimerWorkflow      = "BenchTimer"
	sdkChildrenWorkflow   = "BenchChildren"
	sdkChildWorkflow      = "BenchChild"
	sdkNoopActivity       = "BenchNoop"
	// sdkSignal is the signal the signals scenario waits for.
	sdkSignal = "bench"
)

// scenarioParams is the SDK workflows' input. Runs counts the runs left,
// this one included.
type scenarioParams struct {
	Activities int           `json:"activities"`
	Signals    int           `json:"signals"`
	Timer      time.Duration `json:"timer"`
	Children   int           `json:"children"`
	Runs       int           `json:"runs"`
}

// benchActivities runs the chain of no-op activities.
func benchActivities(ctx workflow.Context, p scenarioParams) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: leanActivityTimeout})
	for range p.Activities {
		if err := workflow.ExecuteActivity(ctx, sdkNoopActivity).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nextRun(ctx, sdkActivitiesWorkflow, p)
}

// benchSignals returns once it has received p.Signals signals.
func benchSignals(ctx workflow.Context, p scenarioParams) error {
	ch := workflow.GetSignalChannel(ctx, sdkSignal)
	for range p.Signals {
		ch.Receive(ctx, nil)
	}
	return nil
}

// benchTimer sleeps p.Timer.
func benchTimer(ctx workflow.Context, p scenarioParams) error {
	if err := workflow.Sleep(ctx, p.Timer); err != nil {
		return err
	}
	return nextRun(ctx, sdkTimerWorkflow, p)
}

// benchChildren starts p.Children children at once and waits for them all.
func benchChildren(ctx workflow.Context, p scenarioParams) error {
	futures := make([]workflow.ChildWorkflowFuture, p.Children)
	for i := range futures {
		futures[i] = workflow.ExecuteChildWorkflow(ctx, sdkChildWorkflow)
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nextRun(ctx, sdkChildrenWorkflow, p)
}

// benchChild returns at once.
func benchChild(workflow.Context) error { return nil }

// benchNoop is the no-op activity.
func benchNoop(context.Context) error { return nil }

// nextRun continues as new while runs are left.
func nextRun(ctx workflow.Context, name string, p scenarioParams) error {
	if p.Runs > 1 {
		p.Runs--
		return workflow.NewContinueAsNewError(ctx, name, p)
	}
	return nil
}

// sdkWorkflowType is the registered workflow of a scenario.
func sdkWorkflowType(s Scenario) string {
	switch s {
	case ScenarioSignals:
		return sdkSignalsWorkflow
	case ScenarioTimer:
		return sdkTimerWorkflow
	case ScenarioChildren:
		return sdkChildrenWorkflow
	default:
		return sdkActivitiesWorkflow
	}
}

// sdkRunner is the SDK client starting workflows and the SDK worker
// hosting them.
type sdkRunner struct {
	cfg       Config
	c         client.Client
	w         worker.Worker
	taskQueue string
	params    scenarioParams
}

// newSDKRunner connects an SDK client whose gRPC calls feed rec the
// schedule-to-start times of the tasks its worker polls, and creates a
// worker for every bench workflow on taskQueue.
func newSDKRunner(ctx context.Context, cfg Config, address string, tlsCfg *tls.Config, rec *recorder, logger *zap.Logger, taskQueue string) (*sdkRunner, error) {
	observe := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if err == nil {
			rec.observe(reply)
		}
		return err
	}
	host, _ := os.Hostname()
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  address,
		Namespace: cfg.Namespace,
		Identity:  fmt.Sprintf("meridian-bench-sdk@%s@%d", host, os.Getpid()),
		Logger:    sdkLogger{s: logger.Sugar()},
		ConnectionOptions: client.ConnectionOptions{
			TLS:         tlsCfg,
			DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(observe)},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("connect the SDK client to %s: %w", address, err)
	}
	w := worker.New(c, taskQueue, worker.Options{
		MaxConcurrentWorkflowTaskPollers: cfg.WorkflowPollers,
		MaxConcurrentActivityTaskPollers: cfg.ActivityPollers,
		DisableEagerActivities:           cfg.DisableEagerActivities,
	})
	w.RegisterWorkflowWithOptions(benchActivities, workflow.RegisterOptions{Name: sdkActivitiesWorkflow})
	w.RegisterWorkflowWithOptions(benchSignals, workflow.RegisterOptions{Name: sdkSignalsWorkflow})
	w.RegisterWorkflowWithOptions(benchTimer, workflow.RegisterOptions{Name: sdkTimerWorkflow})
	w.RegisterWorkflowWithOptions(benchChildren, workflow.RegisterOptions{Name: sdkChildrenWorkflow})
	w.RegisterWorkflowWithOptions(benchChild, workflow.RegisterOptions{Name: sdkChildWorkflow})
	w.RegisterActivityWithOptions(benchNoop, activity.RegisterOptions{Name: sdkNoopActivity})
	return &sdkRunner{
		cfg: cfg, c: c, w: w, taskQueue: taskQueue,
		params: scenarioParams{
			Activities: cfg.Activities, Signals: cfg.Signals, Timer: cfg.Timer, Children: cfg.Children, Runs: cfg.Runs,
		},
	}, nil
}

func (s *sdkRunner) run() error {
	if err := s.w.Start(); err != nil {
		return fmt.Errorf("start the SDK worker: %w", err)
	}
	return nil
}

// stop stops the worker and closes the client.
func (s *sdkRunner) stop() {
	s.w.Stop()
	s.c.Close()
}

// start starts a workflow with the SDK client; its wait sends the signals
// scenario's signals, then waits for the result (following any
// continue-as-new).
func (s *sdkRunner) start(ctx context.Context, id string) (func(context.Context) error, error) {
	run, err := s.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: s.taskQueue, EnableEagerStart: s.cfg.EagerStart},
		sdkWorkflowType(s.cfg.Scenario), s.params)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		if s.cfg.Scenario == ScenarioSignals {
			for range s.cfg.Signals {
				if err := s.c.SignalWorkflow(ctx, id, run.GetRunID(), sdkSignal, nil); err != nil {
					return err
				}
			}
		}
		return run.Get(ctx, nil)
	}, nil
}

// sdkLogger adapts zap to the SDK's logger. The SDK logs every worker
// start and stop at info; the bench passes a logger at warn by default.
type sdkLogger struct{ s *zap.SugaredLogger }

var _ sdklog.Logger = sdkLogger{}

func (l sdkLogger) Debug(msg string, kv ...any) { l.s.Debugw(msg, kv...) }
func (l sdkLogger) Info(msg string, kv ...any)  { l.s.Infow(msg, kv...) }
func (l sdkLogger) Warn(msg string, kv ...any)  { l.s.Warnw(msg, kv...) }
func (l sdkLogger) Error(msg string, kv ...any) { l.s.Errorw(msg, kv...) }
