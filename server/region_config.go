package server

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/meridian-dev/meridian/services/history"
	"github.com/meridian-dev/meridian/services/matching"
)

// matchingConfig is the matching configuration c asks for.
func (c Config) matchingConfig() matching.Config {
	if c.Matching != nil {
		return *c.Matching
	}
	return matching.DefaultConfig()
}

// DevClusterName is the region name of a dev server, as in Temporal's.
const DevClusterName = "active"

// DefaultRetention is the retention of namespaces a region registers at start.
const DefaultRetention = 24 * time.Hour

// Failover version defaults: region i owns versions v == initial_i (mod
// increment), so up to 10 regions can replicate to each other.
const (
	DefaultInitialFailoverVersion   = 1
	DefaultFailoverVersionIncrement = 10
)

// Config configures one region running in this process (Start). Zero values
// mean the defaults named on each field.
type Config struct {
	// ClusterName names this region. Default DevClusterName.
	ClusterName string
	// FrontendAddress is the host:port the frontend serves gRPC on. Required.
	FrontendAddress string
	// NumShards is the history shard count, fixed when the cluster is first
	// started. Default DefaultDevShards.
	NumShards int32
	// Namespaces are registered at start when missing. Default
	// [DefaultNamespace].
	Namespaces []string
	// SearchAttributes are registered on every namespace in Namespaces.
	SearchAttributes []SearchAttribute
	// History overrides history.DefaultConfig(); its NumShards is ignored.
	History *history.Config
	// Matching overrides matching.DefaultConfig(), e.g. task-queue
	// partitions. Every host of a region must use the same partition
	// counts. A region of one process serves every queue as one partition.
	Matching *matching.Config
	// MetricsAddress serves /metrics (and /debug/pprof when Pprof) when set.
	MetricsAddress string
	Pprof          bool
	// InitialFailoverVersion and FailoverVersionIncrement are written to
	// cluster metadata on first start. Defaults 1 and 10.
	InitialFailoverVersion   int64
	FailoverVersionIncrement int64
	// Membership, when set, makes this process one host of a region of
	// many (multihost.go); nil runs every service in this process with
	// in-process calls.
	Membership *MembershipConfig
	// Services are the services this process runs (--services). Default
	// AllServices; a subset needs Membership.
	Services []string
}

// runs reports whether the process runs service.
func (c Config) runs(service string) bool {
	return len(c.Services) == 0 || slices.Contains(c.Services, service)
}

func (c Config) withDefaults() Config {
	if c.ClusterName == "" {
		c.ClusterName = DevClusterName
	}
	if c.NumShards == 0 {
		c.NumShards = DefaultDevShards
	}
	if len(c.Namespaces) == 0 {
		c.Namespaces = []string{DefaultNamespace}
	}
	if c.InitialFailoverVersion == 0 {
		c.InitialFailoverVersion = DefaultInitialFailoverVersion
	}
	if c.FailoverVersionIncrement == 0 {
		c.FailoverVersionIncrement = DefaultFailoverVersionIncrement
	}
	return c
}

// Validate returns an error naming the first bad field.
func (c Config) Validate() error {
	c = c.withDefaults()
	if _, _, err := net.SplitHostPort(c.FrontendAddress); err != nil {
		return fmt.Errorf("frontend address %q: want host:port: %w", c.FrontendAddress, err)
	}
	if c.NumShards < 1 || c.NumShards > MaxShards {
		return fmt.Errorf("shards %d: want 1 to %d", c.NumShards, MaxShards)
	}
	for _, ns := range c.Namespaces {
		if err := ValidateNamespaceName(ns); err != nil {
			return fmt.Errorf("namespaces: %w", err)
		}
	}
	if c.MetricsAddress != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddress); err != nil {
			return fmt.Errorf("metrics address %q: want host:port: %w", c.MetricsAddress, err)
		}
	}
	if c.Pprof && c.MetricsAddress == "" {
		return errors.New("pprof: served on the metrics endpoint; set the metrics address too")
	}
	if c.FailoverVersionIncrement < 1 || c.InitialFailoverVersion < 0 || c.InitialFailoverVersion >= c.FailoverVersionIncrement {
		return fmt.Errorf("failover versions: want 0 <= initial (%d) < increment (%d)", c.InitialFailoverVersion, c.FailoverVersionIncrement)
	}
	if c.History != nil {
		if err := c.History.Validate(); err != nil {
			return fmt.Errorf("history: %w", err)
		}
	}
	if c.Matching != nil {
		if err := c.Matching.Validate(); err != nil {
			return fmt.Errorf("matching: %w", err)
		}
	}
	for _, s := range c.Services {
		if !slices.Contains(AllServices, s) {
			return fmt.Errorf("services: %q is not a service: want some of %s", s, strings.Join(AllServices, ","))
		}
	}
	if c.Membership == nil {
		for _, s := range []string{ServiceFrontend, ServiceHistory, ServiceMatching} {
			if !c.runs(s) {
				return fmt.Errorf("services: %s is not selected: running a subset of services needs a membership section", s)
			}
		}
		return nil
	}
	if err := c.Membership.Validate(); err != nil {
		return err
	}
	if _, port, _ := net.SplitHostPort(c.FrontendAddress); c.runs(ServiceFrontend) && port == "0" {
		return fmt.Errorf("frontend address %q: with membership the ring advertises it: want a fixed port", c.FrontendAddress)
	}
	if c.runs(ServiceFrontend) && c.Membership.RPCAddress == c.FrontendAddress {
		return fmt.Errorf("membership.rpc_address %q: the frontend address uses it", c.Membership.RPCAddress)
	}
	return nil
}

// RegionConfig is the region a dev server runs.
func (c DevConfig) RegionConfig() Config {
	return Config{
		ClusterName:      DevClusterName,
		FrontendAddress:  c.FrontendAddress(),
		NumShards:        c.NumShards,
		Namespaces:       c.AllNamespaces(),
		SearchAttributes: c.SearchAttributes,
		History:          c.History,
		MetricsAddress:   c.MetricsAddress(),
		Pprof:            c.Pprof,
	}
}
