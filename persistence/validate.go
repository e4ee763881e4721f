package persistence

import (
	"errors"
	"fmt"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// This file holds the request checks every backend makes before touching
// storage. Each returns a plain error naming what is missing or wrong.

// RunKey names one run.
type RunKey struct {
	NamespaceID, WorkflowID, RunID string
}

// RunKey returns the run s holds; s needs execution info with the
// namespace, workflow and run IDs.
func (s *WorkflowSnapshot) RunKey() (RunKey, error) {
	if s == nil || s.State == nil || s.State.ExecutionInfo == nil {
		return RunKey{}, errors.New("persistence: workflow snapshot without execution info")
	}
	info := s.State.ExecutionInfo
	if info.NamespaceId == "" || info.WorkflowId == "" || info.RunId == "" {
		return RunKey{}, errors.New("persistence: workflow snapshot needs namespace, workflow and run IDs")
	}
	return RunKey{info.NamespaceId, info.WorkflowId, info.RunId}, nil
}

// Validate checks req and returns the run it creates.
func (req *CreateWorkflowExecutionRequest) Validate() (RunKey, error) {
	if req == nil {
		return RunKey{}, errors.New("persistence: CreateWorkflowExecution: nil request")
	}
	id, err := req.NewWorkflow.RunKey()
	if err != nil {
		return RunKey{}, err
	}
	switch req.Mode {
	case CreateModeBrandNew, CreateModeBypassCurrent:
	case CreateModeUpdateCurrent:
		if req.PreviousRunID == "" {
			return RunKey{}, errors.New("persistence: CreateModeUpdateCurrent needs PreviousRunID")
		}
	default:
		return RunKey{}, fmt.Errorf("persistence: unknown create mode %d", req.Mode)
	}
	return id, nil
}

// Validate checks req and returns the run it updates and, with
// NewWorkflow, the run it creates (a different run of the same workflow).
func (req *UpdateWorkflowExecutionRequest) Validate() (run, newRun RunKey, err error) {
	if req == nil {
		return RunKey{}, RunKey{}, errors.New("persistence: UpdateWorkflowExecution: nil request")
	}
	if run, err = req.Workflow.RunKey(); err != nil {
		return RunKey{}, RunKey{}, err
	}
	if req.NewWorkflow == nil {
		return run, RunKey{}, nil
	}
	if newRun, err = req.NewWorkflow.RunKey(); err != nil {
		return RunKey{}, RunKey{}, err
	}
	if newRun.NamespaceID != run.NamespaceID || newRun.WorkflowID != run.WorkflowID {
		return RunKey{}, RunKey{}, errors.New("persistence: NewWorkflow must have the updated run's namespace and workflow ID")
	}
	if newRun.RunID == run.RunID {
		return RunKey{}, RunKey{}, errors.New("persistence: NewWorkflow must be a different run")
	}
	return run, newRun, nil
}

// CheckHistoryTasks checks the tasks of a snapshot: each has a category,
// and those of a scheduled category have a visibility (fire) time.
func CheckHistoryTasks(tasks Tasks) error {
	for category, ts := range tasks {
		if category == persistencepb.TaskCategory_TASK_CATEGORY_UNSPECIFIED {
			return errors.New("persistence: history task without category")
		}
		for _, t := range ts {
			if t == nil {
				return fmt.Errorf("persistence: nil %v task", category)
			}
			if IsScheduledCategory(category) && t.VisibilityTime == nil {
				return fmt.Errorf("persistence: %v task %d without visibility_time", category, t.TaskId)
			}
		}
	}
	return nil
}

// Validate checks req: a category and a positive BatchSize.
func (req *GetHistoryTasksRequest) Validate() error {
	switch {
	case req == nil:
		return errors.New("persistence: GetHistoryTasks: nil request")
	case req.Category == persistencepb.TaskCategory_TASK_CATEGORY_UNSPECIFIED:
		return errors.New("persistence: GetHistoryTasks needs a category")
	case req.BatchSize <= 0:
		return errors.New("persistence: GetHistoryTasks needs a positive BatchSize")
	}
	return nil
}

// ValidateShardUpdate checks the arguments of UpdateShard: range_id never
// moves back.
func ValidateShardUpdate(info *persistencepb.ShardInfo, previousRangeID int64) error {
	if info == nil {
		return errors.New("persistence: UpdateShard: nil info")
	}
	if info.RangeId < previousRangeID {
		return fmt.Errorf("persistence: UpdateShard: range_id %d below previous %d", info.RangeId, previousRangeID)
	}
	return nil
}

// NamespaceIDs returns the ID and name of ns; both are required.
func NamespaceIDs(ns *persistencepb.NamespaceDetail) (id, name string, err error) {
	id, name = ns.GetInfo().GetId(), ns.GetInfo().GetName()
	if id == "" || name == "" {
		return "", "", errors.New("persistence: namespace needs info.id and info.name")
	}
	return id, name, nil
}

// Validate checks that k names a namespace and a task queue.
func (k TaskQueueKey) Validate() error {
	if k.NamespaceID == "" || k.Name == "" {
		return errors.New("persistence: task queue key needs namespace ID and name")
	}
	return nil
}

// VisibilityRunKey returns the run rec describes; rec needs namespace_id
// and info.execution.
func VisibilityRunKey(rec *persistencepb.VisibilityRecord) (RunKey, error) {
	ex := rec.GetInfo().GetExecution()
	if rec.GetNamespaceId() == "" || ex.GetWorkflowId() == "" || ex.GetRunId() == "" {
		return RunKey{}, errors.New("persistence: visibility record needs namespace_id and info.execution")
	}
	return RunKey{rec.NamespaceId, ex.WorkflowId, ex.RunId}, nil
}
