// Package cluster_test runs a region of three `meridian server start`
// processes with membership on loopback, against a fresh Cassandra
// keyspace, and crashes one of them.
package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	"github.com/meridian-dev/meridian/ring"
)

const numShards = 8

type node struct {
	name, frontend, rpc, gossip, config, log string
	cmd                                      *exec.Cmd
}

// convergeWait bounds how long the region may take to settle shard
// ownership after a membership change: failure detection, handoff waits and
// retry backoff add up to seconds, more when make test runs other packages
// on the same two cores. It is a bound, not an expectation.
const convergeWait = 90 * time.Second

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

func buildBinary(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "meridian")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/meridian")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

func (n *node) start(t *testing.T, bin string) {
	t.Helper()
	f, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	n.cmd = exec.Command(bin, "server", "start", "--config", n.config)
	n.cmd.Stdout, n.cmd.Stderr = f, f
	require.NoError(t, n.cmd.Start())
	cmd := n.cmd
	go func() { _ = cmd.Wait(); _ = f.Close() }()
}

func (n *node) stop(sig syscall.Signal) {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Signal(sig)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && n.cmd.ProcessState == nil {
		if n.cmd.Process.Signal(syscall.Signal(0)) != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = n.cmd.Process.Kill()
	n.cmd = nil
}

func waitDialable(t *testing.T, n *node) {
	t.Helper()
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", n.frontend, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, 30*time.Second, 100*time.Millisecond, "%s: frontend %s not up; log %s:\n%s", n.name, n.frontend, n.log, tail(n.log))
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(string(b), "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}

// owners reads shard owners from the keyspace ("" for a missing record).
func owners(t *testing.T, stores *persistence.Stores) map[int32]string {
	out := map[int32]string{}
	for id := int32(1); id <= numShards; id++ {
		info, err := cassandra.ReadShard(t.Context(), stores.Shard, id)
		if err != nil {
			out[id] = ""
			continue
		}
		out[id] = info.Owner
	}
	return out
}

func onlyOwners(got map[int32]string, allowed ...string) bool {
	for _, o := range got {
		ok := false
		for _, a := range allowed {
			ok = ok || o == a
		}
		if !ok {
			return false
		}
	}
	return true
}

func Echo(_ context.Context, s string) (string, error) { return s, nil }

func EchoWorkflow(ctx workflow.Context, s string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, Echo, s).Get(ctx, &out)
	return out, err
}

// startRegion starts three nodes on a fresh keyspace, each with extraYAML
// appended to its config, and waits until every node owns history shards
// (membership has converged). The nodes stop when the test ends.
func startRegion(t *testing.T, extraYAML string) ([]*node, *persistence.Stores, string) {
	t.Helper()
	ccfg := cassandratest.NewKeyspace(t, cassandratest.Config(t))
	if testing.Short() {
		t.Skip("starts three server processes: skipped with -short")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	nodes := make([]*node, 3)
	for i := range nodes {
		nodes[i] = &node{name: fmt.Sprintf("node%d", i+1), frontend: freeAddr(t), rpc: freeAddr(t), gossip: freeAddr(t)}
	}
	for i, n := range nodes {
		var seeds []string
		for j, o := range nodes {
			if j != i {
				seeds = append(seeds, o.gossip)
			}
		}
		n.config = filepath.Join(dir, n.name+".yaml")
		n.log = filepath.Join(dir, n.name+".log")
		yaml := fmt.Sprintf(`cluster: {name: active, shards: %d}
frontend: {address: %s}
log: {level: info, format: json}
membership:
  node_name: %s
  bind_address: %s
  seeds: [%s]
  rpc_address: %s
  join_timeout: 5s
persistence:
  cassandra: {hosts: [%s], port: %d, keyspace: %s}
`, numShards, n.frontend, n.name, n.gossip, strings.Join(seeds, ", "), n.rpc, ccfg.Hosts[0], ccfg.Port, ccfg.Keyspace)
		require.NoError(t, os.WriteFile(n.config, []byte(yaml+extraYAML), 0o644))
	}
	for _, n := range nodes {
		n.start(t, bin)
		t.Cleanup(func() { n.stop(syscall.SIGTERM) })
	}
	for _, n := range nodes {
		waitDialable(t, n)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range nodes {
				t.Logf("%s log:\n%s", n.name, tail(n.log))
			}
		}
	})

	stores, err := cassandra.Open(ccfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = stores.Close() })
	require.Eventually(t, func() bool {
		got := owners(t, stores)
		seen := map[string]bool{}
		for _, o := range got {
			seen[o] = true
		}
		return onlyOwners(got, "node1", "node2", "node3") && len(seen) == 3
	}, convergeWait, 200*time.Millisecond, "every host should own shards: %v", owners(t, stores))
	return nodes, stores, bin
}

// TestRegionSurvivesACrashedHost: workflows run through node1's frontend
// while node2 is killed with SIGKILL; they all complete, node1 and node3
// take every shard, and node2 takes shards again once restarted.
func TestRegionSurvivesACrashedHost(t *testing.T) {
	nodes, stores, bin := startRegion(t, "")

	c, err := client.Dial(client.Options{HostPort: nodes[0].frontend, Namespace: "default", Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	defer c.Close()
	const queue = "cluster-smoke"
	startWorker := func() worker.Worker {
		w := worker.New(c, queue, worker.Options{})
		w.RegisterWorkflow(EchoWorkflow)
		w.RegisterActivity(Echo)
		require.NoError(t, w.Start())
		return w
	}
	w := startWorker()
	defer func() { w.Stop() }()

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var runs []client.WorkflowRun
	startSome := func(n int) {
		for range n {
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, EchoWorkflow, fmt.Sprintf("hi-%d", len(runs)))
			require.NoError(t, err)
			runs = append(runs, run)
		}
	}
	startSome(20)
	nodes[1].stop(syscall.SIGKILL)
	startSome(20)
	for _, run := range runs {
		var out string
		require.NoError(t, run.Get(ctx, &out), "workflow %s", run.GetID())
		require.True(t, strings.HasPrefix(out, "hi-"))
	}
	require.Eventually(t, func() bool { return onlyOwners(owners(t, stores), "node1", "node3") },
		convergeWait, 200*time.Millisecond, "node1 and node3 should own every shard: %v", owners(t, stores))

	nodes[1].start(t, bin)
	waitDialable(t, nodes[1])
	require.Eventually(t, func() bool {
		for _, o := range owners(t, stores) {
			if o == "node2" {
				return true
			}
		}
		return false
	}, convergeWait, 200*time.Millisecond, "restarted node2 should acquire shards again: %v", owners(t, stores))

	// Task-queue partitions that moved to node2 were unloaded by their
	// old hosts, which answered the worker's parked polls at once: the same
	// worker's next polls reach node2 without waiting out a long poll.
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runs = runs[:0]
	startSome(10)
	for _, run := range runs {
		require.NoError(t, run.Get(ctx, nil), "workflow %s", run.GetID())
	}
}

// TestPartitionedQueueSurvivesACrashedHost: a task queue with four
// partitions spread over the three hosts gets a backlog while no worker
// polls; the host owning the most of its partitions (not node1, whose
// frontend the test uses) is killed; a worker started afterwards runs every
// workflow, those whose tasks waited in the dead host's partitions
// included, and workflows started after the kill too.
func TestPartitionedQueueSurvivesACrashedHost(t *testing.T) {
	const (
		queue      = "cluster-partitioned"
		partitions = 4
	)
	nodes, stores, _ := startRegion(t, fmt.Sprintf("matching: {task_queue_partitions: {%s: %d}}\n", queue, partitions))
	c, err := client.Dial(client.Options{HostPort: nodes[0].frontend, Namespace: "default", Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	require.NoError(t, err)
	nsID := ns.GetNamespaceInfo().GetId()

	// Where the ring places the queue's partitions (placement hashes the
	// member names only).
	r, err := ring.NewRing(ring.DefaultRingConfig(), []ring.Member{{Name: "node1"}, {Name: "node2"}, {Name: "node3"}})
	require.NoError(t, err)
	owned := map[string]int{}
	for _, tt := range []int32{1, 2} { // workflow, activity
		for p := range int32(partitions) {
			m, _ := r.Lookup(ring.TaskQueuePartitionKey(nsID, queue, tt, p))
			owned[m.Name]++
		}
	}
	victim := nodes[1]
	if owned["node3"] > owned["node2"] {
		victim = nodes[2]
	}
	require.Positive(t, owned[victim.name], "placement %v: the victim must own partitions", owned)
	t.Logf("partition placement %v; killing %s", owned, victim.name)

	var runs []client.WorkflowRun
	startSome := func(n int) {
		for range n {
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, EchoWorkflow, fmt.Sprintf("hi-%d", len(runs)))
			require.NoError(t, err)
			runs = append(runs, run)
		}
	}
	const backlog = 24
	startSome(backlog)
	// Nobody polls: every workflow task waits in a partition's backlog.
	stored := func() (total, nonEmpty int) {
		for p := range partitions {
			name := queue
			if p > 0 {
				name = fmt.Sprintf("/_sys/%s/%d", queue, p)
			}
			tasks, err := stores.Task.GetTasks(ctx, persistence.TaskQueueKey{NamespaceID: nsID, Name: name, TaskType: 1}, 0, 1<<62, 1000)
			require.NoError(t, err)
			total += len(tasks)
			if len(tasks) > 0 {
				nonEmpty++
			}
		}
		return total, nonEmpty
	}
	require.Eventually(t, func() bool { total, _ := stored(); return total == backlog },
		convergeWait, 200*time.Millisecond, "every workflow task should be in a backlog")
	_, nonEmpty := stored()
	require.Greater(t, nonEmpty, 1, "the backlog should be spread over partitions")

	victim.stop(syscall.SIGKILL)
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(EchoWorkflow)
	w.RegisterActivity(Echo)
	require.NoError(t, w.Start())
	defer w.Stop()
	startSome(8)
	for _, run := range runs {
		var out string
		require.NoError(t, run.Get(ctx, &out), "workflow %s", run.GetID())
		require.True(t, strings.HasPrefix(out, "hi-"))
	}
}
