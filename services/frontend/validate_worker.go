package frontend

import (
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
)

// Validation of the APIs workers call. Task tokens are decoded and checked
// by decodeTaskToken / decodeQueryTaskToken; these functions check the
// rest of each request. The namespace of token-carrying requests may be
// empty (old SDKs): the token's namespace is used then.

// pollWorkflowTaskQueue validates a PollWorkflowTaskQueueRequest.
func (v validator) pollWorkflowTaskQueue(r *workflowservice.PollWorkflowTaskQueueRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if err := v.taskQueue(r.GetTaskQueue()); err != nil {
		return err
	}
	if err := v.length("Identity", r.GetIdentity()); err != nil {
		return err
	}
	return v.length("BinaryChecksum", r.GetBinaryChecksum()) //nolint:staticcheck // deprecated but still sent by older SDKs
}

// pollActivityTaskQueue validates a PollActivityTaskQueueRequest.
func (v validator) pollActivityTaskQueue(r *workflowservice.PollActivityTaskQueueRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if err := v.taskQueue(r.GetTaskQueue()); err != nil {
		return err
	}
	if err := v.length("Identity", r.GetIdentity()); err != nil {
		return err
	}
	if m := r.GetTaskQueueMetadata(); m != nil && m.GetMaxTasksPerSecond() != nil && m.GetMaxTasksPerSecond().GetValue() < 0 {
		return serviceerror.NewInvalidArgument("Invalid TaskQueueMetadata.MaxTasksPerSecond: must not be negative.")
	}
	return nil
}

// respondWorkflowTaskCompleted validates a
// RespondWorkflowTaskCompletedRequest (commands are history's to check).
func (v validator) respondWorkflowTaskCompleted(r *workflowservice.RespondWorkflowTaskCompletedRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.byToken(r); err != nil {
		return err
	}
	if err := v.length("BinaryChecksum", r.GetBinaryChecksum()); err != nil { //nolint:staticcheck // deprecated but still sent by older SDKs
		return err
	}
	if sa := r.GetStickyAttributes(); sa != nil {
		if sa.GetWorkerTaskQueue().GetName() == "" {
			return serviceerror.NewInvalidArgument("StickyAttributes.WorkerTaskQueue is not set on request.")
		}
		if err := v.length("StickyAttributes.WorkerTaskQueue", sa.GetWorkerTaskQueue().GetName()); err != nil {
			return err
		}
		if err := v.duration("StickyAttributes.ScheduleToStartTimeout", sa.GetScheduleToStartTimeout()); err != nil {
			return err
		}
	}
	for id, qr := range r.GetQueryResults() {
		if err := enumValue("QueryResults.ResultType", enumspb.QueryResultType_name, qr.GetResultType()); err != nil {
			return err
		}
		if err := v.payloads("QueryResults["+id+"].Answer", qr.GetAnswer()); err != nil {
			return err
		}
		if err := v.failure("QueryResults["+id+"].Failure", qr.GetFailure()); err != nil {
			return err
		}
	}
	return nil
}

// respondWorkflowTaskFailed validates a RespondWorkflowTaskFailedRequest.
func (v validator) respondWorkflowTaskFailed(r *workflowservice.RespondWorkflowTaskFailedRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.byToken(r); err != nil {
		return err
	}
	if err := v.length("BinaryChecksum", r.GetBinaryChecksum()); err != nil { //nolint:staticcheck // deprecated but still sent by older SDKs
		return err
	}
	if err := enumValue("Cause", enumspb.WorkflowTaskFailedCause_name, r.GetCause()); err != nil {
		return err
	}
	return v.failure("Failure", r.GetFailure())
}

// activityByID is what the *ById activity requests have in common.
type activityByID interface {
	GetNamespace() string
	GetWorkflowId() string
	GetRunId() string
	GetActivityId() string
	GetIdentity() string
}

// activityByID validates the addressing fields of a *ById request.
func (v validator) activityByID(r activityByID) error {
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if err := v.required("WorkflowId", r.GetWorkflowId()); err != nil {
		return err
	}
	if err := v.runID("RunId", r.GetRunId()); err != nil {
		return err
	}
	if err := v.required("ActivityId", r.GetActivityId()); err != nil {
		return err
	}
	return v.length("Identity", r.GetIdentity())
}

// tokenAddressed is what every task-token request carries besides its token.
type tokenAddressed interface {
	GetNamespace() string
	GetIdentity() string
}

// byToken checks the fields common to task-token requests (the token itself
// is decoded, and rejected, by the handler).
func (v validator) byToken(r tokenAddressed) error {
	if err := v.length("Namespace", r.GetNamespace()); err != nil {
		return err
	}
	return v.length("Identity", r.GetIdentity())
}

// failedActivity is what RespondActivityTaskFailed and its ById form carry.
type failedActivity interface {
	GetFailure() *failurepb.Failure
	GetLastHeartbeatDetails() *commonpb.Payloads
}

// activityFailure checks a failed activity's required failure and details.
func (v validator) activityFailure(r failedActivity) error {
	if r.GetFailure() == nil {
		return serviceerror.NewInvalidArgument("Failure is not set on request.")
	}
	if err := v.failure("Failure", r.GetFailure()); err != nil {
		return err
	}
	return v.payloads("LastHeartbeatDetails", r.GetLastHeartbeatDetails())
}

// recordActivityTaskHeartbeat validates a RecordActivityTaskHeartbeatRequest.
func (v validator) recordActivityTaskHeartbeat(r *workflowservice.RecordActivityTaskHeartbeatRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.byToken(r); err != nil {
		return err
	}
	return v.payloads("Details", r.GetDetails())
}

// recordActivityTaskHeartbeatByID validates a
// RecordActivityTaskHeartbeatByIdRequest.
func (v validator) recordActivityTaskHeartbeatByID(r *workflowservice.RecordActivityTaskHeartbeatByIdRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.activityByID(r); err != nil {
		return err
	}
	return v.payloads("Details", r.GetDetails())
}

// respondActivityTaskCompleted validates a
// RespondActivityTaskCompletedRequest.
func (v validator) respondActivityTaskCompleted(r *workflowservice.RespondActivityTaskCompletedRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.byToken(r); err != nil {
		return err
	}
	return v.payloads("Result", r.GetResult())
}

// respondActivityTaskCompletedByID validates a
// RespondActivityTaskCompletedByIdRequest.
func (v validator) respondActivityTaskCompletedByID(r *workflowservice.RespondActivityTaskCompletedByIdRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.activityByID(r); err != nil {
		return err
	}
	return v.payloads("Result", r.GetResult())
}

// respondActivityTaskFailed validates a RespondActivityTaskFailedRequest.
func (v validator) respondActivityTaskFailed(r *workflowservice.RespondActivityTaskFailedRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.byToken(r); err != nil {
		return err
	}
	return v.activityFailure(r)
}

// respondActivityTaskFailedByID validates a
// RespondActivityTaskFailedByIdRequest.
func (v validator) respondActivityTaskFailedByID(r *workflowservice.RespondActivityTaskFailedByIdRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.activityByID(r); err != nil {
		return err
	}
	return v.activityFailure(r)
}

// respondActivityTaskCanceled validates a RespondActivityTaskCanceledRequest.
func (v validator) respondActivityTaskCanceled(r *workflowservice.RespondActivityTaskCanceledRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.byToken(r); err != nil {
		return err
	}
	return v.payloads("Details", r.GetDetails())
}

// respondActivityTaskCanceledByID validates a
// RespondActivityTaskCanceledByIdRequest.
func (v validator) respondActivityTaskCanceledByID(r *workflowservice.RespondActivityTaskCanceledByIdRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.activityByID(r); err != nil {
		return err
	}
	return v.payloads("Details", r.GetDetails())
}

// respondQueryTaskCompleted validates a RespondQueryTaskCompletedRequest.
func (v validator) respondQueryTaskCompleted(r *workflowservice.RespondQueryTaskCompletedRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.length("Namespace", r.GetNamespace()); err != nil {
		return err
	}
	if r.GetCompletedType() == enumspb.QUERY_RESULT_TYPE_UNSPECIFIED {
		return serviceerror.NewInvalidArgument("CompletedType is not set on request.")
	}
	if err := enumValue("CompletedType", enumspb.QueryResultType_name, r.GetCompletedType()); err != nil {
		return err
	}
	if err := v.payloads("QueryResult", r.GetQueryResult()); err != nil {
		return err
	}
	if len(r.GetErrorMessage()) > v.cfg.BlobSizeLimitError {
		return invalidArgf("%s ErrorMessage is %d bytes; the limit is %d.", msgBlobSizeExceeded, len(r.GetErrorMessage()), v.cfg.BlobSizeLimitError)
	}
	return v.failure("Failure", r.GetFailure())
}

// describeTaskQueue validates a DescribeTaskQueueRequest.
func (v validator) describeTaskQueue(r *workflowservice.DescribeTaskQueueRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if err := v.taskQueue(r.GetTaskQueue()); err != nil {
		return err
	}
	if err := enumValue("TaskQueueType", enumspb.TaskQueueType_name, r.GetTaskQueueType()); err != nil {
		return err
	}
	for _, t := range r.GetTaskQueueTypes() { //nolint:staticcheck // deprecated ENHANCED describe field, still sent by older CLIs
		if err := enumValue("TaskQueueTypes", enumspb.TaskQueueType_name, t); err != nil {
			return err
		}
	}
	return enumValue("ApiMode", enumspb.DescribeTaskQueueMode_name, r.GetApiMode()) //nolint:staticcheck // deprecated ENHANCED describe mode, still sent by older CLIs
}

// shutdownWorker validates a ShutdownWorkerRequest.
func (v validator) shutdownWorker(r *workflowservice.ShutdownWorkerRequest) error {
	if r == nil {
		return serviceerror.NewInvalidArgument(msgRequestNil)
	}
	if err := v.namespace(r.GetNamespace()); err != nil {
		return err
	}
	if err := v.length("StickyTaskQueue", r.GetStickyTaskQueue()); err != nil {
		return err
	}
	return v.length("Identity", r.GetIdentity())
}
