package cassandra

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Replication strategies a keyspace can be created with.
const (
	SimpleStrategy          = "SimpleStrategy"
	NetworkTopologyStrategy = "NetworkTopologyStrategy"
)

// KeyspaceOptions says how `meridian schema setup` creates the keyspace.
type KeyspaceOptions struct {
	// Name of the keyspace. Default "meridian".
	Name string
	// ReplicationStrategy is SimpleStrategy (one data center; the default)
	// or NetworkTopologyStrategy (production: replicas per data center).
	ReplicationStrategy string
	// ReplicationFactor is the number of replicas with SimpleStrategy.
	// Default 1 (a development node); production wants 3.
	ReplicationFactor int
	// DatacenterReplication maps data center name to replica count with
	// NetworkTopologyStrategy, e.g. {"dc1": 3, "dc2": 3}. Required then,
	// not allowed with SimpleStrategy.
	DatacenterReplication map[string]int
}

// DefaultKeyspaceOptions: keyspace "meridian", SimpleStrategy, one replica.
func DefaultKeyspaceOptions() KeyspaceOptions {
	return KeyspaceOptions{
		Name:                DefaultKeyspace,
		ReplicationStrategy: SimpleStrategy,
		ReplicationFactor:   1,
	}
}

// DefaultKeyspace is the keyspace Meridian uses unless told otherwise.
const DefaultKeyspace = "meridian"

// identifier is an unquoted CQL keyspace name (Cassandra allows at most 48
// characters). Names are validated rather than quoted, because they are
// put into DDL text.
var identifier = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,47}$`)

// datacenterName is what a data center name in NetworkTopologyStrategy may
// hold (it becomes a CQL string literal).
var datacenterName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]*$`)

// ValidateKeyspaceName returns an error unless name is a valid unquoted
// keyspace name.
func ValidateKeyspaceName(name string) error {
	if !identifier.MatchString(name) {
		return fmt.Errorf("keyspace %q: must start with a letter and hold only letters, digits and underscores (at most 48)", name)
	}
	return nil
}

// withDefaults fills zero fields from DefaultKeyspaceOptions.
func (o KeyspaceOptions) withDefaults() KeyspaceOptions {
	d := DefaultKeyspaceOptions()
	if o.Name == "" {
		o.Name = d.Name
	}
	if o.ReplicationStrategy == "" {
		o.ReplicationStrategy = d.ReplicationStrategy
	}
	if o.ReplicationFactor == 0 && o.ReplicationStrategy == SimpleStrategy {
		o.ReplicationFactor = d.ReplicationFactor
	}
	return o
}

// Validate returns an error naming the first bad field. Zero fields mean
// their defaults.
func (o KeyspaceOptions) Validate() error {
	o = o.withDefaults()
	if err := ValidateKeyspaceName(o.Name); err != nil {
		return fmt.Errorf("KeyspaceOptions.Name: %w", err)
	}
	switch o.ReplicationStrategy {
	case SimpleStrategy:
		if o.ReplicationFactor < 1 {
			return fmt.Errorf("KeyspaceOptions.ReplicationFactor: %d, must be at least 1", o.ReplicationFactor)
		}
		if len(o.DatacenterReplication) > 0 {
			return errors.New("KeyspaceOptions.DatacenterReplication: only with NetworkTopologyStrategy")
		}
	case NetworkTopologyStrategy:
		if len(o.DatacenterReplication) == 0 {
			return errors.New("KeyspaceOptions.DatacenterReplication: NetworkTopologyStrategy needs at least one data center (dc:rf)")
		}
		for _, dc := range slices.Sorted(maps.Keys(o.DatacenterReplication)) {
			if !datacenterName.MatchString(dc) {
				return fmt.Errorf("KeyspaceOptions.DatacenterReplication: data center name %q: letters, digits, '_', '.', '-' only", dc)
			}
			if rf := o.DatacenterReplication[dc]; rf < 1 {
				return fmt.Errorf("KeyspaceOptions.DatacenterReplication: data center %q: replication factor %d, must be at least 1", dc, rf)
			}
		}
	default:
		return fmt.Errorf("KeyspaceOptions.ReplicationStrategy: %q, want %s or %s", o.ReplicationStrategy, SimpleStrategy, NetworkTopologyStrategy)
	}
	return nil
}

// CreateStatement is the CREATE KEYSPACE IF NOT EXISTS statement for o.
func (o KeyspaceOptions) CreateStatement() (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	o = o.withDefaults()
	var repl strings.Builder
	fmt.Fprintf(&repl, "'class': '%s'", o.ReplicationStrategy)
	if o.ReplicationStrategy == SimpleStrategy {
		fmt.Fprintf(&repl, ", 'replication_factor': %d", o.ReplicationFactor)
	} else {
		for _, dc := range slices.Sorted(maps.Keys(o.DatacenterReplication)) {
			fmt.Fprintf(&repl, ", '%s': %d", dc, o.DatacenterReplication[dc])
		}
	}
	return fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = {%s} AND durable_writes = true", o.Name, repl.String()), nil
}

// ParseDatacenterReplication parses "dc1:3,dc2:3" into {"dc1": 3, "dc2": 3}.
func ParseDatacenterReplication(s string) (map[string]int, error) {
	out := map[string]int{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		dc, rf, ok := strings.Cut(strings.TrimSpace(part), ":")
		dc = strings.TrimSpace(dc)
		if !ok || dc == "" {
			return nil, fmt.Errorf("%q: want datacenter:replication_factor", part)
		}
		n, err := strconv.Atoi(strings.TrimSpace(rf))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: replication factor must be a positive integer", part)
		}
		if _, dup := out[dc]; dup {
			return nil, fmt.Errorf("data center %q given twice", dc)
		}
		out[dc] = n
	}
	return out, nil
}
