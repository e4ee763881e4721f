package frontend

import (
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
)

func TestValidateResetWorkflowExecution(t *testing.T) {
	type R = *workflowservice.ResetWorkflowExecutionRequest
	base := func() R {
		return &workflowservice.ResetWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", ""), Reason: "r", WorkflowTaskFinishEventId: 4}
	}
	runValidation(t, base, tv.resetWorkflowExecution, []vcase[R]{
		{name: "valid", want: ""},
		{name: "valid with reapply options", mutate: func(r R) {
			r.ResetReapplyType = enumspb.RESET_REAPPLY_TYPE_NONE //nolint:staticcheck // still sent by clients
			r.ResetReapplyExcludeTypes = []enumspb.ResetReapplyExcludeType{enumspb.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL}
		}, want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no execution", mutate: func(r R) { r.WorkflowExecution = nil }, want: "WorkflowExecution is not set on request."},
		{name: "no workflow id", mutate: func(r R) { r.WorkflowExecution.WorkflowId = "" }, want: "WorkflowId is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.WorkflowExecution.RunId = "x" }, want: "Invalid RunId."},
		{name: "no event id", mutate: func(r R) { r.WorkflowTaskFinishEventId = 0 }, want: "WorkflowTaskFinishEventId must be greater than 1"},
		{name: "event id 1", mutate: func(r R) { r.WorkflowTaskFinishEventId = 1 }, want: "WorkflowTaskFinishEventId must be greater than 1"},
		{name: "long request id", mutate: func(r R) { r.RequestId = long(1001) }, want: "RequestId exceeds length limit"},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "huge reason", mutate: func(r R) { r.Reason = long(twoMiB + 1) }, want: "Reason"},
		{name: "bad reapply type", mutate: func(r R) { r.ResetReapplyType = 42 }, want: "Invalid ResetReapplyType"}, //nolint:staticcheck // still sent by clients
		{name: "bad exclude type", mutate: func(r R) { r.ResetReapplyExcludeTypes = []enumspb.ResetReapplyExcludeType{42} }, want: "Invalid ResetReapplyExcludeTypes"},
		{name: "post reset operations", mutate: func(r R) { r.PostResetOperations = []*workflowpb.PostResetOperation{{}} }, want: "PostResetOperations are not supported."},
	})
	requireInvalid(t, tv.resetWorkflowExecution(nil), "Request is not set.")
}

func TestValidateDeleteWorkflowExecution(t *testing.T) {
	type R = *workflowservice.DeleteWorkflowExecutionRequest
	base := func() R {
		return &workflowservice.DeleteWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", "")}
	}
	runValidation(t, base, tv.deleteWorkflowExecution, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no execution", mutate: func(r R) { r.WorkflowExecution = nil }, want: "WorkflowExecution is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.WorkflowExecution.RunId = "x" }, want: "Invalid RunId."},
	})
	requireInvalid(t, tv.deleteWorkflowExecution(nil), "Request is not set.")
}
