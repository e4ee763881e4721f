// Package crash_test kills the dev server with SIGKILL in the middle of a
// load and checks that nothing acknowledged is lost: every workflow started
// before the kill completes after a restart on the same data directory, and
// no activity whose completion the workflow already acted on runs again.
package crash_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
)

const (
	workflows = 40
	steps     = 6
	queue     = "crash"
)

// ledger records every activity execution in order, per workflow.
type ledger struct {
	mu   sync.Mutex
	runs map[string][]int
}

func (l *ledger) record(wf string, step int) {
	l.mu.Lock()
	l.runs[wf] = append(l.runs[wf], step)
	l.mu.Unlock()
}

func (l *ledger) step(ctx context.Context, wf string, step int) (int, error) {
	l.record(wf, step)
	// Long enough that a kill lands while steps are in flight.
	time.Sleep(20 * time.Millisecond)
	return step, nil
}

func chain(ctx workflow.Context, n int) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond},
	})
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	sum := 0
	for i := 0; i < n; i++ {
		var got int
		if err := workflow.ExecuteActivity(ctx, "step", id, i).Get(ctx, &got); err != nil {
			return 0, err
		}
		sum += got
		if i == n/2 {
			// A durable timer in the middle: it must survive the kill too.
			if err := workflow.Sleep(ctx, 50*time.Millisecond); err != nil {
				return 0, err
			}
		}
	}
	return sum, nil
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "meridian")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/meridian-dev/meridian/cmd/meridian")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

type serverProc struct {
	cmd *exec.Cmd
	log *os.File
}

// store says how to run the server binary on one store.
type store struct {
	name string
	// args are the server's command line for a frontend on port.
	args func(port int) []string
}

func embeddedStore(t *testing.T) store {
	dataDir := filepath.Join(t.TempDir(), "data")
	return store{name: "embedded", args: func(port int) []string {
		return []string{"server", "start-dev", "--ip", "127.0.0.1", "--port", fmt.Sprint(port),
			"--data-dir", dataDir, "--log-level", "warn", "--headless"}
	}}
}

// cassandraStore runs `server start --config` on a fresh keyspace.
func cassandraStore(t *testing.T) store {
	cfg := cassandratest.NewKeyspace(t, cassandratest.Config(t))
	return store{name: "cassandra", args: func(port int) []string {
		conf := filepath.Join(t.TempDir(), "region.yaml")
		body := fmt.Sprintf("cluster: {name: active, shards: 4}\nfrontend: {address: 127.0.0.1:%d}\nlog: {level: warn}\n"+
			"persistence:\n  cassandra: {hosts: [%s], port: %d, keyspace: %s}\n", port, cfg.Hosts[0], cfg.Port, cfg.Keyspace)
		require.NoError(t, os.WriteFile(conf, []byte(body), 0o644))
		return []string{"server", "start", "--config", conf}
	}}
}

func startServer(t *testing.T, bin string, st store, logDir string, port int) *serverProc {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(logDir, fmt.Sprintf("server-%d.log", time.Now().UnixNano())), os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	cmd := exec.Command(bin, st.args(port)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Start())
	p := &serverProc{cmd: cmd, log: logf}
	t.Cleanup(func() { require.NoError(t, p.kill()) })
	// Ready once the frontend accepts connections.
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err != nil {
			return false
		}
		_ = c.Close() // a readiness probe: only the dial matters
		return true
	}, 30*time.Second, 50*time.Millisecond, "server did not start; see %s", logf.Name())
	return p
}

// kill stops the server if it runs and closes its log; calling it again
// (the cleanup after a test's own kill) is a no-op.
func (p *serverProc) kill() error {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
	if err := p.log.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("close server log: %w", err)
	}
	return nil
}

func TestKillNineUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildBinary(t)
	t.Run("embedded", func(t *testing.T) { killNineUnderLoad(t, bin, embeddedStore(t)) })
	t.Run("cassandra", func(t *testing.T) { killNineUnderLoad(t, bin, cassandraStore(t)) })
}

func killNineUnderLoad(t *testing.T, bin string, st store) {
	logDir := t.TempDir()
	port := freePort(t)
	srv := startServer(t, bin, st, logDir, port)

	c, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", port), Namespace: "default"})
	require.NoError(t, err)
	defer c.Close()

	l := &ledger{runs: map[string][]int{}}
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(chain, workflow.RegisterOptions{Name: "chain"})
	w.RegisterActivityWithOptions(l.step, activity.RegisterOptions{Name: "step"})
	require.NoError(t, w.Start())
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var ids []string
	for i := 0; i < workflows; i++ {
		id := fmt.Sprintf("crash-%d", i)
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, "chain", steps)
		require.NoError(t, err) // acknowledged: must complete
		ids = append(ids, id)
	}
	// Let the load run, then kill the server in the middle of it.
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		total := 0
		for _, r := range l.runs {
			total += len(r)
		}
		return total >= workflows*steps/3
	}, time.Minute, 10*time.Millisecond)
	require.NoError(t, srv.kill())
	t.Log("server killed with SIGKILL; restarting on the same data directory")
	startServer(t, bin, st, logDir, port)

	for _, id := range ids {
		var sum int
		require.NoError(t, c.GetWorkflow(ctx, id, "").Get(ctx, &sum), "workflow %s", id)
		require.Equal(t, steps*(steps-1)/2, sum, "workflow %s", id)
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		runs := l.runs[id]
		// Every step ran; a step never runs again once a later step began
		// (the workflow acted on its completion), so the sequence never goes
		// back; only the step in flight at the kill may run twice.
		seen := map[int]int{}
		for i, s := range runs {
			seen[s]++
			if i > 0 {
				require.GreaterOrEqual(t, s, runs[i-1], "workflow %s re-ran a completed step: %v", id, runs)
			}
		}
		require.Len(t, seen, steps, "workflow %s: %v", id, runs)
		dup := 0
		for _, n := range seen {
			if n > 1 {
				dup++
			}
		}
		require.LessOrEqual(t, dup, 1, "workflow %s: %v", id, runs)
	}
}
