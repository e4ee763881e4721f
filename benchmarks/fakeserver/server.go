package fakeserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/common/clock"
)

// Version is what GetSystemInfo reports.
const Version = "fakeserver"

// LongPollTimeout is how long an empty poll waits before answering with no
// task, as a real server answers before the client's 70 s deadline.
const LongPollTimeout = 20 * time.Second

// Server is the fake service. Create it with Start.
type Server struct {
	workflowservice.UnimplementedWorkflowServiceServer

	clk clock.Clock
	lis net.Listener
	srv *grpc.Server

	mu     sync.Mutex
	runs   map[string]*run // by run ID
	latest map[string]*run // by workflow ID
	queues map[string]*taskQueue
	nextID uint64
}

// Start serves a new fake on addr ("127.0.0.1:0" picks a free port).
// clk stamps the events' times; nil means the system clock.
func Start(addr string, clk clock.Clock) (*Server, error) {
	if clk == nil {
		clk = clock.Real()
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fakeserver: listen on %s: %w", addr, err)
	}
	s := &Server{
		clk:    clk,
		lis:    lis,
		runs:   make(map[string]*run),
		latest: make(map[string]*run),
		queues: make(map[string]*taskQueue),
	}
	// grpc-go sends a plain error as Unknown; a real frontend sends the
	// serviceerror's own status.
	s.srv = grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err != nil {
			return nil, serviceerror.ToStatus(err).Err()
		}
		return resp, nil
	}))
	workflowservice.RegisterWorkflowServiceServer(s.srv, s)
	go func() { _ = s.srv.Serve(lis) }()
	return s, nil
}

// Address is the host:port the fake listens on.
func (s *Server) Address() string { return s.lis.Addr().String() }

// Stop closes the listener and every connection at once.
func (s *Server) Stop() { s.srv.Stop() }

// run is one workflow run.
type run struct {
	mu        sync.Mutex
	id        string
	wfID      string
	wfType    *commonpb.WorkflowType
	taskQueue string
	events    []*historypb.HistoryEvent
	closed    bool
	// wftScheduled and wftStarted are the event IDs of the outstanding
	// workflow task, 0 when there is none.
	wftScheduled int64
	wftStarted   int64
	// buffered holds events that arrived while a workflow task was started.
	buffered []*historypb.HistoryEvent
	// activities holds the scheduled event IDs of the activities not yet
	// completed, so a completion for an unknown one is refused.
	activities map[int64]bool
}

// task is a queued workflow or activity task.
type task struct {
	r           *run
	scheduledID int64
	scheduledAt time.Time
	// queue is the task queue an activity task goes to.
	queue string
}

// taskQueue holds the tasks of one task queue name, workflow and activity
// apart. The channels' capacity bounds the tasks outstanding at once.
type taskQueue struct {
	workflow chan task
	activity chan task
}

// queueCapacity bounds the tasks outstanding on one task queue.
const queueCapacity = 1 << 16

func (s *Server) queue(name string) *taskQueue {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.queues[name]
	if !ok {
		q = &taskQueue{workflow: make(chan task, queueCapacity), activity: make(chan task, queueCapacity)}
		s.queues[name] = q
	}
	return q
}

func (s *Server) newRunID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return fmt.Sprintf("fake-run-%d", s.nextID)
}

// GetSystemInfo reports Version.
func (s *Server) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{ServerVersion: Version, Capabilities: &workflowservice.GetSystemInfoResponse_Capabilities{}}, nil
}

// StartWorkflowExecution starts a run and schedules its first workflow
// task. A running workflow with the same ID is an AlreadyStarted error.
func (s *Server) StartWorkflowExecution(_ context.Context, req *workflowservice.StartWorkflowExecutionRequest) (*workflowservice.StartWorkflowExecutionResponse, error) {
	if req.GetWorkflowId() == "" || req.GetTaskQueue().GetName() == "" || req.GetWorkflowType().GetName() == "" {
		return nil, serviceerror.NewInvalidArgument("fakeserver: workflow ID, type and task queue are required")
	}
	s.mu.Lock()
	prev := s.latest[req.GetWorkflowId()]
	s.mu.Unlock()
	if prev != nil {
		prev.mu.Lock()
		open := !prev.closed
		prev.mu.Unlock()
		if open {
			return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("fakeserver: workflow is running", req.GetRequestId(), prev.id)
		}
	}
	r := s.newRun(s.newRunID(), req.GetWorkflowId(), req.GetWorkflowType(), req.GetTaskQueue().GetName(), req.GetInput(), "")
	return &workflowservice.StartWorkflowExecutionResponse{RunId: r.id, Started: true}, nil
}

// newRun creates and registers a run and schedules its first workflow task.
func (s *Server) newRun(runID, wfID string, wfType *commonpb.WorkflowType, tq string, input *commonpb.Payloads, continuedFrom string) *run {
	r := &run{id: runID, wfID: wfID, wfType: wfType, taskQueue: tq, activities: map[int64]bool{}}
	r.append(s.clk.Now(), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
		WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			WorkflowType:             wfType,
			TaskQueue:                &taskqueuepb.TaskQueue{Name: tq, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			Input:                    input,
			WorkflowTaskTimeout:      durationpb.New(10 * time.Second),
			OriginalExecutionRunId:   r.id,
			FirstExecutionRunId:      r.id,
			ContinuedExecutionRunId:  continuedFrom,
			Attempt:                  1,
			WorkflowExecutionTimeout: durationpb.New(0),
			WorkflowRunTimeout:       durationpb.New(0),
		},
	})
	s.mu.Lock()
	s.runs[r.id] = r
	s.latest[wfID] = r
	s.mu.Unlock()
	r.mu.Lock()
	t, ok := r.scheduleWorkflowTask(s.clk.Now())
	r.mu.Unlock()
	if ok {
		s.queue(tq).workflow <- t
	}
	return r
}

// append adds an event with the next ID. The caller holds r.mu (or owns r
// alone).
func (r *run) append(now time.Time, typ enumspb.EventType, attrs any) *historypb.HistoryEvent {
	e := newEvent(now, typ, attrs)
	r.write(e)
	return e
}

// write gives e the next event ID and adds it. An activity's completion
// always directly follows its started event, which it names.
func (r *run) write(e *historypb.HistoryEvent) {
	e.EventId = int64(len(r.events)) + 1
	if a := e.GetActivityTaskCompletedEventAttributes(); a != nil {
		a.StartedEventId = e.EventId - 1
	}
	r.events = append(r.events, e)
}

// newEvent builds an event without an ID.
func newEvent(now time.Time, typ enumspb.EventType, attrs any) *historypb.HistoryEvent {
	e := &historypb.HistoryEvent{EventTime: timestamppb.New(now), EventType: typ, TaskId: 1}
	switch a := attrs.(type) {
	case *historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes:
		e.Attributes = a
	case *historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes:
		e.Attributes = a
	case *historypb.HistoryEvent_WorkflowTaskStartedEventAttributes:
		e.Attributes = a
	case *historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes:
		e.Attributes = a
	case *historypb.HistoryEvent_ActivityTaskScheduledEventAttributes:
		e.Attributes = a
	case *historypb.HistoryEvent_ActivityTaskStartedEventAttributes:
		e.Attributes = a
	case *historypb.HistoryEvent_ActivityTaskCompletedEventAttributes:
		e.Attributes = a
	case *historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes:
		e.Attributes = a
	case *historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes:
		e.Attributes = a
	case *historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes:
		e.Attributes = a
	default:
		panic(fmt.Sprintf("fakeserver: newEvent given attributes of type %T, which it does not know", attrs))
	}
	return e
}

// scheduleWorkflowTask schedules a workflow task unless one is outstanding
// or the run is closed; it returns the task to queue. The caller holds r.mu.
func (r *run) scheduleWorkflowTask(now time.Time) (task, bool) {
	if r.closed || r.wftScheduled != 0 {
		return task{}, false
	}
	e := r.append(now, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{
		WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
			TaskQueue:           &taskqueuepb.TaskQueue{Name: r.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			StartToCloseTimeout: durationpb.New(10 * time.Second),
			Attempt:             1,
		},
	})
	r.wftScheduled = e.EventId
	return task{r: r, scheduledID: e.EventId, scheduledAt: now}, true
}

// addEvents writes events that arrive from outside a workflow task (an
// activity's result): at once, or buffered while a workflow task is
// started. It returns the workflow task to queue, if one was scheduled.
// The caller holds r.mu.
func (r *run) addEvents(now time.Time, es ...*historypb.HistoryEvent) (task, bool) {
	if r.wftStarted != 0 {
		r.buffered = append(r.buffered, es...)
		return task{}, false
	}
	for _, e := range es {
		r.write(e)
	}
	return r.scheduleWorkflowTask(now)
}

// token encodes a task: the run and the scheduled event ID.
func token(r *run, scheduledID int64) []byte {
	b := make([]byte, 8, 8+len(r.id))
	binary.BigEndian.PutUint64(b, uint64(scheduledID))
	return append(b, r.id...)
}

func (s *Server) parseToken(tok []byte) (*run, int64, error) {
	if len(tok) <= 8 {
		return nil, 0, serviceerror.NewInvalidArgument("fakeserver: malformed task token")
	}
	s.mu.Lock()
	r, ok := s.runs[string(tok[8:])]
	s.mu.Unlock()
	if !ok {
		return nil, 0, serviceerror.NewNotFound("fakeserver: no such run")
	}
	return r, int64(binary.BigEndian.Uint64(tok[:8])), nil
}

// poll waits for a task on ch until ctx ends or LongPollTimeout passes;
// ok is false when it answers empty.
func (s *Server) poll(ctx context.Context, ch chan task) (task, bool) {
	select {
	case t := <-ch:
		return t, true
	default:
	}
	timer := s.clk.NewTimer(LongPollTimeout)
	defer timer.Stop()
	select {
	case t := <-ch:
		return t, true
	case <-ctx.Done():
	case <-timer.C():
	}
	return task{}, false
}

// PollWorkflowTaskQueue hands out a workflow task with the run's whole
// history.
func (s *Server) PollWorkflowTaskQueue(ctx context.Context, req *workflowservice.PollWorkflowTaskQueueRequest) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
	if req.GetTaskQueue().GetKind() == enumspb.TASK_QUEUE_KIND_STICKY {
		// Nothing is ever dispatched to a sticky queue: wait out the poll.
		<-ctx.Done()
		return &workflowservice.PollWorkflowTaskQueueResponse{}, nil
	}
	q := s.queue(req.GetTaskQueue().GetName())
	for {
		t, ok := s.poll(ctx, q.workflow)
		if !ok {
			return &workflowservice.PollWorkflowTaskQueueResponse{}, nil
		}
		now := s.clk.Now()
		r := t.r
		r.mu.Lock()
		if r.closed || r.wftScheduled != t.scheduledID || r.wftStarted != 0 {
			r.mu.Unlock()
			continue // stale
		}
		e := r.append(now, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{
			WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{
				ScheduledEventId: t.scheduledID,
				Identity:         req.GetIdentity(),
				RequestId:        "fake",
			},
		})
		r.wftStarted = e.EventId
		history := append([]*historypb.HistoryEvent(nil), r.events...)
		r.mu.Unlock()
		var prevStarted int64
		for _, h := range history[:len(history)-1] {
			if h.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED {
				prevStarted = h.GetEventId()
			}
		}
		return &workflowservice.PollWorkflowTaskQueueResponse{
			TaskToken:              token(r, t.scheduledID),
			WorkflowExecution:      &commonpb.WorkflowExecution{WorkflowId: r.wfID, RunId: r.id},
			WorkflowType:           r.wfType,
			PreviousStartedEventId: prevStarted,
			StartedEventId:         e.EventId,
			Attempt:                1,
			History:                &historypb.History{Events: history},
			WorkflowExecutionTaskQueue: &taskqueuepb.TaskQueue{
				Name: r.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL,
			},
			ScheduledTime: timestamppb.New(t.scheduledAt),
			StartedTime:   timestamppb.New(now),
		}, nil
	}
}

// errUnsupported names a command the fake does not implement.
var errUnsupported = errors.New("not supported by fakeserver")

// RespondWorkflowTaskCompleted applies the commands in order.
func (s *Server) RespondWorkflowTaskCompleted(_ context.Context, req *workflowservice.RespondWorkflowTaskCompletedRequest) (*workflowservice.RespondWorkflowTaskCompletedResponse, error) {
	r, scheduledID, err := s.parseToken(req.GetTaskToken())
	if err != nil {
		return nil, err
	}
	now := s.clk.Now()
	var activities []task
	var next *workflowservice.StartWorkflowExecutionRequest
	var nextRunID string

	r.mu.Lock()
	if r.closed || r.wftScheduled != scheduledID || r.wftStarted == 0 {
		r.mu.Unlock()
		return nil, serviceerror.NewNotFound("fakeserver: workflow task not found")
	}
	done := r.append(now, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{
		WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
			ScheduledEventId: scheduledID, StartedEventId: r.wftStarted, Identity: req.GetIdentity(),
		},
	})
	r.wftScheduled, r.wftStarted = 0, 0
	for _, c := range req.GetCommands() {
		if r.closed {
			break
		}
		switch c.GetCommandType() {
		case enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
			a := c.GetScheduleActivityTaskCommandAttributes()
			tq := a.GetTaskQueue().GetName()
			if tq == "" {
				tq = r.taskQueue
			}
			e := r.append(now, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
				ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
					ActivityId:                   a.GetActivityId(),
					ActivityType:                 a.GetActivityType(),
					TaskQueue:                    &taskqueuepb.TaskQueue{Name: tq, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
					Input:                        a.GetInput(),
					StartToCloseTimeout:          a.GetStartToCloseTimeout(),
					WorkflowTaskCompletedEventId: done.EventId,
				},
			})
			r.activities[e.EventId] = true
			activities = append(activities, task{r: r, scheduledID: e.EventId, scheduledAt: now, queue: tq})
		case enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
			r.append(now, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{
				WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{
					Result: c.GetCompleteWorkflowExecutionCommandAttributes().GetResult(), WorkflowTaskCompletedEventId: done.EventId,
				},
			})
			r.closed = true
		case enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
			r.append(now, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{
				WorkflowExecutionFailedEventAttributes: &historypb.WorkflowExecutionFailedEventAttributes{
					Failure: c.GetFailWorkflowExecutionCommandAttributes().GetFailure(), WorkflowTaskCompletedEventId: done.EventId,
				},
			})
			r.closed = true
		case enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
			a := c.GetContinueAsNewWorkflowExecutionCommandAttributes()
			wfType := a.GetWorkflowType()
			if wfType.GetName() == "" {
				wfType = r.wfType
			}
			tq := a.GetTaskQueue().GetName()
			if tq == "" {
				tq = r.taskQueue
			}
			next = &workflowservice.StartWorkflowExecutionRequest{
				WorkflowType: wfType, TaskQueue: &taskqueuepb.TaskQueue{Name: tq}, Input: a.GetInput(),
			}
			r.closed = true
		default:
			r.mu.Unlock()
			return nil, serviceerror.NewInvalidArgument(fmt.Sprintf("fakeserver: command %s: %v", c.GetCommandType(), errUnsupported))
		}
	}
	var wft task
	var haveWFT bool
	if next != nil {
		nextRunID = s.newRunID()
		r.append(now, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, &historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes{
			WorkflowExecutionContinuedAsNewEventAttributes: &historypb.WorkflowExecutionContinuedAsNewEventAttributes{
				NewExecutionRunId: nextRunID, WorkflowType: next.WorkflowType, TaskQueue: next.TaskQueue,
				Input: next.Input, WorkflowTaskCompletedEventId: done.EventId,
			},
		})
	}
	if !r.closed {
		for _, e := range r.buffered {
			r.write(e)
		}
		if len(r.buffered) > 0 {
			wft, haveWFT = r.scheduleWorkflowTask(now)
		}
	}
	r.buffered = nil
	prevID, closed := r.id, r.closed
	r.mu.Unlock()

	if closed {
		s.forget(r)
	}
	if next != nil {
		s.newRun(nextRunID, r.wfID, next.WorkflowType, next.TaskQueue.GetName(), next.Input, prevID)
	}
	for _, t := range activities {
		s.queue(t.queue).activity <- t
	}
	if haveWFT {
		s.queue(r.taskQueue).workflow <- wft
	}
	return &workflowservice.RespondWorkflowTaskCompletedResponse{}, nil
}

// forget drops a closed run, so that memory (and the garbage collector's
// work) stays proportional to the workflows in flight.
func (s *Server) forget(r *run) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.runs, r.id)
	if s.latest[r.wfID] == r {
		delete(s.latest, r.wfID)
	}
}

// PollActivityTaskQueue hands out an activity task.
func (s *Server) PollActivityTaskQueue(ctx context.Context, req *workflowservice.PollActivityTaskQueueRequest) (*workflowservice.PollActivityTaskQueueResponse, error) {
	q := s.queue(req.GetTaskQueue().GetName())
	t, ok := s.poll(ctx, q.activity)
	if !ok {
		return &workflowservice.PollActivityTaskQueueResponse{}, nil
	}
	now := s.clk.Now()
	r := t.r
	r.mu.Lock()
	a := r.events[t.scheduledID-1].GetActivityTaskScheduledEventAttributes()
	r.mu.Unlock()
	return &workflowservice.PollActivityTaskQueueResponse{
		TaskToken:                   token(r, t.scheduledID),
		WorkflowNamespace:           req.GetNamespace(),
		WorkflowType:                r.wfType,
		WorkflowExecution:           &commonpb.WorkflowExecution{WorkflowId: r.wfID, RunId: r.id},
		ActivityType:                a.GetActivityType(),
		ActivityId:                  a.GetActivityId(),
		Input:                       a.GetInput(),
		ScheduledTime:               timestamppb.New(t.scheduledAt),
		CurrentAttemptScheduledTime: timestamppb.New(t.scheduledAt),
		StartedTime:                 timestamppb.New(now),
		Attempt:                     1,
		StartToCloseTimeout:         a.GetStartToCloseTimeout(),
		ScheduleToCloseTimeout:      durationpb.New(0),
		HeartbeatTimeout:            durationpb.New(0),
	}, nil
}

// RespondActivityTaskCompleted records the activity's start and result
// and schedules a workflow task.
func (s *Server) RespondActivityTaskCompleted(_ context.Context, req *workflowservice.RespondActivityTaskCompletedRequest) (*workflowservice.RespondActivityTaskCompletedResponse, error) {
	r, scheduledID, err := s.parseToken(req.GetTaskToken())
	if err != nil {
		return nil, err
	}
	now := s.clk.Now()
	r.mu.Lock()
	if _, ok := r.activities[scheduledID]; !ok || r.closed {
		r.mu.Unlock()
		return nil, serviceerror.NewNotFound("fakeserver: activity task not found")
	}
	delete(r.activities, scheduledID)
	t, ok := r.addEvents(now,
		newEvent(now, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{
			ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{
				ScheduledEventId: scheduledID, Identity: req.GetIdentity(), RequestId: "fake", Attempt: 1,
			},
		}),
		newEvent(now, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{
			ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
				Result: req.GetResult(), ScheduledEventId: scheduledID, Identity: req.GetIdentity(),
			},
		}))
	r.mu.Unlock()
	if ok {
		s.queue(r.taskQueue).workflow <- t
	}
	return &workflowservice.RespondActivityTaskCompletedResponse{}, nil
}
