package cassandra

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyspaceOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		opts KeyspaceOptions
		want string
		err  string
	}{
		{name: "Defaults", opts: KeyspaceOptions{},
			want: "CREATE KEYSPACE IF NOT EXISTS meridian WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1} AND durable_writes = true"},
		{name: "Simple3", opts: KeyspaceOptions{Name: "prod_1", ReplicationStrategy: SimpleStrategy, ReplicationFactor: 3},
			want: "CREATE KEYSPACE IF NOT EXISTS prod_1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3} AND durable_writes = true"},
		{name: "NetworkTopology", opts: KeyspaceOptions{Name: "m", ReplicationStrategy: NetworkTopologyStrategy, DatacenterReplication: map[string]int{"us-east": 3, "eu.west_1": 2}},
			want: "CREATE KEYSPACE IF NOT EXISTS m WITH replication = {'class': 'NetworkTopologyStrategy', 'eu.west_1': 2, 'us-east': 3} AND durable_writes = true"},
		{name: "BadName", opts: KeyspaceOptions{Name: "drop table x;"}, err: "KeyspaceOptions.Name: keyspace \"drop table x;\""},
		{name: "NameStartsWithDigit", opts: KeyspaceOptions{Name: "1x"}, err: "KeyspaceOptions.Name"},
		{name: "NameTooLong", opts: KeyspaceOptions{Name: "a123456789012345678901234567890123456789012345678"}, err: "at most 48"},
		{name: "UnknownStrategy", opts: KeyspaceOptions{ReplicationStrategy: "LocalStrategy"}, err: `KeyspaceOptions.ReplicationStrategy: "LocalStrategy"`},
		{name: "NegativeRF", opts: KeyspaceOptions{ReplicationFactor: -1}, err: "KeyspaceOptions.ReplicationFactor: -1"},
		{name: "SimpleWithDCs", opts: KeyspaceOptions{DatacenterReplication: map[string]int{"dc1": 1}}, err: "only with NetworkTopologyStrategy"},
		{name: "TopologyWithoutDCs", opts: KeyspaceOptions{ReplicationStrategy: NetworkTopologyStrategy}, err: "needs at least one data center"},
		{name: "TopologyZeroRF", opts: KeyspaceOptions{ReplicationStrategy: NetworkTopologyStrategy, DatacenterReplication: map[string]int{"dc1": 0}}, err: `data center "dc1": replication factor 0`},
		{name: "TopologyQuoteInDC", opts: KeyspaceOptions{ReplicationStrategy: NetworkTopologyStrategy, DatacenterReplication: map[string]int{"dc'1": 1}}, err: `data center name "dc'1"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.opts.CreateStatement()
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				require.ErrorContains(t, c.opts.Validate(), c.err)
				return
			}
			require.NoError(t, err)
			require.NoError(t, c.opts.Validate())
			require.Equal(t, c.want, got)
		})
	}
}

func TestParseDatacenterReplication(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]int
		err  string
	}{
		{in: "", want: map[string]int{}},
		{in: "dc1:3", want: map[string]int{"dc1": 3}},
		{in: " dc1 : 3 , dc2:1 ", want: map[string]int{"dc1": 3, "dc2": 1}},
		{in: "dc1", err: `"dc1": want datacenter:replication_factor`},
		{in: ":3", err: "want datacenter:replication_factor"},
		{in: "dc1:x", err: `"dc1:x": replication factor must be a positive integer`},
		{in: "dc1:0", err: "positive integer"},
		{in: "dc1:1,dc1:2", err: `data center "dc1" given twice`},
		{in: "dc1:1,", err: "want datacenter:replication_factor"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseDatacenterReplication(c.in)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}
