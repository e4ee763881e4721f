package history

import (
	"context"
	"errors"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

// DeleteWorkflowExecution terminates the run if it is running, then deletes
// it as retention would (deleteClosedRun): its visibility record, its state
// (and the current record when it points at the run) and its history. A
// run terminated here has its close work (the report to its parent, its
// parent close policy) done before the delete, since its close task will
// find the run gone.
func (s *Service) DeleteWorkflowExecution(ctx context.Context, req *historyservice.DeleteWorkflowExecutionRequest) (*historyservice.DeleteWorkflowExecutionResponse, error) {
	r := req.Request
	sh, k, err := s.resolve(ctx, req.NamespaceId, r.WorkflowExecution)
	if err != nil {
		return nil, err
	}
	terminated := false
	err = sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if ms.IsRunning() {
			ms.Terminate("Delete workflow execution.", nil, "history-service")
			terminated = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if terminated {
		if err := (&executor{sh: sh}).closeExecution(ctx, k, &persistencepb.HistoryTask{}); err != nil {
			return nil, toServiceError(err)
		}
	}
	if err := sh.deleteClosedRun(ctx, k); err != nil {
		return nil, toServiceError(err)
	}
	return &historyservice.DeleteWorkflowExecutionResponse{}, nil
}

// deleteClosedRun removes a closed run: visibility record, state, history.
// It holds the run's lock throughout, so that a task reading the run (a
// visibility upsert) either runs before and is undone, or after and finds
// the run gone. Deleting a run that is gone already is no error.
func (sh *shard) deleteClosedRun(ctx context.Context, k runKey) error {
	rc := sh.cache.pin(k)
	defer sh.cache.unpin(rc)
	if err := rc.acquire(ctx); err != nil {
		return err
	}
	defer rc.release()
	if err := sh.loadLocked(ctx, rc); err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	st := rc.state
	if st.ExecutionState.State != persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED {
		return errRunNotFound
	}
	branch := branchToken(st)
	stores := sh.svc.deps.Stores
	if err := stores.Visibility.DeleteWorkflowExecution(ctx, k.namespaceID, k.workflowID, k.runID); err != nil {
		return err
	}
	if err := stores.Execution.DeleteWorkflowExecution(ctx, sh.id, k.namespaceID, k.workflowID, k.runID); err != nil {
		return err
	}
	// The state is gone: forget it before anything can read it again.
	rc.state = nil
	rc.notify()
	if err := stores.History.DeleteHistoryBranch(ctx, sh.id, branch); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
