package persistence

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewShardBatchError(t *testing.T) {
	failed := fmt.Errorf("%w: stale", ErrConditionFailed)
	for _, tc := range []struct {
		name     string
		outcomes []error
		aborted  []bool
	}{
		{name: "OneOfThreeFailed", outcomes: []error{nil, failed, nil}, aborted: []bool{true, false, true}},
		{name: "AllFailed", outcomes: []error{failed, failed}, aborted: []bool{false, false}},
		// Nothing explains the failure: every write fails, none is
		// resubmitted forever.
		{name: "Unexplained", outcomes: []error{nil, nil}, aborted: []bool{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewShardBatchError(tc.outcomes)
			require.Len(t, e.Errs, len(tc.outcomes))
			for i, err := range e.Errs {
				require.Error(t, err)
				require.Equal(t, tc.aborted[i], errors.Is(err, ErrShardBatchAborted), "write %d: %v", i, err)
				if !tc.aborted[i] {
					require.ErrorIs(t, err, ErrConditionFailed)
				}
			}
			require.Contains(t, e.Error(), "shard batch not applied")
		})
	}
}

func TestShardBatchRequestValidate(t *testing.T) {
	create := func(wf, run string, rangeID int64) ShardWrite {
		return ShardWrite{Create: &CreateWorkflowExecutionRequest{ShardID: 1, RangeID: rangeID, NewWorkflow: runSnapshot("ns", wf, run)}}
	}
	update := func(wf, run string) ShardWrite {
		s := runSnapshot("ns", wf, run)
		return ShardWrite{Update: &UpdateWorkflowExecutionRequest{ShardID: 1, RangeID: 7, Workflow: s}}
	}
	big := create("wf-big-1", "r1", 7)
	big.Create.NewWorkflow.State.ExecutionInfo.WorkflowTypeName = strings.Repeat("x", MaxShardBatchBytes)
	big2 := create("wf-big-2", "r2", 7)
	many := make([]ShardWrite, MaxShardBatchWrites+1)
	for i := range many {
		many[i] = create(fmt.Sprintf("wf-%d", i), "r", 7)
	}
	for _, tc := range []struct {
		name   string
		writes []ShardWrite
		ok     bool
	}{
		{name: "Valid", writes: []ShardWrite{create("a", "r1", 7), update("b", "r2")}, ok: true},
		{name: "Empty"},
		{name: "BothSet", writes: []ShardWrite{{Create: create("a", "r1", 7).Create, Update: update("b", "r2").Update}}},
		{name: "NeitherSet", writes: []ShardWrite{{}}},
		{name: "OtherRange", writes: []ShardWrite{create("a", "r1", 6)}},
		{name: "SameWorkflowTwice", writes: []ShardWrite{create("a", "r1", 7), update("a", "r2")}},
		{name: "InvalidWrite", writes: []ShardWrite{create("", "r1", 7)}},
		{name: "OneLargeWriteAlone", writes: []ShardWrite{big}, ok: true},
		{name: "TooManyBytes", writes: []ShardWrite{big, big2}},
		{name: "TooManyWrites", writes: many},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := (&ShardBatchRequest{ShardID: 1, RangeID: 7, Writes: tc.writes}).Validate()
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Len(t, keys, len(tc.writes))
		})
	}
}
