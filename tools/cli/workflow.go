package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/meridian-dev/meridian/server"
)

// workflowFlags are the connection flags of `workflow` commands plus the
// namespace they act in.
type workflowFlags struct {
	clientFlags
	namespace string
}

func (f *workflowFlags) register(fs *pflag.FlagSet) {
	f.clientFlags.register(fs)
	fs.StringVarP(&f.namespace, "namespace", "n", server.DefaultNamespace, "namespace")
}

func (a *App) newWorkflowCommand() *cobra.Command {
	f := &workflowFlags{}
	c := &cobra.Command{
		Use:     "workflow",
		Aliases: []string{"wf"},
		Short:   "Start, inspect and change workflow executions",
	}
	f.register(c.PersistentFlags())
	c.AddCommand(
		a.newWorkflowListCommand(f),
		a.newWorkflowDescribeCommand(f),
		a.newWorkflowShowCommand(f),
		a.newWorkflowStartCommand(f),
		a.newWorkflowSignalCommand(f),
		a.newWorkflowQueryCommand(f),
		a.newWorkflowCancelCommand(f),
		a.newWorkflowTerminateCommand(f),
		a.newWorkflowResetCommand(f),
		a.newWorkflowDeleteCommand(f),
	)
	return c
}

// workflowSession validates the namespace and opens a client on it.
func (a *App) workflowSession(c *cobra.Command, f *workflowFlags) (*clientSession, client.Client, func(), error) {
	if err := server.ValidateNamespaceName(f.namespace); err != nil {
		return nil, nil, nil, usage(c, fmt.Errorf("--namespace: %w", err))
	}
	s, done, err := a.session(c, &f.clientFlags, f.namespace)
	if err != nil {
		return nil, nil, nil, err
	}
	cl, err := s.dial()
	if err != nil {
		done()
		return nil, nil, nil, err
	}
	return s, cl, func() { cl.Close(); done() }, nil
}

// clientCommand completes c, a `workflow` or `schedule` subcommand, with
// what they all share: no positional arguments; check (which may be nil)
// validates the command's own flags, its error a usage error reported
// before any connection; then run does the work with a client on f's
// namespace, closed when run returns.
func (a *App) clientCommand(c *cobra.Command, f *workflowFlags, check func() error, run func(*clientSession, client.Client) error) *cobra.Command {
	c.Args = noArgs
	c.RunE = func(c *cobra.Command, _ []string) error {
		if check != nil {
			if err := check(); err != nil {
				return usage(c, err)
			}
		}
		s, cl, done, err := a.workflowSession(c, f)
		if err != nil {
			return err
		}
		defer done()
		return run(s, cl)
	}
	return c
}

// executionFlags pick one workflow execution.
type executionFlags struct {
	workflowID string
	runID      string
}

func (e *executionFlags) register(c *cobra.Command) {
	c.Flags().StringVarP(&e.workflowID, "workflow-id", "w", "", "workflow ID (required)")
	c.Flags().StringVarP(&e.runID, "run-id", "r", "", "run ID (default: the latest run)")
}

func (e *executionFlags) validate() error {
	if e.workflowID == "" {
		return errors.New("--workflow-id: required")
	}
	return nil
}

// execution is the execution the flags pick.
func (e *executionFlags) execution() *commonpb.WorkflowExecution {
	return &commonpb.WorkflowExecution{WorkflowId: e.workflowID, RunId: e.runID}
}

func (a *App) newWorkflowListCommand(f *workflowFlags) *cobra.Command {
	var (
		query string
		limit int
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List workflow executions, newest first",
	}
	a.clientCommand(c, f, func() error {
		if limit < 0 {
			return fmt.Errorf("--limit %d: must not be negative", limit)
		}
		return nil
	}, func(s *clientSession, cl client.Client) error {
		var all []*workflowpb.WorkflowExecutionInfo
		var token []byte
		for limit == 0 || len(all) < limit {
			resp, err := cl.ListWorkflow(s.ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Namespace:     f.namespace,
				PageSize:      100,
				NextPageToken: token,
				Query:         query,
			})
			if err != nil {
				return fmt.Errorf("list workflows: %w", err)
			}
			all = append(all, resp.GetExecutions()...)
			token = resp.GetNextPageToken()
			if len(token) == 0 {
				break
			}
		}
		if limit > 0 && len(all) > limit {
			all = all[:limit]
		}
		if s.out.json() {
			return writeProtoJSONList(a.Stdout, all)
		}
		t := newTable("STATUS", "WORKFLOW ID", "RUN ID", "TYPE", "START TIME", "CLOSE TIME")
		for _, w := range all {
			t.row(
				enumName(w.GetStatus()),
				w.GetExecution().GetWorkflowId(),
				w.GetExecution().GetRunId(),
				w.GetType().GetName(),
				formatTime(w.GetStartTime()),
				formatTime(w.GetCloseTime()))
		}
		return t.writeTo(a.Stdout)
	})
	c.Flags().StringVarP(&query, "query", "q", "", `visibility query, e.g. "WorkflowType = 'Hello' AND ExecutionStatus = 'Running'"`)
	c.Flags().IntVar(&limit, "limit", 0, "print at most this many (0 = all)")
	return c
}

func (a *App) newWorkflowDescribeCommand(f *workflowFlags) *cobra.Command {
	var e executionFlags
	c := &cobra.Command{
		Use:   "describe",
		Short: "Show a workflow execution's state",
	}
	a.clientCommand(c, f, e.validate, func(s *clientSession, cl client.Client) error {
		resp, err := cl.DescribeWorkflowExecution(s.ctx, e.workflowID, e.runID)
		if err != nil {
			return fmt.Errorf("describe workflow %s: %w", e.workflowID, err)
		}
		if s.out.json() {
			return writeProtoJSON(a.Stdout, resp)
		}
		return printWorkflow(a, resp)
	})
	e.register(c)
	return c
}

func printWorkflow(a *App, resp *workflowservice.DescribeWorkflowExecutionResponse) error {
	info := resp.GetWorkflowExecutionInfo()
	t := newTable()
	t.field("Workflow ID", info.GetExecution().GetWorkflowId())
	t.field("Run ID", info.GetExecution().GetRunId())
	t.field("Type", info.GetType().GetName())
	t.field("Task queue", info.GetTaskQueue())
	t.field("Status", enumName(info.GetStatus()))
	t.field("Start time", formatTime(info.GetStartTime()))
	t.field("Close time", formatTime(info.GetCloseTime()))
	t.field("History", fmt.Sprintf("%d events, %d bytes", info.GetHistoryLength(), info.GetHistorySizeBytes()))
	t.field("Pending activities", fmt.Sprint(len(resp.GetPendingActivities())))
	t.field("Pending children", fmt.Sprint(len(resp.GetPendingChildren())))
	if p := info.GetParentExecution(); p != nil {
		t.field("Parent", p.GetWorkflowId()+"/"+p.GetRunId())
	}
	return t.writeTo(a.Stdout)
}

func (a *App) newWorkflowShowCommand(f *workflowFlags) *cobra.Command {
	var e executionFlags
	c := &cobra.Command{
		Use:   "show",
		Short: "Print a workflow execution's event history",
		Long: "show prints the event history of a workflow execution. With --output json it\n" +
			"prints the history in Temporal's JSON form, which the SDKs' replayers read\n" +
			"(client.HistoryFromJSON in Go).",
	}
	a.clientCommand(c, f, e.validate, func(s *clientSession, cl client.Client) error {
		history, err := e.history(s, cl)
		if err != nil {
			return err
		}
		if s.out.json() {
			return writeProtoJSON(a.Stdout, history)
		}
		t := newTable("ID", "TIME", "TYPE", "DETAILS")
		for _, ev := range history.GetEvents() {
			t.row(fmt.Sprint(ev.GetEventId()), formatTime(ev.GetEventTime()),
				enumName(ev.GetEventType()), eventDetails(ev))
		}
		return t.writeTo(a.Stdout)
	})
	e.register(c)
	return c
}

// history reads the whole event history of the execution.
func (e *executionFlags) history(s *clientSession, cl client.Client) (*historypb.History, error) {
	it := cl.GetWorkflowHistory(s.ctx, e.workflowID, e.runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	history := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("get history of workflow %s: %w", e.workflowID, err)
		}
		history.Events = append(history.Events, ev)
	}
	return history, nil
}

// eventDetails is a one-line summary of the event attributes people look
// for first: names, task queues and failure messages.
func eventDetails(ev *historypb.HistoryEvent) string {
	switch {
	case ev.GetWorkflowExecutionStartedEventAttributes() != nil:
		a := ev.GetWorkflowExecutionStartedEventAttributes()
		return fmt.Sprintf("type=%s task_queue=%s", a.GetWorkflowType().GetName(), a.GetTaskQueue().GetName())
	case ev.GetActivityTaskScheduledEventAttributes() != nil:
		a := ev.GetActivityTaskScheduledEventAttributes()
		return fmt.Sprintf("activity_id=%s type=%s", a.GetActivityId(), a.GetActivityType().GetName())
	case ev.GetActivityTaskStartedEventAttributes() != nil:
		return fmt.Sprintf("attempt=%d", ev.GetActivityTaskStartedEventAttributes().GetAttempt())
	case ev.GetActivityTaskFailedEventAttributes() != nil:
		return "failure=" + ev.GetActivityTaskFailedEventAttributes().GetFailure().GetMessage()
	case ev.GetWorkflowTaskStartedEventAttributes() != nil:
		return "identity=" + ev.GetWorkflowTaskStartedEventAttributes().GetIdentity()
	case ev.GetWorkflowTaskFailedEventAttributes() != nil:
		a := ev.GetWorkflowTaskFailedEventAttributes()
		return fmt.Sprintf("cause=%s failure=%s", enumName(a.GetCause()), a.GetFailure().GetMessage())
	case ev.GetTimerStartedEventAttributes() != nil:
		a := ev.GetTimerStartedEventAttributes()
		return fmt.Sprintf("timer_id=%s timeout=%s", a.GetTimerId(), formatDuration(a.GetStartToFireTimeout()))
	case ev.GetWorkflowExecutionSignaledEventAttributes() != nil:
		return "signal=" + ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName()
	case ev.GetWorkflowExecutionFailedEventAttributes() != nil:
		return "failure=" + ev.GetWorkflowExecutionFailedEventAttributes().GetFailure().GetMessage()
	case ev.GetStartChildWorkflowExecutionInitiatedEventAttributes() != nil:
		a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes()
		return fmt.Sprintf("workflow_id=%s type=%s", a.GetWorkflowId(), a.GetWorkflowType().GetName())
	case ev.GetMarkerRecordedEventAttributes() != nil:
		return "marker=" + ev.GetMarkerRecordedEventAttributes().GetMarkerName()
	case ev.GetWorkflowExecutionContinuedAsNewEventAttributes() != nil:
		return "new_run_id=" + ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
	}
	return ""
}
