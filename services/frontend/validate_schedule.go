package frontend

import (
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	schedulepb "go.temporal.io/api/schedule/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/common/schedule"
)

// Schedule requests. Field names follow the proto's Go spelling, with the
// path into the schedule for nested fields ("Schedule.Spec.cron_string[0]").

// scheduleNamed is a request on one schedule.
type scheduleNamed interface {
	namespacedRequest
	GetScheduleId() string
}

// scheduleRequest checks what every request on one schedule starts with:
// that it is set and names a namespace and a schedule.
func (v validator) scheduleRequest(r scheduleNamed) error {
	if err := v.request(r); err != nil {
		return err
	}
	return v.required("ScheduleId", r.GetScheduleId())
}

func (v validator) createSchedule(r *workflowservice.CreateScheduleRequest) error {
	if err := v.scheduleRequest(r); err != nil {
		return err
	}
	if err := v.length("RequestId", r.GetRequestId()); err != nil {
		return err
	}
	if err := v.length("Identity", r.GetIdentity()); err != nil {
		return err
	}
	if err := v.schedule(r.GetSchedule()); err != nil {
		return err
	}
	if err := v.schedulePatch("InitialPatch", r.GetInitialPatch()); err != nil {
		return err
	}
	if err := v.memo(r.GetMemo()); err != nil {
		return err
	}
	return v.searchAttributeSizes(r.GetSearchAttributes())
}

// schedule checks a whole Schedule: its spec compiles, its action starts
// a workflow with the fields a start needs, its enums are known.
func (v validator) schedule(s *schedulepb.Schedule) error {
	if s == nil {
		return invalidArgf("Schedule is not set on request.")
	}
	if _, err := schedule.Compile(s.GetSpec()); err != nil {
		var se *schedule.Error
		if errors.As(err, &se) {
			return invalidArgf("Schedule.Spec.%s: %s", se.Field, se.Msg)
		}
		return invalidArgf("Schedule.Spec: %v", err)
	}
	nw := s.GetAction().GetStartWorkflow()
	if nw == nil {
		return invalidArgf("Schedule.Action.StartWorkflow is not set on request.")
	}
	if err := v.required("Schedule.Action.StartWorkflow.WorkflowId", nw.GetWorkflowId()); err != nil {
		return err
	}
	if err := v.required("Schedule.Action.StartWorkflow.WorkflowType", nw.GetWorkflowType().GetName()); err != nil {
		return err
	}
	if err := v.taskQueue(nw.GetTaskQueue()); err != nil {
		return err
	}
	if err := v.duration("Schedule.Action.StartWorkflow.WorkflowExecutionTimeout", nw.GetWorkflowExecutionTimeout()); err != nil {
		return err
	}
	if err := v.duration("Schedule.Action.StartWorkflow.WorkflowRunTimeout", nw.GetWorkflowRunTimeout()); err != nil {
		return err
	}
	if err := v.duration("Schedule.Action.StartWorkflow.WorkflowTaskTimeout", nw.GetWorkflowTaskTimeout()); err != nil {
		return err
	}
	if nw.GetCronSchedule() != "" {
		return invalidArgf("Schedule.Action.StartWorkflow.CronSchedule is not allowed: the schedule's spec says when it runs.")
	}
	if err := v.payloads("Schedule.Action.StartWorkflow.Input", nw.GetInput()); err != nil {
		return err
	}
	if err := v.retryPolicy(nw.GetRetryPolicy()); err != nil {
		return err
	}
	if err := v.memo(nw.GetMemo()); err != nil {
		return err
	}
	if err := v.searchAttributeSizes(nw.GetSearchAttributes()); err != nil {
		return err
	}
	p := s.GetPolicies()
	if err := enumValue("Schedule.Policies.OverlapPolicy", enumspb.ScheduleOverlapPolicy_name, p.GetOverlapPolicy()); err != nil {
		return err
	}
	if err := v.duration("Schedule.Policies.CatchupWindow", p.GetCatchupWindow()); err != nil {
		return err
	}
	if st := s.GetState(); st.GetLimitedActions() && st.GetRemainingActions() < 0 {
		return invalidArgf("Schedule.State.RemainingActions must not be negative.")
	}
	return v.length("Schedule.State.Notes", s.GetState().GetNotes())
}

func (v validator) schedulePatch(field string, p *schedulepb.SchedulePatch) error {
	if p == nil {
		return nil
	}
	if t := p.GetTriggerImmediately(); t != nil {
		if err := enumValue(field+".TriggerImmediately.OverlapPolicy", enumspb.ScheduleOverlapPolicy_name, t.GetOverlapPolicy()); err != nil {
			return err
		}
	}
	for _, b := range p.GetBackfillRequest() {
		if b.GetStartTime() == nil || b.GetEndTime() == nil {
			return invalidArgf("%s.BackfillRequest needs StartTime and EndTime.", field)
		}
		if b.GetEndTime().AsTime().Before(b.GetStartTime().AsTime()) {
			return invalidArgf("%s.BackfillRequest.EndTime is before StartTime.", field)
		}
		if err := enumValue(field+".BackfillRequest.OverlapPolicy", enumspb.ScheduleOverlapPolicy_name, b.GetOverlapPolicy()); err != nil {
			return err
		}
	}
	if p.GetPause() != "" && p.GetUnpause() != "" {
		return invalidArgf("%s cannot both pause and unpause.", field)
	}
	if err := v.length(field+".Pause", p.GetPause()); err != nil {
		return err
	}
	return v.length(field+".Unpause", p.GetUnpause())
}

func (v validator) describeSchedule(r *workflowservice.DescribeScheduleRequest) error {
	return v.scheduleRequest(r)
}

func (v validator) updateSchedule(r *workflowservice.UpdateScheduleRequest) error {
	if err := v.scheduleRequest(r); err != nil {
		return err
	}
	if err := v.length("RequestId", r.GetRequestId()); err != nil {
		return err
	}
	if err := v.schedule(r.GetSchedule()); err != nil {
		return err
	}
	return v.searchAttributeSizes(r.GetSearchAttributes())
}

func (v validator) patchSchedule(r *workflowservice.PatchScheduleRequest) error {
	if err := v.scheduleRequest(r); err != nil {
		return err
	}
	if err := v.length("RequestId", r.GetRequestId()); err != nil {
		return err
	}
	if r.GetPatch() == nil {
		return invalidArgf("Patch is not set on request.")
	}
	return v.schedulePatch("Patch", r.GetPatch())
}

func (v validator) deleteSchedule(r *workflowservice.DeleteScheduleRequest) error {
	return v.scheduleRequest(r)
}

func (v validator) listScheduleMatchingTimes(r *workflowservice.ListScheduleMatchingTimesRequest) error {
	if err := v.scheduleRequest(r); err != nil {
		return err
	}
	if r.GetStartTime() == nil || r.GetEndTime() == nil {
		return invalidArgf("StartTime and EndTime are required.")
	}
	if r.GetEndTime().AsTime().Before(r.GetStartTime().AsTime()) {
		return invalidArgf("EndTime is before StartTime.")
	}
	return nil
}

func (v validator) listSchedules(r *workflowservice.ListSchedulesRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	return v.pageSize("MaximumPageSize", r.GetMaximumPageSize())
}
