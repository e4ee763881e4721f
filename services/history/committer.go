package history

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/uber-go/tally/v4"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// CommitConfig bounds the batches of a shard's committer (group commit,
// DESIGN.md §9). Zero values mean the default.
type CommitConfig struct {
	// MaxWrites is the most transactions written in one batch. Default 32;
	// 1 turns group commit off (every transaction is its own write).
	MaxWrites int
	// MaxBytes bounds a batch's encoded states and tasks
	// (persistence.ShardWrite.Size). A transaction bigger than this is
	// written alone. Default 1 MiB.
	MaxBytes int
}

// DefaultCommitConfig returns the defaults.
func DefaultCommitConfig() CommitConfig {
	return CommitConfig{MaxWrites: 32, MaxBytes: 1 << 20}
}

func (c CommitConfig) withDefaults() CommitConfig {
	d := DefaultCommitConfig()
	if c.MaxWrites == 0 {
		c.MaxWrites = d.MaxWrites
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = d.MaxBytes
	}
	return c
}

// Validate names the first bad field.
func (c CommitConfig) Validate() error {
	switch {
	case c.MaxWrites < 0 || c.MaxWrites > persistence.MaxShardBatchWrites:
		return fmt.Errorf("history config: Commit.MaxWrites must be within [0, %d], got %d", persistence.MaxShardBatchWrites, c.MaxWrites)
	case c.MaxBytes < 0 || c.MaxBytes > persistence.MaxShardBatchBytes:
		return fmt.Errorf("history config: Commit.MaxBytes must be within [0, %d], got %d", persistence.MaxShardBatchBytes, c.MaxBytes)
	}
	return nil
}

// committer writes a shard's transactions (their conditional state writes;
// history events are appended before) by group commit: a write submitted
// while none is in flight is written at once, by its own goroutine; writes
// submitted meanwhile queue, and when the write in flight returns, the
// first of them writes the queue's head as one batch
// (persistence.ExecutionStore.WriteShardBatch), bounded by CommitConfig.
// So a shard has at most one conditional write in flight (no Paxos
// contention with itself), and a write waits for at most the one ahead.
//
// Every write gets its own outcome. A batch whose writes' conditions
// failed (*persistence.ShardBatchError) gives the failed writes their
// errors and puts the others (ErrShardBatchAborted) back at the queue's
// head; any other error (ownership lost, timeout, ...) is every write's.
//
// A batch never holds two writes of one workflow ID (the store forbids it:
// both would touch its current record); the later one waits for the next
// batch, so writes of one workflow are written in submission order. A
// run's transactions hold the run's lock while they write, so one run
// never has two writes queued anyway. Writes are not canceled by their
// caller's context once submitted: the outcome of a write that may have
// landed must be known.
type committer struct {
	store   persistence.ExecutionStore
	shardID int32
	cfg     CommitConfig
	metrics tally.Scope

	mu sync.Mutex
	// busy: a goroutine leads (writes batches); others wait in queue.
	busy  bool
	queue []*commitRequest
}

// commitRequest is one transaction's write waiting for its outcome.
type commitRequest struct {
	write   persistence.ShardWrite
	rangeID int64
	key     persistence.WorkflowKey
	size    int // persistence.ShardWrite.Size, computed when first needed (-1)
	// wake receives true when the request's goroutine is to lead, false
	// when its outcome is set. Buffered: senders never block.
	wake chan bool
	done bool
	err  error
}

func newCommitter(store persistence.ExecutionStore, shardID int32, cfg CommitConfig, metrics tally.Scope) *committer {
	return &committer{store: store, shardID: shardID, cfg: cfg.withDefaults(), metrics: metrics}
}

// commit writes w (a create or an update of one run, fenced by rangeID)
// and returns its outcome: the error its own Create/UpdateWorkflowExecution
// would return.
func (c *committer) commit(ctx context.Context, rangeID int64, w persistence.ShardWrite) error {
	r := &commitRequest{write: w, rangeID: rangeID, key: writeKey(w), size: -1, wake: make(chan bool, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, r)
	lead := !c.busy
	c.busy = true
	c.mu.Unlock()
	if !lead && !<-r.wake {
		return r.err
	}
	// Leading: r is at the queue's head, so the next batch holds it. Write
	// batches until r has its outcome, then pass the lead on.
	ctx = context.WithoutCancel(ctx)
	for !r.done {
		c.flush(ctx, c.take())
	}
	c.mu.Lock()
	if len(c.queue) == 0 {
		c.busy = false
		c.mu.Unlock()
		return r.err
	}
	next := c.queue[0]
	c.mu.Unlock()
	next.wake <- true
	return r.err
}

// take removes the next batch from the queue: its head, then the writes
// behind it that fit (same range, workflow not in the batch nor skipped
// before, within MaxWrites and MaxBytes).
func (c *committer) take() []*commitRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	head := c.queue[0]
	batch := []*commitRequest{head}
	if len(c.queue) == 1 || c.cfg.MaxWrites == 1 {
		c.queue = c.queue[1:]
		return batch
	}
	used := map[persistence.WorkflowKey]struct{}{head.key: {}}
	bytes := head.sizeOf()
	rest := make([]*commitRequest, 0, len(c.queue)-1)
	for i, r := range c.queue[1:] {
		if len(batch) == c.cfg.MaxWrites || bytes >= c.cfg.MaxBytes {
			rest = append(rest, c.queue[1+i:]...)
			break
		}
		_, seen := used[r.key]
		used[r.key] = struct{}{} // a skipped workflow stays out: its writes keep their order
		if seen || r.rangeID != head.rangeID || bytes+r.sizeOf() > c.cfg.MaxBytes {
			rest = append(rest, r)
			continue
		}
		bytes += r.sizeOf()
		batch = append(batch, r)
	}
	c.queue = rest
	return batch
}

// flush writes batch and delivers the outcomes; aborted writes go back to
// the queue's head in their order.
func (c *committer) flush(ctx context.Context, batch []*commitRequest) {
	var err error
	if len(batch) == 1 {
		w := batch[0].write
		if w.Create != nil {
			err = c.store.CreateWorkflowExecution(ctx, w.Create)
		} else {
			err = c.store.UpdateWorkflowExecution(ctx, w.Update)
		}
	} else {
		req := &persistence.ShardBatchRequest{ShardID: c.shardID, RangeID: batch[0].rangeID, Writes: make([]persistence.ShardWrite, len(batch))}
		for i, r := range batch {
			req.Writes[i] = r.write
		}
		err = c.store.WriteShardBatch(ctx, req)
	}
	c.metrics.Counter(metricConditionalWrites).Inc(1)
	c.metrics.Histogram(metricCommitBatchSize, commitBatchBuckets).RecordValue(float64(len(batch)))

	var be *persistence.ShardBatchError
	if !errors.As(err, &be) || len(be.Errs) != len(batch) {
		for _, r := range batch {
			r.finish(err)
		}
		return
	}
	var retry []*commitRequest
	for i, r := range batch {
		if errors.Is(be.Errs[i], persistence.ErrShardBatchAborted) {
			retry = append(retry, r)
			continue
		}
		r.finish(be.Errs[i])
	}
	if len(retry) == len(batch) {
		// The store broke its contract (no write explains the failure):
		// fail them all rather than retry forever.
		for _, r := range retry {
			r.finish(fmt.Errorf("%w: shard batch failed without a failed write", persistence.ErrConditionFailed))
		}
		return
	}
	if len(retry) > 0 {
		c.mu.Lock()
		c.queue = append(retry, c.queue...)
		c.mu.Unlock()
	}
}

// commitBatchBuckets are the value buckets of metricCommitBatchSize.
var commitBatchBuckets = tally.ValueBuckets{1, 2, 4, 8, 16, 32, 64, 100}

func (r *commitRequest) finish(err error) {
	r.err = err
	r.done = true
	r.wake <- false
}

func (r *commitRequest) sizeOf() int {
	if r.size < 0 {
		r.size = r.write.Size()
	}
	return r.size
}

// writeKey is the workflow w writes.
func writeKey(w persistence.ShardWrite) persistence.WorkflowKey {
	var st *persistencepb.WorkflowMutableState
	if w.Create != nil {
		st = w.Create.NewWorkflow.State
	} else {
		st = w.Update.Workflow.State
	}
	info := st.GetExecutionInfo()
	return persistence.WorkflowKey{NamespaceID: info.GetNamespaceId(), WorkflowID: info.GetWorkflowId()}
}
