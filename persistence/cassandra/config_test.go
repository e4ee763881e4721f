package cassandra

import (
	"testing"
	"time"

	"github.com/gocql/gocql"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Config)
		err  string
	}{
		{"ZeroIsDefault", func(*Config) {}, ""},
		{"Full", func(c *Config) {
			*c = Config{Hosts: []string{"cass1", "10.0.0.2"}, Port: 9142, Keyspace: "prod", Consistency: "quorum",
				SerialConsistency: "SERIAL", Timeout: time.Second, ConnectTimeout: time.Second, NumConns: 4,
				LocalDatacenter: "dc1", Username: "u", Password: "p"}
		}, ""},
		{"EmptyHost", func(c *Config) { c.Hosts = []string{"a", " "} }, `Config.Hosts[1]: " "`},
		{"CommaInHost", func(c *Config) { c.Hosts = []string{"a,b"} }, `Config.Hosts[0]: "a,b"`},
		{"Port", func(c *Config) { c.Port = 70000 }, "Config.Port: 70000"},
		{"Keyspace", func(c *Config) { c.Keyspace = "x;y" }, `Config.Keyspace: keyspace "x;y"`},
		{"Consistency", func(c *Config) { c.Consistency = "SERIAL" }, `Config.Consistency: "SERIAL"`},
		{"SerialConsistency", func(c *Config) { c.SerialConsistency = "QUORUM" }, `Config.SerialConsistency: "QUORUM", want LOCAL_SERIAL or SERIAL`},
		{"Timeout", func(c *Config) { c.Timeout = -time.Second }, "Config.Timeout: -1s"},
		{"ConnectTimeout", func(c *Config) { c.ConnectTimeout = -1 }, "Config.ConnectTimeout"},
		{"NumConns", func(c *Config) { c.NumConns = 1000 }, "Config.NumConns: 1000"},
		{"PasswordWithoutUser", func(c *Config) { c.Password = "p" }, "Config.Username and Config.Password"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cfg Config
			c.edit(&cfg)
			err := cfg.Validate()
			if c.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, c.err)
			_, err = cfg.ClusterConfig()
			require.ErrorContains(t, err, c.err)
		})
	}
}

func TestClusterConfig(t *testing.T) {
	cl, err := Config{}.ClusterConfig()
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.1"}, cl.Hosts)
	require.Equal(t, 9042, cl.Port)
	require.Equal(t, "meridian", cl.Keyspace)
	require.Equal(t, gocql.LocalQuorum, cl.Consistency)
	require.Equal(t, gocql.LocalSerial, cl.SerialConsistency)
	require.Equal(t, 12*time.Second, cl.Timeout)
	require.Nil(t, cl.RetryPolicy, "writes must never be retried by the driver")
	require.False(t, cl.DefaultTimestamp, "timestamps come from the coordinator")
	require.Nil(t, cl.Authenticator)

	cl, err = Config{Consistency: "local_one", SerialConsistency: "serial", Username: "u", Password: "p", LocalDatacenter: "dc1"}.ClusterConfig()
	require.NoError(t, err)
	require.Equal(t, gocql.LocalOne, cl.Consistency)
	require.Equal(t, gocql.Serial, cl.SerialConsistency)
	require.Equal(t, gocql.PasswordAuthenticator{Username: "u", Password: "p"}, cl.Authenticator)

	// Each call is a fresh value: host policies are per session.
	a, _ := Config{}.ClusterConfig()
	b, _ := Config{}.ClusterConfig()
	require.NotSame(t, a, b)
}

func TestSchemaVersionErrorNamesCommand(t *testing.T) {
	e := &SchemaVersionError{Keyspace: "m", Have: 0, Need: 1, Hosts: []string{"a", "b"}, Port: 9042}
	require.Equal(t, `cassandra: keyspace "m" has no Meridian schema (version 0), but this build of Meridian needs schema version 1: run 'meridian schema setup --hosts a,b --port 9042 --keyspace m' first`, e.Error())
	e = &SchemaVersionError{Keyspace: "m", Missing: true, Need: 1, Hosts: []string{"a"}, Port: 9042}
	require.Equal(t, `cassandra: keyspace "m" does not exist, but this build of Meridian needs schema version 1: run 'meridian schema setup --hosts a --port 9042 --keyspace m' first`, e.Error())
	e = &SchemaVersionError{Keyspace: "m", Have: 1, Need: 3, Hosts: []string{"a"}, Port: 9142}
	require.Equal(t, `cassandra: keyspace "m" has schema version 1, but this build of Meridian needs schema version 3: run 'meridian schema update --hosts a --port 9142 --keyspace m' first`, e.Error())
}
