package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSampleConfigsLoad(t *testing.T) {
	for _, name := range []string{"cassandra.yaml", "embedded.yaml", "cluster-node1.yaml"} {
		fc, err := LoadFileConfig(filepath.Join("..", "deploy", "config", name))
		require.NoError(t, err, name)
		rc, err := fc.Region()
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1:7233", rc.FrontendAddress, name)
	}
}

func TestFileConfigErrorsNameTheKey(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"no persistence":   {"frontend: {address: 127.0.0.1:7233}\n", "persistence"},
		"both stores":      {"frontend: {address: 127.0.0.1:7233}\npersistence: {embedded: {data_dir: x}, cassandra: {}}\n", "only one"},
		"no data dir":      {"frontend: {address: 127.0.0.1:7233}\npersistence: {embedded: {}}\n", "persistence.embedded.data_dir"},
		"unknown key":      {"frontend: {adress: x}\npersistence: {embedded: {data_dir: x}}\n", "adress"}, //nolint:misspell // a deliberately misspelled key: the error must name it
		"bad address":      {"frontend: {address: nope}\npersistence: {embedded: {data_dir: x}}\n", "frontend address"},
		"bad log level":    {"frontend: {address: 127.0.0.1:1}\nlog: {level: loud}\npersistence: {embedded: {data_dir: x}}\n", "log.level"},
		"bad sa type":      {"frontend: {address: 127.0.0.1:1}\nsearch_attributes: {Foo: Blob}\npersistence: {embedded: {data_dir: x}}\n", "search_attributes.Foo"},
		"bad cassandra":    {"frontend: {address: 127.0.0.1:1}\npersistence: {cassandra: {consistency: MOST}}\n", "persistence.cassandra"},
		"bad partitions":   {"frontend: {address: 127.0.0.1:1}\nmatching: {task_queue_partitions: {orders: 0}}\npersistence: {embedded: {data_dir: x}}\n", "matching.task_queue_partitions.orders"},
		"versions swapped": {"cluster: {initial_failover_version: 20, failover_version_increment: 10}\nfrontend: {address: 127.0.0.1:1}\npersistence: {embedded: {data_dir: x}}\n", "failover versions"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(p, []byte(tc.yaml), 0o644))
			_, err := LoadFileConfig(p)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
