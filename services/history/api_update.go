package history

import (
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

// Workflow updates: admission (de-duplicated by update ID), waiting for a
// stage, update-with-start. Admitted updates live in the run context's
// registry (update.go); accepted and completed ones in the run's state.
//
// A waiting caller pins the run context, so its registry outlives the
// wait. Every change an update goes through happens in a transaction of
// the run (admission, a completion, the run's close), so waiters wait for
// the run's commits and look again.

const (
	stageAdmitted  = enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED
	stageAccepted  = enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
	stageCompleted = enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
)

// errUpdateNotFound is a sentinel: each API answers it its own way.
var errUpdateNotFound = errors.New("history: update not found")

// updateAbortedError is what callers of an update admitted to a run that
// closed before a worker accepted it get: Temporal's "already completed",
// or, when the run continued as a new one, a retryable error (the SDK
// re-sends its request, which reaches the new run).
func updateAbortedError(st *persistencepb.WorkflowMutableState) error {
	if st.GetExecutionInfo().GetNewExecutionRunId() != "" {
		return serviceerror.NewUnavailable("Workflow Update was aborted because the workflow run continued as a new run; retry.")
	}
	return errAlreadyCompleted()
}

// updateView is one look at an update.
type updateView struct {
	stage   enumspb.UpdateWorkflowExecutionLifecycleStage
	outcome *updatepb.Outcome
	// For a completed update whose outcome the state no longer keeps: the
	// completed event to read it from.
	readEventID int64
	branch      []byte
}

// waitStage is the stage a caller waits for: ACCEPTED unless COMPLETED
// (the frontend maps UNSPECIFIED and ADMITTED to ACCEPTED).
func waitStage(p *updatepb.WaitPolicy) enumspb.UpdateWorkflowExecutionLifecycleStage {
	if p.GetLifecycleStage() == stageCompleted {
		return stageCompleted
	}
	return stageAccepted
}

func (s *Service) UpdateWorkflowExecution(ctx context.Context, req *historyservice.UpdateWorkflowExecutionRequest) (*historyservice.UpdateWorkflowExecutionResponse, error) {
	r := req.Request
	sh, k, err := s.resolve(ctx, req.NamespaceId, r.GetWorkflowExecution())
	if err != nil {
		return nil, err
	}
	rc := sh.cache.pin(k)
	defer sh.cache.unpin(rc)
	u, err := s.admitUpdate(ctx, sh, k, r.GetFirstExecutionRunId(), r.GetRequest())
	if err != nil {
		return nil, err
	}
	resp, err := s.awaitUpdate(ctx, sh, rc, r.GetRequest().GetMeta().GetUpdateId(), u, waitStage(r.GetWaitPolicy()))
	if err != nil {
		return nil, err
	}
	return &historyservice.UpdateWorkflowExecutionResponse{Response: resp}, nil
}

// awaitUpdate waits for an update and renders the answer of
// UpdateWorkflowExecution.
func (s *Service) awaitUpdate(ctx context.Context, sh *shard, rc *runContext, id string, u *admittedUpdate, want enumspb.UpdateWorkflowExecutionLifecycleStage) (*workflowservice.UpdateWorkflowExecutionResponse, error) {
	v, err := s.waitUpdate(ctx, sh, rc, id, u, want)
	if errors.Is(err, errUpdateNotFound) {
		// Only a registry lost under a pinned context gets here.
		return nil, serviceerror.NewUnavailable("workflow update was lost; retry")
	}
	if err != nil {
		return nil, err
	}
	return &workflowservice.UpdateWorkflowExecutionResponse{
		UpdateRef: updateRef(rc.key, id),
		Outcome:   v.outcome,
		Stage:     v.stage,
	}, nil
}

func updateRef(k runKey, id string) *updatepb.UpdateRef {
	return &updatepb.UpdateRef{
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: k.workflowID, RunId: k.runID},
		UpdateId:          id,
	}
}

// admitUpdate admits an update to run k, or finds the one with its ID: it
// returns the registry entry of an admitted update, nil when the run's
// state has the update (accepted or completed).
func (s *Service) admitUpdate(ctx context.Context, sh *shard, k runKey, firstRunID string, r *updatepb.Request) (*admittedUpdate, error) {
	id := r.GetMeta().GetUpdateId()
	var u *admittedUpdate
	admit := false
	err := sh.transact(ctx, k, func(rc *runContext, ms *workflow.MutableState) error {
		if firstRunID != "" && ms.Info().FirstExecutionRunId != firstRunID {
			return errRunNotFound
		}
		if workflow.UpdateStatusOf(ms.S, id).Stage != enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED {
			return nil
		}
		if u = rc.updates.get(id); u != nil {
			return nil
		}
		if !ms.IsRunning() {
			return errAlreadyCompleted()
		}
		if !ms.ReadyForUpdates() {
			return serviceerror.NewWorkflowNotReady("Workflow is not ready to handle the request.")
		}
		if n := ms.UpdatesInFlight() + rc.updates.len(); n >= s.cfg.MaxInFlightUpdates {
			return serviceerror.NewResourceExhausted(enumspb.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT,
				fmt.Sprintf("limit on number of concurrent in-flight updates has been reached (%d)", s.cfg.MaxInFlightUpdates))
		}
		if n := len(ms.S.UpdateInfos) + rc.updates.len(); n >= s.cfg.MaxTotalUpdates {
			return serviceerror.NewFailedPrecondition(fmt.Sprintf("limit on number of total updates has been reached (%d)", s.cfg.MaxTotalUpdates))
		}
		ms.AdmitUpdate()
		admit = true
		return nil
	}, func(rc *runContext) {
		if admit {
			u = rc.updates.admit(id, r)
			s.metrics.Counter(metricUpdatesAdmitted).Inc(1)
		}
	})
	return u, err
}

// lookupUpdate looks an update up in a run's state and registry; u is the
// registry entry the caller holds, if any. The caller holds the run's lock.
func lookupUpdate(rc *runContext, id string, u *admittedUpdate) (updateView, *admittedUpdate, error) {
	st := rc.state
	us := workflow.UpdateStatusOf(st, id)
	if us.Stage != enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED {
		v := updateView{stage: us.Stage, outcome: us.Outcome}
		if us.Stage == stageCompleted && us.Outcome == nil {
			v.readEventID, v.branch = us.CompletedEventID, branchToken(st)
		}
		return v, u, nil
	}
	if u == nil {
		u = rc.updates.get(id)
	}
	switch {
	case u == nil:
		return updateView{}, nil, errUpdateNotFound
	case u.rejection != nil:
		return updateView{stage: stageCompleted, outcome: &updatepb.Outcome{Value: &updatepb.Outcome_Failure{Failure: u.rejection}}}, u, nil
	case u.dropped != nil:
		return updateView{}, u, u.dropped
	case u.removed:
		// Accepted, but the state does not have it: the run is gone.
		return updateView{}, u, errUpdateNotFound
	}
	return updateView{stage: stageAdmitted}, u, nil
}

// waitUpdate waits until the update reaches want, or until the caller's
// deadline nears: then it answers the stage reached, without an outcome
// (the SDK asks again). A caller with less than the margin left waits for
// its deadline instead: answering at once would make it ask again at once.
// rc is pinned by the caller.
func (s *Service) waitUpdate(ctx context.Context, sh *shard, rc *runContext, id string, u *admittedUpdate, want enumspb.UpdateWorkflowExecutionLifecycleStage) (updateView, error) {
	var expired <-chan time.Time
	if d := s.deadlineFor(ctx); d > 0 {
		timer := s.deps.Clock.NewTimer(d)
		defer timer.Stop()
		expired = timer.C()
	}
	for {
		var v updateView
		var changed <-chan struct{}
		if err := rc.acquire(ctx); err != nil {
			return updateView{}, toServiceError(err)
		}
		err := sh.loadLocked(ctx, rc)
		if err == nil {
			v, u, err = lookupUpdate(rc, id, u)
			changed = rc.watch()
		}
		rc.release()
		if err != nil {
			return updateView{}, err
		}
		if v.stage >= want {
			if v.readEventID != 0 {
				e, err := sh.readEvent(ctx, v.branch, v.readEventID, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
				if err != nil {
					return updateView{}, err
				}
				v.outcome = e.GetWorkflowExecutionUpdateCompletedEventAttributes().GetOutcome()
			}
			return v, nil
		}
		select {
		case <-changed:
		case <-expired:
			return v, nil
		case <-ctx.Done():
			return updateView{}, toServiceError(ctx.Err())
		}
	}
}

func (s *Service) PollWorkflowExecutionUpdate(ctx context.Context, req *historyservice.PollWorkflowExecutionUpdateRequest) (*historyservice.PollWorkflowExecutionUpdateResponse, error) {
	r := req.Request
	ref := r.GetUpdateRef()
	id := ref.GetUpdateId()
	sh, k, err := s.resolve(ctx, req.NamespaceId, ref.GetWorkflowExecution())
	if err != nil {
		return nil, err
	}
	rc := sh.cache.pin(k)
	defer sh.cache.unpin(rc)
	// Without a wait policy the poll does not block.
	want := r.GetWaitPolicy().GetLifecycleStage()
	if want < stageAdmitted {
		want = stageAdmitted
	}
	v, err := s.waitUpdate(ctx, sh, rc, id, nil, want)
	if errors.Is(err, errUpdateNotFound) {
		return nil, serviceerror.NewNotFound(fmt.Sprintf("update %q not found", id))
	}
	if err != nil {
		return nil, err
	}
	return &historyservice.PollWorkflowExecutionUpdateResponse{Response: &workflowservice.PollWorkflowExecutionUpdateResponse{
		Outcome:   v.outcome,
		Stage:     v.stage,
		UpdateRef: updateRef(k, id),
	}}, nil
}

// UpdateWithStartWorkflowExecution starts the workflow or, as its conflict
// policy allows, uses the running one, and admits the update to that run.
// An update admitted with a new run is in the registry before the run's
// lock is released, so its first workflow task carries it.
func (s *Service) UpdateWithStartWorkflowExecution(ctx context.Context, req *historyservice.UpdateWithStartWorkflowExecutionRequest) (*historyservice.UpdateWithStartWorkflowExecutionResponse, error) {
	start, upd := req.StartRequest, req.UpdateRequest
	id := upd.GetRequest().GetMeta().GetUpdateId()
	sh, err := s.shardFor(ctx, req.NamespaceId, start.GetWorkflowId())
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < maxStartAttempts; attempt++ {
		var created *runContext
		var admitted *admittedUpdate
		runID, started, err := s.startRunWith(ctx, req.NamespaceId, start, nil, nil, func(rc *runContext) {
			// Keep the new run's context (and its registry) until the wait ends.
			created = sh.cache.pin(rc.key)
			admitted = rc.updates.admit(id, upd.GetRequest())
			s.metrics.Counter(metricUpdatesAdmitted).Inc(1)
		})
		if err != nil {
			// created runs only for a run that was written, which is then
			// the answer: no pin to release here.
			return nil, multiOperationError(ctx, err, nil)
		}
		k := runKey{req.NamespaceId, start.GetWorkflowId(), runID}
		resp, err := func() (*workflowservice.UpdateWorkflowExecutionResponse, error) {
			rc := created
			if rc == nil {
				rc = sh.cache.pin(k)
			}
			defer sh.cache.unpin(rc)
			u := admitted
			if u == nil {
				var err error
				if u, err = s.admitUpdate(ctx, sh, k, "", upd.GetRequest()); err != nil {
					return nil, err
				}
			}
			return s.awaitUpdate(ctx, sh, rc, id, u, waitStage(upd.GetWaitPolicy()))
		}()
		if err != nil && !started && isNotFound(err) {
			// The run closed before the update reached it: start again.
			lastErr = err
			continue
		}
		if err != nil {
			return nil, multiOperationError(ctx, nil, err)
		}
		startResp := &workflowservice.StartWorkflowExecutionResponse{RunId: runID, Started: started}
		if started {
			startResp.Status = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
		}
		return &historyservice.UpdateWithStartWorkflowExecutionResponse{StartResponse: startResp, UpdateResponse: resp}, nil
	}
	return nil, multiOperationError(ctx, nil, lastErr)
}

// multiOperationError reports which operation of an update-with-start
// failed, as ExecuteMultiOperation answers: one error per operation (start,
// update), nil for a start that succeeded and MultiOperationAborted for an
// update never tried because the start failed. A caller whose context
// ended gets that error plainly.
func multiOperationError(ctx context.Context, startErr, updateErr error) error {
	if ctx.Err() != nil {
		return toServiceError(ctx.Err())
	}
	errs := []error{startErr, updateErr}
	if startErr != nil {
		errs[1] = serviceerror.NewMultiOperationAborted("Operation was aborted.")
	}
	return serviceerror.NewMultiOperationExecution("Update-with-start could not be executed.", errs)
}
