package server

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meridian-dev/meridian/ring"
)

// Service roles `meridian server start --services` selects.
const (
	ServiceFrontend = "frontend"
	ServiceHistory  = "history"
	ServiceMatching = "matching"
	// ServiceWorker is the system worker (services/worker): schedules. It
	// talks to the region through a frontend.
	ServiceWorker = "worker"
)

// AllServices is the default of --services.
var AllServices = []string{ServiceFrontend, ServiceHistory, ServiceMatching, ServiceWorker}

// ParseServices parses --services: a comma-separated subset of
// AllServices, in any order, without duplicates.
func ParseServices(s string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(AllServices, name) {
			return nil, fmt.Errorf("--services: %q is not a service: want some of %s", name, strings.Join(AllServices, ","))
		}
		if slices.Contains(out, name) {
			return nil, fmt.Errorf("--services: %q is listed twice", name)
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--services: empty: want some of %s", strings.Join(AllServices, ","))
	}
	return out, nil
}

// MembershipConfig places this process in a region of many hosts: it joins
// the region's gossip ring and serves history and matching to the other
// hosts over gRPC on RPCAddress.
type MembershipConfig struct {
	// NodeName is this host's unique name in the ring and in shard records.
	// Default: the host name.
	NodeName string
	// BindAddress is the gossip host:port (TCP and UDP). Required.
	BindAddress string
	// AdvertiseAddress is the gossip host:port other nodes reach this one
	// on, when it is not BindAddress (NAT, 0.0.0.0). Default BindAddress.
	AdvertiseAddress string
	// Seeds are gossip host:ports of other nodes; an empty list, or only
	// this node, starts a new ring.
	Seeds []string
	// RPCAddress is the host:port of the internal gRPC server (history,
	// matching), advertised in the ring: it must be reachable by the other
	// hosts. Required.
	RPCAddress string
	// JoinTimeout bounds joining the seeds at start; when none answers in
	// time the node starts a ring of its own, which the others join when
	// they start (their seeds name it). Default DefaultJoinTimeout.
	JoinTimeout time.Duration
}

// DefaultJoinTimeout is MembershipConfig.JoinTimeout's default.
const DefaultJoinTimeout = 10 * time.Second

// Validate names the first bad key of the config file's membership section.
func (c *MembershipConfig) Validate() error {
	if _, _, err := splitIPPort(c.BindAddress); err != nil {
		return fmt.Errorf("membership.bind_address %q: %w", c.BindAddress, err)
	}
	if c.AdvertiseAddress != "" {
		if _, _, err := splitIPPort(c.AdvertiseAddress); err != nil {
			return fmt.Errorf("membership.advertise_address %q: %w", c.AdvertiseAddress, err)
		}
	}
	for i, s := range c.Seeds {
		if err := hostPort(s); err != nil {
			return fmt.Errorf("membership.seeds[%d] %q: %w", i, s, err)
		}
	}
	if c.RPCAddress == "" {
		return errors.New("membership.rpc_address: required (host:port of the internal gRPC server)")
	}
	if err := hostPort(c.RPCAddress); err != nil {
		return fmt.Errorf("membership.rpc_address %q: %w", c.RPCAddress, err)
	}
	if c.RPCAddress == c.BindAddress {
		return fmt.Errorf("membership.rpc_address %q: the gossip bind_address uses it", c.RPCAddress)
	}
	if c.JoinTimeout < 0 {
		return fmt.Errorf("membership.join_timeout %v: must not be negative", c.JoinTimeout)
	}
	if err := c.ringConfig("active", nil, "").Validate(); err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	return nil
}

// ringConfig is the ring.Config of a node serving services (history and
// matching on RPCAddress, the frontend on frontendAddr).
func (c *MembershipConfig) ringConfig(cluster string, services []string, frontendAddr string) ring.Config {
	rc := ring.DefaultConfig()
	if c.NodeName != "" {
		rc.NodeName = c.NodeName
	}
	rc.ClusterName = cluster
	rc.BindAddr, rc.BindPort, _ = splitIPPort(c.BindAddress)
	if c.AdvertiseAddress != "" {
		rc.AdvertiseAddr, rc.AdvertisePort, _ = splitIPPort(c.AdvertiseAddress)
	}
	rc.Seeds = c.Seeds
	rc.RPCAddresses = map[string]string{}
	for _, s := range services {
		switch s {
		case ServiceHistory, ServiceMatching:
			rc.Roles = append(rc.Roles, s)
			rc.RPCAddresses[s] = c.RPCAddress
		case ServiceFrontend:
			rc.Roles = append(rc.Roles, s)
			rc.RPCAddresses[s] = frontendAddr
		}
	}
	return rc
}

func hostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port: %w", err)
	}
	if host == "" {
		return errors.New("want host:port: the host is missing")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("want host:port: port %q is not 1 to 65535", port)
	}
	return nil
}

// splitIPPort splits an IP:port; memberlist binds to IPs, not names.
func splitIPPort(s string) (string, int, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("want ip:port: %w", err)
	}
	if net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("want ip:port: %q is not an IP address", host)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("want ip:port: port %q is not 0 to 65535", port)
	}
	return host, p, nil
}
