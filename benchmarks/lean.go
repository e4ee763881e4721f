package benchmarks

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/common/clock"
)

// pollTimeout bounds one long poll; servers answer empty before 60 s.
const pollTimeout = 70 * time.Second

// leanDriver is the protocol-level worker and starter: WorkflowPollers
// goroutines poll workflow tasks and answer each with decide's commands,
// ActivityPollers goroutines poll activity tasks and complete them at once.
// A workflow's result is known when the driver's own completing
// RespondWorkflowTaskCompleted is acknowledged, so no call waits on the
// server for it.
type leanDriver struct {
	cfg       Config
	clk       clock.Clock
	rec       *recorder
	svcs      []workflowservice.WorkflowServiceClient
	next      atomic.Uint64
	taskQueue string
	identity  string
	params    *commonpb.Payloads

	// waiters maps a workflow ID to the channel its result goes to.
	waiters sync.Map

	// Errors the driver saw; the server retries the tasks concerned.
	pollErrors    atomic.Int64
	respondErrors atomic.Int64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newLeanDriver(cfg Config, clk clock.Clock, rec *recorder, svcs []workflowservice.WorkflowServiceClient, taskQueue string) (*leanDriver, error) {
	if len(svcs) == 0 {
		return nil, errNoConn
	}
	params, err := payloads(leanParams{Activities: cfg.Activities, Runs: cfg.Runs})
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return &leanDriver{
		cfg: cfg, clk: clk, rec: rec, svcs: svcs, taskQueue: taskQueue, params: params,
		identity: fmt.Sprintf("meridian-bench-lean@%s@%d", host, os.Getpid()),
	}, nil
}

// svc picks the next connection, round robin.
func (d *leanDriver) svc() workflowservice.WorkflowServiceClient {
	return d.svcs[d.next.Add(1)%uint64(len(d.svcs))]
}

// run starts the pollers; stop ends them.
func (d *leanDriver) run() {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	for range d.cfg.WorkflowPollers {
		d.wg.Go(func() { d.pollWorkflowTasks(ctx) })
	}
	for range d.cfg.ActivityPollers {
		d.wg.Go(func() { d.pollActivityTasks(ctx) })
	}
}

func (d *leanDriver) stop() {
	if d.cancel != nil {
		d.cancel()
	}
	d.wg.Wait()
}

func (d *leanDriver) start(ctx context.Context, id string) (func(context.Context) error, error) {
	ch := make(chan error, 1)
	// Registered first: the workflow can finish before the start returns.
	d.waiters.Store(id, ch)
	_, err := d.svc().StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace:           d.cfg.Namespace,
		WorkflowId:          id,
		WorkflowType:        &commonpb.WorkflowType{Name: leanWorkflowType},
		TaskQueue:           &taskqueuepb.TaskQueue{Name: d.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:               d.params,
		WorkflowTaskTimeout: durationpb.New(10 * time.Second),
		Identity:            d.identity,
		RequestId:           uuid.NewString(),
	})
	if err != nil {
		d.waiters.Delete(id)
		return nil, err
	}
	return func(ctx context.Context) error {
		select {
		case err := <-ch:
			return err
		case <-ctx.Done():
			d.waiters.Delete(id)
			return ctx.Err()
		}
	}, nil
}

// backoff sleeps after a failed call: 50 ms doubling to 1 s.
func (d *leanDriver) backoff(ctx context.Context, failures *int) {
	wait := 50 * time.Millisecond << min(*failures, 5)
	*failures++
	_ = clock.Sleep(ctx, d.clk, min(wait, time.Second))
}

func (d *leanDriver) pollWorkflowTasks(ctx context.Context) {
	req := &workflowservice.PollWorkflowTaskQueueRequest{
		Namespace: d.cfg.Namespace,
		TaskQueue: &taskqueuepb.TaskQueue{Name: d.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Identity:  d.identity,
	}
	pollLoop(ctx, d, func(pctx context.Context) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
		return d.svc().PollWorkflowTaskQueue(pctx, req)
	}, func(resp *workflowservice.PollWorkflowTaskQueueResponse) {
		if err := d.workflowTask(ctx, resp); err != nil && ctx.Err() == nil {
			d.respondErrors.Add(1)
		}
	})
}

// pollLoop long-polls with poll until ctx ends, backing off after failed
// calls, and records and hands every task it gets to handle (a long poll
// that ended empty is polled again).
func pollLoop[T interface{ GetTaskToken() []byte }](ctx context.Context, d *leanDriver, poll func(context.Context) (T, error), handle func(T)) {
	failures := 0
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, pollTimeout)
		resp, err := poll(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				d.pollErrors.Add(1)
				d.backoff(ctx, &failures)
			}
			continue
		}
		failures = 0
		if len(resp.GetTaskToken()) == 0 {
			continue
		}
		d.rec.observe(resp)
		handle(resp)
	}
}

// workflowTask answers one workflow task.
func (d *leanDriver) workflowTask(ctx context.Context, task *workflowservice.PollWorkflowTaskQueueResponse) error {
	events := task.GetHistory().GetEvents()
	for token := task.GetNextPageToken(); len(token) > 0; {
		page, err := d.svc().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace: d.cfg.Namespace, Execution: task.GetWorkflowExecution(), NextPageToken: token,
		})
		if err != nil {
			return err
		}
		events = append(append([]*historypb.HistoryEvent(nil), events...), page.GetHistory().GetEvents()...)
		token = page.GetNextPageToken()
	}
	dec := decide(events, d.taskQueue, !d.cfg.DisableEagerActivities)
	resp, err := d.svc().RespondWorkflowTaskCompleted(ctx, &workflowservice.RespondWorkflowTaskCompletedRequest{
		Namespace: d.cfg.Namespace,
		TaskToken: task.GetTaskToken(),
		Commands:  dec.commands,
		Identity:  d.identity,
	})
	if err != nil {
		return err
	}
	for _, a := range resp.GetActivityTasks() {
		// Handed back eagerly: run (complete) it here, as the SDK does.
		d.rec.observe(a)
		d.completeActivity(ctx, a)
	}
	if dec.closed {
		if ch, ok := d.waiters.LoadAndDelete(task.GetWorkflowExecution().GetWorkflowId()); ok {
			ch.(chan error) <- dec.result
		}
	}
	return nil
}

func (d *leanDriver) pollActivityTasks(ctx context.Context) {
	req := &workflowservice.PollActivityTaskQueueRequest{
		Namespace: d.cfg.Namespace,
		TaskQueue: &taskqueuepb.TaskQueue{Name: d.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Identity:  d.identity,
	}
	pollLoop(ctx, d, func(pctx context.Context) (*workflowservice.PollActivityTaskQueueResponse, error) {
		return d.svc().PollActivityTaskQueue(pctx, req)
	}, func(resp *workflowservice.PollActivityTaskQueueResponse) {
		d.completeActivity(ctx, resp)
	})
}

// completeActivity answers one activity task at once.
func (d *leanDriver) completeActivity(ctx context.Context, task *workflowservice.PollActivityTaskQueueResponse) {
	_, err := d.svc().RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{
		Namespace: d.cfg.Namespace,
		TaskToken: task.GetTaskToken(),
		Identity:  d.identity,
	})
	if err != nil && ctx.Err() == nil {
		d.respondErrors.Add(1)
	}
}

// notes reports the errors the driver absorbed.
func (d *leanDriver) notes() []string {
	var n []string
	if c := d.pollErrors.Load(); c > 0 {
		n = append(n, fmt.Sprintf("lean driver: %d poll errors (retried after a backoff)", c))
	}
	if c := d.respondErrors.Load(); c > 0 {
		n = append(n, fmt.Sprintf("lean driver: %d task completions failed (the server retries those tasks)", c))
	}
	return n
}
