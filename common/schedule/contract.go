package schedule

import "strings"

// The contract between the frontend and the scheduler workflow that the
// system worker runs. Each schedule is one scheduler workflow in the
// schedule's namespace; the names follow Temporal's, so tools that know
// them recognize Meridian's schedules.
const (
	// WorkflowIDPrefix + schedule ID is the scheduler workflow's ID.
	WorkflowIDPrefix = "temporal-sys-scheduler:"
	// WorkflowType is the scheduler workflow's type.
	WorkflowType = "temporal-sys-scheduler-workflow"
	// TaskQueue is the system worker's task queue in every namespace.
	TaskQueue = "temporal-sys-per-ns-tq"

	// QueryDescribe answers a *workflowservice.DescribeScheduleResponse
	// without memo and search attributes (the frontend adds those).
	QueryDescribe = "describe"
	// UpdatePatch takes a *workflowservice.PatchScheduleRequest.
	UpdatePatch = "patch"
	// UpdateSchedule takes a *workflowservice.UpdateScheduleRequest; it is
	// rejected when its conflict token is set and stale.
	UpdateSchedule = "update"

	// MemoKey is the scheduler workflow's memo field holding a
	// *schedulepb.ScheduleListInfo for ListSchedules. It is not shown as
	// part of the schedule's memo.
	MemoKey = "ScheduleInfo"
	// DivisionSearchAttribute marks system workflows; ListWorkflowExecutions
	// hides workflows that have it unless the query names it.
	DivisionSearchAttribute = "TemporalNamespaceDivision"
	// Division is DivisionSearchAttribute's value on scheduler workflows.
	Division = "TemporalScheduler"
)

// WorkflowID is the scheduler workflow ID of schedule id.
func WorkflowID(id string) string { return WorkflowIDPrefix + id }

// ScheduleID is the schedule ID of a scheduler workflow ID, and false if
// the workflow ID is not a scheduler's.
func ScheduleID(workflowID string) (string, bool) {
	return strings.CutPrefix(workflowID, WorkflowIDPrefix)
}
