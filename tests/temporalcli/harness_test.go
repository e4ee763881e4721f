// Package temporalcli_test drives the official `temporal` CLI
// (github.com/temporalio/cli, an external binary run through os/exec)
// against an in-process Meridian dev server with a Go SDK worker in the
// test process, and checks the CLI's JSON output (-o json) for the values
// the server holds: what a Temporal user sees from their everyday commands.
//
// The binary is named by MERIDIAN_TEMPORAL_CLI; tools/temporalcli.sh
// installs the pinned release and prints its path (make test does both).
// Without it every test skips, saying so. MERIDIAN_SDK_STORE=cassandra
// runs the servers on a fresh keyspace of MERIDIAN_CASSANDRA's Cassandra,
// as in tests/sdk.
package temporalcli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	"github.com/meridian-dev/meridian/server"
)

// cliEnv names the temporal CLI binary the suite runs.
const cliEnv = "MERIDIAN_TEMPORAL_CLI"

// storeEnv selects the store every test server runs on: unset or
// "embedded" for the embedded store in a temp dir, "cassandra" for a fresh
// keyspace on the Cassandra named by MERIDIAN_CASSANDRA.
const storeEnv = "MERIDIAN_SDK_STORE"

// commandTimeout bounds one CLI invocation; commands that wait (execute)
// finish in well under it.
const commandTimeout = time.Minute

// env is one in-process dev server, an SDK client dialed to it and the CLI
// binary pointed at it.
type env struct {
	t      *testing.T
	dev    *server.Region
	client client.Client
	cli    string
	home   string
}

// newEnv starts a dev server on a free port with a fresh embedded store and
// the custom search attributes sas registered on every namespace. It skips
// the test when MERIDIAN_TEMPORAL_CLI is unset.
func newEnv(t *testing.T, sas ...server.SearchAttribute) *env {
	t.Helper()
	cli := os.Getenv(cliEnv)
	if cli == "" {
		t.Skipf("%s is unset: run tools/temporalcli.sh to install the temporal CLI and set %s to the path it prints (make test does)", cliEnv, cliEnv)
	}
	_, err := os.Stat(cli)
	require.NoError(t, err, "%s", cliEnv)

	cfg := server.DefaultDevConfig()
	cfg.IP = "127.0.0.1"
	cfg.Port = freePort(t)
	cfg.DataDir = t.TempDir()
	cfg.SearchAttributes = sas
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := &env{t: t, cli: cli, home: t.TempDir()}
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	switch store := os.Getenv(storeEnv); store {
	case "", "embedded":
		e.dev, err = server.StartDev(ctx, cfg, logger)
	case "cassandra":
		cc := cassandratest.NewKeyspace(t, cassandratest.Config(t))
		e.dev, err = server.Start(ctx, cfg.RegionConfig(), func(scope tally.Scope) (*persistence.Stores, error) {
			cc.Metrics = scope
			return cassandra.Open(cc, logger)
		}, logger)
	default:
		t.Fatalf("%s=%q: want embedded or cassandra", storeEnv, store)
	}
	require.NoError(t, err)
	t.Cleanup(e.dev.Stop)
	e.client, err = client.Dial(client.Options{HostPort: e.dev.Address(), Namespace: "default"})
	require.NoError(t, err)
	t.Cleanup(e.client.Close)
	return e
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// exec runs the CLI with args against the server and returns its stdout;
// a failed command's error carries its stderr. The CLI reads no config
// file or TEMPORAL_* variable of the machine it runs on.
func (e *env) exec(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	args = append(args, "--address", e.dev.Address(), "--disable-config-file", "--disable-config-env",
		"--color", "never")
	cmd := exec.CommandContext(ctx, e.cli, args...)
	cmd.Env = []string{"HOME=" + e.home, "PATH=" + os.Getenv("PATH"), "TZ=UTC"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &cliError{args: args, err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

type cliError struct {
	args   []string
	err    error
	stderr string
}

func (c *cliError) Error() string {
	return "temporal " + strings.Join(c.args, " ") + ": " + c.err.Error() + ": " + strings.TrimSpace(c.stderr)
}

// run runs a command that must succeed and returns its stdout.
func (e *env) run(args ...string) string {
	e.t.Helper()
	out, err := e.exec(args...)
	require.NoError(e.t, err)
	return out
}

// tryJSON runs a command with -o json and decodes its output into v.
func (e *env) tryJSON(v any, args ...string) error {
	out, err := e.exec(append(args, "-o", "json")...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("decoding the output of temporal %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// runJSON is tryJSON for a command that must succeed.
func (e *env) runJSON(v any, args ...string) {
	e.t.Helper()
	require.NoError(e.t, e.tryJSON(v, args...))
}

// tryProto runs a command with -o json and payloads in their proto form
// (--no-json-shorthand-payloads) and decodes its output into m.
func (e *env) tryProto(m proto.Message, args ...string) error {
	var raw json.RawMessage
	if err := e.tryJSON(&raw, append(args, "--no-json-shorthand-payloads")...); err != nil {
		return err
	}
	return decodeProto(raw, m)
}

// runProto is tryProto for a command that must succeed.
func (e *env) runProto(m proto.Message, args ...string) {
	e.t.Helper()
	require.NoError(e.t, e.tryProto(m, args...))
}

// tryProtoList is tryProto for commands that print a JSON array of
// messages; newMsg makes each element.
func tryProtoList[M proto.Message](e *env, newMsg func() M, args ...string) ([]M, error) {
	var raws []json.RawMessage
	if err := e.tryJSON(&raws, append(args, "--no-json-shorthand-payloads")...); err != nil {
		return nil, err
	}
	out := make([]M, 0, len(raws))
	for _, raw := range raws {
		m := newMsg()
		if err := decodeProto(raw, m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// runProtoList is tryProtoList for a command that must succeed.
func runProtoList[M proto.Message](e *env, newMsg func() M, args ...string) []M {
	e.t.Helper()
	out, err := tryProtoList(e, newMsg, args...)
	require.NoError(e.t, err)
	return out
}

func decodeProto(raw []byte, m proto.Message) error {
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, m); err != nil {
		return fmt.Errorf("decoding %T: %w\n%s", m, err, raw)
	}
	return nil
}

// eventually retries check until it reports true (visibility and workflow
// progress are asynchronous). A check returns its errors instead of
// failing the test, so that it can be retried; the last one is reported
// if the check never passes.
func (e *env) eventually(what string, check func() (bool, error)) {
	e.t.Helper()
	var last error
	ok := assert.Eventually(e.t, func() bool {
		done, err := check()
		last = err
		return err == nil && done
	}, 30*time.Second, 100*time.Millisecond, what)
	if !ok {
		require.NoError(e.t, last, what)
		require.FailNow(e.t, "condition never satisfied", what)
	}
}

// status is a run's status as the server reports it (through the SDK).
func (e *env) status(workflowID, runID string) (enumspb.WorkflowExecutionStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := e.client.DescribeWorkflowExecution(ctx, workflowID, runID)
	return d.GetWorkflowExecutionInfo().GetStatus(), err
}

// requireStatus checks a run's status now.
func (e *env) requireStatus(want enumspb.WorkflowExecutionStatus, workflowID, runID string) {
	e.t.Helper()
	got, err := e.status(workflowID, runID)
	require.NoError(e.t, err)
	require.Equal(e.t, want, got, "status of %s/%s", workflowID, runID)
}

// eventuallyStatus waits until a run has status want.
func (e *env) eventuallyStatus(want enumspb.WorkflowExecutionStatus, workflowID, runID string) {
	e.t.Helper()
	e.eventually(fmt.Sprintf("%s/%s reaches %s", workflowID, runID, want), func() (bool, error) {
		got, err := e.status(workflowID, runID)
		return got == want, err
	})
}
