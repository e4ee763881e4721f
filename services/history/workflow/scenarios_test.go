package workflow

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/common/searchattribute"
)

// scenarios are the golden transcripts; see transcript_test.go.
var scenarios = []struct {
	name string
	run  func(h *harness)
}{
	{"activity_happy_path", scenarioActivityHappyPath},
	{"signal_buffered", scenarioSignalBuffered},
	{"activity_close_buffered", scenarioActivityCloseBuffered},
	{"activity_retry", scenarioActivityRetry},
	{"activity_timeout_schedule_to_start", scenarioActivityScheduleToStart},
	{"activity_timeout_start_to_close", scenarioActivityStartToClose},
	{"activity_timeout_heartbeat", scenarioActivityHeartbeat},
	{"activity_timeout_schedule_to_close", scenarioActivityScheduleToClose},
	{"activity_timeout_retry_past_deadline", scenarioActivityRetryPastDeadline},
	{"timers", scenarioTimers},
	{"activity_cancel", scenarioActivityCancel},
	{"activity_cancel_after_buffered_completion", scenarioActivityCancelAfterBufferedCompletion},
	{"workflow_task_timeout_and_failure", scenarioWorkflowTaskTimeoutAndFailure},
	{"terminate_with_inflight_task", scenarioTerminateInflight},
	{"run_timeout", scenarioRunTimeout},
	{"start_delay", scenarioStartDelay},
	{"start_delay_signal", scenarioStartDelaySignal},
	{"signal_with_start", scenarioSignalWithStart},
	{"signal_with_start_delay", scenarioSignalWithStartDelay},
	{"bad_commands", scenarioBadCommands},
	{"markers_and_upserts", scenarioMarkersAndUpserts},
	{"bad_search_attributes", scenarioBadSearchAttributes},
	{"workflow_cancel_requested", scenarioWorkflowCancelRequested},
	{"empty_completion_and_fail", scenarioEmptyCompletionAndFail},
	{"failover_version", scenarioFailoverVersion},
	{"failover_with_buffered_events", scenarioFailoverWithBufferedEvents},
	{"timer_id_reused_while_fire_buffered", scenarioTimerIDReused},
	{"continue_as_new", scenarioContinueAsNew},
	{"workflow_retry", scenarioWorkflowRetry},
	{"workflow_retry_non_retryable", scenarioWorkflowRetryNonRetryable},
	{"run_timeout_retry", scenarioRunTimeoutRetry},
	{"cron", scenarioCron},
	{"child_workflow", scenarioChildWorkflow},
	{"child_start_failed", scenarioChildStartFailed},
	{"child_close_overtakes_start", scenarioChildCloseOvertakesStart},
	{"child_outcomes_and_parent_close", scenarioChildOutcomesAndParentClose},
	{"child_side", scenarioChildSide},
	{"external_requests", scenarioExternalRequests},
	{"bad_chain_commands", scenarioBadChainCommands},
	{"update_accept_complete_one_task", scenarioUpdateAcceptCompleteOneTask},
	{"update_accept_then_complete_later", scenarioUpdateAcceptThenCompleteLater},
	{"update_rejected", scenarioUpdateRejected},
	{"update_duplicate_id", scenarioUpdateDuplicateID},
	{"update_bad_messages", scenarioUpdateBadMessages},
	{"reset_closed", scenarioResetClosed},
	{"reset_running", scenarioResetRunning},
}

func TestTranscripts(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			h := newHarness(t, sc.name)
			sc.run(h)
			h.goldenCompare()
		})
	}
}

// TestNoStrayGoldens fails on golden files no scenario writes.
func TestNoStrayGoldens(t *testing.T) {
	names := map[string]bool{}
	for _, sc := range scenarios {
		names[sc.name+".golden"] = true
	}
	entries, err := os.ReadDir("testdata")
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".golden") {
			require.True(t, names[e.Name()], "testdata/%s belongs to no scenario", e.Name())
		}
	}
}

// startAndSchedule starts a run and completes its first workflow task with
// cmds (one second between steps).
func startAndSchedule(h *harness, cmds ...*commandpb.Command) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(cmds...)
}

func (h *harness) scheduledID(activityID string) int64 {
	h.t.Helper()
	m := Load(h.s, h.now, h.version, testRetention)
	return h.activity(m, activityID).ScheduledEventId
}

func scenarioActivityHappyPath(h *harness) {
	startAndSchedule(h, scheduleActivity("a1", "Charge", withStartToClose(30*time.Second)))
	h.advance(2 * time.Second)
	h.startActivity("a1")
	h.advance(3 * time.Second)
	h.completeActivity("a1", `"charged"`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(completeWorkflow(`"done"`))
}

func scenarioSignalBuffered(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.signal("add-item", `"apple"`) // a task is already scheduled: no second one
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.signal("add-item", `"pear"`) // task in flight: buffered
	h.advance(time.Second)
	// The workflow has not seen "pear": closing now is rejected.
	h.completeWorkflowTask(completeWorkflow(`"done"`))
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.signal("add-item", `"plum"`)
	h.advance(time.Second)
	// Buffered events follow the completion's command events.
	h.completeWorkflowTask(startTimer("t1", time.Hour))
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(completeWorkflow(`"done"`))
}

func scenarioActivityCloseBuffered(h *harness) {
	once := &commonpb.RetryPolicy{MaximumAttempts: 1}
	startAndSchedule(h,
		scheduleActivity("a1", "Charge", withStartToClose(60*time.Second)),
		scheduleActivity("a2", "Ship", withStartToClose(60*time.Second), withRetry(once)),
		scheduleActivity("a3", "Notify", withStartToClose(10*time.Second), withRetry(once)),
	)
	h.advance(time.Second)
	h.startActivity("a1")
	h.startActivity("a2")
	h.startActivity("a3")
	h.advance(time.Second)
	h.signal("poke", `1`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeActivity("a1", `"charged"`)
	h.advance(time.Second)
	h.failActivity("a2", appFailure("no truck", "ShipError", false), "")
	h.advance(8 * time.Second) // a3 started at @3s with a 10s start-to-close
	h.fireActivityTimeout("a3", enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
	h.advance(time.Second)
	h.completeWorkflowTask()
}

func scenarioActivityRetry(h *harness) {
	nextDelay := appFailure("rate limited", "RateLimited", false)
	nextDelay.GetApplicationFailureInfo().NextRetryDelay = dur(30 * time.Second)
	startAndSchedule(h,
		scheduleActivity("flaky", "Charge", withStartToClose(10*time.Second), withRetry(&commonpb.RetryPolicy{
			InitialInterval: dur(time.Second), BackoffCoefficient: 2, MaximumAttempts: 3,
		})),
		scheduleActivity("fatal", "Ship", withStartToClose(10*time.Second), withRetry(&commonpb.RetryPolicy{
			NonRetryableErrorTypes: []string{"FatalError"},
		})),
		scheduleActivity("delayed", "Notify", withStartToClose(10*time.Second)),
	)
	h.advance(time.Second)
	h.startActivity("flaky")
	h.advance(time.Second)
	h.heartbeat("flaky", `"progress-1"`)
	h.advance(time.Second)
	h.failActivity("flaky", appFailure("boom 1", "IOError", false), "")
	h.advance(time.Second)
	h.startActivity("flaky")
	h.advance(time.Second)
	h.failActivity("flaky", appFailure("boom 2", "IOError", false), `"progress-2"`)
	h.advance(2 * time.Second)
	h.startActivity("flaky")
	h.advance(time.Second)
	h.failActivity("flaky", appFailure("boom 3", "IOError", false), "")

	h.advance(time.Second)
	h.startActivity("fatal")
	h.advance(time.Second)
	h.failActivity("fatal", appFailure("bad address", "FatalError", false), "")

	h.advance(time.Second)
	h.startActivity("delayed")
	h.advance(time.Second)
	h.failActivity("delayed", nextDelay, "")
	h.advance(30 * time.Second)
	h.startActivity("delayed")
	h.advance(time.Second)
	h.failActivity("delayed", appFailure("give up", "NotifyError", true), "")
}

func scenarioActivityScheduleToStart(h *harness) {
	startAndSchedule(h, scheduleActivity("a1", "Charge", withScheduleToStart(5*time.Second), withStartToClose(30*time.Second)))
	h.advance(5 * time.Second)
	h.fireActivityTimeout("a1", enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START)
}

func scenarioActivityStartToClose(h *harness) {
	startAndSchedule(h, scheduleActivity("a1", "Charge", withStartToClose(5*time.Second)))
	h.advance(time.Second)
	h.startActivity("a1")
	h.advance(5 * time.Second)
	h.fireActivityTimeout("a1", enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
	h.advance(time.Second)
	h.startActivity("a1")
	h.advance(time.Second)
	h.completeActivity("a1", `"charged"`)
}

func scenarioActivityHeartbeat(h *harness) {
	startAndSchedule(h, scheduleActivity("a1", "Upload", withStartToClose(60*time.Second), withHeartbeat(10*time.Second),
		withRetry(&commonpb.RetryPolicy{MaximumAttempts: 2})))
	h.advance(time.Second)
	h.startActivity("a1")
	h.advance(4 * time.Second)
	h.heartbeat("a1", `"chunk-1"`)
	h.advance(6 * time.Second) // the first heartbeat timer: deadline moved to 4s from now
	h.fireActivityTimeout("a1", enumspb.TIMEOUT_TYPE_HEARTBEAT)
	h.advance(4 * time.Second)
	h.fireActivityTimeout("a1", enumspb.TIMEOUT_TYPE_HEARTBEAT)
	h.advance(time.Second)
	h.startActivity("a1") // attempt 2 gets chunk-1 as its heartbeat details
	h.advance(10 * time.Second)
	h.fireActivityTimeout("a1", enumspb.TIMEOUT_TYPE_HEARTBEAT)
}

func scenarioActivityScheduleToClose(h *harness) {
	startAndSchedule(h, scheduleActivity("a1", "Charge", withScheduleToClose(10*time.Second), withStartToClose(4*time.Second)))
	h.advance(time.Second)
	h.startActivity("a1")
	h.advance(4 * time.Second)
	h.fireActivityTimeout("a1", enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
	h.advance(time.Second)
	h.startActivity("a1")
	h.advance(time.Second)
	h.failActivity("a1", appFailure("boom", "IOError", false), "")
	h.advance(3 * time.Second) // attempt 3 was due at @11s but no worker took it
	h.fireActivityTimeout("a1", enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE)
}

func scenarioActivityRetryPastDeadline(h *harness) {
	startAndSchedule(h, scheduleActivity("a1", "Charge", withScheduleToClose(10*time.Second), withStartToClose(3*time.Second),
		withRetry(&commonpb.RetryPolicy{InitialInterval: dur(2 * time.Second)})))
	h.advance(time.Second)
	h.startActivity("a1")
	h.advance(3 * time.Second)
	h.fireActivityTimeout("a1", enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
	h.advance(2 * time.Second)
	h.startActivity("a1")
	h.advance(3 * time.Second)
	// The next backoff (4s) would start attempt 3 after schedule-to-close.
	h.fireActivityTimeout("a1", enumspb.TIMEOUT_TYPE_START_TO_CLOSE)
}

func scenarioTimers(h *harness) {
	startAndSchedule(h, startTimer("t1", 10*time.Second), startTimer("t2", 30*time.Second), startTimer("t3", 60*time.Second))
	h.advance(10 * time.Second)
	h.fireTimer("t1")
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(cancelTimer("t2"))
	h.advance(36 * time.Second)
	h.signal("poke", `1`)
	h.advance(5 * time.Second)
	h.pollWorkflowTask()
	h.advance(7 * time.Second)
	h.fireTimer("t3") // fires while the task is in flight: buffered
	h.advance(time.Second)
	// The workflow cancels t3 before seeing it fire: the buffered TimerFired
	// is dropped and nothing is left for a new task.
	h.completeWorkflowTask(cancelTimer("t3"))
	h.advance(time.Second)
	h.signal("poke", `2`)
	h.pollWorkflowTask()
	h.completeWorkflowTask(startTimer("t4", 10*time.Second), startTimer("t4", 20*time.Second))
	h.pollWorkflowTask()
	h.completeWorkflowTask(startTimer("t4", 10*time.Second))
	h.signal("poke", `3`)
	h.pollWorkflowTask()
	h.completeWorkflowTask(startTimer("t4", 5*time.Second))
}

func scenarioActivityCancel(h *harness) {
	startAndSchedule(h,
		scheduleActivity("a1", "Charge", withStartToClose(30*time.Second)),
		scheduleActivity("a2", "Ship", withStartToClose(60*time.Second), withHeartbeat(20*time.Second)),
	)
	h.advance(time.Second)
	h.startActivity("a2")
	h.advance(time.Second)
	h.signal("cancel-order", `1`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(requestCancelActivity(h.scheduledID("a1")), requestCancelActivity(h.scheduledID("a2")))
	h.advance(time.Second)
	h.heartbeat("a2", `"stopping"`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.cancelActivity("a2", `"cleaned up"`)
	h.advance(time.Second)
	h.completeWorkflowTask()
}

func scenarioActivityCancelAfterBufferedCompletion(h *harness) {
	startAndSchedule(h, scheduleActivity("a1", "Charge", withStartToClose(30*time.Second)))
	a1 := h.scheduledID("a1")
	h.advance(time.Second)
	h.startActivity("a1")
	h.advance(time.Second)
	h.signal("cancel-order", `1`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeActivity("a1", `"charged"`)
	h.advance(time.Second)
	// The workflow cancels a1 not knowing it completed: the cancel request is
	// still recorded (the SDK matches the command against it on replay), then
	// the buffered Started/Completed follow.
	h.completeWorkflowTask(requestCancelActivity(a1))
}

func scenarioWorkflowTaskTimeoutAndFailure(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(4 * time.Second)
	h.signal("poke", `1`)
	h.advance(6 * time.Second)
	h.timeoutWorkflowTask()
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.failWorkflowTask(enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, "panic: nil map")
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(completeWorkflow(`"done"`))
}

func scenarioTerminateInflight(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.signal("poke", `1`)
	h.advance(time.Second)
	h.step("terminate", func(m *MutableState) string {
		m.Terminate("operator", payloads(`"stuck"`), "admin")
		return ""
	})
}

func scenarioRunTimeout(h *harness) {
	h.start("start workflow with execution timeout 60s", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.WorkflowExecutionTimeout = dur(60 * time.Second)
	})})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	// No schedule-to-close: the activity gets the run's remaining time.
	h.completeWorkflowTask(scheduleActivity("a1", "Charge", withStartToClose(10*time.Second)))
	h.advance(time.Second)
	h.signal("poke", `1`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(10 * time.Second)
	h.timeoutWorkflowTask()
	h.advance(41 * time.Second)
	h.pollWorkflowTask()
	h.advance(5 * time.Second)
	h.step("run timeout timer fires", func(m *MutableState) string {
		require.False(h.t, m.Info().RunExpirationTime.AsTime().After(h.now))
		m.TimeoutRun()
		return ""
	})
}

// fireBackoffTimer plays the workflow backoff timer as the executor does.
func (h *harness) fireBackoffTimer() {
	h.t.Helper()
	h.step("workflow backoff timer fires", func(m *MutableState) string {
		require.False(h.t, m.Info().ExecutionTime.AsTime().After(h.now))
		if m.IsRunning() && m.Info().LastCompletedWorkflowTaskStartedEventId == 0 {
			m.ScheduleWorkflowTask()
		}
		return ""
	})
}

func scenarioStartDelay(h *harness) {
	h.start("start workflow with start delay 30s and run timeout 60s", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.WorkflowStartDelay = dur(30 * time.Second)
		r.WorkflowRunTimeout = dur(60 * time.Second)
	})})
	h.advance(30 * time.Second)
	h.fireBackoffTimer()
	h.advance(time.Second)
	h.pollWorkflowTask()
}

func scenarioStartDelaySignal(h *harness) {
	h.start("start workflow with start delay 30s", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.WorkflowStartDelay = dur(30 * time.Second)
	})})
	h.advance(5 * time.Second)
	// StartWorkflowExecutionRequest.workflow_start_delay: a signal before
	// the delay makes the first task available at once.
	h.signal("wake-up", `1`)
	h.advance(25 * time.Second)
	h.fireBackoffTimer()
}

func signalWithStartParams(delay time.Duration) StartParams {
	return StartParams{
		Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
			if delay > 0 {
				r.WorkflowStartDelay = dur(delay)
			}
		}),
		Signal: &historypb.WorkflowExecutionSignaledEventAttributes{SignalName: "add-item", Input: payloads(`"apple"`), Identity: "client", RequestId: "sws-req-1"},
	}
}

func scenarioSignalWithStart(h *harness) {
	h.start("signal-with-start", signalWithStartParams(0))
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(completeWorkflow(`"done"`))
}

func scenarioSignalWithStartDelay(h *harness) {
	// SignalWithStartWorkflowExecutionRequest.workflow_start_delay: the
	// signal is delivered with the first workflow task, after the delay.
	h.start("signal-with-start with start delay 30s", signalWithStartParams(30*time.Second))
	h.advance(30 * time.Second)
	h.fireBackoffTimer()
	h.advance(time.Second)
	h.pollWorkflowTask()
}

func scenarioBadCommands(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	stc := withStartToClose(10 * time.Second)
	reject := func(cmds ...*commandpb.Command) {
		h.advance(time.Second)
		h.pollWorkflowTask()
		h.advance(time.Second)
		h.completeWorkflowTask(cmds...)
	}
	// A valid command before the bad one is not applied either.
	reject(startTimer("t1", time.Minute), scheduleActivity("", "Charge", stc))
	reject(scheduleActivity("a1", "", stc))
	reject(scheduleActivity("a1", "Charge"))
	reject(scheduleActivity("a1", "Charge", withStartToClose(-time.Second)))
	reject(scheduleActivity("a1", "Charge", stc), scheduleActivity("a1", "Ship", stc))
	reject(&commandpb.Command{CommandType: enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION})
	reject(completeWorkflow(`"done"`), startTimer("t1", time.Minute))
	reject(cancelTimer("nope"))
	reject(startTimer("t1", 0))
	reject(&commandpb.Command{CommandType: enumspb.COMMAND_TYPE_RECORD_MARKER})
	reject(nil)

	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTaskReq(&workflowservice.RespondWorkflowTaskCompletedRequest{
		Identity: wftWorker,
		Commands: []*commandpb.Command{scheduleActivity("big", "Charge", stc)}, // input `"in"` is 4 bytes
	}, Limits{BlobSizeLimit: 3})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTaskReq(&workflowservice.RespondWorkflowTaskCompletedRequest{
		Identity: wftWorker,
		Commands: []*commandpb.Command{scheduleActivity("a1", "Charge", stc), scheduleActivity("a2", "Charge", stc)},
	}, Limits{MaxPendingActivities: 1})

	// Finally a good completion: attempts start over at 1.
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(startTimer("t1", time.Minute))
}

func scenarioMarkersAndUpserts(h *harness) {
	h.start("start workflow with memo and search attributes", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.Memo = &commonpb.Memo{Fields: map[string]*commonpb.Payload{"a": payload(`"1"`), "b": payload(`"2"`)}}
		r.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{
			"CustomKeywordField": payload(`"x"`), "CustomIntField": payload(`1`),
		}}
	})})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(
		recordMarker("Version", `"v1"`),
		upsertSearchAttributes(map[string]*commonpb.Payload{"CustomKeywordField": payload(`"y"`), "CustomIntField": payload(`null`)}),
		modifyMemo(map[string]*commonpb.Payload{"b": payload(`null`), "c": payload(`"3"`)}),
	)
	h.advance(time.Second)
	h.signal("poke", `1`)
	h.pollWorkflowTask()
	h.advance(time.Second)
	empty := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/null")}}
	h.completeWorkflowTask(
		upsertSearchAttributes(map[string]*commonpb.Payload{"CustomBoolField": payload(`true`), "CustomKeywordField": empty}),
		modifyMemo(map[string]*commonpb.Payload{"a": empty}),
		completeWorkflow(`"done"`),
	)
}

func scenarioWorkflowCancelRequested(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.step("cancel requested", func(m *MutableState) string {
		m.AddCancelRequest("cancel-req-1", "user asked", "client")
		return ""
	})
	h.advance(time.Second)
	h.completeWorkflowTask()
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(cancelWorkflow(`"canceled by user"`))
}

func scenarioEmptyCompletionAndFail(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTaskReq(&workflowservice.RespondWorkflowTaskCompletedRequest{Identity: wftWorker, ForceCreateNewWorkflowTask: true}, Limits{})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask()
	h.advance(time.Second)
	h.signal("poke", `1`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(failWorkflow("order rejected"))
}

func scenarioFailoverVersion(h *harness) {
	startAndSchedule(h, startTimer("t1", 10*time.Second))
	h.failover(11)
	h.advance(10 * time.Second)
	h.fireTimer("t1")
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.failover(21)
	h.advance(time.Second)
	h.completeWorkflowTask(completeWorkflow(`"done"`))
}

func scenarioFailoverWithBufferedEvents(h *harness) {
	h.start("start workflow", StartParams{Request: startRequest()})
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.signal("poke", `1`) // buffered at version 1
	h.failover(2)
	h.advance(time.Second)
	// Buffered events are written at the version of the transaction that
	// writes them; the version history stays monotonic.
	h.completeWorkflowTask()
}

func scenarioTimerIDReused(h *harness) {
	startAndSchedule(h, startTimer("t1", 10*time.Second))
	h.advance(time.Second)
	h.signal("poke", `1`)
	h.pollWorkflowTask()
	h.advance(9 * time.Second)
	h.fireTimer("t1") // buffered
	h.advance(time.Second)
	// The workflow reuses the ID before seeing t1 fire (Temporal accepts
	// this too): the new timer must survive the old TimerFired in a rebuild.
	h.completeWorkflowTask(startTimer("t1", 30*time.Second))
	h.advance(30 * time.Second)
	h.fireTimer("t1")
}

// scenarioBadSearchAttributes: commands that set search attributes the
// namespace does not define, values of the wrong type, reserved names or
// sizes past the limits fail the workflow task with BAD_SEARCH_ATTRIBUTES
// and change nothing else; predefined attributes (TemporalChangeVersion,
// which the SDK upserts without type metadata) are accepted.
func scenarioBadSearchAttributes(h *harness) {
	h.start("start workflow with a search attribute", StartParams{Request: startRequest(func(r *workflowservice.StartWorkflowExecutionRequest) {
		r.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"CustomKeywordField": payload(`"x"`)}}
	})})
	limits := Limits{SearchAttributes: searchattribute.Limits{NumberOfKeys: 4, SizeOfValue: 80, TotalSize: 240}}
	reject := func(cmds ...*commandpb.Command) {
		h.t.Helper()
		h.advance(time.Second)
		h.pollWorkflowTask()
		h.completeWorkflowTaskReq(&workflowservice.RespondWorkflowTaskCompletedRequest{Commands: cmds, Identity: wftWorker}, limits)
	}
	typed := func(data, typ string) *commonpb.Payload {
		p := payload(data)
		p.Metadata["type"] = []byte(typ)
		return p
	}
	long := func(n int) string { return `"` + strings.Repeat("k", n) + `"` }
	reject(upsertSearchAttributes(map[string]*commonpb.Payload{"Nope": payload(`"x"`)}))
	reject(upsertSearchAttributes(map[string]*commonpb.Payload{"CustomIntField": payload(`"seven"`)}))
	reject(upsertSearchAttributes(map[string]*commonpb.Payload{"CustomIntField": typed(`7`, "Keyword")}))
	reject(upsertSearchAttributes(map[string]*commonpb.Payload{"WorkflowType": payload(`"x"`)}))
	reject(upsertSearchAttributes(map[string]*commonpb.Payload{"CustomKeywordField": payload(long(80))}))
	// Each upsert fits; together they pass the total (the run already
	// holds CustomKeywordField).
	reject(
		upsertSearchAttributes(map[string]*commonpb.Payload{"CustomKeywordField": payload(long(40))}),
		upsertSearchAttributes(map[string]*commonpb.Payload{"CustomIntField": payload(`1`), "CustomBoolField": payload(`true`)}),
		upsertSearchAttributes(map[string]*commonpb.Payload{"TemporalChangeVersion": payload(`[` + long(30) + `]`)}),
	)
	// A child's attributes are checked against its own namespace.
	reject(startChild("c1", "Child", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) {
		a.Namespace = otherNamespace //nolint:staticcheck // the Go SDK still sets it
		a.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"CustomKeywordField": payload(`"x"`)}}
	}))
	reject(continueAsNew(`"next"`, func(a *commandpb.ContinueAsNewWorkflowExecutionCommandAttributes) {
		a.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"CustomBoolField": payload(`"yes"`)}}
	}))
	// Accepted: typed and untyped values, a predefined attribute, an
	// unset, and a child with its namespace's attribute.
	reject(
		upsertSearchAttributes(map[string]*commonpb.Payload{
			"CustomIntField":        typed(`7`, "Int"),
			"CustomBoolField":       typed(`true`, "INDEXED_VALUE_TYPE_BOOL"),
			"TemporalChangeVersion": payload(`["fix-1"]`),
			"CustomKeywordField":    {Metadata: map[string][]byte{"encoding": []byte("binary/null")}},
		}),
		startChild("c2", "Child", func(a *commandpb.StartChildWorkflowExecutionCommandAttributes) {
			a.Namespace = otherNamespace //nolint:staticcheck // the Go SDK still sets it
			a.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"BillingKeyword": payload(`"b"`)}}
		}),
	)
}
