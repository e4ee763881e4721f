package frontend

import (
	enumspb "go.temporal.io/api/enums/v1"
	filterpb "go.temporal.io/api/filter/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
)

// Validation of visibility requests. Queries are parsed (and rejected) by
// the handler with listfilter, which needs the namespace's attributes.

// listWorkflowExecutions validates List and Scan requests (same fields).
func (v validator) listWorkflowExecutions(namespace string, pageSize int32) error {
	if err := v.namespace(namespace); err != nil {
		return err
	}
	return v.pageSize("PageSize", pageSize)
}

// countWorkflowExecutions validates a CountWorkflowExecutionsRequest.
func (v validator) countWorkflowExecutions(r *workflowservice.CountWorkflowExecutionsRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	return v.namespace(r.GetNamespace())
}

// listOpenWorkflowExecutions validates a ListOpenWorkflowExecutionsRequest.
func (v validator) listOpenWorkflowExecutions(r *workflowservice.ListOpenWorkflowExecutionsRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if err := v.pageSize("MaximumPageSize", r.GetMaximumPageSize()); err != nil {
		return err
	}
	if err := v.startTimeFilter(r.GetStartTimeFilter()); err != nil {
		return err
	}
	if err := v.executionFilter(r.GetExecutionFilter()); err != nil {
		return err
	}
	return v.typeFilter(r.GetTypeFilter())
}

// listClosedWorkflowExecutions validates a
// ListClosedWorkflowExecutionsRequest.
func (v validator) listClosedWorkflowExecutions(r *workflowservice.ListClosedWorkflowExecutionsRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if err := v.pageSize("MaximumPageSize", r.GetMaximumPageSize()); err != nil {
		return err
	}
	if err := v.startTimeFilter(r.GetStartTimeFilter()); err != nil {
		return err
	}
	if err := v.executionFilter(r.GetExecutionFilter()); err != nil {
		return err
	}
	if err := v.typeFilter(r.GetTypeFilter()); err != nil {
		return err
	}
	if f := r.GetStatusFilter(); f != nil {
		if err := enumValue("StatusFilter.Status", enumspb.WorkflowExecutionStatus_name, f.GetStatus()); err != nil {
			return err
		}
	}
	return nil
}

func (v validator) startTimeFilter(f *filterpb.StartTimeFilter) error {
	if f == nil {
		return nil
	}
	if t := f.GetEarliestTime(); t != nil {
		if err := t.CheckValid(); err != nil {
			return invalidArgf("Invalid StartTimeFilter.EarliestTime: %v.", err)
		}
	}
	if t := f.GetLatestTime(); t != nil {
		if err := t.CheckValid(); err != nil {
			return invalidArgf("Invalid StartTimeFilter.LatestTime: %v.", err)
		}
	}
	if f.GetEarliestTime() != nil && f.GetLatestTime() != nil && f.GetEarliestTime().AsTime().After(f.GetLatestTime().AsTime()) {
		return serviceerror.NewInvalidArgument("Invalid StartTimeFilter: EarliestTime is after LatestTime.")
	}
	return nil
}

func (v validator) executionFilter(f *filterpb.WorkflowExecutionFilter) error {
	if f == nil {
		return nil
	}
	if err := v.required("ExecutionFilter.WorkflowId", f.GetWorkflowId()); err != nil {
		return err
	}
	return v.runID("ExecutionFilter.RunId", f.GetRunId())
}

func (v validator) typeFilter(f *filterpb.WorkflowTypeFilter) error {
	if f == nil {
		return nil
	}
	return v.required("TypeFilter.Name", f.GetName())
}
