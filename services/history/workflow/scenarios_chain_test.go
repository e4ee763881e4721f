package workflow

import (
	"time"

	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// Golden scenarios for chains of runs (continue-as-new, retry, cron), child
// workflows and requests to other workflows; listed in scenarios_test.go.

func scenarioContinueAsNew(h *harness) {
	h.start("start workflow with memo and execution timeout 1h", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.WorkflowExecutionTimeout = dur(time.Hour)
		r.WorkflowRunTimeout = dur(10 * time.Minute)
		r.Memo = &commonpb.Memo{Fields: map[string]*commonpb.Payload{"owner": payload(`"ops"`)}}
	})})
	// Unset type, queue and timeouts are inherited; the backoff delays the
	// new run's first workflow task.
	h.runWorkflowTask(continueAsNew(`2`, func(a *commandpb.ContinueAsNewWorkflowExecutionCommandAttributes) {
		a.BackoffStartInterval = dur(5 * time.Second)
	}))
	h.continueChain()
	h.advance(5 * time.Second)
	h.fireBackoffTimer()
	// The command may change the type, queue and run timeout.
	h.runWorkflowTask(continueAsNew(`3`, func(a *commandpb.ContinueAsNewWorkflowExecutionCommandAttributes) {
		a.WorkflowType = &commonpb.WorkflowType{Name: "OrderWorkflowV2"}
		a.TaskQueue = &taskqueuepb.TaskQueue{Name: "orders-v2", Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
		a.WorkflowRunTimeout = dur(2 * time.Hour) // capped by the execution timeout
	}))
	h.continueChain()
	h.runWorkflowTask(completeWorkflow(`"done"`))
}

func retryPolicy(maxAttempts int32, nonRetryable ...string) *commonpb.RetryPolicy {
	return &commonpb.RetryPolicy{
		InitialInterval: dur(time.Second), BackoffCoefficient: 2, MaximumAttempts: maxAttempts, NonRetryableErrorTypes: nonRetryable,
	}
}

func scenarioWorkflowRetry(h *harness) {
	h.start("start workflow with retry policy (3 attempts)", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.RetryPolicy = retryPolicy(3, "Fatal")
	})})
	h.runWorkflowTask(failWorkflow("declined"))
	h.continueChain()
	h.advance(time.Second)
	h.fireBackoffTimer()
	h.runWorkflowTask(failWorkflow("declined again"))
	h.continueChain()
	h.advance(2 * time.Second)
	h.fireBackoffTimer()
	// The third attempt is the last.
	h.runWorkflowTask(failWorkflow("declined for good"))
}

func scenarioWorkflowRetryNonRetryable(h *harness) {
	h.start("start workflow with retry policy", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.RetryPolicy = retryPolicy(0, "Fatal")
	})})
	fatal := failWorkflow("fatal")
	fatal.GetFailWorkflowExecutionCommandAttributes().Failure = appFailure("fatal", "Fatal", false)
	h.runWorkflowTask(fatal)
}

func scenarioRunTimeoutRetry(h *harness) {
	h.start("start workflow with run timeout 10s, execution timeout 25s and retry policy", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.WorkflowRunTimeout = dur(10 * time.Second)
		r.WorkflowExecutionTimeout = dur(25 * time.Second)
		r.RetryPolicy = retryPolicy(0)
	})})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(9 * time.Second)
	// The in-flight task is failed first; the retry inherits the expiration.
	h.fireRunTimeout()
	h.continueChain()
	h.advance(time.Second)
	h.fireBackoffTimer()
	h.advance(10 * time.Second)
	h.fireRunTimeout()
	h.continueChain()
	h.advance(2 * time.Second)
	h.fireBackoffTimer()
	// The third run's timeout is the execution's: no retry.
	h.advance(2 * time.Second)
	h.fireRunTimeout()
}

func scenarioCron(h *harness) {
	h.start("start workflow with cron @every 30s", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.CronSchedule = "@every 30s"
	})})
	h.advance(5 * time.Second)
	h.signal("early", `1`) // a cron run's first task waits for its time
	h.advance(25 * time.Second)
	h.fireBackoffTimer()
	h.runWorkflowTask(completeWorkflow(`"r1"`))
	h.continueChain()
	h.advance(28 * time.Second)
	h.fireBackoffTimer()
	// A failed cron run (no retry policy) is followed by the next one too,
	// which keeps the last completion result.
	h.runWorkflowTask(failWorkflow("oops"))
	h.continueChain()
	h.advance(5 * time.Second)
	h.step("cancel requested during the backoff", func(m *MutableState) string {
		m.AddCancelRequest("cancel-1", "stop", "client")
		return ""
	})
	h.step("terminate", func(m *MutableState) string {
		m.Terminate("enough", nil, "admin")
		return ""
	})
}

func scenarioChildWorkflow(h *harness) {
	startAndSchedule(h, startChild("child-1", "ChildWorkflow", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) {
		a.WorkflowExecutionTimeout = dur(time.Hour)
	}))
	h.advance(time.Second)
	h.childStarted(5, "child-run-1")
	h.childStarted(5, "child-run-1") // the start task ran twice
	h.runWorkflowTask()
	h.advance(time.Second)
	h.childClosed(5, "child-1", "child-run-2", childCompletedEvent(`"child-done"`))
	h.childClosed(5, "child-1", "child-run-2", childCompletedEvent(`"child-done"`)) // the close task ran twice
	h.runWorkflowTask(completeWorkflow(`"done"`))
}

func scenarioChildStartFailed(h *harness) {
	startAndSchedule(h, startChild("taken", "ChildWorkflow"))
	h.advance(time.Second)
	h.childStartFailed(5)
	h.childStarted(5, "late") // nothing pending any more
	h.runWorkflowTask(completeWorkflow(`"done"`))
}

func scenarioChildCloseOvertakesStart(h *harness) {
	startAndSchedule(h, startChild("child-1", "ChildWorkflow"))
	h.advance(time.Second)
	h.signal("poke", `1`)
	h.pollWorkflowTask()
	h.advance(time.Second)
	// The child closed before its start was recorded, while the parent's
	// task is in flight: started and close are buffered together and the
	// close names the started event's real ID once written.
	h.childClosed(5, "child-1", "child-run-1", childFailedEvent("boom"))
	h.childStarted(5, "child-run-1")
	h.advance(time.Second)
	h.completeWorkflowTask()
	h.runWorkflowTask(completeWorkflow(`"done"`))
}

func scenarioChildOutcomesAndParentClose(h *harness) {
	startAndSchedule(h,
		startChild("c-canceled", "ChildWorkflow"),
		startChild("c-timed-out", "ChildWorkflow", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) {
			a.Namespace = otherNamespace //nolint:staticcheck // the Go SDK still sets it
			a.TaskQueue = nil            // the parent's queue
			a.WorkflowRunTimeout = dur(time.Minute)
		}),
		startChild("c-terminated", "ChildWorkflow"),
		startChild("c-continues", "ChildWorkflow", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) {
			a.ParentClosePolicy = enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL
		}),
		startChild("c-abandoned", "ChildWorkflow", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) {
			a.ParentClosePolicy = enumspb.PARENT_CLOSE_POLICY_ABANDON
		}),
		startChild("c-never-started", "ChildWorkflow"),
	)
	h.advance(time.Second)
	for id := int64(5); id <= 9; id++ {
		h.childStarted(id, "child-run-1")
	}
	h.childClosed(5, "c-canceled", "child-run-1", childCloseEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED))
	h.childClosed(6, "c-timed-out", "child-run-1", childCloseEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT))
	h.childClosed(7, "c-terminated", "child-run-1", childCloseEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED))
	// A child run that continues as new does not close the child.
	h.childClosed(8, "c-continues", "child-run-1", childCloseEvent(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW))
	// A close reported for another workflow ID is not this child's.
	h.childClosed(8, "someone-else", "x", childCompletedEvent(`"?"`))
	// The parent closes with c-continues (REQUEST_CANCEL) started: its close
	// task applies the policy; c-abandoned is left alone and c-never-started
	// will never start.
	h.runWorkflowTask(completeWorkflow(`"done"`))
}

func scenarioChildSide(h *harness) {
	h.start("start as a child workflow", StartParams{
		Request: startRequest(),
		Parent: &ParentInfo{
			NamespaceID: "ns-0", Namespace: "parents",
			Execution:   &commonpb.WorkflowExecution{WorkflowId: "parent-1", RunId: "parent-run-1"},
			InitiatedID: 5, InitiatedVersion: 1,
		},
	})
	// Continuing as new keeps the parent and does not tell it anything.
	h.runWorkflowTask(continueAsNew(`2`))
	h.continueChain()
	// The chain's close is reported to the parent by the close task.
	h.runWorkflowTask(completeWorkflow(`"child-done"`))
}

func scenarioExternalRequests(h *harness) {
	startAndSchedule(h,
		signalExternal(testNamespace, "other-wf", "", "ping", false),
		signalExternal(otherNamespace, "elsewhere", "8c5c1a4e-1c0a-4d4b-9a55-3f5d1c2b7e10", "ping", false),
		requestCancelExternal(testNamespace, "child-x", "", true),
		requestCancelExternal(testNamespace, "missing", "", false),
	)
	h.advance(time.Second)
	h.step("signal to other-wf delivered", func(m *MutableState) string {
		return recorded(m.RecordExternalSignaled(5, "other-run-1"))
	})
	h.step("signal to other-wf delivered again", func(m *MutableState) string {
		return recorded(m.RecordExternalSignaled(5, "other-run-1"))
	})
	h.pollWorkflowTask()
	h.advance(time.Second)
	// Outcomes that arrive while a task is in flight are buffered.
	h.step("signal to elsewhere: not found", func(m *MutableState) string {
		return recorded(m.RecordExternalSignalFailed(6, enumspb.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND))
	})
	h.step("cancel of child-x requested", func(m *MutableState) string {
		return recorded(m.RecordExternalCancelRequested(7))
	})
	h.advance(time.Second)
	h.completeWorkflowTask()
	h.step("cancel of missing: not found", func(m *MutableState) string {
		return recorded(m.RecordExternalCancelFailed(8, enumspb.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND))
	})
	h.step("cancel of missing: reported twice", func(m *MutableState) string {
		return recorded(m.RecordExternalCancelFailed(8, enumspb.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND))
	})
	h.step("cancel requested by another workflow", func(m *MutableState) string {
		m.AddExternalCancelRequest("req-x", "parent asked", "history-service", 12, &commonpb.WorkflowExecution{WorkflowId: "parent-1", RunId: "parent-run-1"})
		return ""
	})
	h.runWorkflowTask(cancelWorkflow(`"canceled"`))
}

func recorded(ok bool) string {
	if ok {
		return "recorded=true"
	}
	return "recorded=false"
}

func scenarioBadChainCommands(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	reject := func(cmds ...*commandpb.Command) {
		h.runWorkflowTask(cmds...)
	}
	reject(startChild("", "ChildWorkflow"))
	reject(startChild("c1", ""))
	reject(startChild("c1", "ChildWorkflow", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) {
		a.Namespace = "nowhere" //nolint:staticcheck // the Go SDK still sets it
	}))
	reject(startChild("c1", "ChildWorkflow", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) { a.CronSchedule = "every tuesday" }))
	reject(startChild("c1", "ChildWorkflow", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) {
		a.WorkflowRunTimeout = dur(-time.Second)
	}))
	reject(startChild("c1", "ChildWorkflow", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) {
		a.RetryPolicy = &commonpb.RetryPolicy{BackoffCoefficient: 0.5}
	}))
	reject(continueAsNew(`1`), startTimer("t1", time.Minute))
	reject(continueAsNew(`1`, func(a *commandpb.ContinueAsNewWorkflowExecutionCommandAttributes) {
		a.BackoffStartInterval = dur(-time.Second)
	}))
	reject(continueAsNew(`1`, func(a *commandpb.ContinueAsNewWorkflowExecutionCommandAttributes) { a.CronSchedule = "61 * * * *" }))
	reject(&commandpb.Command{CommandType: enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION})
	reject(signalExternal(testNamespace, "", "", "ping", false))
	reject(signalExternal(testNamespace, "w", "", "", false))
	reject(signalExternal(testNamespace, "w", "not-a-uuid", "ping", false))
	reject(requestCancelExternal(testNamespace, "", "", false))
	reject(requestCancelExternal("nowhere", "w", "", false))
	// Continuing as new with a signal the workflow has not seen.
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.signal("late", `1`)
	h.advance(time.Second)
	h.completeWorkflowTask(continueAsNew(`1`))
	// Pending limits.
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTaskReq(&workflowservice.RespondWorkflowTaskCompletedRequest{
		Identity: wftWorker,
		Commands: []*commandpb.Command{startChild("c1", "ChildWorkflow"), startChild("c2", "ChildWorkflow")},
	}, Limits{MaxPendingChildWorkflows: 1})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTaskReq(&workflowservice.RespondWorkflowTaskCompletedRequest{
		Identity: wftWorker,
		Commands: []*commandpb.Command{signalExternal(testNamespace, "w", "", "a", false), signalExternal(testNamespace, "w", "", "b", false)},
	}, Limits{MaxPendingSignals: 1})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTaskReq(&workflowservice.RespondWorkflowTaskCompletedRequest{
		Identity: wftWorker,
		Commands: []*commandpb.Command{requestCancelExternal(testNamespace, "w", "", false), requestCancelExternal(testNamespace, "v", "", false)},
	}, Limits{MaxPendingCancelRequests: 1})
}
