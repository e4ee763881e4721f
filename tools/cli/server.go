package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/log"
	"github.com/meridian-dev/meridian/server"
)

func (a *App) newStartCommand() *cobra.Command {
	var path, services string
	c := &cobra.Command{
		Use:   "start",
		Short: "Run a region from a config file (Cassandra or embedded store)",
		Long: "start runs the frontend, history and matching services of one region in this\n" +
			"process, on the store the config file names. deploy/config/cassandra.yaml is a\n" +
			"working sample; create its keyspace first with `meridian schema setup`.\n\n" +
			"With a membership section the process is one host of a region of many: it\n" +
			"joins the gossip ring and serves the services --services selects (see\n" +
			"deploy/config/cluster-node1.yaml and docs/operations.md).\n\n" +
			"Ctrl-C or SIGTERM stops it cleanly.",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if path == "" {
				return usage(c, errors.New("--config: a config file is required"))
			}
			fc, err := server.LoadFileConfig(path)
			if err != nil {
				return usage(c, err)
			}
			if c.Flags().Changed("services") {
				if fc.Services, err = server.ParseServices(services); err != nil {
					return usage(c, err)
				}
				if err := fc.Validate(); err != nil {
					return usage(c, fmt.Errorf("config %s with --services %s: %w", path, services, err))
				}
			}
			lc := fc.LogConfig()
			if c.Flags().Changed("log-level") {
				lc.Level = a.logConfig.Level
			}
			if c.Flags().Changed("log-format") {
				lc.Format = a.logConfig.Format
			}
			logger, err := log.New(lc, a.LogOutput)
			if err != nil {
				return usage(c, err)
			}
			defer func() { _ = logger.Sync() }()
			logger.Info("starting region", zap.String("config", path))
			err = a.RunFile(c.Context(), fc, logger)
			if err != nil && c.Context().Err() != nil && errors.Is(err, context.Canceled) {
				err = nil
			}
			return err
		},
	}
	c.Flags().StringVarP(&path, "config", "c", "", "YAML config file (see deploy/config/)")
	c.Flags().StringVar(&services, "services", strings.Join(server.AllServices, ","),
		"services this process runs, comma-separated; a subset needs the file's membership section (worker does nothing yet)")
	return c
}
