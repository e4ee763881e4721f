package matching

import (
	"context"
	"sync"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/common/commonpb"
)

// queryTask is a legacy query waiting for a worker's answer. It is never
// persisted.
type queryTask struct {
	id          string
	namespaceID string
	// response is what the poller receives, task_token set.
	response *workflowservice.PollWorkflowTaskQueueResponse
	// resultC receives the worker's answer (buffered 1).
	resultC chan *workflowservice.RespondQueryTaskCompletedRequest
	// redeliverC is signaled when a poller took the query but could not
	// pass it on (buffered 1).
	redeliverC chan struct{}
}

func (q *queryTask) redeliver() {
	select {
	case q.redeliverC <- struct{}{}:
	default:
	}
}

// queryRegistry maps query IDs to the QueryWorkflow calls awaiting them.
type queryRegistry struct {
	mu      sync.Mutex
	pending map[string]*queryTask
}

func newQueryRegistry() queryRegistry {
	return queryRegistry{pending: make(map[string]*queryTask)}
}

func (r *queryRegistry) add(q *queryTask) {
	r.mu.Lock()
	r.pending[q.id] = q
	r.mu.Unlock()
}

func (r *queryRegistry) remove(id string) {
	r.mu.Lock()
	delete(r.pending, id)
	r.mu.Unlock()
}

// take removes and returns the pending query id of namespaceID, or nil.
func (r *queryRegistry) take(namespaceID, id string) *queryTask {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.pending[id]
	if q == nil || q.namespaceID != namespaceID {
		return nil
	}
	delete(r.pending, id)
	return q
}

// QueryWorkflow hands a legacy query task to a poller of the workflow task
// queue (ahead of other tasks) and waits for the worker's
// RespondQueryTaskCompleted. With no poller it waits until ctx ends.
func (s *Service) QueryWorkflow(ctx context.Context, req *matchingservice.QueryWorkflowRequest) (*matchingservice.QueryWorkflowResponse, error) {
	if req == nil {
		return nil, invalidArgf("request is not set")
	}
	// Legacy query tasks wait at the root partition, where the pollers of
	// every partition meet (partition.go).
	key, kind, err := partitionOf("task_queue", req.GetNamespaceId(), req.GetTaskQueue(), enumspb.TASK_QUEUE_TYPE_WORKFLOW, 0)
	if err != nil {
		return nil, err
	}
	if req.GetTask() == nil {
		return nil, invalidArgf("task is not set")
	}
	if req.GetTask().GetQuery() == nil {
		return nil, invalidArgf("task.query is not set")
	}
	id := uuid.NewString()
	token, err := proto.Marshal(&commonpb.QueryTaskToken{
		NamespaceId: req.GetNamespaceId(),
		TaskQueue:   key.name,
		QueryId:     id,
	})
	if err != nil {
		return nil, serviceerror.NewInternalf("matching: encode query task token: %v", err)
	}
	resp := req.GetTask()
	resp.TaskToken = token
	q := &queryTask{
		id:          id,
		namespaceID: req.GetNamespaceId(),
		response:    resp,
		resultC:     make(chan *workflowservice.RespondQueryTaskCompletedRequest, 1),
		redeliverC:  make(chan struct{}, 1),
	}
	s.queries.add(q)
	defer s.queries.remove(id)
	s.scopes[key.taskType].Counter(metricQueryTasks).Inc(1)

	t := &internalTask{source: sourceQuery, query: q}
	for {
		m, err := s.getManager(ctx, key, kind)
		if err != nil {
			return nil, err
		}
		res, again, err := s.awaitQuery(ctx, m, t)
		m.release()
		if again {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &matchingservice.QueryWorkflowResponse{Result: res}, nil
	}
}

// awaitQuery offers the query on m and waits for the answer. again means a
// poller took the query but could not pass it on: offer it anew.
func (s *Service) awaitQuery(ctx context.Context, m *taskQueueManager, t *internalTask) (*workflowservice.RespondQueryTaskCompletedRequest, bool, error) {
	q := t.query
	if err := m.offerQuery(t); err != nil {
		return nil, false, s.managerError(m, err)
	}
	stopC := m.stopC
	for {
		select {
		case res := <-q.resultC:
			m.removeQuery(t)
			return res, false, nil
		case <-q.redeliverC:
			return nil, true, nil
		case <-ctx.Done():
			m.removeQuery(t)
			return nil, false, ctxError(ctx)
		case <-stopC:
			if m.removeQuery(t) {
				return nil, false, s.managerError(m, errManagerStopped)
			}
			// A worker has it; keep waiting for its answer.
			stopC = nil
		}
	}
}

// RespondQueryTaskCompleted passes a worker's answer to the waiting
// QueryWorkflow. An unknown or expired query ID is NotFound.
func (s *Service) RespondQueryTaskCompleted(ctx context.Context, req *matchingservice.RespondQueryTaskCompletedRequest) (*matchingservice.RespondQueryTaskCompletedResponse, error) {
	if req == nil {
		return nil, invalidArgf("request is not set")
	}
	if err := validateNamespaceID(req.GetNamespaceId()); err != nil {
		return nil, err
	}
	if req.GetQueryId() == "" {
		return nil, invalidArgf("query_id is not set")
	}
	if req.GetRequest() == nil {
		return nil, invalidArgf("request.request is not set")
	}
	q := s.queries.take(req.GetNamespaceId(), req.GetQueryId())
	if q == nil {
		return nil, serviceerror.NewNotFound("query task not found or already expired")
	}
	q.resultC <- req.GetRequest()
	return &matchingservice.RespondQueryTaskCompletedResponse{}, nil
}
