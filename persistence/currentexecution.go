package persistence

import (
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// This file holds the rules for a workflow ID's current record (the pointer
// to its current run) that every backend applies alike.

// NewCurrentExecution is the current record pointing at st's run.
func NewCurrentExecution(st *persistencepb.WorkflowMutableState) *persistencepb.CurrentExecution {
	info := st.GetExecutionInfo()
	return &persistencepb.CurrentExecution{
		RunId:            info.GetRunId(),
		CreateRequestId:  info.GetCreateRequestId(),
		State:            st.GetExecutionState().GetState(),
		Status:           st.GetExecutionState().GetStatus(),
		LastWriteVersion: LastWriteVersion(st),
		StartTime:        info.GetStartTime(),
	}
}

// SyncCurrentExecution sets the state, status and last write version of
// cur, the current record of st's run, to st's.
func SyncCurrentExecution(cur *persistencepb.CurrentExecution, st *persistencepb.WorkflowMutableState) {
	cur.State = st.GetExecutionState().GetState()
	cur.Status = st.GetExecutionState().GetStatus()
	cur.LastWriteVersion = LastWriteVersion(st)
}

// LastWriteVersion is the failover version of the run's last event: the
// last item of its current version history (0 when it has none).
func LastWriteVersion(st *persistencepb.WorkflowMutableState) int64 {
	vh := st.GetExecutionInfo().GetVersionHistories()
	hs := vh.GetHistories()
	i := int(vh.GetCurrentIndex())
	if i < 0 || i >= len(hs) {
		return 0
	}
	items := hs[i].GetItems()
	if len(items) == 0 {
		return 0
	}
	return items[len(items)-1].GetVersion()
}

// CurrentMatches reports whether cur, the workflow ID's current record (nil
// when there is none; only its run ID and last write version are read), is
// what req.Mode expects: none for CreateModeBrandNew; PreviousRunID with
// PreviousLastWriteVersion for CreateModeUpdateCurrent; anything for
// CreateModeBypassCurrent.
func (req *CreateWorkflowExecutionRequest) CurrentMatches(cur *persistencepb.CurrentExecution) bool {
	switch req.Mode {
	case CreateModeBrandNew:
		return cur == nil
	case CreateModeUpdateCurrent:
		return cur != nil && cur.RunId == req.PreviousRunID && cur.LastWriteVersion == req.PreviousLastWriteVersion
	}
	return true
}
