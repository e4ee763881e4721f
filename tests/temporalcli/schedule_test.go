package temporalcli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
)

func describeSchedule(e *env, id string) *workflowservice.DescribeScheduleResponse {
	e.t.Helper()
	d := &workflowservice.DescribeScheduleResponse{}
	e.runProto(d, "schedule", "describe", "-s", id)
	return d
}

// scheduleIDs lists the schedules as `schedule list` shows them, each as
// "<schedule ID>/<workflow type>".
func (e *env) scheduleIDs() ([]string, error) {
	var list []struct {
		ScheduleID string `json:"scheduleId"`
		Info       struct {
			WorkflowType struct {
				Name string `json:"name"`
			} `json:"workflowType"`
		} `json:"info"`
	}
	if err := e.tryJSON(&list, "schedule", "list"); err != nil {
		return nil, err
	}
	ids := []string{}
	for _, s := range list {
		ids = append(ids, s.ScheduleID+"/"+s.Info.WorkflowType.Name)
	}
	return ids, nil
}

func TestScheduleCommands(t *testing.T) {
	e := newEnv(t)
	e.startWorker()

	e.run("schedule", "create", "-s", "nightly", "--interval", "1h", "--type", "Greet", "-t", queue,
		"-w", "nightly-wf", "-i", `"schedule"`, "--notes", "created by the CLI test", "--overlap-policy", "AllowAll")

	d := describeSchedule(e, "nightly")
	spec := d.GetSchedule().GetSpec()
	require.Len(t, spec.GetInterval(), 1)
	require.Equal(t, time.Hour, spec.GetInterval()[0].GetInterval().AsDuration())
	start := d.GetSchedule().GetAction().GetStartWorkflow()
	require.Equal(t, "nightly-wf", start.GetWorkflowId())
	require.Equal(t, "Greet", start.GetWorkflowType().GetName())
	require.Equal(t, queue, start.GetTaskQueue().GetName())
	require.Equal(t, `"schedule"`, string(start.GetInput().GetPayloads()[0].GetData()))
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL, d.GetSchedule().GetPolicies().GetOverlapPolicy())
	require.Equal(t, "created by the CLI test", d.GetSchedule().GetState().GetNotes())
	require.False(t, d.GetSchedule().GetState().GetPaused())
	require.NotEmpty(t, d.GetInfo().GetFutureActionTimes())
	require.NotNil(t, d.GetInfo().GetCreateTime())

	e.eventually("list shows the schedule", func() (bool, error) {
		ids, err := e.scheduleIDs()
		return len(ids) == 1 && ids[0] == "nightly/Greet", err
	})

	// toggle: pause with a reason, then unpause.
	e.run("schedule", "toggle", "-s", "nightly", "--pause", "--reason", "maintenance")
	d = describeSchedule(e, "nightly")
	require.True(t, d.GetSchedule().GetState().GetPaused())
	require.Equal(t, "maintenance", d.GetSchedule().GetState().GetNotes())
	e.run("schedule", "toggle", "-s", "nightly", "--unpause", "--reason", "done")
	d = describeSchedule(e, "nightly")
	require.False(t, d.GetSchedule().GetState().GetPaused())
	require.Equal(t, "done", d.GetSchedule().GetState().GetNotes())

	// trigger: one action now, run by the worker to completion.
	e.run("schedule", "trigger", "-s", "nightly")
	e.eventually("the triggered action is recorded", func() (bool, error) {
		d := &workflowservice.DescribeScheduleResponse{}
		err := e.tryProto(d, "schedule", "describe", "-s", "nightly")
		return len(d.GetInfo().GetRecentActions()) == 1, err
	})
	d = describeSchedule(e, "nightly")
	require.Equal(t, int64(1), d.GetInfo().GetActionCount())
	started := d.GetInfo().GetRecentActions()[0].GetStartWorkflowResult()
	require.True(t, strings.HasPrefix(started.GetWorkflowId(), "nightly-wf-"), started.GetWorkflowId())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var greeting string
	require.NoError(t, e.client.GetWorkflow(ctx, started.GetWorkflowId(), started.GetRunId()).Get(ctx, &greeting))
	require.Equal(t, "hello schedule", greeting)

	// backfill: the hourly times in a past range run now (AllowAll: the
	// CLI's default, Skip, would skip 02:00 while 01:00 runs).
	e.run("schedule", "backfill", "-s", "nightly", "--start-time", "2026-01-01T00:30:00Z",
		"--end-time", "2026-01-01T02:30:00Z", "--overlap-policy", "AllowAll")
	e.eventually("the backfilled actions are recorded", func() (bool, error) {
		d := &workflowservice.DescribeScheduleResponse{}
		err := e.tryProto(d, "schedule", "describe", "-s", "nightly")
		return d.GetInfo().GetActionCount() == 3, err
	})
	var backfilled []string
	for _, a := range describeSchedule(e, "nightly").GetInfo().GetRecentActions()[1:] {
		backfilled = append(backfilled, a.GetScheduleTime().AsTime().UTC().Format(time.RFC3339))
	}
	require.Equal(t, []string{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"}, backfilled)

	// update replaces the spec and action.
	e.run("schedule", "update", "-s", "nightly", "--interval", "2h", "--type", "Greet", "-t", queue,
		"-w", "nightly-wf", "-i", `"again"`)
	d = describeSchedule(e, "nightly")
	require.Equal(t, 2*time.Hour, d.GetSchedule().GetSpec().GetInterval()[0].GetInterval().AsDuration())
	require.Equal(t, `"again"`, string(d.GetSchedule().GetAction().GetStartWorkflow().GetInput().GetPayloads()[0].GetData()))

	// delete: describe fails and list is empty.
	e.run("schedule", "delete", "-s", "nightly")
	_, err := e.exec("schedule", "describe", "-s", "nightly")
	require.ErrorContains(t, err, "not found")
	e.eventually("list no longer shows the schedule", func() (bool, error) {
		ids, err := e.scheduleIDs()
		return len(ids) == 0, err
	})
	var raw json.RawMessage
	e.runJSON(&raw, "schedule", "list")
	require.JSONEq(t, "[]", string(raw))
}
