package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/ring"
	"github.com/meridian-dev/meridian/server"
)

func TestClusterUsageErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"MembersNoSeeds", []string{"cluster", "members"}, "--seeds: at least one gossip host:port"},
		{"MembersBadBind", []string{"cluster", "members", "--seeds", "127.0.0.1:1", "--bind", "nope"}, "--bind"},
		{"MembersBadOutput", []string{"cluster", "members", "--seeds", "127.0.0.1:1", "-o", "xml"}, "--output"},
		{"MembersTimeout", []string{"cluster", "members", "--seeds", "127.0.0.1:1", "--timeout", "0s"}, "--timeout 0s"},
		{"ShardsBadKeyspace", []string{"cluster", "shards", "--keyspace", "drop;me", "--port", "1"}, "--keyspace"},
		{"ShardsBadPort", []string{"cluster", "shards", "--port", "0"}, "--port: 0 is not a TCP port"},
		{"Positional", []string{"cluster", "shards", "extra"}, "unknown command"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			require.Equal(t, exitUsage, h.run(c.args...), h.stderr.String())
			require.Contains(t, h.stderr.String(), c.want)
		})
	}
}

func TestClusterMembers(t *testing.T) {
	var seeds []string
	for i, roles := range [][]string{{"history", "matching"}, {"frontend"}} {
		cfg := ring.DefaultConfig()
		cfg.NodeName = "n" + strconv.Itoa(i+1)
		cfg.ClusterName = "active"
		cfg.BindPort = 0
		cfg.Roles = roles
		cfg.RPCAddress = "127.0.0.1:" + strconv.Itoa(7000+i)
		cfg.Seeds = seeds
		m, err := ring.NewMembership(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Shutdown() })
		require.NoError(t, m.Join(t.Context()))
		seeds = append(seeds, m.LocalNode().GossipAddr)
	}
	require.Eventually(t, func() bool {
		h := newHarness(t)
		return h.run("cluster", "members", "--seeds", seeds[1], "--settle", "300ms") == exitOK &&
			strings.Contains(h.stdout.String(), "n1") && strings.Contains(h.stdout.String(), "n2")
	}, 10*time.Second, 100*time.Millisecond)

	h := newHarness(t)
	require.Equal(t, exitOK, h.run("cluster", "members", "--seeds", seeds[0], "-o", "json", "--settle", "300ms"), h.stderr.String())
	var got []MemberInfo
	require.NoError(t, json.Unmarshal(h.stdout.Bytes(), &got))
	require.Len(t, got, 2, h.stdout.String())
	require.Equal(t, MemberInfo{Name: "n1", GossipAddr: seeds[0], Roles: map[string]string{"history": "127.0.0.1:7000", "matching": "127.0.0.1:7000"}}, got[0])
	require.Equal(t, "n2", got[1].Name)

	h = newHarness(t)
	require.Equal(t, exitOK, h.run("cluster", "members", "--seeds", seeds[0], "--settle", "300ms"), h.stderr.String())
	require.Regexp(t, `(?m)^n1\s+\S+\s+history=127.0.0.1:7000 matching=127.0.0.1:7000$`, h.stdout.String())

	// A wrong region name (memberlist label) does not join.
	h = newHarness(t)
	require.Equal(t, exitError, h.run("cluster", "members", "--seeds", seeds[0], "--cluster", "other", "--timeout", "500ms"))
	require.Contains(t, h.stderr.String(), "join "+seeds[0])
}

// TestClusterShardsOnRealCassandra reads shard records written through the
// store, without creating the missing ones.
func TestClusterShardsOnRealCassandra(t *testing.T) {
	cfg := cassandratest.NewKeyspace(t, cassandratest.Config(t))
	conn := []string{"--hosts", strings.Join(cfg.Hosts, ","), "--port", strconv.Itoa(cfg.Port), "--keyspace", cfg.Keyspace}

	h := newHarness(t)
	require.Equal(t, exitError, h.run(append([]string{"cluster", "shards"}, conn...)...))
	require.Contains(t, h.stderr.String(), "--cluster active: no cluster metadata")

	stores, err := openStores(cfg)
	require.NoError(t, err)
	defer func() { _ = stores.Close() }()
	require.NoError(t, stores.ClusterMetadata.SaveClusterMetadata(t.Context(), &persistencepb.ClusterMetadata{
		ClusterName: "active", ClusterId: "id", HistoryShardCount: 3, InitialFailoverVersion: 1, FailoverVersionIncrement: 10, Version: 1,
	}))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	_, err = stores.Shard.GetOrCreateShard(t.Context(), &persistencepb.ShardInfo{
		ShardId: 2, RangeId: 7, Owner: "node2", AcquiredTime: timestamppb.New(at), UpdateTime: timestamppb.New(at),
	})
	require.NoError(t, err)

	h = newHarness(t)
	require.Equal(t, exitOK, h.run(append([]string{"cluster", "shards"}, conn...)...), h.stderr.String())
	out := h.stdout.String()
	require.Regexp(t, `(?m)^1\s+-\s+0\s+-\s+-$`, out)
	require.Regexp(t, `(?m)^2\s+node2\s+7\s+2026-01-02T03:04:05Z\s+2026-01-02T03:04:05Z$`, out)
	require.Regexp(t, `(?m)^3\s+-\s+0`, out)

	h = newHarness(t)
	require.Equal(t, exitOK, h.run(append([]string{"cluster", "shards", "-o", "json"}, conn...)...), h.stderr.String())
	var recs []ShardRecord
	require.NoError(t, json.Unmarshal(h.stdout.Bytes(), &recs))
	require.Len(t, recs, 3)
	require.Equal(t, "node2", recs[1].Owner)
	require.Equal(t, int64(7), recs[1].RangeID)
	require.Empty(t, recs[0].Owner)
}

func openStores(cfg cassandra.Config) (*persistence.Stores, error) { return cassandra.Open(cfg, nil) }

func TestServerStartServices(t *testing.T) {
	dir := t.TempDir()
	write := func(name, membership string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("frontend: {address: 127.0.0.1:7233}\n"+membership+
			"persistence: {embedded: {data_dir: "+dir+"/data}}\n"), 0o644))
		return p
	}
	single := write("single.yaml", "")
	multi := write("multi.yaml", "membership: {node_name: a, bind_address: 127.0.0.1:7946, rpc_address: 127.0.0.1:7333}\n")

	var got *server.FileConfig
	run := func(args ...string) (*harness, int) {
		h := newHarness(t)
		got = nil
		h.app.RunFile = func(_ context.Context, fc *server.FileConfig, _ *zap.Logger) error {
			got = fc
			return nil
		}
		code := h.run(args...)
		return h, code
	}
	h, code := run("server", "start", "--config", multi, "--services", "history,matching")
	require.Equal(t, exitOK, code, h.stderr.String())
	require.Equal(t, []string{"history", "matching"}, got.Services)

	h, code = run("server", "start", "--config", single)
	require.Equal(t, exitOK, code, h.stderr.String())
	require.Nil(t, got.Services, "default: every service")
	h, code = run("server", "start", "--config", single, "--services", "frontend")
	require.Equal(t, exitUsage, code)
	require.Contains(t, h.stderr.String(), "services: history is not selected")
	h, code = run("server", "start", "--config", multi, "--services", "frontend,bogus")
	require.Equal(t, exitUsage, code)
	require.Contains(t, h.stderr.String(), `--services: "bogus" is not a service`)
}
