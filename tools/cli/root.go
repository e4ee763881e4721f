package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/meridian-dev/meridian/common/log"
	"github.com/meridian-dev/meridian/server"
)

// Exit codes of Main.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// App holds what commands need from the outside world. Tests replace any of
// it; NewApp fills in the real process environment.
type App struct {
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable.
	Getenv func(string) string
	// UserHomeDir returns the user's home directory.
	UserHomeDir func() (string, error)
	// RunDev runs the dev server until ctx ends.
	RunDev func(ctx context.Context, cfg server.DevConfig, logger *zap.Logger) error
	// RunFile runs the region a config file describes until ctx ends.
	RunFile func(ctx context.Context, fc *server.FileConfig, logger *zap.Logger) error
	// LogOutput is where loggers write; nil means standard error.
	LogOutput zapcore.WriteSyncer

	// logConfig is set from the persistent --log-level and --log-format.
	logConfig log.Config
}

// NewApp returns an App for the real process, writing to stdout and stderr.
func NewApp(stdout, stderr io.Writer) *App {
	return &App{
		Stdout:      stdout,
		Stderr:      stderr,
		Getenv:      os.Getenv,
		UserHomeDir: os.UserHomeDir,
		RunDev:      server.RunDev,
		RunFile:     server.RunFile,
	}
}

// Main runs the meridian command line with args (without the program name)
// and returns the process exit code: 0 on success, 2 for a usage error, 1
// for any other failure. Canceling ctx (Ctrl-C) stops a running command.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return NewApp(stdout, stderr).Run(ctx, args)
}

// Run executes args and returns the exit code, printing any error to
// a.Stderr.
func (a *App) Run(ctx context.Context, args []string) int {
	root := a.NewRootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "meridian: ") {
		msg = "meridian: " + msg
	}
	code := exitError
	var ue usageError
	if errors.As(err, &ue) {
		msg += fmt.Sprintf("\nRun '%s --help' for usage.", ue.cmd)
		code = exitUsage
	}
	// Nothing is left to report a failure to print an error to.
	_, _ = fmt.Fprintln(a.Stderr, msg)
	return code
}

// usageError marks a bad command line, as opposed to a failed operation.
type usageError struct {
	cmd string
	err error
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// NewRootCommand builds the command tree.
func (a *App) NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "meridian",
		Short: "Meridian durable-execution server and operator tool",
		Long: "Meridian is a durable-execution server that speaks Temporal's public gRPC API,\n" +
			"so the official Temporal SDKs run their workers and clients against it unchanged.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{cmd: c.CommandPath(), err: err}
	})
	a.addLogFlags(root.PersistentFlags())

	root.AddCommand(
		a.newServerCommand(),
		a.newNamespaceCommand(),
		a.newWorkflowCommand(),
		a.newScheduleCommand(),
		a.newSchemaCommand(),
		a.newClusterCommand(),
		a.newVersionCommand(),
		a.newBenchCommand(),
	)
	return root
}

// addLogFlags registers --log-level and --log-format.
func (a *App) addLogFlags(fs *pflag.FlagSet) {
	a.logConfig = log.DefaultConfig()
	fs.StringVar(&a.logConfig.Level, "log-level", a.logConfig.Level,
		"log level: debug, info, warn, error, or never")
	fs.StringVar(&a.logConfig.Format, "log-format", a.logConfig.Format,
		"log format: text (alias pretty) or json")
}

// newLogger builds the logger from the log flags; its errors name the flag.
func (a *App) newLogger() (*zap.Logger, error) {
	if _, _, err := log.ParseLevel(a.logConfig.Level); err != nil {
		return nil, usageError{cmd: "meridian", err: fmt.Errorf("--log-level: %w", err)}
	}
	if _, err := log.ParseFormat(a.logConfig.Format); err != nil {
		return nil, usageError{cmd: "meridian", err: fmt.Errorf("--log-format: %w", err)}
	}
	return log.New(a.logConfig, a.LogOutput)
}

// noArgs rejects positional arguments as a usage error.
func noArgs(c *cobra.Command, args []string) error {
	if err := cobra.NoArgs(c, args); err != nil {
		return usage(c, err)
	}
	return nil
}

// maxOneArg accepts at most one positional argument.
func maxOneArg(c *cobra.Command, args []string) error {
	if err := cobra.MaximumNArgs(1)(c, args); err != nil {
		return usage(c, err)
	}
	return nil
}

// usage wraps a command-line validation error so Run exits with 2.
func usage(c *cobra.Command, err error) error {
	return usageError{cmd: c.CommandPath(), err: err}
}
