package history

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

// maxStartAttempts bounds retries of a start racing other starts.
const maxStartAttempts = 5

func (s *Service) StartWorkflowExecution(ctx context.Context, req *historyservice.StartWorkflowExecutionRequest) (*historyservice.StartWorkflowExecutionResponse, error) {
	var eager *workflowservice.PollWorkflowTaskQueueResponse
	var branch []byte
	var cached []*historypb.HistoryEvent
	var created func(rc *runContext)
	if req.Request.GetRequestEagerExecution() {
		// startRunWith started the first workflow task in the create
		// transaction if the run could take it (see eagerStart).
		created = func(rc *runContext) {
			wt := rc.state.ExecutionInfo.WorkflowTask
			if wt == nil || wt.StartedEventId == 0 {
				return
			}
			eager = workflowTaskResponse(rc.state)
			eager.Messages = rc.updates.deliver(eager.StartedEventId)
			branch = branchToken(rc.state)
			cached = s.cachedHistory(rc, branch, 1, eager.StartedEventId+1)
		}
	}
	runID, started, err := s.startRunWith(ctx, req.NamespaceId, req.Request, nil, parentInfo(req.ParentExecutionInfo), created)
	if err != nil {
		return nil, err
	}
	resp := &historyservice.StartWorkflowExecutionResponse{RunId: runID, Started: started}
	if eager != nil {
		sh, err := s.shardFor(ctx, req.NamespaceId, req.Request.WorkflowId)
		if err == nil {
			err = s.fillTaskHistory(ctx, sh, eager, cached, branch, runID, 1)
		}
		if err != nil {
			// The run exists and its task is started: the task's
			// start-to-close timeout retries it through the queue.
			return resp, nil
		}
		s.metrics.Counter(metricEagerWorkflowTasks).Inc(1)
		resp.EagerWorkflowTask = eager
	}
	return resp, nil
}

// eagerStart starts a new run's first workflow task in its create
// transaction when the start request asked for eager execution: the
// caller's own worker takes it from the start's response.
func eagerStart(ms *workflow.MutableState, r *workflowservice.StartWorkflowExecutionRequest) {
	if r.GetRequestEagerExecution() {
		ms.StartWorkflowTaskEagerly(uuid.NewString(), r.GetIdentity())
	}
}

// startRun starts a run (with an optional first signal) honoring request ID
// de-duplication and the ID reuse and conflict policies.
func (s *Service) startRun(ctx context.Context, nsID string, r *workflowservice.StartWorkflowExecutionRequest, signal *historypb.WorkflowExecutionSignaledEventAttributes, parent *workflow.ParentInfo) (string, bool, error) {
	return s.startRunWith(ctx, nsID, r, signal, parent, nil)
}

// startRunWith is startRun; created, when set, runs under the new run's
// lock right after it was written (see createRun).
func (s *Service) startRunWith(ctx context.Context, nsID string, r *workflowservice.StartWorkflowExecutionRequest, signal *historypb.WorkflowExecutionSignaledEventAttributes, parent *workflow.ParentInfo, created func(rc *runContext)) (string, bool, error) {
	sh, err := s.shardFor(ctx, nsID, r.WorkflowId)
	if err != nil {
		return "", false, err
	}
	ns, err := s.deps.Namespaces.GetByID(ctx, nsID)
	if err != nil {
		return "", false, err
	}
	args := createArgs{mode: persistence.CreateModeBrandNew}
	for attempt := 0; attempt < maxStartAttempts; attempt++ {
		ms := workflow.NewRun(workflow.StartParams{
			NamespaceID: nsID, RunID: uuid.NewString(), Request: r, Signal: signal, Parent: parent,
		}, s.deps.Clock.Now(), ns.FailoverVersion(), ns.Retention())
		eagerStart(ms, r)
		err := sh.createRun(ctx, ms, args, created)
		if err == nil {
			return ms.Info().RunId, true, nil
		}
		var cf *persistence.CurrentWorkflowConditionFailedError
		if !errors.As(err, &cf) {
			return "", false, toServiceError(err)
		}
		if cf.CreateRequestID == r.RequestId && r.RequestId != "" {
			return cf.RunID, false, nil
		}
		running := cf.State == persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING || cf.State == persistencepb.WorkflowState_WORKFLOW_STATE_CREATED
		if running {
			if signal != nil {
				// SignalWithStart: the run is there after all; signal it.
				if err := s.signalRun(ctx, sh, runKey{nsID, r.WorkflowId, cf.RunID}, signal, nil); err == nil {
					return cf.RunID, false, nil
				} else if !isNotFound(err) {
					return "", false, err
				}
				continue
			}
			switch {
			case r.WorkflowIdConflictPolicy == enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING:
				return cf.RunID, false, nil
			case r.WorkflowIdConflictPolicy == enumspb.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING ||
				r.WorkflowIdReusePolicy == enumspb.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING: //nolint:staticcheck // older SDKs still send it; Temporal still honors it as TerminateExisting
				err := sh.updateRun(ctx, runKey{nsID, r.WorkflowId, cf.RunID}, func(ms *workflow.MutableState) error {
					if !ms.IsRunning() {
						return nil
					}
					ms.Terminate("terminated by a new start (TerminateExisting policy)", nil, r.Identity)
					return nil
				})
				if err != nil && !isNotFound(err) {
					return "", false, err
				}
				args = createArgs{mode: persistence.CreateModeUpdateCurrent, prevRunID: cf.RunID, prevLastVersion: cf.LastWriteVersion}
				continue
			default:
				return "", false, alreadyStarted(r, cf.RunID)
			}
		}
		switch r.WorkflowIdReusePolicy {
		case enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE:
			return "", false, alreadyStarted(r, cf.RunID)
		case enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY:
			if cf.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED || cf.Status == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
				return "", false, alreadyStarted(r, cf.RunID)
			}
		}
		args = createArgs{mode: persistence.CreateModeUpdateCurrent, prevRunID: cf.RunID, prevLastVersion: cf.LastWriteVersion}
	}
	return "", false, serviceerror.NewUnavailable("workflow start lost too many races, retry")
}

// parentInfo is the parent a child's start request names, or nil.
func parentInfo(p *historyservice.ParentExecutionInfo) *workflow.ParentInfo {
	if p == nil {
		return nil
	}
	return &workflow.ParentInfo{
		NamespaceID: p.NamespaceId, Namespace: p.Namespace, Execution: p.Execution,
		InitiatedID: p.InitiatedEventId, InitiatedVersion: p.InitiatedVersion,
	}
}

func alreadyStarted(r *workflowservice.StartWorkflowExecutionRequest, runID string) error {
	return serviceerror.NewWorkflowExecutionAlreadyStarted(
		fmt.Sprintf("Workflow execution is already running. WorkflowId: %s, RunId: %s.", r.WorkflowId, runID),
		r.RequestId, runID)
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

func (s *Service) SignalWithStartWorkflowExecution(ctx context.Context, req *historyservice.SignalWithStartWorkflowExecutionRequest) (*historyservice.SignalWithStartWorkflowExecutionResponse, error) {
	r := req.Request
	start := &workflowservice.StartWorkflowExecutionRequest{
		Namespace: r.Namespace, WorkflowId: r.WorkflowId, WorkflowType: r.WorkflowType, TaskQueue: r.TaskQueue,
		Input: r.Input, WorkflowExecutionTimeout: r.WorkflowExecutionTimeout, WorkflowRunTimeout: r.WorkflowRunTimeout,
		WorkflowTaskTimeout: r.WorkflowTaskTimeout, Identity: r.Identity, RequestId: r.RequestId,
		WorkflowIdReusePolicy: r.WorkflowIdReusePolicy, WorkflowIdConflictPolicy: r.WorkflowIdConflictPolicy,
		RetryPolicy: r.RetryPolicy, CronSchedule: r.CronSchedule, Memo: r.Memo, SearchAttributes: r.SearchAttributes,
		Header: r.Header, WorkflowStartDelay: r.WorkflowStartDelay, Priority: r.Priority,
	}
	signal := &historypb.WorkflowExecutionSignaledEventAttributes{
		SignalName: r.SignalName, Input: r.SignalInput, Identity: r.Identity, Header: r.Header,
	}
	sh, err := s.shardFor(ctx, req.NamespaceId, r.WorkflowId)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < maxStartAttempts; attempt++ {
		cur, err := s.deps.Stores.Execution.GetCurrentExecution(ctx, sh.id, req.NamespaceId, r.WorkflowId)
		if err != nil && !errors.Is(err, persistence.ErrNotFound) {
			return nil, toServiceError(err)
		}
		if err == nil && cur.State == persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING {
			err := s.signalRun(ctx, sh, runKey{req.NamespaceId, r.WorkflowId, cur.RunId}, signal, nil)
			if err == nil {
				return &historyservice.SignalWithStartWorkflowExecutionResponse{RunId: cur.RunId, Started: false}, nil
			}
			if !isNotFound(err) {
				return nil, err
			}
			continue
		}
		if start.RequestId == "" {
			start.RequestId = uuid.NewString()
		}
		runID, started, err := s.startRun(ctx, req.NamespaceId, start, signal, nil)
		if err != nil {
			return nil, err
		}
		return &historyservice.SignalWithStartWorkflowExecutionResponse{RunId: runID, Started: started}, nil
	}
	return nil, serviceerror.NewUnavailable("signal with start lost too many races, retry")
}
