//go:build unix

package cli

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence/embedded"
)

func TestSweepStaleDevDirs(t *testing.T) {
	tmp := t.TempDir()
	mk := func(name string) string {
		d := filepath.Join(tmp, name)
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	// A store whose server died: closed here, files left behind.
	crashed := mk(devTempPrefix + "crashed")
	stores, err := embedded.Open(crashed, embedded.Options{})
	require.NoError(t, err)
	require.NoError(t, stores.Close())       // lock released, files left: like SIGKILL
	fresh := mk(devTempPrefix + "fresh")     // no LOCK yet: a server starting up
	old := mk(devTempPrefix + "old-no-lock") // no LOCK, long ago
	past := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(old, past, past))
	other := mk("someone-else")

	removed := sweepStaleDevDirs(tmp, time.Now())
	require.ElementsMatch(t, []string{crashed, old}, removed)
	for _, d := range []string{fresh, other} {
		_, err := os.Stat(d)
		require.NoError(t, err, d)
	}
}

func TestSweepSkipsLockedStore(t *testing.T) {
	if os.Getenv("MERIDIAN_SWEEP_CHILD") != "" {
		// Child: hold the store open until killed.
		_, err := embedded.Open(os.Getenv("MERIDIAN_SWEEP_CHILD"), embedded.Options{})
		if err != nil {
			os.Exit(2)
		}
		_, _ = os.Stdout.WriteString("open\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, devTempPrefix+"running")
	cmd := childHoldingStore(t, dir)
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	require.Empty(t, sweepStaleDevDirs(tmp, time.Now().Add(time.Hour)))
	_, err := os.Stat(dir)
	require.NoError(t, err)
}

// childHoldingStore re-runs this test binary as a process that opens the
// store in dir and keeps it open (POSIX record locks are per process, so the
// lock must be held by another process to be seen).
func childHoldingStore(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSweepSkipsLockedStore$")
	cmd.Env = append(os.Environ(), "MERIDIAN_SWEEP_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	buf := make([]byte, 5)
	_, err = io.ReadFull(out, buf)
	require.NoError(t, err, "child did not open the store")
	require.Equal(t, "open\n", string(buf))
	return cmd
}
