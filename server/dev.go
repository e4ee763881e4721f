package server

import (
	"context"
	"errors"

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
	return errors.New("meridian: dev server not built in this binary")
}
