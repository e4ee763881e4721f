package history

import (
	"testing"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

func batchOf(from, to int64) []*historypb.HistoryEvent {
	var out []*historypb.HistoryEvent
	for id := from; id <= to; id++ {
		out = append(out, &historypb.HistoryEvent{EventId: id})
	}
	return out
}

func runState(branch string, closed bool) *persistencepb.WorkflowMutableState {
	st := &persistencepb.WorkflowMutableState{
		ExecutionInfo: &persistencepb.WorkflowExecutionInfo{VersionHistories: &persistencepb.VersionHistories{
			Histories: []*persistencepb.VersionHistory{{BranchToken: []byte(branch)}},
		}},
		ExecutionState: &persistencepb.ExecutionState{State: persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING},
	}
	if closed {
		st.ExecutionState.State = persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED
	}
	return st
}

func ids(events []*historypb.HistoryEvent) []int64 {
	if events == nil {
		return nil
	}
	out := []int64{}
	for _, e := range events {
		out = append(out, e.EventId)
	}
	return out
}

func TestEventWindow(t *testing.T) {
	type add struct {
		from, to int64
		size     int
		branch   string
		closed   bool
	}
	tests := []struct {
		name     string
		adds     []add
		branch   string
		min, max int64
		want     []int64
	}{
		{"empty", nil, "a", 1, 3, nil},
		{"whole", []add{{1, 2, 10, "a", false}, {3, 3, 10, "a", false}}, "a", 1, 4, []int64{1, 2, 3}},
		{"tail", []add{{1, 2, 10, "a", false}, {3, 5, 10, "a", false}}, "a", 3, 6, []int64{3, 4, 5}},
		{"inside", []add{{1, 5, 10, "a", false}}, "a", 2, 4, []int64{2, 3}},
		{"past the end", []add{{1, 2, 10, "a", false}}, "a", 1, 4, nil},
		{"other branch", []add{{1, 2, 10, "a", false}}, "b", 1, 3, nil},
		{"gap restarts the window", []add{{1, 2, 10, "a", false}, {5, 6, 10, "a", false}}, "a", 1, 7, nil},
		{"after a gap, the new batch", []add{{1, 2, 10, "a", false}, {5, 6, 10, "a", false}}, "a", 5, 7, []int64{5, 6}},
		{"oldest batch falls out", []add{{1, 2, 60, "a", false}, {3, 4, 60, "a", false}}, "a", 1, 5, nil},
		{"newest stays", []add{{1, 2, 60, "a", false}, {3, 4, 60, "a", false}}, "a", 3, 5, []int64{3, 4}},
		{"batch over the limit", []add{{1, 2, 10, "a", false}, {3, 4, 101, "a", false}}, "a", 1, 3, nil},
		{"closed run drops it", []add{{1, 2, 10, "a", false}, {3, 4, 10, "a", true}}, "a", 1, 3, nil},
		{"new branch", []add{{1, 4, 10, "a", false}, {5, 6, 10, "b", false}}, "b", 5, 7, []int64{5, 6}},
		{"empty range", []add{{1, 4, 10, "a", false}}, "a", 3, 3, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w eventWindow
			for _, a := range tt.adds {
				w.add(runState(a.branch, a.closed), batchOf(a.from, a.to), a.size, 100)
			}
			require.Equal(t, tt.want, ids(w.get([]byte(tt.branch), tt.min, tt.max)))
		})
	}
}

func TestEventWindowRejectsNonContiguousBatch(t *testing.T) {
	var w eventWindow
	w.add(runState("a", false), batchOf(1, 3), 10, 100)
	w.add(runState("a", false), []*historypb.HistoryEvent{{EventId: 4}, {EventId: 6}}, 10, 100)
	require.Nil(t, w.get([]byte("a"), 1, 4))
}
