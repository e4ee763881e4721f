package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/sdkzap"
)

// DefaultAddress is the frontend that operator commands talk to by default,
// the address `server start-dev` listens on.
const DefaultAddress = "127.0.0.1:7233"

// clientFlags are the connection flags shared by operator commands.
type clientFlags struct {
	address string
	timeout time.Duration
	output  outputFlag
}

func (f *clientFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.address, "address", DefaultAddress, "frontend host:port")
	fs.DurationVar(&f.timeout, "command-timeout", 0, "give up after this long (0 = no limit)")
	f.output.register(fs)
}

func (f *clientFlags) validate() error {
	if f.address == "" {
		return fmt.Errorf("--address: want host:port")
	}
	if f.timeout < 0 {
		return fmt.Errorf("--command-timeout %v: must not be negative", f.timeout)
	}
	return f.output.validate()
}

// clientSession is what an operator command runs with: a context bounded
// by --command-timeout, SDK client options and a logger.
type clientSession struct {
	ctx    context.Context
	opts   client.Options
	logger *zap.Logger
	out    *outputFlag
}

// session validates the client flags and prepares a session for
// namespace; call the returned func when done.
func (a *App) session(c *cobra.Command, f *clientFlags, namespace string) (*clientSession, func(), error) {
	if err := f.validate(); err != nil {
		return nil, nil, usage(c, err)
	}
	logger, err := a.newLogger()
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := c.Context(), context.CancelFunc(func() {})
	if f.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
	}
	host, _ := os.Hostname()
	s := &clientSession{
		ctx: ctx,
		opts: client.Options{
			HostPort:  f.address,
			Namespace: namespace,
			Identity:  fmt.Sprintf("meridian-cli@%s@%d", host, os.Getpid()),
			Logger:    sdkzap.New(logger),
		},
		logger: logger,
		out:    &f.output,
	}
	return s, func() {
		cancel()
		_ = logger.Sync()
	}, nil
}

// dial connects a full SDK client (it checks the server with
// GetSystemInfo).
func (s *clientSession) dial() (client.Client, error) {
	cl, err := client.DialContext(s.ctx, s.opts)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.opts.HostPort, err)
	}
	return cl, nil
}

// namespaceClient connects the SDK's namespace client.
func (s *clientSession) namespaceClient() (client.NamespaceClient, error) {
	nc, err := client.NewNamespaceClient(s.opts)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.opts.HostPort, err)
	}
	return nc, nil
}
