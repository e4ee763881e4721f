package matching

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
)

// pollWait is how long a poll may wait for a task: MaxPollWait, cut to end
// PollDeadlineMargin before the caller's deadline. It may be <= 0, in which
// case the poll only takes a task that is ready now.
func pollWait(cfg *Config, now time.Time, deadline time.Time, hasDeadline bool) time.Duration {
	wait := cfg.MaxPollWait
	if hasDeadline {
		if d := deadline.Sub(now) - cfg.PollDeadlineMargin; d < wait {
			wait = d
		}
	}
	return wait
}

// pollRequest is what both kinds of poll request carry besides the poll.
type pollRequest interface {
	GetNamespaceId() string
	GetPartition() int32
	GetForwardedFrom() int32
	GetPollerId() string
}

// pollTarget resolves the partition of tq that req polls, checks where the
// poll was forwarded from, and returns the poller ID: req's, or a new one.
func pollTarget(req pollRequest, tq *taskqueuepb.TaskQueue, taskType enumspb.TaskQueueType) (partitionKey, enumspb.TaskQueueKind, string, error) {
	key, kind, err := partitionOf("request.task_queue", req.GetNamespaceId(), tq, taskType, req.GetPartition())
	if err != nil {
		return partitionKey{}, 0, "", err
	}
	if err := validateForwardedFrom(key, kind, req.GetForwardedFrom()); err != nil {
		return partitionKey{}, 0, "", err
	}
	pollerID := req.GetPollerId()
	if pollerID == "" {
		pollerID = uuid.NewString()
	}
	return key, kind, pollerID, nil
}

// startPoll acquires the partition and returns a context that ends when the
// poll expires (or ctx ends). A sticky poll right after a positive backlog
// hint expires early (see hintedPollWait).
func (s *Service) startPoll(ctx context.Context, key partitionKey, kind enumspb.TaskQueueKind, identity string, rate float64) (*taskQueueManager, context.Context, func(), error) {
	m, err := s.getManager(ctx, key, kind)
	if err != nil {
		return nil, nil, nil, err
	}
	m.recordPoller(identity, rate)
	deadline, ok := ctx.Deadline()
	now := s.clock.Now()
	wait := pollWait(&s.cfg, now, deadline, ok)
	if m.recentlyHinted(now) {
		wait = min(wait, hintedPollWait)
	}
	pollCtx, cancel := context.WithCancel(ctx)
	if wait <= 0 {
		cancel()
	}
	timer := s.clock.AfterFunc(wait, cancel)
	done := func() {
		timer.Stop()
		cancel()
		m.recordPoller(identity, rate)
		m.release()
	}
	return m, pollCtx, done, nil
}

// nextTask waits for a task within a poll. It returns nil when the poll
// expired, the caller went away, or the partition unloaded; forward means
// the caller should forward the poll to the root instead (mayForward; see
// taskQueueManager.poll).
func (s *Service) nextTask(ctx, pollCtx context.Context, m *taskQueueManager, mayForward bool) (t *internalTask, forward bool) {
	t, err := m.poll(pollCtx, mayForward)
	if errors.Is(err, errForwardPoll) {
		return nil, true
	}
	if errors.Is(err, errManagerStopped) || t == nil {
		if err == nil && ctx.Err() == nil {
			m.scope.Counter(metricPollTimeouts).Inc(1)
		}
		return nil, false
	}
	return t, false
}

// forwardedPoll runs a poll that the non-root partition m forwarded to the
// root (holding one of m's forwarded-poll slots) with call. It returns the
// root's answer, or ok false when the root could not be asked: the poll
// then waits locally for the rest of its time. The forwarded poll carries
// the caller's context, so the root answers before the caller's deadline as
// for any poll.
func forwardedPoll[Resp any](ctx context.Context, m *taskQueueManager, call func() (Resp, error)) (resp Resp, ok bool) {
	defer m.endForwardedPoll()
	m.scope.Counter(metricForwardedPolls).Inc(1)
	resp, err := call()
	if err != nil && ctx.Err() == nil {
		m.logger.Debug("forwarding a poll to the root partition failed", zap.Error(err))
		return resp, false
	}
	return resp, true
}

// afterRecordError settles a task whose start history did not record. It
// returns true when the poll should keep waiting (the task was stale) and
// otherwise the error to answer (nil: answer empty).
func (s *Service) afterRecordError(ctx context.Context, m *taskQueueManager, t *internalTask, err error) (bool, error) {
	if ctx.Err() != nil {
		// The poller is gone; the task must not be lost.
		t.finish(outcomeReturned)
		return false, nil
	}
	if reason := staleTaskReason(err); reason != "" {
		t.finish(outcomeDropped)
		m.scope.Tagged(map[string]string{tagReason: reason}).Counter(metricTasksDropped).Inc(1)
		m.logger.Debug("stale task dropped",
			zap.String("workflow_id", t.info.GetExecution().GetWorkflowId()),
			zap.String("run_id", t.info.GetExecution().GetRunId()),
			zap.Int64("scheduled_event_id", t.info.GetScheduledEventId()),
			zap.String("reason", reason))
		return true, nil
	}
	t.finish(outcomeFailed)
	m.logger.Warn("history failed to record task start",
		zap.String("workflow_id", t.info.GetExecution().GetWorkflowId()),
		zap.Int64("scheduled_event_id", t.info.GetScheduledEventId()),
		zap.Error(err))
	return false, historyUnavailable("record task started", err)
}

// PollWorkflowTaskQueue waits for a workflow task (or a legacy query task)
// and returns it started. An empty task_token means none arrived in time.
func (s *Service) PollWorkflowTaskQueue(ctx context.Context, req *matchingservice.PollWorkflowTaskQueueRequest) (*matchingservice.PollWorkflowTaskQueueResponse, error) {
	if req == nil || req.GetRequest() == nil {
		return nil, invalidArgf("request is not set")
	}
	poll := req.GetRequest()
	key, kind, pollerID, err := pollTarget(req, poll.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return nil, err
	}
	empty := &matchingservice.PollWorkflowTaskQueueResponse{Response: &workflowservice.PollWorkflowTaskQueueResponse{}}

	m, pollCtx, done, err := s.startPoll(ctx, key, kind, poll.GetIdentity(), 0)
	if err != nil {
		return nil, err
	}
	defer done()
	mayForward := true
	for {
		t, forward := s.nextTask(ctx, pollCtx, m, mayForward)
		if forward {
			mayForward = false
			resp, ok := forwardedPoll(ctx, m, func() (*matchingservice.PollWorkflowTaskQueueResponse, error) {
				return s.forward.PollWorkflowTaskQueue(ctx, &matchingservice.PollWorkflowTaskQueueRequest{
					NamespaceId: req.GetNamespaceId(), PollerId: pollerID, Request: poll, ForwardedFrom: key.partition,
				})
			})
			if !ok {
				continue
			}
			if resp.GetResponse() == nil {
				return empty, nil
			}
			return resp, nil
		}
		if t == nil {
			return empty, nil
		}
		if t.source == sourceQuery {
			if ctx.Err() != nil {
				t.finish(outcomeReturned)
				return empty, nil
			}
			return &matchingservice.PollWorkflowTaskQueueResponse{Response: t.query.response}, nil
		}
		if ctx.Err() != nil {
			t.finish(outcomeReturned)
			return empty, nil
		}
		resp, err := s.history.RecordWorkflowTaskStarted(ctx, &historyservice.RecordWorkflowTaskStartedRequest{
			NamespaceId:      req.GetNamespaceId(),
			Execution:        t.info.GetExecution(),
			ScheduledEventId: t.info.GetScheduledEventId(),
			RequestId:        pollerID,
			PollRequest:      poll,
		})
		if err != nil {
			keepWaiting, err := s.afterRecordError(ctx, m, t, err)
			if keepWaiting {
				continue
			}
			if err != nil {
				return nil, err
			}
			return empty, nil
		}
		t.finish(outcomeStarted)
		r := resp.GetResponse()
		if r == nil {
			return nil, serviceerror.NewInternal("matching: history recorded the workflow task start but returned no task")
		}
		if r.WorkflowExecution == nil {
			r.WorkflowExecution = t.info.GetExecution()
		}
		if r.WorkflowExecutionTaskQueue == nil {
			r.WorkflowExecutionTaskQueue = normalTaskQueue(poll.GetTaskQueue())
		}
		if r.BacklogCountHint == 0 {
			r.BacklogCountHint = m.backlogHint()
		}
		return &matchingservice.PollWorkflowTaskQueueResponse{Response: r}, nil
	}
}

// PollActivityTaskQueue waits for an activity task and returns it started.
// An empty task_token means none arrived in time.
func (s *Service) PollActivityTaskQueue(ctx context.Context, req *matchingservice.PollActivityTaskQueueRequest) (*matchingservice.PollActivityTaskQueueResponse, error) {
	if req == nil || req.GetRequest() == nil {
		return nil, invalidArgf("request is not set")
	}
	poll := req.GetRequest()
	key, kind, pollerID, err := pollTarget(req, poll.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_ACTIVITY)
	if err != nil {
		return nil, err
	}
	empty := &matchingservice.PollActivityTaskQueueResponse{Response: &workflowservice.PollActivityTaskQueueResponse{}}

	rate := poll.GetTaskQueueMetadata().GetMaxTasksPerSecond().GetValue()
	m, pollCtx, done, err := s.startPoll(ctx, key, kind, poll.GetIdentity(), rate)
	if err != nil {
		return nil, err
	}
	defer done()
	mayForward := true
	for {
		t, forward := s.nextTask(ctx, pollCtx, m, mayForward)
		if forward {
			mayForward = false
			resp, ok := forwardedPoll(ctx, m, func() (*matchingservice.PollActivityTaskQueueResponse, error) {
				return s.forward.PollActivityTaskQueue(ctx, &matchingservice.PollActivityTaskQueueRequest{
					NamespaceId: req.GetNamespaceId(), PollerId: pollerID, Request: poll, ForwardedFrom: key.partition,
				})
			})
			if !ok {
				continue
			}
			if resp.GetResponse() == nil {
				return empty, nil
			}
			return resp, nil
		}
		if t == nil {
			return empty, nil
		}
		if ctx.Err() != nil {
			t.finish(outcomeReturned)
			return empty, nil
		}
		resp, err := s.history.RecordActivityTaskStarted(ctx, &historyservice.RecordActivityTaskStartedRequest{
			NamespaceId:      req.GetNamespaceId(),
			Execution:        t.info.GetExecution(),
			ScheduledEventId: t.info.GetScheduledEventId(),
			RequestId:        pollerID,
			PollRequest:      poll,
		})
		if err != nil {
			keepWaiting, err := s.afterRecordError(ctx, m, t, err)
			if keepWaiting {
				continue
			}
			if err != nil {
				return nil, err
			}
			return empty, nil
		}
		t.finish(outcomeStarted)
		r := resp.GetResponse()
		if r == nil {
			return nil, serviceerror.NewInternal("matching: history recorded the activity task start but returned no task")
		}
		if r.WorkflowExecution == nil {
			r.WorkflowExecution = t.info.GetExecution()
		}
		return &matchingservice.PollActivityTaskQueueResponse{Response: r}, nil
	}
}

// normalTaskQueue is the workflow's own (normal) task queue as seen from a
// poll on tq: a sticky queue's normal_name, else tq itself.
func normalTaskQueue(tq *taskqueuepb.TaskQueue) *taskqueuepb.TaskQueue {
	if tq.GetKind() == enumspb.TASK_QUEUE_KIND_STICKY && tq.GetNormalName() != "" {
		return &taskqueuepb.TaskQueue{Name: tq.GetNormalName(), Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	}
	return &taskqueuepb.TaskQueue{Name: tq.GetName(), Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
}
