package persistencetest

import (
	"fmt"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// BenchState is run i of the backends' benchmarks: a mid-sized run with a
// few activities and timers, ~1.5 KB, at db_record_version 1. Every backend
// benchmarks the same shape so that their numbers compare.
func BenchState(i int) *persistencepb.WorkflowMutableState {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	st := &persistencepb.WorkflowMutableState{
		ExecutionInfo: &persistencepb.WorkflowExecutionInfo{
			NamespaceId:      "bench-namespace-id",
			WorkflowId:       "bench-workflow-" + strconv.Itoa(i),
			RunId:            fmt.Sprintf("run-%08d-0000-0000-0000-000000000000", i),
			WorkflowTypeName: "BenchWorkflow",
			TaskQueue:        "bench-queue",
			StartTime:        timestamppb.New(start),
			CreateRequestId:  "request",
			VersionHistories: &persistencepb.VersionHistories{Histories: []*persistencepb.VersionHistory{{
				BranchToken: make([]byte, 64),
				Items:       []*persistencepb.VersionHistoryItem{{EventId: 10, Version: 1}},
			}}},
		},
		ExecutionState: &persistencepb.ExecutionState{
			State:  persistencepb.WorkflowState_WORKFLOW_STATE_RUNNING,
			Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
		},
		NextEventId:     11,
		ActivityInfos:   map[int64]*persistencepb.ActivityInfo{},
		TimerInfos:      map[string]*persistencepb.TimerInfo{},
		DbRecordVersion: 1,
	}
	for a := int64(0); a < 5; a++ {
		st.ActivityInfos[a+5] = &persistencepb.ActivityInfo{
			ScheduledEventId: a + 5, ActivityId: "activity-" + strconv.Itoa(int(a)), ActivityType: "BenchActivity",
			TaskQueue: "bench-queue", ScheduledTime: timestamppb.New(start), Attempt: 1,
		}
		st.TimerInfos["timer-"+strconv.Itoa(int(a))] = &persistencepb.TimerInfo{
			TimerId: "timer-" + strconv.Itoa(int(a)), StartedEventId: a + 2, ExpiryTime: timestamppb.New(start.Add(time.Hour)),
		}
	}
	return st
}
