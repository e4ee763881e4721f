package persistence

import (
	"context"
	"time"

	historypb "go.temporal.io/api/history/v1"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Stores bundles one backend's stores. Close releases the backend.
type Stores struct {
	Shard           ShardStore
	Execution       ExecutionStore
	History         HistoryStore
	Task            TaskStore
	Namespace       NamespaceStore
	ClusterMetadata ClusterMetadataStore
	Queue           QueueStore
	Visibility      VisibilityStore
	Close           func() error
}

// ShardStore keeps history shard ownership records.
type ShardStore interface {
	// GetOrCreateShard returns the shard's record, creating it from initial
	// when absent (a concurrent create is resolved by returning the winner).
	GetOrCreateShard(ctx context.Context, initial *persistencepb.ShardInfo) (*persistencepb.ShardInfo, error)
	// UpdateShard writes info if the stored range_id equals previousRangeID,
	// else returns *ShardOwnershipLostError. Acquiring a shard is an update
	// with info.RangeId = previousRangeID+1.
	UpdateShard(ctx context.Context, info *persistencepb.ShardInfo, previousRangeID int64) error
}

// TaskKey orders history tasks: transfer tasks by TaskID alone (FireTime is
// zero), timer tasks by (FireTime, TaskID).
type TaskKey struct {
	FireTime time.Time
	TaskID   int64
}

// Compare returns -1, 0 or +1.
func (k TaskKey) Compare(o TaskKey) int {
	if c := k.FireTime.Compare(o.FireTime); c != 0 {
		return c
	}
	switch {
	case k.TaskID < o.TaskID:
		return -1
	case k.TaskID > o.TaskID:
		return 1
	}
	return 0
}

// Tasks groups new history tasks by category.
type Tasks map[persistencepb.TaskCategory][]*persistencepb.HistoryTask

// WorkflowSnapshot is the full state of one run plus the tasks derived from
// the transaction that produced it.
type WorkflowSnapshot struct {
	State *persistencepb.WorkflowMutableState
	Tasks Tasks
}

// CreateMode says what a new run expects of its workflow ID's current record.
type CreateMode int

const (
	// CreateModeBrandNew: no current record may exist.
	CreateModeBrandNew CreateMode = iota
	// CreateModeUpdateCurrent: the current record must point at
	// PreviousRunID (with PreviousLastWriteVersion); it is moved to the new run.
	CreateModeUpdateCurrent
	// CreateModeBypassCurrent: do not touch the current record (a zombie or
	// replicated run that is not current).
	CreateModeBypassCurrent
)

type CreateWorkflowExecutionRequest struct {
	ShardID                  int32
	RangeID                  int64
	Mode                     CreateMode
	PreviousRunID            string
	PreviousLastWriteVersion int64
	NewWorkflow              WorkflowSnapshot
}

// UpdateWorkflowExecutionRequest replaces a run's state. The write succeeds
// only if the shard's range_id is RangeID and the stored run's
// db_record_version equals Workflow.State.DbRecordVersion-1.
type UpdateWorkflowExecutionRequest struct {
	ShardID  int32
	RangeID  int64
	Workflow WorkflowSnapshot
	// NewWorkflow, when set, is a run created in the same transaction
	// (continue-as-new, cron, retry); the current record moves to it.
	NewWorkflow *WorkflowSnapshot
}

// ExecutionStore keeps runs, current-run pointers and history tasks.
type ExecutionStore interface {
	// CreateWorkflowExecution writes a new run (and its tasks). Mode decides
	// the current-record condition; a failed condition returns
	// *CurrentWorkflowConditionFailedError.
	CreateWorkflowExecution(ctx context.Context, req *CreateWorkflowExecutionRequest) error
	// UpdateWorkflowExecution: see UpdateWorkflowExecutionRequest. Returns
	// *ShardOwnershipLostError or ErrConditionFailed when a condition fails.
	// The current record's state and status follow the run's when it is the
	// current run.
	UpdateWorkflowExecution(ctx context.Context, req *UpdateWorkflowExecutionRequest) error
	// WriteShardBatch applies the creates and updates of several workflows
	// of one shard atomically, as one conditional write (see
	// ShardBatchRequest): all of them or none. It returns nil when all
	// applied; *ShardOwnershipLostError when the range_id moved (for every
	// write); *ShardBatchError when writes' own conditions failed, naming
	// each write's outcome (the failed ones get the error their own call
	// would return, the others ErrShardBatchAborted: resubmit them);
	// ErrTimeout when the outcome is unknown (for every write); any other
	// error means nothing was applied.
	WriteShardBatch(ctx context.Context, req *ShardBatchRequest) error
	// GetWorkflowExecution returns a run's state, or ErrNotFound.
	GetWorkflowExecution(ctx context.Context, shardID int32, namespaceID, workflowID, runID string) (*persistencepb.WorkflowMutableState, error)
	// GetCurrentExecution returns the workflow ID's current record, or ErrNotFound.
	GetCurrentExecution(ctx context.Context, shardID int32, namespaceID, workflowID string) (*persistencepb.CurrentExecution, error)
	// DeleteWorkflowExecution removes a run (and the current record when it
	// points at that run). Deleting a missing run is not an error.
	DeleteWorkflowExecution(ctx context.Context, shardID int32, namespaceID, workflowID, runID string) error
	// GetHistoryTasks returns up to batchSize tasks of a category with
	// min <= key < max, in key order, and a token for the next page (nil at
	// the end).
	GetHistoryTasks(ctx context.Context, req *GetHistoryTasksRequest) ([]*persistencepb.HistoryTask, []byte, error)
	// RangeCompleteHistoryTasks deletes tasks with min <= key < max.
	RangeCompleteHistoryTasks(ctx context.Context, shardID int32, category persistencepb.TaskCategory, min, max TaskKey) error
}

type GetHistoryTasksRequest struct {
	ShardID       int32
	Category      persistencepb.TaskCategory
	MinKey        TaskKey
	MaxKey        TaskKey
	BatchSize     int
	NextPageToken []byte
}

// AppendHistoryNodesRequest appends one batch of events (a "node") to a
// branch. TransactionID orders rewrites of the same node: readers keep the
// highest. Events must be contiguous and start at the batch's first event ID.
type AppendHistoryNodesRequest struct {
	ShardID       int32
	BranchToken   []byte
	Events        []*historypb.HistoryEvent
	TransactionID int64
	// IsNewBranch marks the first batch of a branch (creates the tree record).
	IsNewBranch bool
}

// ReadHistoryBranchRequest reads events with MinEventID <= id < MaxEventID.
type ReadHistoryBranchRequest struct {
	ShardID       int32
	BranchToken   []byte
	MinEventID    int64
	MaxEventID    int64
	PageSize      int
	NextPageToken []byte
}

type ReadHistoryBranchResponse struct {
	Events        []*historypb.HistoryEvent
	NextPageToken []byte
	// Encoded size of the returned events.
	Size int
}

// HistoryStore keeps event batches.
type HistoryStore interface {
	// AppendHistoryNodes writes a batch; returns its encoded size in bytes.
	AppendHistoryNodes(ctx context.Context, req *AppendHistoryNodesRequest) (int, error)
	// ReadHistoryBranch returns events in ID order, following the branch's
	// ancestors. A page never splits a batch.
	ReadHistoryBranch(ctx context.Context, req *ReadHistoryBranchRequest) (*ReadHistoryBranchResponse, error)
	// DeleteHistoryBranch removes a branch's events (not its ancestors').
	DeleteHistoryBranch(ctx context.Context, shardID int32, branchToken []byte) error
}

// TaskQueueKey names one task-queue partition backlog.
type TaskQueueKey struct {
	NamespaceID string
	Name        string
	// enumspb.TaskQueueType value.
	TaskType int32
}

// TaskStore keeps matching backlogs, each fenced by its own range_id lease.
type TaskStore interface {
	// LeaseTaskQueue takes the backlog's lease: creates the record with
	// range_id 1, or bumps range_id if it equals prevRangeID (any value when
	// prevRangeID < 0); otherwise ErrConditionFailed. Returns the new record.
	LeaseTaskQueue(ctx context.Context, key TaskQueueKey, kind int32, prevRangeID int64) (*persistencepb.TaskQueueInfo, error)
	// UpdateTaskQueue writes info (ack level, expiry) if range_id still
	// matches, else ErrConditionFailed.
	UpdateTaskQueue(ctx context.Context, info *persistencepb.TaskQueueInfo) error
	// CreateTasks appends tasks if the record's range_id equals rangeID, else
	// ErrConditionFailed.
	CreateTasks(ctx context.Context, key TaskQueueKey, rangeID int64, tasks []*persistencepb.TaskQueueTask) error
	// GetTasks returns up to batchSize tasks with minTaskID < id <= maxTaskID
	// in ID order.
	GetTasks(ctx context.Context, key TaskQueueKey, minTaskID, maxTaskID int64, batchSize int) ([]*persistencepb.TaskQueueTask, error)
	// CompleteTasksLessThan deletes tasks with id < exclusiveMaxTaskID.
	CompleteTasksLessThan(ctx context.Context, key TaskQueueKey, exclusiveMaxTaskID int64) error
	// ListTaskQueues returns every backlog record (operator views).
	ListTaskQueues(ctx context.Context) ([]*persistencepb.TaskQueueInfo, error)
}

// NamespaceStore keeps namespaces. Names and IDs are both unique.
type NamespaceStore interface {
	// CreateNamespace: ErrAlreadyExists when the name or ID is taken.
	CreateNamespace(ctx context.Context, ns *persistencepb.NamespaceDetail) error
	// GetNamespaceByID / GetNamespaceByName: ErrNotFound when absent.
	GetNamespaceByID(ctx context.Context, id string) (*persistencepb.NamespaceDetail, error)
	GetNamespaceByName(ctx context.Context, name string) (*persistencepb.NamespaceDetail, error)
	// UpdateNamespace replaces the namespace if the stored config_version
	// equals ns.ConfigVersion-1, else ErrConditionFailed. Renames are not
	// supported.
	UpdateNamespace(ctx context.Context, ns *persistencepb.NamespaceDetail) error
	// ListNamespaces pages through namespaces in name order.
	ListNamespaces(ctx context.Context, pageSize int, nextPageToken []byte) ([]*persistencepb.NamespaceDetail, []byte, error)
}

// ClusterMetadataStore keeps this region's immutable cluster facts.
type ClusterMetadataStore interface {
	// GetClusterMetadata: ErrNotFound when the cluster was never initialized.
	GetClusterMetadata(ctx context.Context, clusterName string) (*persistencepb.ClusterMetadata, error)
	// SaveClusterMetadata writes md if the stored version equals
	// md.Version-1 (or none is stored and md.Version == 1), else
	// ErrConditionFailed.
	SaveClusterMetadata(ctx context.Context, md *persistencepb.ClusterMetadata) error
}

// QueueMessage is one entry of a named FIFO queue (replication DLQs,
// namespace replication).
type QueueMessage struct {
	ID      int64
	Payload []byte
}

// QueueStore keeps named append-only queues with monotonically increasing IDs.
type QueueStore interface {
	// Enqueue appends and returns the new message's ID.
	Enqueue(ctx context.Context, queue string, payload []byte) (int64, error)
	// Read returns up to max messages with ID > afterID in ID order.
	Read(ctx context.Context, queue string, afterID int64, max int) ([]QueueMessage, error)
	// DeleteBefore deletes messages with ID < id.
	DeleteBefore(ctx context.Context, queue string, id int64) error
}

// VisibilityFilter selects visibility records. Backends may push parts of it
// down to an index, but the result must equal filtering every record of the
// namespace with Match.
type VisibilityFilter interface {
	Match(rec *persistencepb.VisibilityRecord) bool
}

type ListWorkflowExecutionsRequest struct {
	NamespaceID string
	// Nil selects every record.
	Filter VisibilityFilter
	// Less orders results; nil means by start time, newest first (then run ID).
	Less          func(a, b *persistencepb.VisibilityRecord) bool
	PageSize      int
	NextPageToken []byte
}

// VisibilityStore keeps the searchable record of each run.
type VisibilityStore interface {
	// UpsertWorkflowExecution writes (replaces) a run's record.
	UpsertWorkflowExecution(ctx context.Context, rec *persistencepb.VisibilityRecord) error
	// DeleteWorkflowExecution removes a run's record; missing is not an error.
	DeleteWorkflowExecution(ctx context.Context, namespaceID, workflowID, runID string) error
	// GetWorkflowExecution: ErrNotFound when absent.
	GetWorkflowExecution(ctx context.Context, namespaceID, workflowID, runID string) (*persistencepb.VisibilityRecord, error)
	ListWorkflowExecutions(ctx context.Context, req *ListWorkflowExecutionsRequest) ([]*persistencepb.VisibilityRecord, []byte, error)
	CountWorkflowExecutions(ctx context.Context, namespaceID string, filter VisibilityFilter) (int64, error)
}
