package cassandra

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gocql/gocql"
	"github.com/uber-go/tally/v4"

	schema "github.com/meridian-dev/meridian/schema/cassandra"
)

// Config configures the Cassandra backend. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// Hosts are contact points (names or IPs); the driver discovers the rest
	// of the ring from them. Default ["127.0.0.1"].
	Hosts []string
	// Port is the CQL (native protocol) port of every node. Default 9042.
	Port int
	// Keyspace holds Meridian's tables; create it with `meridian schema
	// setup`. Default "meridian".
	Keyspace string
	// Consistency of every read and write, and of the commit phase of
	// lightweight transactions. Default LOCAL_QUORUM: with a replication
	// factor of 3 per data center, one replica may be down.
	Consistency string
	// SerialConsistency of the Paxos phase of lightweight transactions:
	// LOCAL_SERIAL (the default: conditions are linearizable within the
	// data center, which is all a region needs since each region has its own
	// cluster) or SERIAL.
	SerialConsistency string
	// Timeout bounds one request on the client side. Keep it above the
	// server's write_request_timeout and cas_contention_timeout so that the
	// server reports a timeout (with its write type) first. Default 12s.
	Timeout time.Duration
	// ConnectTimeout bounds connecting to a node. Default 10s.
	ConnectTimeout time.Duration
	// NumConns is the number of connections per node. Default 2.
	NumConns int
	// LocalDatacenter, when set, routes requests to that data center's
	// nodes first (required for LOCAL_* consistency to mean anything with
	// several data centers). Default: any node, token aware.
	LocalDatacenter string
	// Username and Password authenticate with PasswordAuthenticator; both
	// empty means no authentication.
	Username string
	Password string
	// Metrics receives the backend's metrics (metrics.go). Default: none.
	Metrics tally.Scope
}

// DefaultConfig returns the values Open uses for zero fields.
func DefaultConfig() Config {
	return Config{
		Hosts:             []string{"127.0.0.1"},
		Port:              9042,
		Keyspace:          schema.DefaultKeyspace,
		Consistency:       "LOCAL_QUORUM",
		SerialConsistency: "LOCAL_SERIAL",
		Timeout:           12 * time.Second,
		ConnectTimeout:    10 * time.Second,
		NumConns:          2,
		Metrics:           tally.NoopScope,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if len(c.Hosts) == 0 {
		c.Hosts = d.Hosts
	}
	if c.Port == 0 {
		c.Port = d.Port
	}
	if c.Keyspace == "" {
		c.Keyspace = d.Keyspace
	}
	if c.Consistency == "" {
		c.Consistency = d.Consistency
	}
	if c.SerialConsistency == "" {
		c.SerialConsistency = d.SerialConsistency
	}
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = d.ConnectTimeout
	}
	if c.NumConns == 0 {
		c.NumConns = d.NumConns
	}
	if c.Metrics == nil {
		c.Metrics = d.Metrics
	}
	return c
}

// Validate returns an error naming the first bad field. Zero fields mean
// their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	for i, h := range c.Hosts {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " ,") {
			return fmt.Errorf("cassandra: Config.Hosts[%d]: %q is not a host name or address", i, h)
		}
	}
	if c.Port < 1 || c.Port > 65535 {
		return fmt.Errorf("cassandra: Config.Port: %d is not a TCP port", c.Port)
	}
	if err := schema.ValidateKeyspaceName(c.Keyspace); err != nil {
		return fmt.Errorf("cassandra: Config.Keyspace: %w", err)
	}
	if _, err := parseConsistency(c.Consistency); err != nil {
		return fmt.Errorf("cassandra: Config.Consistency: %w", err)
	}
	if _, err := parseSerialConsistency(c.SerialConsistency); err != nil {
		return fmt.Errorf("cassandra: Config.SerialConsistency: %w", err)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("cassandra: Config.Timeout: %v must not be negative", c.Timeout)
	}
	if c.ConnectTimeout < 0 {
		return fmt.Errorf("cassandra: Config.ConnectTimeout: %v must not be negative", c.ConnectTimeout)
	}
	if c.NumConns < 0 || c.NumConns > 64 {
		return fmt.Errorf("cassandra: Config.NumConns: %d, want 1 to 64", c.NumConns)
	}
	if (c.Username == "") != (c.Password == "") {
		return errors.New("cassandra: Config.Username and Config.Password: set both or neither")
	}
	return nil
}

// consistencies are the levels Meridian accepts: ones that make sense for
// both reads and writes.
var consistencies = map[string]gocql.Consistency{
	"ONE":          gocql.One,
	"TWO":          gocql.Two,
	"THREE":        gocql.Three,
	"QUORUM":       gocql.Quorum,
	"ALL":          gocql.All,
	"LOCAL_QUORUM": gocql.LocalQuorum,
	"EACH_QUORUM":  gocql.EachQuorum,
	"LOCAL_ONE":    gocql.LocalOne,
}

func parseConsistency(s string) (gocql.Consistency, error) {
	if c, ok := consistencies[strings.ToUpper(s)]; ok {
		return c, nil
	}
	return 0, fmt.Errorf("%q, want one of LOCAL_QUORUM, QUORUM, EACH_QUORUM, LOCAL_ONE, ONE, TWO, THREE, ALL", s)
}

func parseSerialConsistency(s string) (gocql.SerialConsistency, error) {
	switch strings.ToUpper(s) {
	case "LOCAL_SERIAL":
		return gocql.LocalSerial, nil
	case "SERIAL":
		return gocql.Serial, nil
	}
	return 0, fmt.Errorf("%q, want LOCAL_SERIAL or SERIAL", s)
}

// ClusterConfig returns a new gocql cluster configuration for c, connected
// to c.Keyspace. Each call returns a fresh value (gocql host policies must
// not be shared between sessions); set its Keyspace to "" for a session
// that creates the keyspace.
//
// Client-side retries are off (RetryPolicy nil): this package retries only
// idempotent reads, per query. Timestamps are assigned by the coordinator
// (DefaultTimestamp false), the same clock domain as Paxos ballots, so that
// the few plain writes and range deletes that share rows with lightweight
// transactions order with them; see doc.go.
func (c Config) ClusterConfig() (*gocql.ClusterConfig, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	cons, _ := parseConsistency(c.Consistency)
	serial, _ := parseSerialConsistency(c.SerialConsistency)
	cl := gocql.NewCluster(c.Hosts...)
	cl.Port = c.Port
	cl.Keyspace = c.Keyspace
	cl.Consistency = cons
	cl.SerialConsistency = serial
	cl.Timeout = c.Timeout
	cl.ConnectTimeout = c.ConnectTimeout
	cl.NumConns = c.NumConns
	cl.RetryPolicy = nil
	cl.DefaultTimestamp = false
	if c.LocalDatacenter != "" {
		cl.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.DCAwareRoundRobinPolicy(c.LocalDatacenter))
	} else {
		cl.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	}
	if c.Username != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: c.Username, Password: c.Password}
	}
	return cl, nil
}
