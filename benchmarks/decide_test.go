package benchmarks

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

// history builds a lean workflow's history: the started event with p as
// input, then events of the given types.
func history(t *testing.T, p leanParams, types ...enumspb.EventType) []*historypb.HistoryEvent {
	t.Helper()
	in, err := payloads(p)
	require.NoError(t, err)
	es := []*historypb.HistoryEvent{{
		EventId:   1,
		EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
			WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{Input: in},
		},
	}}
	for i, typ := range types {
		es = append(es, &historypb.HistoryEvent{EventId: int64(i + 2), EventType: typ})
	}
	return es
}

const (
	wtScheduled = enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
	wtStarted   = enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED
	wtCompleted = enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
	actSched    = enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
	actStarted  = enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED
	actDone     = enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
	actFailed   = enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED
)

func TestDecide(t *testing.T) {
	one := leanParams{Activities: 1, Runs: 1}
	chain := leanParams{Activities: 3, Runs: 1}
	loop := leanParams{Activities: 1, Runs: 2}
	first := []enumspb.EventType{wtScheduled, wtStarted}
	afterOne := []enumspb.EventType{wtScheduled, wtStarted, wtCompleted, actSched, actStarted, actDone, wtScheduled, wtStarted}
	tests := []struct {
		name       string
		events     []*historypb.HistoryEvent
		want       []enumspb.CommandType
		closed     bool
		failed     bool
		activityID string
	}{
		{name: "first task schedules the activity", events: history(t, one, first...),
			want: []enumspb.CommandType{enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK}, activityID: "1"},
		{name: "one activity done completes", events: history(t, one, afterOne...),
			want: []enumspb.CommandType{enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION}, closed: true},
		{name: "chain schedules the next", events: history(t, chain, afterOne...),
			want: []enumspb.CommandType{enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK}, activityID: "2"},
		{name: "last run done completes", events: history(t, leanParams{Activities: 1, Runs: 1}, afterOne...),
			want: []enumspb.CommandType{enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION}, closed: true},
		{name: "runs left continue as new", events: history(t, loop, afterOne...),
			want: []enumspb.CommandType{enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION}},
		{name: "activity running waits", events: history(t, one, wtScheduled, wtStarted, wtCompleted, actSched, wtScheduled, wtStarted)},
		{name: "failed activity fails", events: history(t, one, wtScheduled, wtStarted, wtCompleted, actSched, actFailed, wtScheduled, wtStarted),
			want: []enumspb.CommandType{enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION}, closed: true, failed: true},
		{name: "foreign input fails", events: func() []*historypb.HistoryEvent {
			es := history(t, one, first...)
			es[0].GetWorkflowExecutionStartedEventAttributes().Input = &commonpb.Payloads{}
			return es
		}(), want: []enumspb.CommandType{enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION}, closed: true, failed: true},
		{name: "empty history fails", want: []enumspb.CommandType{enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION}, closed: true, failed: true},
	}
	for _, tt := range tests {
		for _, eager := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s eager=%v", tt.name, eager), func(t *testing.T) {
				d := decide(tt.events, "tq", eager)
				var got []enumspb.CommandType
				for _, c := range d.commands {
					got = append(got, c.GetCommandType())
				}
				require.Equal(t, tt.want, got)
				require.Equal(t, tt.closed, d.closed)
				require.Equal(t, tt.failed, d.result != nil)
				if tt.activityID != "" {
					a := d.commands[0].GetScheduleActivityTaskCommandAttributes()
					require.Equal(t, tt.activityID, a.GetActivityId())
					require.Equal(t, eager, a.GetRequestEagerExecution())
					require.Equal(t, "tq", a.GetTaskQueue().GetName())
					require.Equal(t, leanActivityType, a.GetActivityType().GetName())
				}
				if c := d.commands; len(c) == 1 && c[0].GetCommandType() == enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION {
					in := c[0].GetContinueAsNewWorkflowExecutionCommandAttributes().GetInput()
					want, err := payloads(leanParams{Activities: 1, Runs: 1})
					require.NoError(t, err)
					require.Equal(t, string(want.GetPayloads()[0].GetData()), string(in.GetPayloads()[0].GetData()))
				}
			})
		}
	}
}
