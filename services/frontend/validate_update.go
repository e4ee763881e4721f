package frontend

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// Validation of the workflow update APIs.

const msgMultiOpShape = "Operations have to be exactly [Start, Update]."

// updateWorkflowExecution validates an UpdateWorkflowExecutionRequest.
func (v validator) updateWorkflowExecution(r *workflowservice.UpdateWorkflowExecutionRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	if err := v.execution("WorkflowExecution", r.GetWorkflowExecution()); err != nil {
		return err
	}
	if err := v.runID("FirstExecutionRunId", r.GetFirstExecutionRunId()); err != nil {
		return err
	}
	if err := v.waitPolicy(r.GetWaitPolicy()); err != nil {
		return err
	}
	return v.updateRequest(r.GetRequest())
}

// updateRequest checks the update a client sends: its ID (the SDK always
// sets one; de-duplication needs it), name, arguments and header.
func (v validator) updateRequest(r *updatepb.Request) error {
	if r == nil {
		return serviceerror.NewInvalidArgument("Request is not set on request.")
	}
	if err := v.required("Request.Meta.UpdateId", r.GetMeta().GetUpdateId()); err != nil {
		return err
	}
	if err := v.length("Request.Meta.Identity", r.GetMeta().GetIdentity()); err != nil {
		return err
	}
	if err := v.required("Request.Input.Name", r.GetInput().GetName()); err != nil {
		return err
	}
	if err := v.payloads("Request.Input.Args", r.GetInput().GetArgs()); err != nil {
		return err
	}
	if h := r.GetInput().GetHeader(); h != nil {
		if err := v.blob("Request.Input.Header", h); err != nil {
			return err
		}
	}
	if len(r.GetCompletionCallbacks()) > 0 {
		return serviceerror.NewInvalidArgument("Request.CompletionCallbacks are not supported by this server.")
	}
	return nil
}

func (v validator) waitPolicy(p *updatepb.WaitPolicy) error {
	return enumValue("WaitPolicy.LifecycleStage", enumspb.UpdateWorkflowExecutionLifecycleStage_name, p.GetLifecycleStage())
}

// normalizeWaitPolicy makes a request wait for ACCEPTED unless it asks for
// COMPLETED. UNSPECIFIED means ACCEPTED, as in Temporal. ADMITTED is
// answered as ACCEPTED too: an admitted update is not durable (it lives in
// the history host's memory), and the SDKs do not send it.
func normalizeWaitPolicy(r *workflowservice.UpdateWorkflowExecutionRequest) {
	if r.GetWaitPolicy().GetLifecycleStage() == enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED {
		return
	}
	r.WaitPolicy = &updatepb.WaitPolicy{LifecycleStage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED}
}

// pollWorkflowExecutionUpdate validates a PollWorkflowExecutionUpdateRequest.
func (v validator) pollWorkflowExecutionUpdate(r *workflowservice.PollWorkflowExecutionUpdateRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	ref := r.GetUpdateRef()
	if ref == nil {
		return serviceerror.NewInvalidArgument("UpdateRef is not set on request.")
	}
	if err := v.execution("UpdateRef.WorkflowExecution", ref.GetWorkflowExecution()); err != nil {
		return err
	}
	if err := v.required("UpdateRef.UpdateId", ref.GetUpdateId()); err != nil {
		return err
	}
	if err := v.length("Identity", r.GetIdentity()); err != nil {
		return err
	}
	return v.waitPolicy(r.GetWaitPolicy())
}

// executeMultiOperation validates an ExecuteMultiOperationRequest: exactly
// a StartWorkflow then an UpdateWorkflow (update-with-start, the one
// combination Temporal supports) on the same workflow. A bad operation is
// reported the way the SDK reads it: a MultiOperationExecution error with
// that operation's error and the other one aborted. Operations that name
// no namespace were given the request's (fillMultiOpNamespaces).
func (v validator) executeMultiOperation(r *workflowservice.ExecuteMultiOperationRequest) error {
	if err := v.request(r); err != nil {
		return err
	}
	ops := r.GetOperations()
	if len(ops) != 2 || ops[0].GetStartWorkflow() == nil || ops[1].GetUpdateWorkflow() == nil {
		return serviceerror.NewInvalidArgument(msgMultiOpShape)
	}
	start, update := ops[0].GetStartWorkflow(), ops[1].GetUpdateWorkflow()
	if err := v.multiOpStart(r.GetNamespace(), start); err != nil {
		return multiOpError(err, nil)
	}
	if err := v.multiOpUpdate(r.GetNamespace(), start.GetWorkflowId(), update); err != nil {
		return multiOpError(nil, err)
	}
	return nil
}

func (v validator) multiOpStart(ns string, r *workflowservice.StartWorkflowExecutionRequest) error {
	if r.GetNamespace() != ns {
		return serviceerror.NewInvalidArgument("Namespace of the operation does not match the request's.")
	}
	if r.GetCronSchedule() != "" {
		return serviceerror.NewInvalidArgument("CronSchedule is not allowed in update-with-start.")
	}
	if r.GetWorkflowStartDelay().AsDuration() > 0 {
		return serviceerror.NewInvalidArgument("WorkflowStartDelay is not allowed in update-with-start.")
	}
	if r.GetRequestEagerExecution() {
		return serviceerror.NewInvalidArgument("RequestEagerExecution is not allowed in update-with-start.")
	}
	return v.startWorkflowExecution(r)
}

func (v validator) multiOpUpdate(ns, workflowID string, r *workflowservice.UpdateWorkflowExecutionRequest) error {
	if r.GetNamespace() != ns {
		return serviceerror.NewInvalidArgument("Namespace of the operation does not match the request's.")
	}
	if r.GetWorkflowExecution().GetWorkflowId() != workflowID {
		return serviceerror.NewInvalidArgument("WorkflowId is not consistent with previous operation(s).")
	}
	if r.GetWorkflowExecution().GetRunId() != "" {
		return serviceerror.NewInvalidArgument("RunId is not allowed in update-with-start.")
	}
	if r.GetFirstExecutionRunId() != "" {
		return serviceerror.NewInvalidArgument("FirstExecutionRunId is not allowed in update-with-start.")
	}
	return v.updateWorkflowExecution(r)
}

// multiOpError reports the failed operation of an update-with-start: nil
// for a start that succeeded, the error of the one that failed, and
// MultiOperationAborted for an update not tried because the start failed.
func multiOpError(startErr, updateErr error) error {
	errs := []error{startErr, updateErr}
	if startErr != nil {
		errs[1] = serviceerror.NewMultiOperationAborted("Operation was aborted.")
	}
	return serviceerror.NewMultiOperationExecution("Update-with-start could not be executed.", errs)
}

// fillMultiOpNamespaces gives the operations that name no namespace the
// request's.
func fillMultiOpNamespaces(r *workflowservice.ExecuteMultiOperationRequest) {
	for _, op := range r.GetOperations() {
		if st := op.GetStartWorkflow(); st != nil && st.Namespace == "" {
			st.Namespace = r.GetNamespace()
		}
		if up := op.GetUpdateWorkflow(); up != nil && up.Namespace == "" {
			up.Namespace = r.GetNamespace()
		}
	}
}
