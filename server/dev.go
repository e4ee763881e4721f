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
	r, err := StartDev(ctx, cfg, logger)
	if err != nil {
		return err
	}
	return serve(ctx, r)
}

// RunFile runs the region a config file describes (`meridian server start
// --config FILE`) until ctx ends.
func RunFile(ctx context.Context, fc *FileConfig, logger *zap.Logger) error {
	rc, err := fc.Region()
	if err != nil {
		return err
	}
	r, err := Start(ctx, rc, fc.Opener(logger), logger)
	if err != nil {
		return err
	}
	return serve(ctx, r)
}

// serve waits until ctx ends or the frontend stops serving, then stops r.
func serve(ctx context.Context, r *Region) error {
	var err error
	select {
	case <-ctx.Done():
	case err = <-r.Served():
		if err != nil {
			err = fmt.Errorf("frontend stopped serving: %w", err)
		}
	}
	r.Stop()
	return err
}
