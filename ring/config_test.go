package ring

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		c := DefaultConfig()
		c.NodeName = "host-1"
		c.Roles = []string{"frontend", "history"}
		c.RPCAddress = "10.0.0.1:7233"
		c.RPCAddresses = map[string]string{"history": "10.0.0.1:7234"}
		c.Seeds = []string{"10.0.0.2:7946", "seed.example:7946"}
		return c
	}
	for _, tc := range []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "default", mutate: func(c *Config) { *c = DefaultConfig(); c.NodeName = "h" }},
		{name: "zero value but a name", mutate: func(c *Config) { *c = Config{NodeName: "h"} }},
		{name: "valid", mutate: func(*Config) {}},
		{name: "ephemeral port", mutate: func(c *Config) { c.BindPort = 0 }},
		{name: "bind addr", mutate: func(c *Config) { c.BindAddr = "localhost" },
			wantErr: `ring config: BindAddr "localhost" is not an IP address`},
		{name: "bind port", mutate: func(c *Config) { c.BindPort = 70000 },
			wantErr: `ring config: BindPort must be between 0 and 65535, got 70000`},
		{name: "advertise addr", mutate: func(c *Config) { c.AdvertiseAddr = "nope" },
			wantErr: `ring config: AdvertiseAddr "nope" is not an IP address`},
		{name: "advertise port", mutate: func(c *Config) { c.AdvertisePort = -1 },
			wantErr: `ring config: AdvertisePort must be between 0 and 65535, got -1`},
		{name: "cluster name", mutate: func(c *Config) { c.ClusterName = strings.Repeat("x", 256) },
			wantErr: `ring config: ClusterName is 256 bytes, at most 255 allowed`},
		{name: "seed without port", mutate: func(c *Config) { c.Seeds = []string{"10.0.0.2:7946", "10.0.0.3"} },
			wantErr: `ring config: Seeds[1] "10.0.0.3": address 10.0.0.3: missing port in address`},
		{name: "seed bad port", mutate: func(c *Config) { c.Seeds = []string{"h:0"} },
			wantErr: `ring config: Seeds[0] "h:0": port "0" must be a number between 1 and 65535`},
		{name: "empty role", mutate: func(c *Config) { c.Roles = []string{"frontend", ""} },
			wantErr: `ring config: Roles[1] is empty`},
		{name: "duplicate role", mutate: func(c *Config) { c.Roles = []string{"history", "history"} },
			wantErr: `ring config: Roles[1] "history" appears twice`},
		{name: "role without address", mutate: func(c *Config) { c.RPCAddress = "" },
			wantErr: `ring config: role "frontend" has no RPC address: set RPCAddress or RPCAddresses["frontend"]`},
		{name: "address for unknown role", mutate: func(c *Config) { c.RPCAddresses["matching"] = "h:1" },
			wantErr: `ring config: RPCAddresses["matching"]: "matching" is not one of Roles`},
		{name: "bad rpc address", mutate: func(c *Config) { c.RPCAddress = ":7233" },
			wantErr: `ring config: RPCAddress ":7233": missing host`},
		{name: "bad role address", mutate: func(c *Config) { c.RPCAddresses["history"] = "h:x" },
			wantErr: `ring config: RPCAddresses["history"] "h:x": port "x" must be a number between 1 and 65535`},
		{name: "ring strategy", mutate: func(c *Config) { c.Ring.Strategy = "jump" },
			wantErr: `ring config: Strategy "jump" is unknown: valid strategies are rendezvous, vnodes`},
		{name: "negative debounce", mutate: func(c *Config) { c.Debounce = -time.Second },
			wantErr: `ring config: Debounce must not be negative, got -1s`},
		{name: "retry bounds", mutate: func(c *Config) { c.JoinRetryMin, c.JoinRetryMax = time.Second, time.Millisecond },
			wantErr: `ring config: JoinRetryMax (1ms) is less than JoinRetryMin (1s)`},
		{name: "probe timeout", mutate: func(c *Config) { c.ProbeTimeout = 2 * time.Second },
			wantErr: `ring config: ProbeTimeout (2s) exceeds ProbeInterval (1s)`},
		{name: "suspicion", mutate: func(c *Config) { c.SuspicionMult = -2 },
			wantErr: `ring config: SuspicionMult must be positive, got -2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mutate(&c)
			err := c.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.wantErr)
		})
	}
}

func TestConfigMetadataTooLarge(t *testing.T) {
	c := DefaultConfig()
	c.NodeName = "h"
	for i := range 20 {
		role := fmt.Sprintf("role-with-a-long-name-%02d", i)
		c.Roles = append(c.Roles, role)
	}
	c.RPCAddress = "a-rather-long-host-name.example.internal:7233"
	err := c.Validate()
	require.ErrorIs(t, err, ErrMetadataTooLarge)
	require.ErrorContains(t, err, "ring config: Roles and RPC addresses encode to ")
	require.ErrorContains(t, err, "bytes of node metadata, at most 512 allowed")

	_, err = NewMembership(c)
	require.ErrorIs(t, err, ErrMetadataTooLarge, "NewMembership validates before binding")

	// The five Meridian roles on long host names, each its own port, fit.
	c.Roles = []string{"frontend", "history", "matching", "worker", "controller"}
	c.RPCAddresses = map[string]string{}
	for i, r := range c.Roles {
		c.RPCAddresses[r] = fmt.Sprintf("ip-10-123-123-123.eu-west-1.compute.internal:%d", 7233+i)
	}
	require.NoError(t, c.Validate())
	meta, err := c.withDefaults().validate()
	require.NoError(t, err)
	require.LessOrEqual(t, len(meta), memberlist.MetaMaxSize)
}

func TestConfigDefaults(t *testing.T) {
	c := Config{NodeName: "h"}.withDefaults()
	d := DefaultConfig()
	require.Equal(t, "127.0.0.1", c.BindAddr)
	require.Zero(t, c.BindPort, "0 keeps its meaning: an OS-chosen port")
	require.Equal(t, d.Debounce, c.Debounce)
	require.Equal(t, d.ProbeInterval, c.ProbeInterval)
	require.Equal(t, d.SuspicionMult, c.SuspicionMult)
	require.Equal(t, DefaultRingConfig(), c.Ring)
	require.NotNil(t, c.Logger)
	require.NotNil(t, c.Metrics)
	require.NotNil(t, c.Clock)

	// DefaultConfig's timings are memberlist's DefaultLocalConfig.
	ml := memberlist.DefaultLocalConfig()
	require.Equal(t, ml.ProbeInterval, d.ProbeInterval)
	require.Equal(t, ml.ProbeTimeout, d.ProbeTimeout)
	require.Equal(t, ml.SuspicionMult, d.SuspicionMult)
	require.Equal(t, ml.GossipInterval, d.GossipInterval)
	require.Equal(t, ml.PushPullInterval, d.PushPullInterval)
}

func TestMetaRoundTrip(t *testing.T) {
	roles := map[string]string{"history": "10.0.0.1:7234", "frontend": "10.0.0.1:7233"}
	b, err := encodeMeta(roles)
	require.NoError(t, err)
	require.Equal(t, `{"v":1,"r":{"frontend":"10.0.0.1:7233","history":"10.0.0.1:7234"}}`, string(b))
	got, err := decodeMeta(b)
	require.NoError(t, err)
	require.Equal(t, roles, got)

	b, err = encodeMeta(map[string]string{})
	require.NoError(t, err)
	require.Equal(t, `{"v":1}`, string(b))
	got, err = decodeMeta(b)
	require.NoError(t, err)
	require.Empty(t, got)

	// A later version's extra fields are ignored.
	got, err = decodeMeta([]byte(`{"v":1,"r":{"worker":"h:1"},"zone":"b"}`))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"worker": "h:1"}, got)

	for _, tc := range []struct{ meta, wantErr string }{
		{"", "ring: decode node metadata: unexpected end of JSON input"},
		{"garbage", "ring: decode node metadata: invalid character 'g' looking for beginning of value"},
		{`{"v":2}`, "ring: node metadata version 2 is not supported (want 1)"},
		{`{"v":1,"r":{"":"h:1"}}`, "ring: node metadata has an empty role"},
	} {
		_, err := decodeMeta([]byte(tc.meta))
		require.EqualError(t, err, tc.wantErr, "meta %q", tc.meta)
	}
}
