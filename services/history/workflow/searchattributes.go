package workflow

import (
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/common/searchattribute"
)

// Search attributes set by commands (upsert, child start, continue-as-new)
// are checked as the frontend checks a start request's: each must be a
// predefined attribute or a custom one of the target namespace
// (Inputs.SearchAttributes) with a value of its type, and the run's
// attributes must stay within Limits.SearchAttributes. A command that
// breaks a rule fails the workflow task with BAD_SEARCH_ATTRIBUTES, as in
// Temporal; the SDK then retries the task.

// checkSearchAttributes validates the attributes sa that a command sets on
// a run of namespace nsName whose attributes are cur (nil for a new run).
// It returns the attributes the run will hold.
func (m *MutableState) checkSearchAttributes(nsName string, sa, cur *commonpb.SearchAttributes, limits Limits) (*commonpb.SearchAttributes, *commandError) {
	cause := enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES
	if types, ok := m.In.SearchAttributes[nsName]; ok {
		if err := searchattribute.Validate(sa, nsName, types); err != nil {
			return nil, badCommand(cause, "%s", err.Error())
		}
	}
	merged := searchattribute.Merge(cur, sa.GetIndexedFields())
	if err := limits.SearchAttributes.ValidateSize(merged); err != nil {
		return nil, badCommand(cause, "%s", err.Error())
	}
	return merged, nil
}
