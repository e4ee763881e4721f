package embedded

import (
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/persistence/persistencetest"
)

// walSyncs is how many WAL fsyncs the store has done.
func walSyncs(b *testing.B, s *persistence.Stores) uint64 {
	var m dto.Metric
	require.NoError(b, s.Shard.(*shardStore).d.pebble.Metrics().LogWriter.FsyncLatency.Write(&m))
	return m.GetHistogram().GetSampleCount()
}

// BenchmarkUpdateWorkflowExecution measures durable (fsynced) workflow
// updates on disk, all on one shard, each goroutine updating its own run
// with a transfer and a timer task. With more goroutines, pebble commits
// many updates per WAL fsync, so throughput grows while each update still
// waits for its own durability.
func BenchmarkUpdateWorkflowExecution(b *testing.B) {
	for _, goroutines := range []int{1, 8, 64, 256} {
		b.Run("goroutines="+strconv.Itoa(goroutines), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{})
			require.NoError(b, err)
			defer func() { require.NoError(b, s.Close()) }()
			ctx := b.Context()
			const shardID = 1
			_, err = s.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: shardID, RangeId: 1})
			require.NoError(b, err)

			procs := runtime.GOMAXPROCS(0)
			parallelism := max(1, (goroutines+procs-1)/procs)
			workers := parallelism * procs
			states := make([]*persistencepb.WorkflowMutableState, workers)
			for i := range states {
				states[i] = persistencetest.BenchState(i)
				require.NoError(b, s.Execution.CreateWorkflowExecution(ctx, &persistence.CreateWorkflowExecutionRequest{
					ShardID: shardID, RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: states[i]},
				}))
			}
			var (
				nextWorker atomic.Int64
				nextTask   atomic.Int64
			)
			update := func(st *persistencepb.WorkflowMutableState) {
				st.DbRecordVersion++
				st.NextEventId += 3
				id := nextTask.Add(2)
				err := s.Execution.UpdateWorkflowExecution(ctx, &persistence.UpdateWorkflowExecutionRequest{
					ShardID: shardID, RangeID: 1,
					Workflow: persistence.WorkflowSnapshot{State: st, Tasks: persistence.Tasks{
						persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {{
							Category: persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, Type: persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK,
							TaskId: id, NamespaceId: st.ExecutionInfo.NamespaceId, WorkflowId: st.ExecutionInfo.WorkflowId, RunId: st.ExecutionInfo.RunId,
						}},
						persistencepb.TaskCategory_TASK_CATEGORY_TIMER: {{
							Category: persistencepb.TaskCategory_TASK_CATEGORY_TIMER, Type: persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK_TIMEOUT,
							TaskId: id + 1, VisibilityTime: timestamppb.New(time.Unix(1e9+id, 0)),
							NamespaceId: st.ExecutionInfo.NamespaceId, WorkflowId: st.ExecutionInfo.WorkflowId, RunId: st.ExecutionInfo.RunId,
						}},
					}},
				})
				if err != nil {
					panic("benchmark update failed: " + err.Error())
				}
			}
			b.SetBytes(int64(proto.Size(states[0])))
			syncsBefore := walSyncs(b, s)
			b.ResetTimer()
			if goroutines == 1 {
				for b.Loop() {
					update(states[0])
				}
			} else {
				b.SetParallelism(parallelism)
				b.RunParallel(func(pb *testing.PB) {
					st := states[nextWorker.Add(1)-1]
					for pb.Next() {
						update(st)
					}
				})
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
			if syncs := walSyncs(b, s) - syncsBefore; syncs > 0 {
				b.ReportMetric(float64(b.N)/float64(syncs), "updates/fsync")
			}
		})
	}
}
