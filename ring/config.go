package ring

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/uber-go/tally/v4"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/common/clock"
)

// ErrMetadataTooLarge is wrapped by Config.Validate (and NewMembership) when
// the node's roles and RPC addresses do not fit memberlist's node metadata
// limit of 512 bytes.
var ErrMetadataTooLarge = errors.New("node metadata exceeds memberlist's limit")

// Config configures a Membership. Zero values mean the DefaultConfig value,
// except where a field says otherwise.
type Config struct {
	// NodeName names this node uniquely within the region; rings hash it, so
	// a node that restarts under the same name gets the same keys back.
	// Empty means the host name.
	NodeName string
	// ClusterName, if set, labels every gossip packet (memberlist's Label):
	// nodes with different names ignore each other, so two regions on one
	// network or one machine never merge. At most 255 bytes. Empty means no
	// label.
	ClusterName string

	// BindAddr is the IP address gossip listens on (TCP and UDP). Empty
	// means 127.0.0.1 (loopback: a single-machine cluster); use 0.0.0.0 or
	// a host IP on a real network.
	BindAddr string
	// BindPort is the gossip port (TCP and UDP). Unlike other fields, 0 is
	// not "default": it lets the OS pick a free port, which LocalNode then
	// reports (tests use it). DefaultConfig sets 7946, memberlist's port.
	BindPort int
	// AdvertiseAddr and AdvertisePort are the gossip address other nodes
	// use to reach this one, when it differs from the bind address (NAT,
	// containers). Empty/0 mean the bind address and port; with BindAddr
	// 0.0.0.0 and no AdvertiseAddr, memberlist picks a private IP.
	AdvertiseAddr string
	AdvertisePort int

	// Seeds are gossip addresses (host:port) of other nodes to join. Empty
	// means this node starts a new cluster on its own. It may list this
	// node's own address; Join skips it.
	Seeds []string

	// Roles are the roles this node serves (frontend, history, matching,
	// worker, controller, or any other name): the node is a member of each
	// role's ring. May be empty (an observer that only reads rings).
	Roles []string
	// RPCAddress is the RPC address (host:port) advertised for every role
	// not listed in RPCAddresses.
	RPCAddress string
	// RPCAddresses maps a role to its RPC address when roles listen on
	// different ports. Each key must be one of Roles.
	RPCAddresses map[string]string

	// Ring selects the placement strategy of every role's ring. All nodes
	// of a region must agree on it.
	Ring RingConfig

	// Debounce is how long membership changes accumulate before rings are
	// rebuilt and subscribers notified: a change arms a timer of this
	// length, and every change that arrives before it fires is delivered in
	// the same event. Default 100ms: long enough to coalesce the burst of
	// joins one push-pull reports, short against failure detection.
	Debounce time.Duration
	// JoinRetryMin and JoinRetryMax bound the exponential backoff between
	// join attempts. Defaults 100ms and 5s.
	JoinRetryMin time.Duration
	JoinRetryMax time.Duration
	// LeaveTimeout bounds how long Leave waits for its leave message to
	// reach another node when the context has no deadline. Default 5s.
	LeaveTimeout time.Duration

	// Failure detection (memberlist's SWIM parameters). The defaults are
	// memberlist's DefaultLocalConfig, tuned for a LAN or one machine: a
	// silent node is suspected after a probe fails and declared dead about
	// SuspicionMult*ProbeInterval*max(1,log10(n)) later (sooner once others
	// confirm).
	//
	// ProbeInterval is the time between probes of a random node. Default 1s.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a probe waits for an ack. Default 200ms.
	ProbeTimeout time.Duration
	// SuspicionMult scales how long a suspect node may refute before it is
	// declared dead. Default 3.
	SuspicionMult int
	// GossipInterval is the time between gossip rounds. Default 100ms.
	GossipInterval time.Duration
	// PushPullInterval is the time between full state syncs with a random
	// node, which heal partitions. Default 15s.
	PushPullInterval time.Duration
	// DeadNodeReclaimTime is how long after a node is declared dead another
	// node may take its name at a different address (a crashed host
	// restarted with a new IP). Default 10s.
	DeadNodeReclaimTime time.Duration

	// Logger receives membership events and memberlist's own log lines.
	// Nil means no logging.
	Logger *zap.Logger
	// Metrics is the scope for the names in metrics.go. Nil means none.
	Metrics tally.Scope
	// Clock schedules debouncing and join retries. Nil means clock.Real().
	// memberlist itself always uses real time.
	Clock clock.Clock
}

// DefaultConfig is a loopback-friendly configuration: memberlist's
// DefaultLocalConfig timings, gossip on 127.0.0.1:7946, the host name as
// node name, no roles.
func DefaultConfig() Config {
	hostname, _ := os.Hostname() // empty on error; Validate then names the field
	return Config{
		NodeName:            hostname,
		BindAddr:            "127.0.0.1",
		BindPort:            7946,
		Ring:                DefaultRingConfig(),
		Debounce:            100 * time.Millisecond,
		JoinRetryMin:        100 * time.Millisecond,
		JoinRetryMax:        5 * time.Second,
		LeaveTimeout:        5 * time.Second,
		ProbeInterval:       time.Second,
		ProbeTimeout:        200 * time.Millisecond,
		SuspicionMult:       3,
		GossipInterval:      100 * time.Millisecond,
		PushPullInterval:    15 * time.Second,
		DeadNodeReclaimTime: 10 * time.Second,
	}
}

// withDefaults fills zero fields (BindPort excepted) from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setString := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	setDuration := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setString(&c.NodeName, d.NodeName)
	setString(&c.BindAddr, d.BindAddr)
	c.Ring = c.Ring.withDefaults()
	setDuration(&c.Debounce, d.Debounce)
	setDuration(&c.JoinRetryMin, d.JoinRetryMin)
	setDuration(&c.JoinRetryMax, d.JoinRetryMax)
	setDuration(&c.LeaveTimeout, d.LeaveTimeout)
	setDuration(&c.ProbeInterval, d.ProbeInterval)
	setDuration(&c.ProbeTimeout, d.ProbeTimeout)
	if c.SuspicionMult == 0 {
		c.SuspicionMult = d.SuspicionMult
	}
	setDuration(&c.GossipInterval, d.GossipInterval)
	setDuration(&c.PushPullInterval, d.PushPullInterval)
	setDuration(&c.DeadNodeReclaimTime, d.DeadNodeReclaimTime)
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Metrics == nil {
		c.Metrics = tally.NoopScope
	}
	if c.Clock == nil {
		c.Clock = clock.Real()
	}
	return c
}

// Validate returns an error naming the first bad field, or nil. Zero values
// are valid (they mean the default).
func (c Config) Validate() error {
	_, err := c.withDefaults().validate()
	return err
}

// validate checks a config with defaults filled in and returns the node
// metadata it advertises.
func (c Config) validate() ([]byte, error) {
	if c.NodeName == "" {
		return nil, errors.New("ring config: NodeName is empty and the host name is unknown")
	}
	if len(c.ClusterName) > memberlist.LabelMaxSize {
		return nil, fmt.Errorf("ring config: ClusterName is %d bytes, at most %d allowed",
			len(c.ClusterName), memberlist.LabelMaxSize)
	}
	if net.ParseIP(c.BindAddr) == nil {
		return nil, fmt.Errorf("ring config: BindAddr %q is not an IP address", c.BindAddr)
	}
	if c.BindPort < 0 || c.BindPort > 65535 {
		return nil, fmt.Errorf("ring config: BindPort must be between 0 and 65535, got %d", c.BindPort)
	}
	if c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil {
		return nil, fmt.Errorf("ring config: AdvertiseAddr %q is not an IP address", c.AdvertiseAddr)
	}
	if c.AdvertisePort < 0 || c.AdvertisePort > 65535 {
		return nil, fmt.Errorf("ring config: AdvertisePort must be between 0 and 65535, got %d", c.AdvertisePort)
	}
	for i, s := range c.Seeds {
		if err := checkHostPort(s); err != nil {
			return nil, fmt.Errorf("ring config: Seeds[%d] %q: %v", i, s, err)
		}
	}
	seen := make(map[string]bool, len(c.Roles))
	for i, role := range c.Roles {
		if role == "" {
			return nil, fmt.Errorf("ring config: Roles[%d] is empty", i)
		}
		if seen[role] {
			return nil, fmt.Errorf("ring config: Roles[%d] %q appears twice", i, role)
		}
		seen[role] = true
		if _, ok := c.RPCAddresses[role]; !ok && c.RPCAddress == "" {
			return nil, fmt.Errorf("ring config: role %q has no RPC address: set RPCAddress or RPCAddresses[%q]", role, role)
		}
	}
	if c.RPCAddress != "" {
		if err := checkHostPort(c.RPCAddress); err != nil {
			return nil, fmt.Errorf("ring config: RPCAddress %q: %v", c.RPCAddress, err)
		}
	}
	for role, addr := range c.RPCAddresses {
		if !seen[role] {
			return nil, fmt.Errorf("ring config: RPCAddresses[%q]: %q is not one of Roles", role, role)
		}
		if err := checkHostPort(addr); err != nil {
			return nil, fmt.Errorf("ring config: RPCAddresses[%q] %q: %v", role, addr, err)
		}
	}
	if err := c.Ring.Validate(); err != nil {
		return nil, err
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"Debounce", c.Debounce}, {"JoinRetryMin", c.JoinRetryMin}, {"JoinRetryMax", c.JoinRetryMax},
		{"LeaveTimeout", c.LeaveTimeout}, {"ProbeInterval", c.ProbeInterval}, {"ProbeTimeout", c.ProbeTimeout},
		{"GossipInterval", c.GossipInterval}, {"PushPullInterval", c.PushPullInterval},
		{"DeadNodeReclaimTime", c.DeadNodeReclaimTime},
	} {
		if d.v < 0 {
			return nil, fmt.Errorf("ring config: %s must not be negative, got %v", d.name, d.v)
		}
	}
	if c.JoinRetryMax < c.JoinRetryMin {
		return nil, fmt.Errorf("ring config: JoinRetryMax (%v) is less than JoinRetryMin (%v)", c.JoinRetryMax, c.JoinRetryMin)
	}
	if c.ProbeTimeout > c.ProbeInterval {
		return nil, fmt.Errorf("ring config: ProbeTimeout (%v) exceeds ProbeInterval (%v)", c.ProbeTimeout, c.ProbeInterval)
	}
	if c.SuspicionMult < 0 {
		return nil, fmt.Errorf("ring config: SuspicionMult must be positive, got %d", c.SuspicionMult)
	}
	meta, err := encodeMeta(c.rpcAddresses())
	if err != nil {
		return nil, err
	}
	if len(meta) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("ring config: Roles and RPC addresses encode to %d bytes of node metadata, at most %d allowed: %w",
			len(meta), memberlist.MetaMaxSize, ErrMetadataTooLarge)
	}
	return meta, nil
}

// rpcAddresses is the role -> RPC address map this node advertises.
func (c Config) rpcAddresses() map[string]string {
	m := make(map[string]string, len(c.Roles))
	for _, role := range c.Roles {
		if addr, ok := c.RPCAddresses[role]; ok {
			m[role] = addr
		} else {
			m[role] = c.RPCAddress
		}
	}
	return m
}

// checkHostPort accepts host:port with a non-empty host and a port in
// 1..65535.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if host == "" {
		return errors.New("missing host")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port %q must be a number between 1 and 65535", port)
	}
	return nil
}
