package frontend

import (
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/common/cron"
)

// startFields is what StartWorkflowExecution and
// SignalWithStartWorkflowExecution have in common.
type startFields interface {
	GetNamespace() string
	GetWorkflowId() string
	GetWorkflowType() *commonpb.WorkflowType
	GetTaskQueue() *taskqueuepb.TaskQueue
	GetInput() *commonpb.Payloads
	GetWorkflowExecutionTimeout() *durationpb.Duration
	GetWorkflowRunTimeout() *durationpb.Duration
	GetWorkflowTaskTimeout() *durationpb.Duration
	GetIdentity() string
	GetRequestId() string
	GetWorkflowIdReusePolicy() enumspb.WorkflowIdReusePolicy
	GetWorkflowIdConflictPolicy() enumspb.WorkflowIdConflictPolicy
	GetRetryPolicy() *commonpb.RetryPolicy
	GetCronSchedule() string
	GetMemo() *commonpb.Memo
	GetSearchAttributes() *commonpb.SearchAttributes
	GetHeader() *commonpb.Header
	GetWorkflowStartDelay() *durationpb.Duration
}

func (v validator) startFields(r startFields) error {
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if err := v.required("WorkflowId", r.GetWorkflowId()); err != nil {
		return err
	}
	if err := v.required("WorkflowType", r.GetWorkflowType().GetName()); err != nil {
		return err
	}
	if err := v.taskQueue(r.GetTaskQueue()); err != nil {
		return err
	}
	if err := v.length("RequestId", r.GetRequestId()); err != nil {
		return err
	}
	if err := v.length("Identity", r.GetIdentity()); err != nil {
		return err
	}
	if err := v.duration("WorkflowExecutionTimeout", r.GetWorkflowExecutionTimeout()); err != nil {
		return err
	}
	if err := v.duration("WorkflowRunTimeout", r.GetWorkflowRunTimeout()); err != nil {
		return err
	}
	if err := v.duration("WorkflowTaskTimeout", r.GetWorkflowTaskTimeout()); err != nil {
		return err
	}
	if err := v.duration("WorkflowStartDelay", r.GetWorkflowStartDelay()); err != nil {
		return err
	}
	if r.GetCronSchedule() != "" && r.GetWorkflowStartDelay().AsDuration() > 0 {
		return serviceerror.NewInvalidArgument("CronSchedule and WorkflowStartDelay may not be used together.")
	}
	if err := v.length("CronSchedule", r.GetCronSchedule()); err != nil {
		return err
	}
	if spec := r.GetCronSchedule(); spec != "" {
		if err := cron.Validate(spec); err != nil {
			return invalidArgf("Invalid CronSchedule: %v.", err)
		}
	}
	if err := enumValue("WorkflowIdReusePolicy", enumspb.WorkflowIdReusePolicy_name, r.GetWorkflowIdReusePolicy()); err != nil {
		return err
	}
	if err := enumValue("WorkflowIdConflictPolicy", enumspb.WorkflowIdConflictPolicy_name, r.GetWorkflowIdConflictPolicy()); err != nil {
		return err
	}
	if r.GetWorkflowIdReusePolicy() == enumspb.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING && //nolint:staticcheck // deprecated but still accepted from older clients
		r.GetWorkflowIdConflictPolicy() != enumspb.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED {
		return serviceerror.NewInvalidArgument("Invalid WorkflowIdReusePolicy: WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING cannot be used together with a WorkflowIdConflictPolicy.")
	}
	if err := v.retryPolicy(r.GetRetryPolicy()); err != nil {
		return err
	}
	if err := v.payloads("Input", r.GetInput()); err != nil {
		return err
	}
	if err := v.memo(r.GetMemo()); err != nil {
		return err
	}
	if err := v.searchAttributeSizes(r.GetSearchAttributes()); err != nil {
		return err
	}
	return v.header(r.GetHeader())
}

// startWorkflowExecution validates a StartWorkflowExecutionRequest.
// Search attribute names are checked against the namespace separately
// (searchAttributeNames), after the namespace is resolved.
func (v validator) startWorkflowExecution(r *workflowservice.StartWorkflowExecutionRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.startFields(r); err != nil {
		return err
	}
	if err := v.failure("ContinuedFailure", r.GetContinuedFailure()); err != nil {
		return err
	}
	if err := v.payloads("LastCompletionResult", r.GetLastCompletionResult()); err != nil {
		return err
	}
	return v.userMetadata(r.GetUserMetadata())
}

// signalWithStartWorkflowExecution validates a
// SignalWithStartWorkflowExecutionRequest.
func (v validator) signalWithStartWorkflowExecution(r *workflowservice.SignalWithStartWorkflowExecutionRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.startFields(r); err != nil {
		return err
	}
	if r.GetWorkflowIdConflictPolicy() == enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL {
		return serviceerror.NewInvalidArgument("Invalid WorkflowIdConflictPolicy: WORKFLOW_ID_CONFLICT_POLICY_FAIL is not supported by SignalWithStartWorkflowExecution.")
	}
	if err := v.required("SignalName", r.GetSignalName()); err != nil {
		return err
	}
	if err := v.payloads("SignalInput", r.GetSignalInput()); err != nil {
		return err
	}
	return v.userMetadata(r.GetUserMetadata())
}

// signalWorkflowExecution validates a SignalWorkflowExecutionRequest.
func (v validator) signalWorkflowExecution(r *workflowservice.SignalWorkflowExecutionRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	if err := v.execution("WorkflowExecution", r.GetWorkflowExecution()); err != nil {
		return err
	}
	if err := v.required("SignalName", r.GetSignalName()); err != nil {
		return err
	}
	if err := v.length("RequestId", r.GetRequestId()); err != nil {
		return err
	}
	if err := v.length("Identity", r.GetIdentity()); err != nil {
		return err
	}
	if err := v.length("Control", r.GetControl()); err != nil { //nolint:staticcheck // deprecated but still sent by older clients
		return err
	}
	if err := v.payloads("Input", r.GetInput()); err != nil {
		return err
	}
	return v.header(r.GetHeader())
}

// requestCancelWorkflowExecution validates a
// RequestCancelWorkflowExecutionRequest.
func (v validator) requestCancelWorkflowExecution(r *workflowservice.RequestCancelWorkflowExecutionRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	if err := v.execution("WorkflowExecution", r.GetWorkflowExecution()); err != nil {
		return err
	}
	if err := v.runID("FirstExecutionRunId", r.GetFirstExecutionRunId()); err != nil {
		return err
	}
	if err := v.length("RequestId", r.GetRequestId()); err != nil {
		return err
	}
	if err := v.length("Identity", r.GetIdentity()); err != nil {
		return err
	}
	return v.reason(r.GetReason())
}

// terminateWorkflowExecution validates a TerminateWorkflowExecutionRequest.
func (v validator) terminateWorkflowExecution(r *workflowservice.TerminateWorkflowExecutionRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	if err := v.execution("WorkflowExecution", r.GetWorkflowExecution()); err != nil {
		return err
	}
	if err := v.runID("FirstExecutionRunId", r.GetFirstExecutionRunId()); err != nil {
		return err
	}
	if err := v.length("Identity", r.GetIdentity()); err != nil {
		return err
	}
	if err := v.reason(r.GetReason()); err != nil {
		return err
	}
	return v.payloads("Details", r.GetDetails())
}

// reason bounds free-text reasons by the blob limit (they end up in
// history events).
func (v validator) reason(s string) error {
	if len(s) > v.cfg.BlobSizeLimitError {
		return invalidArgf("%s Reason is %d bytes; the limit is %d.", msgBlobSizeExceeded, len(s), v.cfg.BlobSizeLimitError)
	}
	return nil
}

// describeWorkflowExecution validates a DescribeWorkflowExecutionRequest.
func (v validator) describeWorkflowExecution(r *workflowservice.DescribeWorkflowExecutionRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	return v.execution("Execution", r.GetExecution())
}

// getWorkflowExecutionHistory validates a
// GetWorkflowExecutionHistoryRequest.
func (v validator) getWorkflowExecutionHistory(r *workflowservice.GetWorkflowExecutionHistoryRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	if err := v.execution("Execution", r.GetExecution()); err != nil {
		return err
	}
	if err := v.pageSize("MaximumPageSize", r.GetMaximumPageSize()); err != nil {
		return err
	}
	return enumValue("HistoryEventFilterType", enumspb.HistoryEventFilterType_name, r.GetHistoryEventFilterType())
}

// queryWorkflow validates a QueryWorkflowRequest.
func (v validator) queryWorkflow(r *workflowservice.QueryWorkflowRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	if err := v.execution("Execution", r.GetExecution()); err != nil {
		return err
	}
	if r.GetQuery() == nil {
		return serviceerror.NewInvalidArgument("Query is not set on request.")
	}
	if err := v.required("QueryType", r.GetQuery().GetQueryType()); err != nil {
		return err
	}
	if err := v.payloads("QueryArgs", r.GetQuery().GetQueryArgs()); err != nil {
		return err
	}
	if h := r.GetQuery().GetHeader(); h != nil {
		if err := v.header(h); err != nil {
			return err
		}
	}
	return enumValue("QueryRejectCondition", enumspb.QueryRejectCondition_name, r.GetQueryRejectCondition())
}

// resetStickyTaskQueue validates a ResetStickyTaskQueueRequest.
func (v validator) resetStickyTaskQueue(r *workflowservice.ResetStickyTaskQueueRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	return v.execution("Execution", r.GetExecution())
}
