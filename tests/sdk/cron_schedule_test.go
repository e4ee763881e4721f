package sdk_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Cron schedules (StartWorkflowOptions.CronSchedule): each run starts at
// the schedule's next time and gets the last run's result.

// cronTick returns one more than the last run's result.
func cronTick(ctx workflow.Context) (int, error) {
	last := 0
	if workflow.HasLastCompletionResult(ctx) {
		if err := workflow.GetLastCompletionResult(ctx, &last); err != nil {
			return 0, err
		}
	}
	return last + 1, nil
}

func TestCronScheduleEverySecond(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{cronTick}, nil)
	run := wfStart(t, e, "1", client.StartWorkflowOptions{CronSchedule: "@every 1s"}, cronTick)
	firstRunID := run.GetRunID()

	// The first run waits for the schedule's first time.
	first := wfHistory(t, e, run.GetID(), firstRunID)[0].GetWorkflowExecutionStartedEventAttributes()
	require.Equal(t, "@every 1s", first.GetCronSchedule())
	backoff := first.GetFirstWorkflowTaskBackoff().AsDuration()
	require.Positive(t, backoff)
	require.LessOrEqual(t, backoff, time.Second)

	// Wait for the third run to start (it carries the second's result).
	require.Eventually(t, func() bool {
		events := wfHistory(t, e, run.GetID(), "")
		last := events[0].GetWorkflowExecutionStartedEventAttributes().GetLastCompletionResult()
		if last == nil {
			return false
		}
		var n int
		require.NoError(t, json.Unmarshal(last.GetPayloads()[0].GetData(), &n))
		return n >= 2
	}, 10*time.Second, 100*time.Millisecond)
	require.NoError(t, e.client.TerminateWorkflow(wfCtx(t), run.GetID(), "", "enough"))

	// Walk the chain: completed runs name the next run, which the cron
	// schedule started with the last result; the terminated run ends it.
	runID, results := firstRunID, []string{}
	for {
		events := wfHistory(t, e, run.GetID(), runID)
		requireWellFormed(t, events)
		start := events[0].GetWorkflowExecutionStartedEventAttributes()
		require.Equal(t, firstRunID, start.GetFirstExecutionRunId())
		if runID != firstRunID {
			require.Equal(t, enumspb.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE, start.GetInitiator())
			require.NotNil(t, start.GetLastCompletionResult())
		}
		last := events[len(events)-1]
		if last.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED {
			break
		}
		require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, last.GetEventType())
		a := last.GetWorkflowExecutionCompletedEventAttributes()
		results = append(results, string(a.GetResult().GetPayloads()[0].GetData()))
		require.NotEmpty(t, a.GetNewExecutionRunId(), "a cron run names the next run")
		runID = a.GetNewExecutionRunId()
	}
	require.GreaterOrEqual(t, len(results), 2)
	require.Equal(t, []string{"1", "2"}, results[:2])

	// Termination ends the chain: nothing runs any more.
	d, err := e.client.DescribeWorkflowExecution(wfCtx(t), run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, d.GetWorkflowExecutionInfo().GetStatus())
	require.Equal(t, runID, d.GetWorkflowExecutionInfo().GetExecution().GetRunId())
}

func TestCronScheduleInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, spec := range []string{"every day", "* * * *", "61 * * * *", "@every"} {
		_, err := e.client.ExecuteWorkflow(wfCtx(t), client.StartWorkflowOptions{
			ID: wfName(t), TaskQueue: wfName(t), CronSchedule: spec,
		}, cronTick)
		var invalid *serviceerror.InvalidArgument
		require.True(t, errors.As(err, &invalid), "%q: want InvalidArgument, got %v", spec, err)
		require.Contains(t, err.Error(), "CronSchedule")
	}
}
