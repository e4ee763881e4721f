package server

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/common/log"
)

func validDevConfig() DevConfig {
	cfg := DefaultDevConfig()
	cfg.DataDir = "/var/lib/meridian/dev"
	return cfg
}

func TestDevConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*DevConfig)
		want   string // substring of the error; "" means valid
	}{
		{name: "defaults", mutate: func(*DevConfig) {}},
		{name: "all interfaces", mutate: func(c *DevConfig) { c.IP = "0.0.0.0" }},
		{name: "ipv6", mutate: func(c *DevConfig) { c.IP = "::1" }},
		{name: "localhost", mutate: func(c *DevConfig) { c.IP = "localhost" }},
		{name: "everything on", mutate: func(c *DevConfig) {
			c.Namespaces = []string{"orders", "billing.v2"}
			c.SearchAttributes = []SearchAttribute{{Name: "CustomerId", Type: enumspb.INDEXED_VALUE_TYPE_KEYWORD}}
			c.DynamicConfig = map[string]string{"frontend.enableServerVersionCheck": "false"}
			c.MetricsPort = 9090
			c.Pprof = true
			c.Log = log.Config{Level: "debug", Format: "json"}
			c.NumShards = MaxShards
		}},
		{name: "ip", mutate: func(c *DevConfig) { c.IP = "example.com" }, want: `--ip "example.com"`},
		{name: "empty ip", mutate: func(c *DevConfig) { c.IP = "" }, want: "--ip"},
		{name: "port", mutate: func(c *DevConfig) { c.Port = 0 }, want: "--port 0"},
		{name: "namespace", mutate: func(c *DevConfig) { c.Namespaces = []string{"bad\tname"} }, want: "--namespace"},
		{name: "long namespace", mutate: func(c *DevConfig) { c.Namespaces = []string{strings.Repeat("n", 256)} }, want: "--namespace"},
		{name: "data dir", mutate: func(c *DevConfig) { c.DataDir = " " }, want: "--data-dir"},
		{name: "shards", mutate: func(c *DevConfig) { c.NumShards = -1 }, want: "--shards -1"},
		{name: "search attribute type", mutate: func(c *DevConfig) {
			c.SearchAttributes = []SearchAttribute{{Name: "X"}}
		}, want: "--search-attribute X: type 0 is not valid: valid types are Text, Keyword, Int, Double, Bool, Datetime, KeywordList"},
		{name: "search attribute name", mutate: func(c *DevConfig) {
			c.SearchAttributes = []SearchAttribute{{Name: "a=b", Type: enumspb.INDEXED_VALUE_TYPE_INT}}
		}, want: "--search-attribute"},
		{name: "search attribute same type twice", mutate: func(c *DevConfig) {
			c.SearchAttributes = []SearchAttribute{
				{Name: "X", Type: enumspb.INDEXED_VALUE_TYPE_INT},
				{Name: "X", Type: enumspb.INDEXED_VALUE_TYPE_INT},
			}
		}},
		{name: "dynamic config key", mutate: func(c *DevConfig) { c.DynamicConfig = map[string]string{"": "1"} }, want: "--dynamic-config-value"},
		{name: "log level", mutate: func(c *DevConfig) { c.Log.Level = "trace" }, want: "--log-level"},
		{name: "log format", mutate: func(c *DevConfig) { c.Log.Format = "logfmt" }, want: "--log-format"},
		{name: "metrics port", mutate: func(c *DevConfig) { c.MetricsPort = 65536 }, want: "--metrics-port 65536"},
		{name: "metrics on frontend port", mutate: func(c *DevConfig) { c.MetricsPort = c.Port }, want: "--metrics-port"},
		{name: "pprof without metrics", mutate: func(c *DevConfig) { c.Pprof = true }, want: "--pprof"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validDevConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestParseSearchAttributeType(t *testing.T) {
	for in, want := range map[string]enumspb.IndexedValueType{
		"Text":                            enumspb.INDEXED_VALUE_TYPE_TEXT,
		"keyword":                         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"INT":                             enumspb.INDEXED_VALUE_TYPE_INT,
		"Double":                          enumspb.INDEXED_VALUE_TYPE_DOUBLE,
		"Bool":                            enumspb.INDEXED_VALUE_TYPE_BOOL,
		"Datetime":                        enumspb.INDEXED_VALUE_TYPE_DATETIME,
		"DateTime":                        enumspb.INDEXED_VALUE_TYPE_DATETIME,
		"KeywordList":                     enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		"keyword_list":                    enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		"INDEXED_VALUE_TYPE_KEYWORD_LIST": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	} {
		got, err := ParseSearchAttributeType(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	// Every type the SDKs print round-trips.
	for _, name := range SearchAttributeTypeNames() {
		got, err := ParseSearchAttributeType(name)
		require.NoError(t, err)
		require.Equal(t, name, got.String())
	}
	for _, bad := range []string{"", "Unspecified", "INDEXED_VALUE_TYPE_UNSPECIFIED", "String", "Keywords"} {
		_, err := ParseSearchAttributeType(bad)
		require.ErrorContains(t, err, "valid types are Text, Keyword, Int, Double, Bool, Datetime, KeywordList", bad)
	}
}

func TestAllNamespaces(t *testing.T) {
	cfg := validDevConfig()
	require.Equal(t, []string{"default"}, cfg.AllNamespaces())
	cfg.Namespaces = []string{"a", "default", "b", "a"}
	require.Equal(t, []string{"default", "a", "b"}, cfg.AllNamespaces())
}

func TestAddresses(t *testing.T) {
	cfg := validDevConfig()
	cfg.IP = "::1"
	require.Equal(t, "[::1]:7233", cfg.FrontendAddress())
	require.Empty(t, cfg.MetricsAddress())
	cfg.MetricsPort = 9090
	require.Equal(t, "[::1]:9090", cfg.MetricsAddress())
}
