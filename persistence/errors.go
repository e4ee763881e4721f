package persistence

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

var (
	// ErrNotFound: the record does not exist.
	ErrNotFound = errors.New("persistence: not found")
	// ErrConditionFailed: a conditional write lost (a concurrent writer
	// changed the record first). Nothing was written; reload and retry.
	ErrConditionFailed = errors.New("persistence: condition failed")
	// ErrAlreadyExists: a create found the record already there.
	ErrAlreadyExists = errors.New("persistence: already exists")
	// ErrTimeout: the store did not answer in time; the write may or may not
	// have been applied. Retry only idempotent operations.
	ErrTimeout = errors.New("persistence: timeout")
	// ErrUnavailable: the store refused the operation (overloaded, no
	// replicas); nothing was applied; safe to retry after backoff.
	ErrUnavailable = errors.New("persistence: unavailable")
)

// ShardOwnershipLostError: the shard's range_id moved past the writer's; the
// writer no longer owns the shard and must drop it at once.
type ShardOwnershipLostError struct {
	ShardID int32
	// RangeID the writer held.
	RangeID int64
	// RangeID found in the store, when known.
	StoredRangeID int64
}

func (e *ShardOwnershipLostError) Error() string {
	return fmt.Sprintf("persistence: shard %d ownership lost: held range %d, store has %d", e.ShardID, e.RangeID, e.StoredRangeID)
}

// IsShardOwnershipLost reports whether err is (or wraps) a
// *ShardOwnershipLostError.
func IsShardOwnershipLost(err error) bool {
	var e *ShardOwnershipLostError
	return errors.As(err, &e)
}

// CurrentWorkflowConditionFailedError: creating a run found the workflow ID's
// current record in a state the request did not expect.
type CurrentWorkflowConditionFailedError struct {
	RunID            string
	CreateRequestID  string
	State            persistencepb.WorkflowState
	Status           enumspb.WorkflowExecutionStatus
	LastWriteVersion int64
}

func (e *CurrentWorkflowConditionFailedError) Error() string {
	return fmt.Sprintf("persistence: current workflow condition failed: run %s state %v", e.RunID, e.State)
}

// NewCurrentWorkflowConditionFailedError describes cur, the current record a
// write did not expect (nil when there is none: the error is then empty).
func NewCurrentWorkflowConditionFailedError(cur *persistencepb.CurrentExecution) *CurrentWorkflowConditionFailedError {
	if cur == nil {
		return &CurrentWorkflowConditionFailedError{}
	}
	return &CurrentWorkflowConditionFailedError{
		RunID:            cur.RunId,
		CreateRequestID:  cur.CreateRequestId,
		State:            cur.State,
		Status:           cur.Status,
		LastWriteVersion: cur.LastWriteVersion,
	}
}
