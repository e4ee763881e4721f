package server

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// RunDev runs every service of one region in this process on the embedded
// store in cfg.DataDir: it registers DefaultNamespace and cfg.Namespaces,
// serves the frontend on cfg.FrontendAddress() and, when enabled, metrics
// on cfg.MetricsAddress(), until ctx ends; then it stops the services and
// returns nil. It returns an error if cfg does not validate or a service
// fails to start.
func RunDev(ctx context.Context, cfg DevConfig, logger *zap.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	d, err := StartDev(ctx, cfg, logger)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err = <-d.served:
		if err != nil {
			err = fmt.Errorf("frontend stopped serving: %w", err)
		}
	}
	d.Stop()
	return err
}
