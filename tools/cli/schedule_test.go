package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestScheduleCommands drives every `schedule` subcommand against a real
// dev server, whose system worker runs the schedules.
func TestScheduleCommands(t *testing.T) {
	addr := startTestDevServer(t)
	run := func(args ...string) (int, string, string) {
		h := newHarness(t)
		code := h.run(append(args, "--address", addr, "--command-timeout", "20s")...)
		return code, h.stdout.String(), h.stderr.String()
	}
	// describe returns the schedule's description as JSON, nil on error
	// (it runs inside Eventually, where require cannot stop the test).
	describe := func() map[string]any {
		code, out, _ := run("schedule", "describe", "-s", "nightly", "-o", "json")
		var d map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &d) != nil {
			return nil
		}
		return d
	}

	// actions is the action count as describe's JSON spells it.
	actions := func() string {
		info, _ := describe()["info"].(map[string]any)
		return fmt.Sprint(info["actionCount"])
	}

	code, _, errOut := run("schedule", "create", "-w", "wf", "--type", "T", "-t", "q")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--schedule-id")
	code, _, errOut = run("schedule", "create", "-s", "bad", "-w", "wf", "--type", "T", "-t", "q", "--cron", "61 * * * *")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "cron_string[0]")

	// Nobody polls task queue q: started workflows just wait, which is all
	// this test needs.
	code, out, errOut := run("schedule", "create", "-s", "nightly", "-w", "wf", "--type", "T", "-t", "q",
		"--cron", "0 3 * * *", "--time-zone", "Europe/Paris", "--paused", "--note", "from the CLI", "-i", `{"n":1}`)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "nightly created")

	code, out, errOut = run("schedule", "describe", "-s", "nightly")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "in Europe/Paris")
	require.Contains(t, out, "from the CLI")
	require.Contains(t, out, "type=T id=wf task_queue=q")

	code, out, errOut = run("schedule", "list")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "nightly")

	code, _, errOut = run("schedule", "trigger", "-s", "nightly")
	require.Equal(t, 0, code, errOut)
	require.Eventually(t, func() bool {
		return actions() == "1"
	}, 20*time.Second, 200*time.Millisecond)

	code, _, errOut = run("schedule", "backfill", "-s", "nightly", "--overlap-policy", "allow-all",
		"--start-time", "2026-01-01T00:00:00Z", "--end-time", "2026-01-03T12:00:00Z")
	require.Equal(t, 0, code, errOut)
	require.Eventually(t, func() bool {
		return actions() == "4" // 03:00 Paris on January 1st, 2nd and 3rd
	}, 20*time.Second, 200*time.Millisecond)

	code, _, errOut = run("schedule", "unpause", "-s", "nightly", "--note", "running")
	require.Equal(t, 0, code, errOut)
	state := func() map[string]any {
		d := describe()
		require.NotNil(t, d)
		return d["schedule"].(map[string]any)["state"].(map[string]any)
	}
	require.Equal(t, "running", state()["notes"])
	code, _, errOut = run("schedule", "pause", "-s", "nightly")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, true, state()["paused"])

	code, _, errOut = run("schedule", "update", "-s", "nightly", "--interval", "1h/5m", "--overlap-policy", "buffer-all")
	require.Equal(t, 0, code, errOut)
	code, out, errOut = run("schedule", "describe", "-s", "nightly")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "every 1h0m0s offset 5m0s")
	require.Contains(t, out, "BufferAll")
	// Update keeps what it was not told to change.
	require.Contains(t, out, "type=T id=wf task_queue=q")
	require.Contains(t, out, "in Europe/Paris")
	require.Contains(t, out, "Paused via meridian CLI")

	code, _, errOut = run("schedule", "delete", "-s", "nightly")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = run("schedule", "describe", "-s", "nightly")
	require.Equal(t, 1, code)
	require.True(t, strings.Contains(errOut, "not found"), errOut)
}
