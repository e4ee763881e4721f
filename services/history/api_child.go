package history

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/google/uuid"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/common/searchattribute"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

// The shell side of child workflows, requests to other workflows and
// chains of runs. The executors here act on other workflows only through
// the Service's own HistoryService methods (StartWorkflowExecution,
// SignalWorkflowExecution, RequestCancelWorkflowExecution,
// TerminateWorkflowExecution, RecordChildExecutionCompleted), each on the
// target's shard, so that routing them to another host later changes
// nothing here. Every executor is idempotent: it reads the pending info
// first and drops a task whose work is recorded; requests it sends carry a
// request ID derived from this run and the initiating event, so that the
// target de-duplicates a re-execution after a crash; and the outcome is
// recorded only while the pending info still exists.

// identityHistory is the identity history uses in requests it sends.
const identityHistory = "history-service"

// reasonParentClose is Temporal's reason for parent close policy actions.
const reasonParentClose = "by parent close policy"

// derivedRequestID is the request ID of what run k sends for its event
// eventID (kind tells the kinds of requests apart).
func derivedRequestID(kind string, k runKey, eventID int64) string {
	return fmt.Sprintf("%s/%s/%d", kind, k.runID, eventID)
}

func sortedIDs[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func isAlreadyStarted(err error) bool {
	var as *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &as)
}

func isNamespaceNotFound(err error) bool {
	var nf *serviceerror.NamespaceNotFound
	return errors.As(err, &nf)
}

// readEvent reads event id from a run's history; want, unless
// UNSPECIFIED, is its type.
func (sh *shard) readEvent(ctx context.Context, branch []byte, id int64, want enumspb.EventType) (*historypb.HistoryEvent, error) {
	resp, err := sh.svc.deps.Stores.History.ReadHistoryBranch(ctx, &persistence.ReadHistoryBranchRequest{
		ShardID: sh.id, BranchToken: branch, MinEventID: id, MaxEventID: id + 1, PageSize: 1,
	})
	if err != nil {
		return nil, toServiceError(err)
	}
	for _, e := range resp.Events {
		if e.EventId == id && (want == enumspb.EVENT_TYPE_UNSPECIFIED || e.EventType == want) {
			return e, nil
		}
	}
	return nil, serviceerror.NewInternal(fmt.Sprintf("event %d (%v) missing from history", id, want))
}

// startAttributes returns the run's WorkflowExecutionStarted attributes
// (cached with the run). The caller holds the run's lock.
func (sh *shard) startAttributes(ctx context.Context, k runKey, st *persistencepb.WorkflowMutableState) (*historypb.WorkflowExecutionStartedEventAttributes, error) {
	rc := sh.cache.pin(k)
	defer sh.cache.unpin(rc)
	if rc.start != nil {
		return rc.start, nil
	}
	e, err := sh.readEvent(ctx, branchToken(st), 1, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
	if err != nil {
		return nil, err
	}
	rc.start = e.GetWorkflowExecutionStartedEventAttributes()
	return rc.start, nil
}

// prepareClose gives a transaction that may close the run into a new one
// (continue-as-new, retry, cron) what the core needs for it.
func (sh *shard) prepareClose(ctx context.Context, k runKey, ms *workflow.MutableState) error {
	ms.In.NewRunID = uuid.NewString()
	if !workflow.NeedsStartAttributes(ms.Info()) {
		return nil
	}
	start, err := sh.startAttributes(ctx, k, ms.S)
	if err != nil {
		return err
	}
	ms.In.Start = start
	return nil
}

// commandNamespaces resolves the namespaces commands name to their IDs.
// Unknown names are left out: the core rejects their commands.
func (s *Service) commandNamespaces(ctx context.Context, cmds []*commandpb.Command) (map[string]string, error) {
	var out map[string]string
	for _, c := range cmds {
		var name string
		switch c.GetCommandType() {
		case enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
			name = c.GetStartChildWorkflowExecutionCommandAttributes().GetNamespace() //nolint:staticcheck // SDKs still name the target's namespace here
		case enumspb.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
			name = c.GetSignalExternalWorkflowExecutionCommandAttributes().GetNamespace() //nolint:staticcheck // as above
		case enumspb.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
			name = c.GetRequestCancelExternalWorkflowExecutionCommandAttributes().GetNamespace() //nolint:staticcheck // as above
		}
		if name == "" || out[name] != "" {
			continue
		}
		ns, err := s.deps.Namespaces.GetByName(ctx, name)
		if isNamespaceNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = ns.ID()
	}
	return out, nil
}

// commandSearchAttributes returns, by namespace name, the custom search
// attributes of the namespaces whose runs the commands set search
// attributes on (the run's own for upserts and continue-as-new, the
// child's for child starts), for the core to check them; nil when no
// command sets any. The namespace records come from the registry, which
// caches them.
func (s *Service) commandSearchAttributes(ctx context.Context, namespaceID string, cmds []*commandpb.Command) (map[string]searchattribute.Types, error) {
	var out map[string]searchattribute.Types
	add := func(ns *namespace.Entry) {
		if out == nil {
			out = map[string]searchattribute.Types{}
		}
		out[ns.Name()] = searchattribute.FromAliases(ns.Detail().GetConfig().GetCustomSearchAttributeAliases())
	}
	haveOwn := false
	own := func() error {
		if haveOwn {
			return nil
		}
		ns, err := s.deps.Namespaces.GetByID(ctx, namespaceID)
		if err != nil {
			return err
		}
		add(ns)
		haveOwn = true
		return nil
	}
	for _, c := range cmds {
		switch c.GetCommandType() {
		case enumspb.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			if err := own(); err != nil {
				return nil, err
			}
		case enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
			if c.GetContinueAsNewWorkflowExecutionCommandAttributes().GetSearchAttributes() != nil {
				if err := own(); err != nil {
					return nil, err
				}
			}
		case enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
			a := c.GetStartChildWorkflowExecutionCommandAttributes()
			if a.GetSearchAttributes() == nil {
				continue
			}
			if err := own(); err != nil {
				return nil, err
			}
			name := a.GetNamespace() //nolint:staticcheck // SDKs still name the child's namespace here
			if name == "" {
				continue
			}
			if _, done := out[name]; done {
				continue
			}
			ns, err := s.deps.Namespaces.GetByName(ctx, name)
			if isNamespaceNotFound(err) {
				continue // the core rejects the command
			}
			if err != nil {
				return nil, err
			}
			add(ns)
		}
	}
	return out, nil
}

// closesRun reports whether commands close the run with a command that
// may start a new one.
func closesRun(cmds []*commandpb.Command) bool {
	for _, c := range cmds {
		switch c.GetCommandType() {
		case enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
			enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
			return true
		}
	}
	return false
}

func (s *Service) RecordChildExecutionCompleted(ctx context.Context, req *historyservice.RecordChildExecutionCompletedRequest) (*historyservice.RecordChildExecutionCompletedResponse, error) {
	if req.GetParentExecution().GetRunId() == "" || req.GetChildExecution().GetWorkflowId() == "" || req.GetCompletionEvent() == nil {
		return nil, serviceerror.NewInvalidArgument("RecordChildExecutionCompleted needs the parent's run, the child and its close event.")
	}
	sh, k, err := s.resolve(ctx, req.NamespaceId, req.ParentExecution)
	if err != nil {
		return nil, err
	}
	err = sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if !ms.IsRunning() {
			return errAlreadyCompleted()
		}
		ci := ms.PendingChild(req.ParentInitiatedEventId)
		if ci == nil {
			return nil // recorded already
		}
		if ci.WorkflowId != req.ChildExecution.GetWorkflowId() || ci.NamespaceId != req.ChildNamespaceId ||
			(ci.StartedRunId != "" && ci.StartedRunId != req.ChildFirstExecutionRunId) {
			return serviceerror.NewNotFound("Pending child execution not found.")
		}
		ms.RecordChildClosed(req.ParentInitiatedEventId, req.ChildExecution, req.ChildFirstExecutionRunId, req.CompletionEvent)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.RecordChildExecutionCompletedResponse{}, nil
}

// startChild runs a START_CHILD_EXECUTION task: it starts the child with
// this run as its parent and records the outcome.
func (x *executor) startChild(ctx context.Context, k runKey, t *persistencepb.HistoryTask) error {
	sh := x.sh
	var ci *persistencepb.ChildExecutionInfo
	var branch []byte
	parentClosed := false
	if err := sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
		c := st.ChildExecutionInfos[t.EventId]
		if c == nil || c.StartedEventId != 0 {
			return nil
		}
		ci = proto.Clone(c).(*persistencepb.ChildExecutionInfo)
		branch = branchToken(st)
		parentClosed = st.ExecutionState.State == persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED
		return nil
	}); err != nil || ci == nil {
		return err
	}
	requestID := derivedRequestID("start-child", k, t.EventId)
	if parentClosed {
		// A closed parent starts no child. An earlier attempt of this task
		// may have started it just before the parent closed: the parent's
		// close task did not see it, so its policy is applied here.
		return x.closeOrphan(ctx, k, ci)
	}
	ev, err := sh.readEvent(ctx, branch, t.EventId, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
	if err != nil {
		return err
	}
	a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes()
	parentNS, err := sh.svc.deps.Namespaces.GetByID(ctx, k.namespaceID)
	if err != nil {
		return err
	}
	resp, err := sh.svc.peers.StartWorkflowExecution(ctx, &historyservice.StartWorkflowExecutionRequest{
		NamespaceId: a.NamespaceId,
		Request: &workflowservice.StartWorkflowExecutionRequest{
			Namespace:                a.Namespace,
			WorkflowId:               a.WorkflowId,
			WorkflowType:             a.WorkflowType,
			TaskQueue:                a.TaskQueue,
			Input:                    a.Input,
			WorkflowExecutionTimeout: a.WorkflowExecutionTimeout,
			WorkflowRunTimeout:       a.WorkflowRunTimeout,
			WorkflowTaskTimeout:      a.WorkflowTaskTimeout,
			Identity:                 identityHistory,
			RequestId:                requestID,
			WorkflowIdReusePolicy:    a.WorkflowIdReusePolicy,
			RetryPolicy:              a.RetryPolicy,
			CronSchedule:             a.CronSchedule,
			Memo:                     a.Memo,
			SearchAttributes:         a.SearchAttributes,
			Header:                   a.Header,
			Priority:                 a.Priority,
		},
		ParentExecutionInfo: &historyservice.ParentExecutionInfo{
			NamespaceId:      k.namespaceID,
			Namespace:        parentNS.Name(),
			Execution:        &commonpb.WorkflowExecution{WorkflowId: k.workflowID, RunId: k.runID},
			InitiatedEventId: t.EventId,
			InitiatedVersion: ev.Version,
		},
	})
	var cause enumspb.StartChildWorkflowExecutionFailedCause
	switch {
	case err == nil:
	case isAlreadyStarted(err):
		// The ID is taken, unless by this very child: an earlier attempt
		// started it and it has moved on to another run since (its current
		// run no longer carries this request ID).
		runID, ours, err := x.startedChild(ctx, k, t.EventId, a.NamespaceId, a.WorkflowId)
		if err != nil {
			return err
		}
		if ours {
			resp = &historyservice.StartWorkflowExecutionResponse{RunId: runID}
			break
		}
		cause = enumspb.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS
	case isNamespaceNotFound(err):
		cause = enumspb.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND
	default:
		return err
	}
	closedMeanwhile := false
	if err := sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if !ms.IsRunning() {
			closedMeanwhile = true
			return nil
		}
		if cause != enumspb.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED {
			ms.RecordChildStartFailed(t.EventId, cause)
			return nil
		}
		ms.RecordChildStarted(t.EventId, resp.RunId, a.Header)
		return nil
	}); err != nil {
		return err
	}
	if closedMeanwhile && cause == enumspb.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED {
		ci.StartedRunId = resp.RunId
		return x.applyParentClosePolicy(ctx, k, ci)
	}
	return nil
}

// startedChild reports whether workflow ID's current run belongs to the
// child initiated by parent's event initiatedID, and the child's first run.
// It reads the current run's first event through the peers: the child's
// shard may live on another host.
func (x *executor) startedChild(ctx context.Context, parent runKey, initiatedID int64, nsID, workflowID string) (string, bool, error) {
	ns, err := x.sh.svc.deps.Namespaces.GetByID(ctx, nsID)
	if err != nil {
		if isNamespaceNotFound(err) {
			return "", false, nil
		}
		return "", false, err
	}
	resp, err := x.sh.svc.peers.GetWorkflowExecutionHistory(ctx, &historyservice.GetWorkflowExecutionHistoryRequest{
		NamespaceId: nsID,
		Request: &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace:       ns.Name(),
			Execution:       &commonpb.WorkflowExecution{WorkflowId: workflowID},
			MaximumPageSize: 1,
		},
	})
	if isNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	events := resp.GetResponse().GetHistory().GetEvents()
	if len(events) == 0 {
		return "", false, nil
	}
	a := events[0].GetWorkflowExecutionStartedEventAttributes()
	p := a.GetParentWorkflowExecution()
	ours := p.GetWorkflowId() == parent.workflowID && p.GetRunId() == parent.runID &&
		a.GetParentInitiatedEventId() == initiatedID
	return a.GetFirstExecutionRunId(), ours, nil
}

// closeOrphan applies a closed parent's policy to a child that an earlier
// attempt of its start task started, if there is one.
func (x *executor) closeOrphan(ctx context.Context, parent runKey, ci *persistencepb.ChildExecutionInfo) error {
	if ci.ParentClosePolicy == enumspb.PARENT_CLOSE_POLICY_ABANDON {
		return nil
	}
	first, ours, err := x.startedChild(ctx, parent, ci.InitiatedEventId, ci.NamespaceId, ci.WorkflowId)
	if err != nil || !ours {
		return err
	}
	ci.StartedRunId = first
	return x.applyParentClosePolicy(ctx, parent, ci)
}

// applyParentClosePolicy terminates or asks to cancel a closed parent's
// child, as its policy says. A child that is gone or closed is left alone.
func (x *executor) applyParentClosePolicy(ctx context.Context, parent runKey, ci *persistencepb.ChildExecutionInfo) error {
	svc := x.sh.svc
	parentEx := &commonpb.WorkflowExecution{WorkflowId: parent.workflowID, RunId: parent.runID}
	target := &commonpb.WorkflowExecution{WorkflowId: ci.WorkflowId}
	var err error
	switch ci.ParentClosePolicy {
	case enumspb.PARENT_CLOSE_POLICY_TERMINATE:
		_, err = svc.peers.TerminateWorkflowExecution(ctx, &historyservice.TerminateWorkflowExecutionRequest{
			NamespaceId: ci.NamespaceId,
			Request: &workflowservice.TerminateWorkflowExecutionRequest{
				Namespace: ci.Namespace, WorkflowExecution: target, Reason: reasonParentClose,
				Identity: identityHistory, FirstExecutionRunId: ci.StartedRunId,
			},
			ExternalWorkflowExecution: parentEx,
			ChildWorkflowOnly:         true,
		})
	case enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL:
		_, err = svc.peers.RequestCancelWorkflowExecution(ctx, &historyservice.RequestCancelWorkflowExecutionRequest{
			NamespaceId: ci.NamespaceId,
			Request: &workflowservice.RequestCancelWorkflowExecutionRequest{
				Namespace: ci.Namespace, WorkflowExecution: target, Identity: identityHistory,
				RequestId:           derivedRequestID("parent-close", parent, ci.InitiatedEventId),
				FirstExecutionRunId: ci.StartedRunId, Reason: reasonParentClose,
			},
			ExternalWorkflowExecution: parentEx,
			ChildWorkflowOnly:         true,
		})
	}
	if err != nil && !isNotFound(err) && !isNamespaceNotFound(err) {
		return err
	}
	return nil
}

// closeExecution runs a closed run's CLOSE_EXECUTION task: it reports the
// close of a child's chain to its parent and applies the run's parent
// close policy to its started children.
func (x *executor) closeExecution(ctx context.Context, k runKey, t *persistencepb.HistoryTask) error {
	sh := x.sh
	var report *historyservice.RecordChildExecutionCompletedRequest
	var children []*persistencepb.ChildExecutionInfo
	var branch []byte
	var closeID int64
	if err := sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
		if st.ExecutionState.State != persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED {
			return nil
		}
		ei := st.ExecutionInfo
		if ei.ParentExecution != nil && ei.NewExecutionRunId == "" {
			report = &historyservice.RecordChildExecutionCompletedRequest{
				NamespaceId:              ei.ParentNamespaceId,
				ParentExecution:          ei.ParentExecution,
				ParentInitiatedEventId:   ei.ParentInitiatedEventId,
				ChildNamespaceId:         ei.NamespaceId,
				ChildExecution:           &commonpb.WorkflowExecution{WorkflowId: ei.WorkflowId, RunId: ei.RunId},
				ChildFirstExecutionRunId: ei.FirstExecutionRunId,
			}
			branch, closeID = branchToken(st), ei.CompletionEventId
		}
		for _, ci := range workflow.ChildrenToClose(st) {
			children = append(children, proto.Clone(ci).(*persistencepb.ChildExecutionInfo))
		}
		return nil
	}); err != nil {
		return err
	}
	if report != nil {
		ev, err := sh.readEvent(ctx, branch, closeID, enumspb.EVENT_TYPE_UNSPECIFIED)
		if err != nil {
			return err
		}
		report.CompletionEvent = ev
		if _, err := sh.svc.peers.RecordChildExecutionCompleted(ctx, report); err != nil && !isNotFound(err) && !isNamespaceNotFound(err) {
			return err
		}
	}
	for _, ci := range children {
		if err := x.applyParentClosePolicy(ctx, k, ci); err != nil {
			return err
		}
	}
	return nil
}

// signalExternal runs a SIGNAL_EXECUTION task.
func (x *executor) signalExternal(ctx context.Context, k runKey, t *persistencepb.HistoryTask) error {
	sh := x.sh
	var si *persistencepb.SignalInfo
	var branch []byte
	if err := sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
		if s := st.SignalInfos[t.EventId]; s != nil && st.ExecutionState.State != persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED {
			si = proto.Clone(s).(*persistencepb.SignalInfo)
			branch = branchToken(st)
		}
		return nil
	}); err != nil || si == nil {
		return err
	}
	var cause enumspb.SignalExternalWorkflowExecutionFailedCause
	if si.NamespaceId == k.namespaceID && si.WorkflowId == k.workflowID {
		// A workflow does not signal itself this way (Temporal neither).
		cause = enumspb.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
	} else {
		ev, err := sh.readEvent(ctx, branch, t.EventId, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)
		if err != nil {
			return err
		}
		a := ev.GetSignalExternalWorkflowExecutionInitiatedEventAttributes()
		_, err = sh.svc.peers.SignalWorkflowExecution(ctx, &historyservice.SignalWorkflowExecutionRequest{
			NamespaceId: si.NamespaceId,
			Request: &workflowservice.SignalWorkflowExecutionRequest{
				Namespace:         si.Namespace,
				WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: si.WorkflowId, RunId: si.RunId},
				SignalName:        si.SignalName,
				Input:             a.Input,
				Identity:          identityHistory,
				RequestId:         derivedRequestID("signal", k, t.EventId),
				Header:            a.Header,
			},
			ExternalWorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: k.workflowID, RunId: k.runID},
			ChildWorkflowOnly:         si.ChildWorkflowOnly,
		})
		switch {
		case err == nil:
		case isNotFound(err):
			cause = enumspb.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
		case isNamespaceNotFound(err):
			cause = enumspb.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND
		default:
			return err
		}
	}
	return sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if cause != enumspb.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED {
			ms.RecordExternalSignalFailed(t.EventId, cause)
		} else {
			ms.RecordExternalSignaled(t.EventId, "")
		}
		return nil
	})
}

// cancelExternal runs a CANCEL_EXECUTION task.
func (x *executor) cancelExternal(ctx context.Context, k runKey, t *persistencepb.HistoryTask) error {
	sh := x.sh
	var ri *persistencepb.RequestCancelInfo
	if err := sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
		if r := st.RequestCancelInfos[t.EventId]; r != nil && st.ExecutionState.State != persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED {
			ri = proto.Clone(r).(*persistencepb.RequestCancelInfo)
		}
		return nil
	}); err != nil || ri == nil {
		return err
	}
	var cause enumspb.CancelExternalWorkflowExecutionFailedCause
	if ri.NamespaceId == k.namespaceID && ri.WorkflowId == k.workflowID {
		// A workflow does not cancel itself this way (Temporal neither).
		cause = enumspb.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
	} else {
		_, err := sh.svc.peers.RequestCancelWorkflowExecution(ctx, &historyservice.RequestCancelWorkflowExecutionRequest{
			NamespaceId: ri.NamespaceId,
			Request: &workflowservice.RequestCancelWorkflowExecutionRequest{
				Namespace:         ri.Namespace,
				WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ri.WorkflowId, RunId: ri.RunId},
				Identity:          identityHistory,
				RequestId:         derivedRequestID("cancel", k, t.EventId),
			},
			ExternalInitiatedEventId:  t.EventId,
			ExternalWorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: k.workflowID, RunId: k.runID},
			ChildWorkflowOnly:         ri.ChildWorkflowOnly,
		})
		switch {
		case err == nil:
		case isNotFound(err):
			cause = enumspb.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
		case isNamespaceNotFound(err):
			cause = enumspb.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND
		default:
			return err
		}
	}
	return sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if cause != enumspb.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED {
			ms.RecordExternalCancelFailed(t.EventId, cause)
		} else {
			ms.RecordExternalCancelRequested(t.EventId)
		}
		return nil
	})
}
