package workflow

import (
	"fmt"
	"time"

	commandpb "go.temporal.io/api/command/v1"
	"go.temporal.io/api/workflowservice/v1"
)

func init() {
	scenarios = append(scenarios,
		struct {
			name string
			run  func(h *harness)
		}{"eager_start_and_activity", scenarioEagerStartAndActivity},
		struct {
			name string
			run  func(h *harness)
		}{"eager_start_lost_task", scenarioEagerStartLostTask},
		struct {
			name string
			run  func(h *harness)
		}{"eager_start_delayed", scenarioEagerStartDelayed},
	)
}

// startEagerly starts a run with its first workflow task started for the
// caller's worker in the same transaction.
func (h *harness) startEagerly(mod ...func(*workflowservice.StartWorkflowExecutionRequest)) {
	h.t.Helper()
	mod = append(mod, func(r *workflowservice.StartWorkflowExecutionRequest) { r.RequestEagerExecution = true })
	h.startWith("start workflow, eager execution requested", StartParams{Request: startRequest(mod...)}, func(m *MutableState) string {
		return fmt.Sprintf("eager=%v", m.StartWorkflowTaskEagerly("eager-start", wftWorker))
	})
}

// completeWorkflowTaskEagerly completes the started task with cmds and
// starts the activities named in eager in the same transaction.
func (h *harness) completeWorkflowTaskEagerly(eager []string, cmds ...*commandpb.Command) {
	h.t.Helper()
	h.step("worker completes workflow task: "+describeCommands(cmds)+fmt.Sprintf(" eager activities %v", eager), func(m *MutableState) string {
		r := m.CompleteWorkflowTask(&workflowservice.RespondWorkflowTaskCompletedRequest{Commands: cmds, Identity: wftWorker}, Limits{})
		out := fmt.Sprintf("accepted new_workflow_task=%v", r.NewWorkflowTask)
		for _, id := range eager {
			out += fmt.Sprintf(" %s=%v", id, m.StartActivityEagerly(m.ActivityByID(id), "eager-"+id, wftWorker))
		}
		return out
	})
}

// The happy path: no dispatch task for the first workflow task nor for the
// activity; start-to-close timers for both; attempt 1; the started event
// right after the scheduled one.
func scenarioEagerStartAndActivity(h *harness) {
	h.startEagerly()
	h.advance(time.Second)
	h.completeWorkflowTaskEagerly([]string{"a1"},
		scheduleActivity("a1", "Charge", withStartToClose(30*time.Second), withScheduleToStart(10*time.Second)),
		scheduleActivity("a2", "Ship", withStartToClose(30*time.Second)))
	h.advance(time.Second)
	h.startActivity("a2")
	h.advance(time.Second)
	h.completeActivity("a1", `"charged"`)
	h.advance(time.Second)
	h.completeActivity("a2", `"shipped"`)
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(completeWorkflow(`"done"`))
}

// The eager task's response never reaches a worker: its start-to-close
// timer times it out and attempt 2 goes through the queue.
func scenarioEagerStartLostTask(h *harness) {
	h.startEagerly(func(r *workflowservice.StartWorkflowExecutionRequest) { r.WorkflowTaskTimeout = dur(5 * time.Second) })
	h.advance(5 * time.Second)
	h.timeoutWorkflowTask()
	h.advance(time.Second)
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(completeWorkflow(`"done"`))
}

// A delayed first task cannot start eagerly; an activity already started
// cannot start again.
func scenarioEagerStartDelayed(h *harness) {
	h.startEagerly(func(r *workflowservice.StartWorkflowExecutionRequest) { r.WorkflowStartDelay = dur(30 * time.Second) })
	h.advance(30 * time.Second)
	h.step("start delay timer fires", func(m *MutableState) string {
		m.ScheduleWorkflowTask()
		return ""
	})
	h.advance(time.Second)
	h.step("the scheduled task is not this transaction's: no eager start", func(m *MutableState) string {
		return fmt.Sprintf("eager=%v", m.StartWorkflowTaskEagerly("late", wftWorker))
	})
	h.pollWorkflowTask()
	h.advance(time.Second)
	h.completeWorkflowTask(scheduleActivity("a1", "Charge", withStartToClose(30*time.Second)))
	h.advance(time.Second)
	h.startActivity("a1")
	h.step("activity already started: no eager start", func(m *MutableState) string {
		return fmt.Sprintf("eager=%v", m.StartActivityEagerly(m.ActivityByID("a1"), "late", wftWorker))
	})
}
