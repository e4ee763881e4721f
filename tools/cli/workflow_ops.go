package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// The commands that act on workflows: start, signal, query, cancel,
// terminate, reset and delete. Flags follow the temporal CLI's: -w/-r pick
// the execution, --input takes one JSON value per argument.

// inputFlag collects --input values, each a JSON value.
type inputFlag struct{ values []string }

func (f *inputFlag) register(c *cobra.Command, what string) {
	c.Flags().StringArrayVarP(&f.values, "input", "i", nil, what+" argument as JSON (repeat for several arguments)")
}

// args returns the inputs as arguments the SDK's data converter encodes as
// JSON payloads, or an error naming the bad one.
func (f *inputFlag) args() ([]any, error) {
	out := make([]any, 0, len(f.values))
	for i, v := range f.values {
		if !json.Valid([]byte(v)) {
			return nil, fmt.Errorf("--input #%d %q: not valid JSON (quote strings: '\"text\"')", i+1, v)
		}
		out = append(out, json.RawMessage(v))
	}
	return out, nil
}

// payloads encodes the inputs (nil when there are none).
func (f *inputFlag) payloads() (*commonpb.Payloads, error) {
	args, err := f.args()
	if err != nil || len(args) == 0 {
		return nil, err
	}
	return converter.GetDefaultDataConverter().ToPayloads(args...)
}

// resultLine prints what a command did: text, or a JSON object.
func (a *App) resultLine(s *clientSession, text string, fields map[string]any) error {
	if s.out.json() {
		b, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.Stdout, string(b))
		return err
	}
	_, err := fmt.Fprintln(a.Stdout, text)
	return err
}

// executionResult reports what a command did to e's execution: err
// wrapped with verb ("signal workflow w1: ..."), or the text line done
// (with %s for the workflow ID) or {"workflowId", "result"}.
func (a *App) executionResult(s *clientSession, e *executionFlags, verb string, err error, done, result string) error {
	if err != nil {
		return fmt.Errorf("%s workflow %s: %w", verb, e.workflowID, err)
	}
	return a.resultLine(s, fmt.Sprintf(done, e.workflowID), map[string]any{"workflowId": e.workflowID, "result": result})
}

func (a *App) newWorkflowStartCommand(f *workflowFlags) *cobra.Command {
	var (
		workflowID, typeName, taskQueue string
		input                           inputFlag
		executionTimeout, runTimeout    time.Duration
		taskTimeout                     time.Duration
		args                            []any
	)
	c := &cobra.Command{Use: "start", Short: "Start a workflow execution"}
	a.clientCommand(c, f, func() (err error) {
		if typeName == "" {
			return errors.New("--type: required")
		}
		if taskQueue == "" {
			return errors.New("--task-queue: required")
		}
		if executionTimeout < 0 || runTimeout < 0 || taskTimeout < 0 {
			return errors.New("--execution-timeout, --run-timeout, --task-timeout: must not be negative")
		}
		args, err = input.args()
		return err
	}, func(s *clientSession, cl client.Client) error {
		id := workflowID
		if id == "" {
			id = uuid.NewString()
		}
		run, err := cl.ExecuteWorkflow(s.ctx, client.StartWorkflowOptions{
			ID: id, TaskQueue: taskQueue,
			WorkflowExecutionTimeout: executionTimeout, WorkflowRunTimeout: runTimeout, WorkflowTaskTimeout: taskTimeout,
		}, typeName, args...)
		if err != nil {
			return fmt.Errorf("start workflow %s: %w", id, err)
		}
		return a.resultLine(s, fmt.Sprintf("Started workflow %s, run %s.", run.GetID(), run.GetRunID()),
			map[string]any{"workflowId": run.GetID(), "runId": run.GetRunID()})
	})
	c.Flags().StringVarP(&workflowID, "workflow-id", "w", "", "workflow ID (default: a new UUID)")
	c.Flags().StringVar(&typeName, "type", "", "workflow type (required)")
	c.Flags().StringVarP(&taskQueue, "task-queue", "t", "", "task queue (required)")
	c.Flags().DurationVar(&executionTimeout, "execution-timeout", 0, "workflow execution timeout (0 = none)")
	c.Flags().DurationVar(&runTimeout, "run-timeout", 0, "workflow run timeout (0 = none)")
	c.Flags().DurationVar(&taskTimeout, "task-timeout", 0, "workflow task timeout (0 = server default)")
	input.register(c, "workflow")
	return c
}

func (a *App) newWorkflowSignalCommand(f *workflowFlags) *cobra.Command {
	var (
		e     executionFlags
		name  string
		input inputFlag
		p     *commonpb.Payloads
	)
	c := &cobra.Command{Use: "signal", Short: "Send a signal to a workflow execution"}
	a.clientCommand(c, f, func() (err error) {
		if err := e.validate(); err != nil {
			return err
		}
		if name == "" {
			return errors.New("--name: required")
		}
		p, err = input.payloads()
		return err
	}, func(s *clientSession, cl client.Client) error {
		_, err := cl.WorkflowService().SignalWorkflowExecution(s.ctx, &workflowservice.SignalWorkflowExecutionRequest{
			Namespace:         f.namespace,
			WorkflowExecution: e.execution(),
			SignalName:        name,
			Input:             p,
			Identity:          s.opts.Identity,
			RequestId:         uuid.NewString(),
		})
		return a.executionResult(s, &e, "signal", err, "Signaled workflow %s.", "signaled")
	})
	e.register(c)
	c.Flags().StringVar(&name, "name", "", "signal name (required)")
	input.register(c, "signal")
	return c
}

func (a *App) newWorkflowQueryCommand(f *workflowFlags) *cobra.Command {
	var (
		e         executionFlags
		queryType string
		input     inputFlag
		args      []any
	)
	c := &cobra.Command{Use: "query", Short: "Query a workflow execution and print the result as JSON"}
	a.clientCommand(c, f, func() (err error) {
		if err := e.validate(); err != nil {
			return err
		}
		if queryType == "" {
			return errors.New("--type: required")
		}
		args, err = input.args()
		return err
	}, func(s *clientSession, cl client.Client) error {
		v, err := cl.QueryWorkflow(s.ctx, e.workflowID, e.runID, queryType, args...)
		if err != nil {
			return fmt.Errorf("query workflow %s: %w", e.workflowID, err)
		}
		var result json.RawMessage
		if v.HasValue() {
			if err := v.Get(&result); err != nil {
				return fmt.Errorf("query workflow %s: decode result: %w", e.workflowID, err)
			}
		} else {
			result = json.RawMessage("null")
		}
		_, err = fmt.Fprintln(a.Stdout, string(result))
		return err
	})
	e.register(c)
	c.Flags().StringVar(&queryType, "type", "", "query type (required)")
	input.register(c, "query")
	return c
}

func (a *App) newWorkflowCancelCommand(f *workflowFlags) *cobra.Command {
	var (
		e      executionFlags
		reason string
	)
	c := &cobra.Command{Use: "cancel", Short: "Request cancellation of a workflow execution"}
	a.clientCommand(c, f, e.validate, func(s *clientSession, cl client.Client) error {
		_, err := cl.WorkflowService().RequestCancelWorkflowExecution(s.ctx, &workflowservice.RequestCancelWorkflowExecutionRequest{
			Namespace:         f.namespace,
			WorkflowExecution: e.execution(),
			Identity:          s.opts.Identity,
			RequestId:         uuid.NewString(),
			Reason:            reason,
		})
		return a.executionResult(s, &e, "cancel", err, "Cancellation of workflow %s requested.", "cancel requested")
	})
	e.register(c)
	c.Flags().StringVar(&reason, "reason", "", "reason, recorded in the history")
	return c
}

func (a *App) newWorkflowTerminateCommand(f *workflowFlags) *cobra.Command {
	var (
		e      executionFlags
		reason string
	)
	c := &cobra.Command{Use: "terminate", Short: "Terminate a workflow execution at once"}
	a.clientCommand(c, f, e.validate, func(s *clientSession, cl client.Client) error {
		err := cl.TerminateWorkflow(s.ctx, e.workflowID, e.runID, reason)
		return a.executionResult(s, &e, "terminate", err, "Terminated workflow %s.", "terminated")
	})
	e.register(c)
	c.Flags().StringVar(&reason, "reason", "", "reason, recorded in the history")
	return c
}

// reapplyTypes maps --reapply-type values (the temporal CLI's) to the API's.
//
//nolint:staticcheck // the temporal CLI still offers --reapply-type
var reapplyTypes = map[string]enumspb.ResetReapplyType{
	"all":    enumspb.RESET_REAPPLY_TYPE_ALL_ELIGIBLE,
	"signal": enumspb.RESET_REAPPLY_TYPE_SIGNAL,
	"none":   enumspb.RESET_REAPPLY_TYPE_NONE,
}

// reapplyExcludes maps --reapply-exclude values to the API's.
var reapplyExcludes = map[string]enumspb.ResetReapplyExcludeType{
	"signal": enumspb.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL,
	"update": enumspb.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE,
}

func (a *App) newWorkflowResetCommand(f *workflowFlags) *cobra.Command {
	var (
		e                   executionFlags
		eventID             int64
		resetType           string
		reason, reapplyType string
		reapplyExclude      []string
		req                 *workflowservice.ResetWorkflowExecutionRequest
	)
	c := &cobra.Command{
		Use:   "reset",
		Short: "Reset a workflow execution to a workflow task, starting a new run",
		Long: "reset starts a new run of the workflow whose history is the run's up to the\n" +
			"workflow task that --event-id (a WorkflowTaskCompleted, -Failed, -TimedOut or\n" +
			"-Started event; see `workflow show`) or --type (first or last workflow task)\n" +
			"names. A running current run is terminated. Signals received after that point\n" +
			"are re-applied to the new run unless --reapply-type none or --reapply-exclude\n" +
			"signal.",
	}
	a.clientCommand(c, f, func() error {
		if err := e.validate(); err != nil {
			return err
		}
		if reason == "" {
			return errors.New("--reason: required")
		}
		if (eventID == 0) == (resetType == "") {
			return errors.New("--event-id or --type: give exactly one")
		}
		switch strings.ToLower(resetType) {
		case "":
		case "first", "firstworkflowtask", "last", "lastworkflowtask":
		default:
			return fmt.Errorf("--type %q: want first or last", resetType)
		}
		req = &workflowservice.ResetWorkflowExecutionRequest{
			Namespace:         f.namespace,
			WorkflowExecution: e.execution(),
			Reason:            reason,
			RequestId:         uuid.NewString(),
		}
		if reapplyType != "" {
			t, ok := reapplyTypes[strings.ToLower(reapplyType)]
			if !ok {
				return fmt.Errorf("--reapply-type %q: want All, Signal or None", reapplyType)
			}
			req.ResetReapplyType = t //nolint:staticcheck // the server still honors it, as Temporal's does
		}
		for _, x := range reapplyExclude {
			t, ok := reapplyExcludes[strings.ToLower(x)]
			if !ok {
				return fmt.Errorf("--reapply-exclude %q: want Signal or Update", x)
			}
			req.ResetReapplyExcludeTypes = append(req.ResetReapplyExcludeTypes, t)
		}
		return nil
	}, func(s *clientSession, cl client.Client) error {
		req.Identity = s.opts.Identity
		if resetType != "" {
			var err error
			first := strings.HasPrefix(strings.ToLower(resetType), "first")
			if eventID, err = findResetEvent(s, cl, &e, first); err != nil {
				return err
			}
		}
		req.WorkflowTaskFinishEventId = eventID
		resp, err := cl.ResetWorkflowExecution(s.ctx, req)
		if err != nil {
			return fmt.Errorf("reset workflow %s: %w", e.workflowID, err)
		}
		return a.resultLine(s, fmt.Sprintf("Reset workflow %s to event %d: new run %s.", e.workflowID, eventID, resp.GetRunId()),
			map[string]any{"workflowId": e.workflowID, "eventId": eventID, "runId": resp.GetRunId()})
	})
	e.register(c)
	c.Flags().Int64Var(&eventID, "event-id", 0, "the WorkflowTaskCompleted (or -Failed, -TimedOut, -Started) event to reset to")
	c.Flags().StringVar(&resetType, "type", "", "reset to the first or last completed workflow task (first|last) instead of --event-id")
	c.Flags().StringVar(&reason, "reason", "", "reason, recorded in both runs' histories (required)")
	c.Flags().StringVar(&reapplyType, "reapply-type", "", "events after the reset point to re-apply: All, Signal (default) or None")
	c.Flags().StringArrayVar(&reapplyExclude, "reapply-exclude", nil, "event types not to re-apply: Signal or Update (repeatable)")
	return c
}

// findResetEvent returns the first or last WorkflowTaskCompleted event of
// the run.
func findResetEvent(s *clientSession, cl client.Client, e *executionFlags, first bool) (int64, error) {
	history, err := e.history(s, cl)
	if err != nil {
		return 0, err
	}
	var found int64
	for _, ev := range history.GetEvents() {
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			found = ev.GetEventId()
			if first {
				break
			}
		}
	}
	if found == 0 {
		return 0, fmt.Errorf("reset workflow %s: the run has no completed workflow task", e.workflowID)
	}
	return found, nil
}

func (a *App) newWorkflowDeleteCommand(f *workflowFlags) *cobra.Command {
	var e executionFlags
	c := &cobra.Command{Use: "delete", Short: "Delete a workflow execution (terminating it if it is running)"}
	a.clientCommand(c, f, e.validate, func(s *clientSession, cl client.Client) error {
		_, err := cl.WorkflowService().DeleteWorkflowExecution(s.ctx, &workflowservice.DeleteWorkflowExecutionRequest{
			Namespace:         f.namespace,
			WorkflowExecution: e.execution(),
		})
		return a.executionResult(s, &e, "delete", err, "Deleted workflow %s.", "deleted")
	})
	e.register(c)
	return c
}
