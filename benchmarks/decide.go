package benchmarks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Names the lean driver uses on the wire.
const (
	leanWorkflowType = "meridian-bench-lean"
	leanActivityType = "meridian-bench-noop"
	// leanActivityTimeout is each activity's start-to-close timeout.
	leanActivityTimeout = 10 * time.Second
)

// leanParams is the lean workflow's input: the chain length and the runs
// left, this one included.
type leanParams struct {
	Activities int `json:"activities"`
	Runs       int `json:"runs"`
}

// payloads encodes v as one json/plain payload, as the SDKs do.
func payloads(v any) (*commonpb.Payloads, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &commonpb.Payloads{Payloads: []*commonpb.Payload{{
		Metadata: map[string][]byte{"encoding": []byte("json/plain")},
		Data:     b,
	}}}, nil
}

// decision is the lean driver's answer to a workflow task.
type decision struct {
	commands []*commandpb.Command
	// closed is set when the commands end the workflow for good (a
	// continue-as-new does not); result is then its outcome.
	closed bool
	result error
}

// decide is the lean workflow: given the run's history up to the started
// workflow task, it schedules the next activity of the chain, or, with
// the chain done, continues as new or completes. An activity that failed
// fails the workflow. It does no I/O.
func decide(events []*historypb.HistoryEvent, taskQueue string, eager bool) decision {
	if len(events) == 0 || events[0].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
		return fail(fmt.Errorf("history does not begin with WorkflowExecutionStarted"))
	}
	var p leanParams
	in := events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	if len(in) != 1 || json.Unmarshal(in[0].GetData(), &p) != nil || p.Activities < 1 || p.Runs < 1 {
		return fail(fmt.Errorf("input is not a lean workflow's parameters"))
	}
	var scheduled, completed int
	for _, e := range events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			scheduled++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			completed++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
			enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			return fail(fmt.Errorf("activity ended with %s", e.GetEventType()))
		}
	}
	switch {
	case scheduled > completed:
		// An activity is still running: nothing to do until it completes.
		return decision{}
	case completed < p.Activities:
		return decision{commands: []*commandpb.Command{{
			CommandType: enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
			Attributes: &commandpb.Command_ScheduleActivityTaskCommandAttributes{
				ScheduleActivityTaskCommandAttributes: &commandpb.ScheduleActivityTaskCommandAttributes{
					ActivityId:          strconv.Itoa(completed + 1),
					ActivityType:        &commonpb.ActivityType{Name: leanActivityType},
					TaskQueue:           &taskqueuepb.TaskQueue{Name: taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
					StartToCloseTimeout: durationpb.New(leanActivityTimeout),
					// Asked for as the SDK asks: the server may return the
					// activity with the completion instead of through a poll.
					RequestEagerExecution: eager,
				},
			},
		}}}
	case p.Runs > 1:
		input, err := payloads(leanParams{Activities: p.Activities, Runs: p.Runs - 1})
		if err != nil {
			return fail(err)
		}
		return decision{commands: []*commandpb.Command{{
			CommandType: enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_ContinueAsNewWorkflowExecutionCommandAttributes{
				ContinueAsNewWorkflowExecutionCommandAttributes: &commandpb.ContinueAsNewWorkflowExecutionCommandAttributes{
					WorkflowType: &commonpb.WorkflowType{Name: leanWorkflowType},
					TaskQueue:    &taskqueuepb.TaskQueue{Name: taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
					Input:        input,
				},
			},
		}}}
	default:
		return decision{closed: true, commands: []*commandpb.Command{{
			CommandType: enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_CompleteWorkflowExecutionCommandAttributes{
				CompleteWorkflowExecutionCommandAttributes: &commandpb.CompleteWorkflowExecutionCommandAttributes{},
			},
		}}}
	}
}

// fail closes the workflow with err as its failure.
func fail(err error) decision {
	return decision{closed: true, result: err, commands: []*commandpb.Command{{
		CommandType: enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
		Attributes: &commandpb.Command_FailWorkflowExecutionCommandAttributes{
			FailWorkflowExecutionCommandAttributes: &commandpb.FailWorkflowExecutionCommandAttributes{
				Failure: &failurepb.Failure{Message: "meridian bench: " + err.Error(), Source: "meridian-bench"},
			},
		},
	}}}
}
