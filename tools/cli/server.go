package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/log"
	"github.com/meridian-dev/meridian/server"
)

func (a *App) newStartCommand() *cobra.Command {
	var path string
	c := &cobra.Command{
		Use:   "start",
		Short: "Run a region from a config file (Cassandra or embedded store)",
		Long: "start runs the frontend, history and matching services of one region in this\n" +
			"process, on the store the config file names. deploy/config/cassandra.yaml is a\n" +
			"working sample; create its keyspace first with `meridian schema setup`.\n\n" +
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
	return c
}
