package persistence

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
)

// This file holds the shard batch: the writes of several workflows of one
// shard applied as one conditional write (DESIGN.md §9, group commit).

// Bounds every backend accepts for one shard batch of more than one write
// (a batch of one write is accepted at any size, like the single calls).
// Cassandra applies a single-partition LWT batch as one mutation: these
// stay far below its max_mutation_size (half the commit log segment,
// 16 MiB by default), and single-partition batches are exempt from
// batch_size_fail_threshold.
const (
	MaxShardBatchWrites = 100
	MaxShardBatchBytes  = 4 << 20
)

// ShardWrite is one workflow's conditional write in a shard batch: exactly
// one of Create and Update is set. Its ShardID and RangeID must equal the
// batch's.
type ShardWrite struct {
	Create *CreateWorkflowExecutionRequest
	Update *UpdateWorkflowExecutionRequest
}

// ShardBatchRequest carries writes of different workflows of one shard.
// The batch applies only while the shard's range_id is RangeID and every
// write's own conditions hold (those of CreateWorkflowExecution and
// UpdateWorkflowExecution), and then all writes apply at once.
type ShardBatchRequest struct {
	ShardID int32
	RangeID int64
	// Writes touch pairwise different workflow IDs (namespace, workflow):
	// two writes of one workflow would touch its current record twice.
	Writes []ShardWrite
}

// ErrShardBatchAborted is the outcome, in a *ShardBatchError, of a write
// whose own conditions held but which was not applied because another
// write of the batch failed. Nothing was written; submit it again.
var ErrShardBatchAborted = errors.New("persistence: shard batch not applied: another write's condition failed")

// ShardBatchError says which writes of a shard batch failed their
// conditions. Nothing of the batch was applied.
type ShardBatchError struct {
	// Errs[i] is write i's outcome: the error its own call
	// (CreateWorkflowExecution or UpdateWorkflowExecution) would have
	// returned, or ErrShardBatchAborted. At least one is not
	// ErrShardBatchAborted.
	Errs []error
}

func (e *ShardBatchError) Error() string {
	var b strings.Builder
	b.WriteString("persistence: shard batch not applied:")
	for i, err := range e.Errs {
		if err != nil && !errors.Is(err, ErrShardBatchAborted) {
			fmt.Fprintf(&b, " write %d: %v;", i, err)
		}
	}
	return strings.TrimSuffix(b.String(), ";")
}

// WorkflowKey names a workflow ID in a namespace.
type WorkflowKey struct {
	NamespaceID, WorkflowID string
}

// Validate checks the write (its request's own checks, and that it is on
// shardID at rangeID) and returns the workflow it writes.
func (w *ShardWrite) Validate(shardID int32, rangeID int64) (WorkflowKey, error) {
	var (
		id    RunKey
		shard int32
		rng   int64
		err   error
	)
	switch {
	case (w.Create == nil) == (w.Update == nil):
		return WorkflowKey{}, errors.New("persistence: a shard write needs exactly one of Create and Update")
	case w.Create != nil:
		id, err = w.Create.Validate()
		shard, rng = w.Create.ShardID, w.Create.RangeID
	default:
		id, _, err = w.Update.Validate()
		shard, rng = w.Update.ShardID, w.Update.RangeID
	}
	if err != nil {
		return WorkflowKey{}, err
	}
	if shard != shardID || rng != rangeID {
		return WorkflowKey{}, fmt.Errorf("persistence: shard write of run %s is for shard %d range %d, the batch for shard %d range %d", id.RunID, shard, rng, shardID, rangeID)
	}
	return WorkflowKey{id.NamespaceID, id.WorkflowID}, nil
}

// Size is the encoded size of what the write stores: its runs' states and
// tasks (what MaxShardBatchBytes bounds).
func (w *ShardWrite) Size() int {
	n := 0
	snap := func(s *WorkflowSnapshot) {
		if s == nil {
			return
		}
		n += proto.Size(s.State)
		for _, ts := range s.Tasks {
			for _, t := range ts {
				n += proto.Size(t)
			}
		}
	}
	if w.Create != nil {
		snap(&w.Create.NewWorkflow)
	}
	if w.Update != nil {
		snap(&w.Update.Workflow)
		snap(w.Update.NewWorkflow)
	}
	return n
}

// Validate checks req: at least one write, each valid and on the batch's
// shard and range, pairwise different workflows, and within
// MaxShardBatchWrites and MaxShardBatchBytes. It returns each write's
// workflow.
func (req *ShardBatchRequest) Validate() ([]WorkflowKey, error) {
	if req == nil || len(req.Writes) == 0 {
		return nil, errors.New("persistence: WriteShardBatch: no writes")
	}
	if len(req.Writes) > MaxShardBatchWrites {
		return nil, fmt.Errorf("persistence: WriteShardBatch: %d writes, more than MaxShardBatchWrites (%d)", len(req.Writes), MaxShardBatchWrites)
	}
	keys := make([]WorkflowKey, len(req.Writes))
	seen := make(map[WorkflowKey]struct{}, len(req.Writes))
	size := 0
	for i := range req.Writes {
		k, err := req.Writes[i].Validate(req.ShardID, req.RangeID)
		if err != nil {
			return nil, fmt.Errorf("persistence: WriteShardBatch: write %d: %w", i, err)
		}
		if _, dup := seen[k]; dup {
			return nil, fmt.Errorf("persistence: WriteShardBatch: write %d: workflow %s is written twice", i, k.WorkflowID)
		}
		seen[k] = struct{}{}
		keys[i] = k
		if len(req.Writes) > 1 {
			size += req.Writes[i].Size()
		}
	}
	if size > MaxShardBatchBytes {
		return nil, fmt.Errorf("persistence: WriteShardBatch: %d bytes, more than MaxShardBatchBytes (%d)", size, MaxShardBatchBytes)
	}
	return keys, nil
}

// NewShardBatchError builds the error of a batch that was not applied
// from each write's own outcome (nil: its conditions held). Writes whose
// conditions held become ErrShardBatchAborted; when no write explains the
// failure, every write gets ErrConditionFailed (so that a caller that
// resubmits aborted writes always makes progress).
func NewShardBatchError(outcomes []error) *ShardBatchError {
	errs := make([]error, len(outcomes))
	explained := false
	for i, err := range outcomes {
		if err != nil {
			explained = true
		}
		errs[i] = err
	}
	for i := range errs {
		switch {
		case errs[i] != nil:
		case explained:
			errs[i] = ErrShardBatchAborted
		default:
			errs[i] = fmt.Errorf("%w: shard batch not applied, and no condition explains it", ErrConditionFailed)
		}
	}
	return &ShardBatchError{Errs: errs}
}
