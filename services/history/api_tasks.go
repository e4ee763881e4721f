package history

import (
	"context"
	"time"

	"github.com/google/uuid"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/api/historyservice"
	tokenpb "github.com/meridian-dev/meridian/common/commonpb"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/services/history/workflow"
)

var (
	errWorkflowTaskNotFound = serviceerror.NewNotFound("workflow task not found")
	errActivityTaskNotFound = serviceerror.NewNotFound("activity task not found")
	// errActivityNotCancelRequested answers a cancellation report for an
	// activity whose workflow has not asked to cancel it (Temporal's text).
	errActivityNotCancelRequested = serviceerror.NewInvalidArgument("Unable to mark activity as canceled without activity being request canceled.")
)

func timestampAdd(t *timestamppb.Timestamp, d time.Duration) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(t.AsTime().Add(d))
}

func encodeToken(t *tokenpb.TaskToken) []byte {
	b, err := proto.Marshal(t)
	if err != nil {
		panic("history: task token does not marshal: " + err.Error())
	}
	return b
}

func (s *Service) RecordWorkflowTaskStarted(ctx context.Context, req *historyservice.RecordWorkflowTaskStartedRequest) (*historyservice.RecordWorkflowTaskStartedResponse, error) {
	sh, k, err := s.resolve(ctx, req.NamespaceId, req.Execution)
	if err != nil {
		return nil, err
	}
	var resp *workflowservice.PollWorkflowTaskQueueResponse
	var branch []byte
	var cached []*historypb.HistoryEvent
	first := int64(1)
	err = sh.transact(ctx, k, func(_ *runContext, ms *workflow.MutableState) error {
		if !ms.IsRunning() {
			return errAlreadyCompleted()
		}
		wt := ms.WorkflowTask()
		if wt == nil || wt.ScheduledEventId != req.ScheduledEventId {
			return errWorkflowTaskNotFound
		}
		if wt.StartedEventId > 0 {
			if wt.RequestId != req.RequestId {
				return serviceerror.NewNotFound("workflow task already started")
			}
		} else {
			ms.StartWorkflowTask(req.RequestId, req.PollRequest.GetIdentity(), ms.Info().HistorySizeBytes)
		}
		resp = workflowTaskResponse(ms.S)
		branch = branchToken(ms.S)
		if wt := ms.WorkflowTask(); wt.Sticky && resp.PreviousStartedEventId > 0 {
			// The sticky worker has the run cached up to its last task.
			first = resp.PreviousStartedEventId + 1
		}
		return nil
	}, func(rc *runContext) {
		// The task carries the admitted updates.
		resp.Messages = rc.updates.deliver(resp.StartedEventId)
		cached = s.cachedHistory(rc, branch, first, resp.StartedEventId+1)
	})
	if err != nil {
		return nil, err
	}
	if err := s.fillTaskHistory(ctx, sh, resp, cached, branch, k.runID, first); err != nil {
		return nil, err
	}
	return &historyservice.RecordWorkflowTaskStartedResponse{Response: resp}, nil
}

func workflowTaskResponse(st *persistencepb.WorkflowMutableState) *workflowservice.PollWorkflowTaskQueueResponse {
	ei := st.ExecutionInfo
	wt := ei.WorkflowTask
	return &workflowservice.PollWorkflowTaskQueueResponse{
		TaskToken: encodeToken(&tokenpb.TaskToken{
			NamespaceId: ei.NamespaceId, WorkflowId: ei.WorkflowId, RunId: ei.RunId,
			ScheduledEventId: wt.ScheduledEventId, StartedEventId: wt.StartedEventId, Attempt: wt.Attempt,
		}),
		WorkflowExecution:          &commonpb.WorkflowExecution{WorkflowId: ei.WorkflowId, RunId: ei.RunId},
		WorkflowType:               &commonpb.WorkflowType{Name: ei.WorkflowTypeName},
		PreviousStartedEventId:     ei.LastCompletedWorkflowTaskStartedEventId,
		StartedEventId:             wt.StartedEventId,
		Attempt:                    wt.Attempt,
		WorkflowExecutionTaskQueue: &taskqueuepb.TaskQueue{Name: ei.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		ScheduledTime:              wt.ScheduledTime,
		StartedTime:                wt.StartedTime,
		History:                    &historypb.History{},
	}
}

// cachedHistory returns events [min, max) of a workflow task from the
// run's window of recent events when it holds them all and they fit in one
// page, else nil. The caller holds the run's lock.
func (s *Service) cachedHistory(rc *runContext, branch []byte, min, max int64) []*historypb.HistoryEvent {
	if max-min > int64(s.cfg.HistoryPageSize) {
		return nil
	}
	return rc.events.get(branch, min, max)
}

// fillTaskHistory sets a started workflow task's history, events [first,
// StartedEventId], from cached when set, else from the store (unlocked:
// history up to the started event is immutable once the start committed).
func (s *Service) fillTaskHistory(ctx context.Context, sh *shard, resp *workflowservice.PollWorkflowTaskQueueResponse, cached []*historypb.HistoryEvent, branch []byte, runID string, first int64) error {
	if cached != nil {
		resp.History = &historypb.History{Events: cached}
		resp.NextPageToken = nil
		return nil
	}
	events, token, err := s.readHistoryPage(ctx, sh, branch, runID, first, resp.StartedEventId+1, nil)
	if err != nil {
		return err
	}
	resp.History = &historypb.History{Events: events}
	resp.NextPageToken = token
	return nil
}

// workflowTaskFor checks that a token names the run's in-flight workflow task.
func workflowTaskFor(ms *workflow.MutableState, t *tokenpb.TaskToken) error {
	if !ms.IsRunning() {
		return errAlreadyCompleted()
	}
	wt := ms.WorkflowTask()
	if wt == nil || wt.ScheduledEventId != t.ScheduledEventId || wt.StartedEventId == 0 ||
		wt.StartedEventId != t.StartedEventId || wt.Attempt != t.Attempt {
		return errWorkflowTaskNotFound
	}
	return nil
}

func (s *Service) tokenRun(ctx context.Context, nsID string, t *tokenpb.TaskToken) (*shard, runKey, error) {
	if t == nil || t.WorkflowId == "" {
		return nil, runKey{}, serviceerror.NewInvalidArgument("Error deserializing task token.")
	}
	if t.NamespaceId != nsID {
		return nil, runKey{}, serviceerror.NewInvalidArgument("Task token does not belong to the request's namespace.")
	}
	return s.resolve(ctx, nsID, &commonpb.WorkflowExecution{WorkflowId: t.WorkflowId, RunId: t.RunId})
}

func (s *Service) RespondWorkflowTaskCompleted(ctx context.Context, req *historyservice.RespondWorkflowTaskCompletedRequest) (*historyservice.RespondWorkflowTaskCompletedResponse, error) {
	sh, k, err := s.tokenRun(ctx, req.NamespaceId, req.Token)
	if err != nil {
		return nil, err
	}
	var res workflow.CompletionResult
	var next *workflowservice.PollWorkflowTaskQueueResponse
	var branch []byte
	var cached []*historypb.HistoryEvent
	var activities []*workflowservice.PollActivityTaskQueueResponse
	// A worker that asked for stickiness caches the run up to the task it
	// just completed; any other gets the whole history of the next task.
	nextFirst := int64(1)
	nsIDs, err := s.commandNamespaces(ctx, req.Request.GetCommands())
	if err != nil {
		return nil, err
	}
	saTypes, err := s.commandSearchAttributes(ctx, req.NamespaceId, req.Request.GetCommands())
	if err != nil {
		return nil, err
	}
	err = sh.transact(ctx, k, func(rc *runContext, ms *workflow.MutableState) error {
		if err := workflowTaskFor(ms, req.Token); err != nil {
			return err
		}
		ms.In.NamespaceIDs = nsIDs
		ms.In.SearchAttributes = saTypes
		ms.In.UndeliveredUpdates = rc.updates.undelivered(req.Token.StartedEventId)
		if closesRun(req.Request.GetCommands()) {
			if err := sh.prepareClose(ctx, k, ms); err != nil {
				return err
			}
		}
		res = ms.CompleteWorkflowTask(req.Request, workflow.Limits{
			BlobSizeLimit: s.cfg.BlobSizeLimit, MaxPendingActivities: s.cfg.MaxPendingActivities,
			MaxPendingChildWorkflows: s.cfg.MaxPendingChildWorkflows, MaxPendingSignals: s.cfg.MaxPendingSignals,
			MaxPendingCancelRequests: s.cfg.MaxPendingCancelRequests, SearchAttributes: s.cfg.SearchAttributes,
		})
		if !res.Failed {
			activities = startEagerActivities(ms, req.Request.GetCommands(), req.Request.GetIdentity(), s.cfg.MaxEagerActivitiesPerTask)
		}
		if !res.Failed && res.NewWorkflowTask && req.Request.GetReturnNewWorkflowTask() && ms.IsRunning() {
			// Hand the new task straight back to the worker that completed
			// this one. The SDK relies on it: a local-activity heartbeat
			// (force_create_new_workflow_task) keeps waiting for its local
			// activities only in the task it gets back here. The transfer
			// task written for the scheduled task finds it started and
			// does not dispatch it.
			if wt := ms.WorkflowTask(); wt != nil && wt.StartedEventId == 0 {
				ms.StartWorkflowTask(uuid.NewString(), req.Request.GetIdentity(), ms.Info().HistorySizeBytes)
				next = workflowTaskResponse(ms.S)
				branch = branchToken(ms.S)
				if req.Request.GetStickyAttributes().GetWorkerTaskQueue().GetName() != "" && next.PreviousStartedEventId > 0 {
					nextFirst = next.PreviousStartedEventId + 1
				}
			}
		}
		return nil
	}, func(rc *runContext) {
		if res.Failed {
			// The updates the task carried go out again with its retry.
			return
		}
		if n := rc.updates.completed(req.Token.StartedEventId, req.Request.GetMessages(), res.Rejections, rc.state); n > 0 {
			s.metrics.Counter(metricUpdatesRejected).Inc(int64(n))
		}
		if next != nil {
			next.Messages = rc.updates.deliver(next.StartedEventId)
			cached = s.cachedHistory(rc, branch, nextFirst, next.StartedEventId+1)
		}
	})
	if err != nil {
		return nil, err
	}
	if res.Failed {
		return nil, serviceerror.NewInvalidArgument(res.FailedMsg)
	}
	out := &workflowservice.RespondWorkflowTaskCompletedResponse{ActivityTasks: activities}
	if len(activities) > 0 {
		s.metrics.Counter(metricEagerActivityTasks).Inc(int64(len(activities)))
	}
	if next != nil {
		if err := s.fillTaskHistory(ctx, sh, next, cached, branch, k.runID, nextFirst); err != nil {
			return nil, err
		}
		out.WorkflowTask = next
	}
	return &historyservice.RespondWorkflowTaskCompletedResponse{Response: out}, nil
}

func (s *Service) RespondWorkflowTaskFailed(ctx context.Context, req *historyservice.RespondWorkflowTaskFailedRequest) (*historyservice.RespondWorkflowTaskFailedResponse, error) {
	sh, k, err := s.tokenRun(ctx, req.NamespaceId, req.Token)
	if err != nil {
		return nil, err
	}
	err = sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if err := workflowTaskFor(ms, req.Token); err != nil {
			return err
		}
		cause := req.Request.Cause
		if cause == enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED || cause == enumspb.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND {
			cause = enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE
		}
		ms.FailWorkflowTask(cause, req.Request.Failure, req.Request.Identity)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.RespondWorkflowTaskFailedResponse{}, nil
}

// activityFor finds the running attempt a token (or *ById call) names.
func activityFor(ms *workflow.MutableState, t *tokenpb.TaskToken) (*persistencepb.ActivityInfo, error) {
	if !ms.IsRunning() {
		return nil, errAlreadyCompleted()
	}
	var ai *persistencepb.ActivityInfo
	if t.ScheduledEventId == 0 {
		if t.ActivityId == "" {
			return nil, serviceerror.NewInvalidArgument("ActivityId is not set on request.")
		}
		ai = ms.ActivityByID(t.ActivityId)
	} else {
		ai = ms.S.ActivityInfos[t.ScheduledEventId]
		if ai != nil && ai.Attempt != t.Attempt {
			ai = nil
		}
	}
	if ai == nil || !ai.Started {
		return nil, errActivityTaskNotFound
	}
	return ai, nil
}

func (s *Service) RecordActivityTaskStarted(ctx context.Context, req *historyservice.RecordActivityTaskStartedRequest) (*historyservice.RecordActivityTaskStartedResponse, error) {
	sh, k, err := s.resolve(ctx, req.NamespaceId, req.Execution)
	if err != nil {
		return nil, err
	}
	ns, err := s.deps.Namespaces.GetByID(ctx, req.NamespaceId)
	if err != nil {
		return nil, err
	}
	var resp *workflowservice.PollActivityTaskQueueResponse
	err = sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		if !ms.IsRunning() {
			return errAlreadyCompleted()
		}
		ai := ms.S.ActivityInfos[req.ScheduledEventId]
		if ai == nil || ai.ScheduledTime.AsTime().After(ms.Now()) {
			return errActivityTaskNotFound
		}
		if ai.Started {
			if ai.RequestId != req.RequestId {
				return serviceerror.NewNotFound("activity task already started")
			}
		} else {
			ms.StartActivity(ai, req.RequestId, req.PollRequest.GetIdentity())
		}
		scheduled, err := sh.scheduledEvent(ctx, k, ms.S, ai.ScheduledEventId)
		if err != nil {
			return err
		}
		resp = activityTaskResponse(ns.Name(), ms.Info(), ai, scheduled.GetActivityTaskScheduledEventAttributes())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.RecordActivityTaskStartedResponse{Response: resp}, nil
}

// activityTaskResponse is the task handed to a worker for a started
// attempt ai of the activity scheduled with a.
func activityTaskResponse(nsName string, ei *persistencepb.WorkflowExecutionInfo, ai *persistencepb.ActivityInfo, a *historypb.ActivityTaskScheduledEventAttributes) *workflowservice.PollActivityTaskQueueResponse {
	return &workflowservice.PollActivityTaskQueueResponse{
		TaskToken: encodeToken(&tokenpb.TaskToken{
			NamespaceId: ei.NamespaceId, WorkflowId: ei.WorkflowId, RunId: ei.RunId,
			ScheduledEventId: ai.ScheduledEventId, Attempt: ai.Attempt, ActivityId: ai.ActivityId,
			ActivityType: ai.ActivityType, Stamp: ai.Stamp,
		}),
		WorkflowNamespace:           nsName,
		WorkflowType:                &commonpb.WorkflowType{Name: ei.WorkflowTypeName},
		WorkflowExecution:           &commonpb.WorkflowExecution{WorkflowId: ei.WorkflowId, RunId: ei.RunId},
		ActivityType:                a.GetActivityType(),
		ActivityId:                  ai.ActivityId,
		Header:                      a.GetHeader(),
		Input:                       a.GetInput(),
		HeartbeatDetails:            ai.LastHeartbeatDetails,
		ScheduledTime:               ai.FirstScheduledTime,
		CurrentAttemptScheduledTime: ai.ScheduledTime,
		StartedTime:                 ai.StartedTime,
		Attempt:                     ai.Attempt,
		ScheduleToCloseTimeout:      ai.ScheduleToCloseTimeout,
		StartToCloseTimeout:         ai.StartToCloseTimeout,
		HeartbeatTimeout:            ai.HeartbeatTimeout,
		RetryPolicy:                 ai.RetryPolicy,
		Priority:                    a.GetPriority(),
	}
}

// startEagerActivities starts, in the completing transaction, the
// activities the completion scheduled with request_eager_execution on the
// run's own task queue (at most limit; the SDK reserved a slot for each it
// flagged) and returns their tasks for the completing worker. The others
// go through matching.
func startEagerActivities(ms *workflow.MutableState, cmds []*commandpb.Command, identity string, limit int) []*workflowservice.PollActivityTaskQueueResponse {
	ei := ms.Info()
	want := map[string]bool{}
	for _, c := range cmds {
		a := c.GetScheduleActivityTaskCommandAttributes()
		if len(want) >= limit {
			break
		}
		if a == nil || !a.GetRequestEagerExecution() {
			continue
		}
		if tq := a.GetTaskQueue().GetName(); tq != "" && tq != ei.TaskQueue {
			continue
		}
		want[a.GetActivityId()] = true
	}
	if len(want) == 0 || !ms.IsRunning() {
		return nil
	}
	var out []*workflowservice.PollActivityTaskQueueResponse
	for _, e := range ms.NewEvents() {
		a := e.GetActivityTaskScheduledEventAttributes()
		if a == nil || !want[a.GetActivityId()] {
			continue
		}
		ai := ms.S.ActivityInfos[e.EventId]
		if !ms.StartActivityEagerly(ai, uuid.NewString(), identity) {
			continue
		}
		out = append(out, activityTaskResponse(ms.In.Namespace, ei, ai, a))
	}
	return out
}

// scheduledEvent returns an activity's ActivityTaskScheduled event from the
// run's cache, or from history. The caller holds the run's lock.
func (sh *shard) scheduledEvent(ctx context.Context, k runKey, st *persistencepb.WorkflowMutableState, id int64) (*historypb.HistoryEvent, error) {
	rc := sh.cache.pin(k)
	e := rc.scheduled[id]
	sh.cache.unpin(rc)
	if e != nil {
		return e, nil
	}
	resp, err := sh.svc.deps.Stores.History.ReadHistoryBranch(ctx, &persistence.ReadHistoryBranchRequest{
		ShardID: sh.id, BranchToken: branchToken(st), MinEventID: id, MaxEventID: id + 1, PageSize: 1,
	})
	if err != nil {
		return nil, toServiceError(err)
	}
	for _, e := range resp.Events {
		if e.EventId == id && e.EventType == enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
			return e, nil
		}
	}
	return nil, serviceerror.NewInternal("activity scheduled event missing from history")
}

func (s *Service) RecordActivityTaskHeartbeat(ctx context.Context, req *historyservice.RecordActivityTaskHeartbeatRequest) (*historyservice.RecordActivityTaskHeartbeatResponse, error) {
	sh, k, err := s.tokenRun(ctx, req.NamespaceId, req.Token)
	if err != nil {
		return nil, err
	}
	cancel := false
	err = sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		ai, err := activityFor(ms, req.Token)
		if err != nil {
			return err
		}
		ms.HeartbeatActivity(ai, req.Details)
		cancel = ai.CancelRequested
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.RecordActivityTaskHeartbeatResponse{CancelRequested: cancel}, nil
}

func (s *Service) RespondActivityTaskCompleted(ctx context.Context, req *historyservice.RespondActivityTaskCompletedRequest) (*historyservice.RespondActivityTaskCompletedResponse, error) {
	err := s.activityUpdate(ctx, req.NamespaceId, req.Token, func(ms *workflow.MutableState, ai *persistencepb.ActivityInfo) error {
		ms.CompleteActivity(ai, req.Result, req.Identity)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.RespondActivityTaskCompletedResponse{}, nil
}

func (s *Service) RespondActivityTaskFailed(ctx context.Context, req *historyservice.RespondActivityTaskFailedRequest) (*historyservice.RespondActivityTaskFailedResponse, error) {
	err := s.activityUpdate(ctx, req.NamespaceId, req.Token, func(ms *workflow.MutableState, ai *persistencepb.ActivityInfo) error {
		ms.FailActivity(ai, req.Failure, req.LastHeartbeatDetails, req.Identity)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.RespondActivityTaskFailedResponse{}, nil
}

func (s *Service) RespondActivityTaskCanceled(ctx context.Context, req *historyservice.RespondActivityTaskCanceledRequest) (*historyservice.RespondActivityTaskCanceledResponse, error) {
	err := s.activityUpdate(ctx, req.NamespaceId, req.Token, func(ms *workflow.MutableState, ai *persistencepb.ActivityInfo) error {
		if !ai.CancelRequested {
			// ActivityTaskCanceled without a cancel request is a history
			// the SDKs reject (their activity state machine panics), so the
			// run would be wedged. Temporal refuses it the same way.
			return errActivityNotCancelRequested
		}
		ms.CancelActivity(ai, req.Details, req.Identity)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &historyservice.RespondActivityTaskCanceledResponse{}, nil
}

func (s *Service) activityUpdate(ctx context.Context, nsID string, t *tokenpb.TaskToken, fn func(*workflow.MutableState, *persistencepb.ActivityInfo) error) error {
	sh, k, err := s.tokenRun(ctx, nsID, t)
	if err != nil {
		return err
	}
	return sh.updateRun(ctx, k, func(ms *workflow.MutableState) error {
		ai, err := activityFor(ms, t)
		if err != nil {
			return err
		}
		return fn(ms, ai)
	})
}
