package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/ring"
	"github.com/meridian-dev/meridian/server"
)

func (a *App) newClusterCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "cluster",
		Short: "Inspect the hosts of a region and their shards",
		Args:  noArgs,
	}
	c.AddCommand(a.newClusterMembersCommand(), a.newClusterShardsCommand())
	return c
}

// MemberInfo is one line of `meridian cluster members -o json`.
type MemberInfo struct {
	Name       string            `json:"name"`
	GossipAddr string            `json:"gossip_address"`
	Roles      map[string]string `json:"roles"`
}

func (a *App) newClusterMembersCommand() *cobra.Command {
	var (
		seeds   []string
		cluster string
		bind    string
		timeout time.Duration
		settle  time.Duration
		out     outputFlag
	)
	c := &cobra.Command{
		Use:   "members",
		Short: "List the live hosts of a region and their roles, as gossip sees them",
		Long: "members joins the region's gossip ring through --seeds as an observer that\n" +
			"serves no role, prints the live (alive or suspect) hosts with their role\n" +
			"addresses, and leaves. --cluster must be the region name (cluster.name).",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if len(seeds) == 0 {
				return usage(c, errors.New("--seeds: at least one gossip host:port is needed"))
			}
			if err := out.validate(); err != nil {
				return usage(c, err)
			}
			if timeout <= 0 {
				return usage(c, fmt.Errorf("--timeout %v: must be positive", timeout))
			}
			rc := ring.DefaultConfig()
			rc.NodeName = "meridian-cli-" + uuid.NewString()[:8]
			rc.ClusterName = cluster
			rc.Seeds = seeds
			host, port, err := splitIPPortFlag(bind)
			if err != nil {
				return usage(c, fmt.Errorf("--bind %q: %w", bind, err))
			}
			rc.BindAddr, rc.BindPort = host, port
			if err := rc.Validate(); err != nil {
				return usage(c, err)
			}
			nodes, err := observeMembers(c.Context(), rc, timeout, settle)
			if err != nil {
				return err
			}
			return printMembers(a.Stdout, nodes, out.json())
		},
	}
	c.Flags().StringSliceVar(&seeds, "seeds", nil, "gossip host:port of one or more hosts (membership.bind_address), comma-separated")
	c.Flags().StringVar(&cluster, "cluster", server.DevClusterName, "region name (cluster.name of the hosts' config)")
	c.Flags().StringVar(&bind, "bind", "127.0.0.1:0", "gossip ip:port of this observer; the hosts must reach it")
	c.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to try the seeds")
	c.Flags().DurationVar(&settle, "settle", 500*time.Millisecond, "wait after joining for the member list to settle")
	out.register(c.Flags())
	return c
}

// observeMembers joins as a roleless node, waits settle, and returns the
// other nodes.
func observeMembers(ctx context.Context, rc ring.Config, timeout, settle time.Duration) ([]ring.Node, error) {
	m, err := ring.NewMembership(rc)
	if err != nil {
		return nil, err
	}
	defer func() {
		lctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = m.Leave(lctx)
		cancel()
	}()
	jctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := m.Join(jctx); err != nil {
		return nil, fmt.Errorf("join %s: %w", strings.Join(rc.Seeds, ","), err)
	}
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	self := m.LocalNode().Name
	var out []ring.Node
	for _, n := range m.Nodes() {
		if n.Name != self {
			out = append(out, n)
		}
	}
	return out, nil
}

func printMembers(w io.Writer, nodes []ring.Node, asJSON bool) error {
	if asJSON {
		infos := make([]MemberInfo, 0, len(nodes))
		for _, n := range nodes {
			infos = append(infos, MemberInfo{Name: n.Name, GossipAddr: n.GossipAddr, Roles: n.RPCAddresses})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	t := newTable("NAME", "GOSSIP", "ROLES")
	for _, n := range nodes {
		var roles []string
		for _, r := range n.Roles() {
			roles = append(roles, r+"="+n.RPCAddresses[r])
		}
		t.row(n.Name, n.GossipAddr, strings.Join(roles, " "))
	}
	return t.writeTo(w)
}

// ShardRecord is one line of `meridian cluster shards -o json`.
type ShardRecord struct {
	ShardID  int32      `json:"shard_id"`
	Owner    string     `json:"owner"`
	RangeID  int64      `json:"range_id"`
	Acquired *time.Time `json:"acquired_time,omitempty"`
	Updated  *time.Time `json:"update_time,omitempty"`
}

func (a *App) newClusterShardsCommand() *cobra.Command {
	var (
		f       schemaFlags
		cluster string
		out     outputFlag
	)
	c := &cobra.Command{
		Use:   "shards",
		Short: "List the history shards' ownership records in Cassandra",
		Long: "shards reads every history shard's record from the keyspace: the host that\n" +
			"last acquired it (its membership.node_name), its range_id, and when it was\n" +
			"acquired and last updated. A shard no host has acquired shows owner \"-\".",
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := f.config(a)
			if err != nil {
				return usage(c, err)
			}
			if err := out.validate(); err != nil {
				return usage(c, err)
			}
			recs, err := readShardRecords(c.Context(), cfg, cluster)
			if err != nil {
				return err
			}
			return printShards(a.Stdout, recs, out.json())
		},
	}
	f.register(c.Flags())
	c.Flags().StringVar(&cluster, "cluster", server.DevClusterName, "region name: its cluster metadata holds the shard count")
	out.register(c.Flags())
	return c
}

// readShardRecords reads the records of shards 1..N of cluster's metadata.
func readShardRecords(ctx context.Context, cfg cassandra.Config, cluster string) ([]ShardRecord, error) {
	stores, err := cassandra.Open(cfg, zap.NewNop())
	if err != nil {
		return nil, err
	}
	defer func() { _ = stores.Close() }()
	md, err := stores.ClusterMetadata.GetClusterMetadata(ctx, cluster)
	if errors.Is(err, persistence.ErrNotFound) {
		return nil, fmt.Errorf("--cluster %s: no cluster metadata in keyspace %s: has a server started on it?", cluster, cfg.Keyspace)
	}
	if err != nil {
		return nil, err
	}
	recs := make([]ShardRecord, 0, md.HistoryShardCount)
	for id := int32(1); id <= md.HistoryShardCount; id++ {
		info, err := cassandra.ReadShard(ctx, stores.Shard, id)
		if errors.Is(err, persistence.ErrNotFound) {
			recs = append(recs, ShardRecord{ShardID: id})
			continue
		}
		if err != nil {
			return nil, err
		}
		r := ShardRecord{ShardID: id, Owner: info.Owner, RangeID: info.RangeId}
		if info.AcquiredTime != nil {
			t := info.AcquiredTime.AsTime()
			r.Acquired = &t
		}
		if info.UpdateTime != nil {
			t := info.UpdateTime.AsTime()
			r.Updated = &t
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func printShards(w io.Writer, recs []ShardRecord, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(recs)
	}
	t := newTable("SHARD", "OWNER", "RANGE_ID", "ACQUIRED", "UPDATED")
	ts := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, r := range recs {
		owner := r.Owner
		if owner == "" {
			owner = "-"
		}
		t.row(strconv.Itoa(int(r.ShardID)), owner, strconv.FormatInt(r.RangeID, 10), ts(r.Acquired), ts(r.Updated))
	}
	return t.writeTo(w)
}

// splitIPPortFlag splits an ip:port flag value.
func splitIPPortFlag(s string) (string, int, error) {
	var port int
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, errors.New("want ip:port")
	}
	if _, err := fmt.Sscanf(s[i+1:], "%d", &port); err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not 0 to 65535", s[i+1:])
	}
	return strings.Trim(s[:i], "[]"), port, nil
}
