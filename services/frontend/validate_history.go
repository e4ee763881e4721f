package frontend

import (
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
)

// getWorkflowExecutionHistoryReverse validates a
// GetWorkflowExecutionHistoryReverseRequest; its page token is checked
// where it is decoded (history_reverse.go).
func (v validator) getWorkflowExecutionHistoryReverse(r *workflowservice.GetWorkflowExecutionHistoryReverseRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if err := v.execution("Execution", r.GetExecution()); err != nil {
		return err
	}
	return v.pageSize("MaximumPageSize", r.GetMaximumPageSize())
}
