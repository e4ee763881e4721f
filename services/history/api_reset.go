package history

import (
	"context"
	"errors"

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

// ResetWorkflowExecution makes a new run of a workflow from a run's
// history up to one of its workflow tasks (workflow.Reset). A running
// current run is terminated in the transaction that writes the new run
// (TerminateForReset), so the workflow ID's current record moves to it
// atomically; with the current run closed, the new run is created
// conditionally on the current record. When the base run is the current
// running one, its history is read under its lock, so that nothing is
// written between the read and the reset. request_id de-duplicates against
// the current run's create request ID.
func (s *Service) ResetWorkflowExecution(ctx context.Context, req *historyservice.ResetWorkflowExecutionRequest) (*historyservice.ResetWorkflowExecutionResponse, error) {
	r := req.Request
	nsID, wfID := req.NamespaceId, r.GetWorkflowExecution().GetWorkflowId()
	sh, err := s.shardFor(ctx, nsID, wfID)
	if err != nil {
		return nil, err
	}
	ns, err := s.deps.Namespaces.GetByID(ctx, nsID)
	if err != nil {
		return nil, err
	}
	params := workflow.ResetParams{
		NamespaceID:    nsID,
		WorkflowID:     wfID,
		NewRunID:       uuid.NewString(),
		FinishEventID:  r.WorkflowTaskFinishEventId,
		Reason:         r.Reason,
		Identity:       r.Identity,
		RequestID:      r.RequestId,
		ReapplySignals: reapplySignals(r),
	}
	answer := func(runID string) (*historyservice.ResetWorkflowExecutionResponse, error) {
		return &historyservice.ResetWorkflowExecutionResponse{Response: &workflowservice.ResetWorkflowExecutionResponse{RunId: runID}}, nil
	}
	for attempt := 0; attempt < maxStartAttempts; attempt++ {
		cur, err := s.deps.Stores.Execution.GetCurrentExecution(ctx, sh.id, nsID, wfID)
		if errors.Is(err, persistence.ErrNotFound) {
			return nil, errRunNotFound
		}
		if err != nil {
			return nil, toServiceError(err)
		}
		if r.RequestId != "" && cur.CreateRequestId == r.RequestId {
			return answer(cur.RunId)
		}
		params.BaseRunID = r.GetWorkflowExecution().GetRunId()
		if params.BaseRunID == "" {
			params.BaseRunID = cur.RunId
		}
		baseKey := runKey{nsID, wfID, params.BaseRunID}
		curKey := runKey{nsID, wfID, cur.RunId}
		params.BaseEvents, params.BaseBuffered = nil, nil
		if cur.State == persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING || cur.State == persistencepb.WorkflowState_WORKFLOW_STATE_CREATED {
			if baseKey != curKey {
				if params.BaseEvents, err = sh.readRunHistory(ctx, baseKey); err != nil {
					return nil, err
				}
			}
			raced := false
			err := sh.updateRun(ctx, curKey, func(ms *workflow.MutableState) error {
				if !ms.IsRunning() {
					raced = true
					return nil
				}
				if baseKey == curKey {
					events, err := sh.readEvents(ctx, ms.S)
					if err != nil {
						return err
					}
					params.BaseEvents, params.BaseBuffered = events, ms.S.BufferedEvents
				}
				next, err := workflow.Reset(params, ms.Now(), ns.FailoverVersion(), ns.Retention())
				if err != nil {
					return resetError(err)
				}
				ms.TerminateForReset(r.Reason, r.Identity, next)
				return nil
			})
			if err != nil {
				return nil, err
			}
			if raced {
				continue
			}
			return answer(params.NewRunID)
		}
		if params.BaseEvents, err = sh.readRunHistory(ctx, baseKey); err != nil {
			return nil, err
		}
		next, err := workflow.Reset(params, s.deps.Clock.Now(), ns.FailoverVersion(), ns.Retention())
		if err != nil {
			return nil, resetError(err)
		}
		err = sh.createRun(ctx, next, createArgs{mode: persistence.CreateModeUpdateCurrent, prevRunID: cur.RunId, prevLastVersion: cur.LastWriteVersion}, nil)
		if err == nil {
			return answer(params.NewRunID)
		}
		var cf *persistence.CurrentWorkflowConditionFailedError
		if !errors.As(err, &cf) {
			return nil, toServiceError(err)
		}
		if r.RequestId != "" && cf.CreateRequestID == r.RequestId {
			return answer(cf.RunID)
		}
		// Another start or reset moved the current record: look again.
	}
	return nil, serviceerror.NewUnavailable("workflow reset lost too many races, retry")
}

// reapplySignals reports whether a reset re-applies the signals received
// after the reset point: unless the (deprecated) reapply type says NONE or
// the exclude types name SIGNAL.
func reapplySignals(r *workflowservice.ResetWorkflowExecutionRequest) bool {
	if r.GetResetReapplyType() == enumspb.RESET_REAPPLY_TYPE_NONE { //nolint:staticcheck // SDKs and the CLI still send it
		return false
	}
	for _, x := range r.GetResetReapplyExcludeTypes() {
		if x == enumspb.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL {
			return false
		}
	}
	return true
}

// resetError answers a reset point that cannot be reset to with
// InvalidArgument; other errors are internal.
func resetError(err error) error {
	var rpe *workflow.ResetPointError
	if errors.As(err, &rpe) {
		return serviceerror.NewInvalidArgument(rpe.Error())
	}
	return serviceerror.NewInternal(err.Error())
}

// readRunHistory reads a run's whole history (as far as its state's next
// event ID says).
func (sh *shard) readRunHistory(ctx context.Context, k runKey) ([]*historypb.HistoryEvent, error) {
	var st *persistencepb.WorkflowMutableState
	if err := sh.readRun(ctx, k, func(s *persistencepb.WorkflowMutableState) error {
		st = s
		return nil
	}); err != nil {
		return nil, err
	}
	return sh.readEvents(ctx, st)
}

// readEvents reads events [1, next_event_id) of a run's current branch.
// The run's state must not change meanwhile (the caller holds its lock, or
// the run is closed).
func (sh *shard) readEvents(ctx context.Context, st *persistencepb.WorkflowMutableState) ([]*historypb.HistoryEvent, error) {
	branch, end := branchToken(st), st.NextEventId
	var events []*historypb.HistoryEvent
	for next := int64(1); next < end; {
		resp, err := sh.svc.deps.Stores.History.ReadHistoryBranch(ctx, &persistence.ReadHistoryBranchRequest{
			ShardID: sh.id, BranchToken: branch, MinEventID: next, MaxEventID: end, PageSize: sh.svc.cfg.HistoryPageSize,
		})
		if err != nil {
			return nil, toServiceError(err)
		}
		if len(resp.Events) == 0 {
			return nil, serviceerror.NewInternal("history events missing from the store")
		}
		events = append(events, resp.Events...)
		next = resp.Events[len(resp.Events)-1].EventId + 1
	}
	return events, nil
}
