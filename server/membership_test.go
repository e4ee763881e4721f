package server

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const membershipTail = "persistence: {embedded: {data_dir: x}}\n"

func TestMembershipSectionLoads(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(p, []byte(`frontend: {address: 127.0.0.1:7233}
membership:
  node_name: node1
  bind_address: 127.0.0.1:7946
  advertise_address: 10.0.0.1:7946
  seeds: [127.0.0.1:7947, "localhost:7948"]
  rpc_address: 127.0.0.1:7333
  join_timeout: 3s
`+membershipTail), 0o644))
	fc, err := LoadFileConfig(p)
	require.NoError(t, err)
	rc, err := fc.Region()
	require.NoError(t, err)
	require.Equal(t, &MembershipConfig{
		NodeName: "node1", BindAddress: "127.0.0.1:7946", AdvertiseAddress: "10.0.0.1:7946",
		Seeds: []string{"127.0.0.1:7947", "localhost:7948"}, RPCAddress: "127.0.0.1:7333", JoinTimeout: 3 * time.Second,
	}, rc.Membership)

	ring := rc.Membership.ringConfig("active", []string{ServiceFrontend, ServiceHistory, ServiceWorker}, rc.FrontendAddress)
	require.Equal(t, []string{"frontend", "history"}, ring.Roles, "worker serves nothing, so it is not advertised")
	require.Equal(t, map[string]string{"frontend": "127.0.0.1:7233", "history": "127.0.0.1:7333"}, ring.RPCAddresses)
	require.Equal(t, "127.0.0.1", ring.BindAddr)
	require.Equal(t, 7946, ring.BindPort)
	require.Equal(t, "10.0.0.1", ring.AdvertiseAddr)
	require.NoError(t, ring.Validate())

	// A subset of services is fine with membership.
	fc.Services = []string{ServiceHistory}
	require.NoError(t, fc.Validate())
}

func TestMembershipErrorsNameTheKey(t *testing.T) {
	cases := map[string]struct{ membership, want string }{
		"no bind":          {"{rpc_address: 127.0.0.1:7333}", "membership.bind_address"},
		"bind not an IP":   {"{bind_address: 'host:7946', rpc_address: 127.0.0.1:7333}", "membership.bind_address"},
		"bad advertise":    {"{bind_address: 127.0.0.1:7946, advertise_address: x, rpc_address: 127.0.0.1:7333}", "membership.advertise_address"},
		"bad seed":         {"{bind_address: 127.0.0.1:7946, seeds: [127.0.0.1:7947, nope], rpc_address: 127.0.0.1:7333}", "membership.seeds[1]"},
		"no rpc":           {"{bind_address: 127.0.0.1:7946}", "membership.rpc_address: required"},
		"bad rpc port":     {"{bind_address: 127.0.0.1:7946, rpc_address: '127.0.0.1:0'}", "membership.rpc_address"},
		"rpc is gossip":    {"{bind_address: 127.0.0.1:7946, rpc_address: 127.0.0.1:7946}", "membership.rpc_address"},
		"rpc is frontend":  {"{bind_address: 127.0.0.1:7946, rpc_address: 127.0.0.1:7233}", "membership.rpc_address"},
		"negative timeout": {"{bind_address: 127.0.0.1:7946, rpc_address: 127.0.0.1:7333, join_timeout: -1s}", "membership.join_timeout"},
		"unknown key":      {"{bind_address: 127.0.0.1:7946, rpc_address: 127.0.0.1:7333, seed: []}", "seed"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.yaml")
			yaml := "frontend: {address: 127.0.0.1:7233}\nmembership: " + tc.membership + "\n" + membershipTail
			require.NoError(t, os.WriteFile(p, []byte(yaml), 0o644))
			_, err := LoadFileConfig(p)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestServicesSubsetNeedsMembership(t *testing.T) {
	fc := &FileConfig{}
	fc.Frontend.Address = "127.0.0.1:7233"
	fc.Persistence.Embedded = &struct {
		DataDir string `yaml:"data_dir"`
	}{DataDir: "x"}
	require.NoError(t, fc.Validate())
	fc.Services = AllServices
	require.NoError(t, fc.Validate())
	fc.Services = []string{ServiceFrontend, ServiceHistory, ServiceMatching}
	require.NoError(t, fc.Validate(), "worker does nothing yet, so leaving it out is fine")
	fc.Services = []string{ServiceFrontend}
	err := fc.Validate()
	require.ErrorContains(t, err, "services: history is not selected")
	require.ErrorContains(t, err, "membership")
}

func TestParseServices(t *testing.T) {
	got, err := ParseServices("history, matching")
	require.NoError(t, err)
	require.Equal(t, []string{"history", "matching"}, got)
	got, err = ParseServices("frontend,history,matching,worker")
	require.NoError(t, err)
	require.Equal(t, AllServices, got)
	for in, want := range map[string]string{
		"":                 "--services: empty",
		"history,history":  `--services: "history" is listed twice`,
		"frontend,persist": `--services: "persist" is not a service`,
	} {
		_, err := ParseServices(in)
		require.ErrorContains(t, err, want, in)
	}
}
