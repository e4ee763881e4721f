package history

import (
	"context"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	tokenpb "github.com/meridian-dev/meridian/common/commonpb"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// readHistoryPage reads events [min, max) of a branch, one page at most, and
// returns a token for the rest (nil when none).
func (s *Service) readHistoryPage(ctx context.Context, sh *shard, branch []byte, runID string, min, max int64, _ []byte) ([]*historypb.HistoryEvent, []byte, error) {
	if min >= max {
		return nil, nil, nil
	}
	resp, err := s.deps.Stores.History.ReadHistoryBranch(ctx, &persistence.ReadHistoryBranchRequest{
		ShardID: sh.id, BranchToken: branch, MinEventID: min, MaxEventID: max, PageSize: s.cfg.HistoryPageSize,
	})
	if err != nil {
		return nil, nil, toServiceError(err)
	}
	events := resp.Events
	var next []byte
	if n := len(events); n > 0 && events[n-1].EventId+1 < max {
		next = encodePageToken(&tokenpb.HistoryPageToken{NextEventId: events[n-1].EventId + 1, EndEventId: max, RunId: runID})
	} else if n == 0 {
		return nil, nil, serviceerror.NewInternal("history events missing from the store")
	}
	return events, next, nil
}

func encodePageToken(t *tokenpb.HistoryPageToken) []byte {
	b, err := proto.Marshal(t)
	if err != nil {
		panic("history: page token does not marshal: " + err.Error())
	}
	return b
}

// runView is what a history read needs to know of a run.
type runView struct {
	branch      []byte
	nextEventID int64
	closed      bool
	closeID     int64
	lastDone    int64
	taskQueue   string
	typeName    string
	changed     <-chan struct{}
}

// hold pins the run's context in the cache until the returned func runs, so
// that a waiter's change channel belongs to the context later commits use.
func (sh *shard) hold(k runKey) func() {
	rc := sh.cache.pin(k)
	return func() { sh.cache.unpin(rc) }
}

func (sh *shard) view(ctx context.Context, k runKey) (runView, error) {
	rc := sh.cache.pin(k)
	defer sh.cache.unpin(rc)
	if err := rc.acquire(ctx); err != nil {
		return runView{}, toServiceError(err)
	}
	defer rc.release()
	if err := sh.loadLocked(ctx, rc); err != nil {
		return runView{}, err
	}
	st := rc.state
	return runView{
		branch:      branchToken(st),
		nextEventID: st.NextEventId,
		closed:      st.ExecutionState.State == persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED,
		closeID:     st.ExecutionInfo.CompletionEventId,
		lastDone:    st.ExecutionInfo.LastCompletedWorkflowTaskStartedEventId,
		taskQueue:   st.ExecutionInfo.TaskQueue,
		typeName:    st.ExecutionInfo.WorkflowTypeName,
		changed:     rc.watch(),
	}, nil
}

// waitChange waits for the run to change, ctx to end or the timer to fire.
func (s *Service) waitChange(ctx context.Context, changed <-chan struct{}, timer <-chan time.Time) bool {
	select {
	case <-changed:
		return true
	case <-ctx.Done():
		return false
	case <-timer:
		return false
	}
}

func (s *Service) GetWorkflowExecutionHistory(ctx context.Context, req *historyservice.GetWorkflowExecutionHistoryRequest) (*historyservice.GetWorkflowExecutionHistoryResponse, error) {
	r := req.Request
	ex := r.Execution
	var tok tokenpb.HistoryPageToken
	if len(r.NextPageToken) > 0 {
		if err := proto.Unmarshal(r.NextPageToken, &tok); err != nil {
			return nil, serviceerror.NewInvalidArgument("Invalid NextPageToken.")
		}
		if tok.RunId != "" {
			ex = &commonpb.WorkflowExecution{WorkflowId: ex.GetWorkflowId(), RunId: tok.RunId}
		}
	}
	sh, k, err := s.resolve(ctx, req.NamespaceId, ex)
	if err != nil {
		return nil, err
	}
	wait := r.WaitNewEvent
	timer := s.deps.Clock.NewTimer(s.deadlineFor(ctx))
	defer timer.Stop()
	empty := func(token []byte) (*historyservice.GetWorkflowExecutionHistoryResponse, error) {
		return &historyservice.GetWorkflowExecutionHistoryResponse{Response: &workflowservice.GetWorkflowExecutionHistoryResponse{
			History: &historypb.History{}, NextPageToken: token,
		}}, nil
	}
	again := encodePageToken(&tokenpb.HistoryPageToken{NextEventId: tok.NextEventId, EndEventId: tok.EndEventId, RunId: k.runID})
	// Keep the run's context cached while we wait on its change channel.
	defer sh.hold(k)()
	for {
		v, err := sh.view(ctx, k)
		if err != nil {
			return nil, err
		}
		if r.HistoryEventFilterType == enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT {
			if !v.closed {
				if wait && s.waitChange(ctx, v.changed, timer.C()) {
					continue
				}
				if wait {
					return empty(again)
				}
				return empty(nil)
			}
			events, _, err := s.readHistoryPage(ctx, sh, v.branch, k.runID, v.closeID, v.closeID+1, nil)
			if err != nil {
				return nil, err
			}
			return &historyservice.GetWorkflowExecutionHistoryResponse{Response: &workflowservice.GetWorkflowExecutionHistoryResponse{
				History: &historypb.History{Events: events},
			}}, nil
		}
		from := tok.NextEventId
		if from == 0 {
			from = 1
		}
		end := v.nextEventID
		if tok.EndEventId > 0 && tok.EndEventId < end {
			end = tok.EndEventId
		}
		if from >= end {
			if tok.EndEventId > 0 || v.closed {
				return empty(nil)
			}
			if wait && s.waitChange(ctx, v.changed, timer.C()) {
				continue
			}
			if wait {
				return empty(again)
			}
			return empty(nil)
		}
		events, next, err := s.readHistoryPage(ctx, sh, v.branch, k.runID, from, end, nil)
		if err != nil {
			return nil, err
		}
		if next == nil && wait && !v.closed && tok.EndEventId == 0 {
			// Long poll over a running workflow: hand back a token that
			// continues after what was returned.
			next = encodePageToken(&tokenpb.HistoryPageToken{NextEventId: end, RunId: k.runID})
		}
		return &historyservice.GetWorkflowExecutionHistoryResponse{Response: &workflowservice.GetWorkflowExecutionHistoryResponse{
			History: &historypb.History{Events: events}, NextPageToken: next,
		}}, nil
	}
}

func (s *Service) QueryWorkflow(ctx context.Context, req *historyservice.QueryWorkflowRequest) (*historyservice.QueryWorkflowResponse, error) {
	r := req.Request
	sh, k, err := s.resolve(ctx, req.NamespaceId, r.Execution)
	if err != nil {
		return nil, err
	}
	var v runView
	defer sh.hold(k)()
	for {
		v, err = sh.view(ctx, k)
		if err != nil {
			return nil, err
		}
		if v.closed || v.lastDone > 0 {
			break
		}
		// The workflow has not run its first task yet: wait for it.
		select {
		case <-v.changed:
		case <-ctx.Done():
			return nil, toServiceError(ctx.Err())
		}
	}
	if v.closed {
		var status enumspb.WorkflowExecutionStatus
		if err := sh.readRun(ctx, k, func(st *persistencepb.WorkflowMutableState) error {
			status = st.ExecutionState.Status
			return nil
		}); err != nil {
			return nil, err
		}
		switch r.QueryRejectCondition {
		case enumspb.QUERY_REJECT_CONDITION_NOT_OPEN:
			return rejected(status), nil
		case enumspb.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY:
			if status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				return rejected(status), nil
			}
		}
	}
	var events []*historypb.HistoryEvent
	for from := int64(1); from < v.nextEventID; {
		page, _, err := s.readHistoryPage(ctx, sh, v.branch, k.runID, from, v.nextEventID, nil)
		if err != nil {
			return nil, err
		}
		events = append(events, page...)
		from = page[len(page)-1].EventId + 1
	}
	task := &workflowservice.PollWorkflowTaskQueueResponse{
		WorkflowExecution:          &commonpb.WorkflowExecution{WorkflowId: k.workflowID, RunId: k.runID},
		WorkflowType:               &commonpb.WorkflowType{Name: v.typeName},
		PreviousStartedEventId:     v.lastDone,
		Attempt:                    1,
		History:                    &historypb.History{Events: events},
		Query:                      r.Query,
		WorkflowExecutionTaskQueue: &taskqueuepb.TaskQueue{Name: v.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
	}
	res, err := s.deps.Matching.QueryWorkflow(ctx, &matchingservice.QueryWorkflowRequest{
		NamespaceId: req.NamespaceId,
		TaskQueue:   &taskqueuepb.TaskQueue{Name: v.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Task:        task,
	})
	if err != nil {
		return nil, toServiceError(err)
	}
	out := res.Result
	switch out.GetCompletedType() {
	case enumspb.QUERY_RESULT_TYPE_ANSWERED:
		return &historyservice.QueryWorkflowResponse{Response: &workflowservice.QueryWorkflowResponse{QueryResult: out.QueryResult}}, nil
	case enumspb.QUERY_RESULT_TYPE_FAILED:
		return nil, serviceerror.NewQueryFailedWithFailure(out.ErrorMessage, out.Failure)
	}
	return nil, serviceerror.NewInternal("query answered with an unknown result type")
}

func rejected(status enumspb.WorkflowExecutionStatus) *historyservice.QueryWorkflowResponse {
	return &historyservice.QueryWorkflowResponse{Response: &workflowservice.QueryWorkflowResponse{
		QueryRejected: &querypb.QueryRejected{Status: status},
	}}
}
