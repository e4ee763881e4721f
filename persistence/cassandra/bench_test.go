package cassandra_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/common/metrics"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/persistence/persistencetest"
)

// benchTask is a history task of st's run.
func benchTask(st *persistencepb.WorkflowMutableState, c persistencepb.TaskCategory, id int64) *persistencepb.HistoryTask {
	return &persistencepb.HistoryTask{
		Category: c, Type: persistencepb.TaskType_TASK_TYPE_WORKFLOW_TASK, TaskId: id,
		VisibilityTime: timestamppb.New(time.Unix(1e9+id, 0)),
		NamespaceId:    st.ExecutionInfo.NamespaceId, WorkflowId: st.ExecutionInfo.WorkflowId, RunId: st.ExecutionInfo.RunId,
	}
}

// timerValues returns the values recorded by a timer of the scope.
func timerValues(s tally.TestScope, name, op string) []time.Duration {
	for _, tm := range s.Snapshot().Timers() {
		if tm.Name() == name && tm.Tags()[metrics.OperationTag] == op {
			return slices.Clone(tm.Values())
		}
	}
	return nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// BenchmarkUpdateWorkflowExecution measures workflow updates (the state,
// a transfer and a timer task: one read of the current record plus one
// conditional batch) on a real Cassandra. Every goroutine updates its own
// run; "shards" says over how many shards they are spread. Paxos orders
// LWTs per partition, so writers of one shard contend, writers of different
// shards do not. It reports the LWT latency percentiles from the backend's
// persistence_cassandra_lwt_latency timer.
func BenchmarkUpdateWorkflowExecution(b *testing.B) {
	base := cassandratest.NewKeyspace(b, cassandratest.Config(b))
	round := 0 // -count and sub-benchmarks share the keyspace: fresh IDs each time
	for _, c := range []struct{ shards, goroutines int }{{1, 1}, {1, 8}, {8, 8}, {32, 32}} {
		b.Run(fmt.Sprintf("shards=%d/goroutines=%d", c.shards, c.goroutines), func(b *testing.B) {
			round++
			cfg := base
			scope := tally.NewTestScope("", nil)
			cfg.Metrics = scope
			s := openT(b, cfg)
			ctx := b.Context()
			shardOf := func(g int) int32 { return int32(1000*round + g%c.shards) }
			for i := range c.shards {
				_, err := s.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: shardOf(i), RangeId: 1})
				require.NoError(b, err)
			}
			states := make([]*persistencepb.WorkflowMutableState, c.goroutines)
			for g := range states {
				states[g] = persistencetest.BenchState(1000*round + g)
				require.NoError(b, s.Execution.CreateWorkflowExecution(ctx, &persistence.CreateWorkflowExecutionRequest{
					ShardID: shardOf(g), RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: states[g]},
				}))
			}
			// Start counting from here.
			scope = tally.NewTestScope("", nil)
			cfg.Metrics = scope
			s = openT(b, cfg)

			var (
				mu     sync.Mutex
				taskID int64
				next   = func() int64 { mu.Lock(); defer mu.Unlock(); taskID += 2; return taskID }
			)
			update := func(g int) error {
				st := proto.Clone(states[g]).(*persistencepb.WorkflowMutableState)
				st.DbRecordVersion++
				st.NextEventId += 3
				id := next()
				err := s.Execution.UpdateWorkflowExecution(ctx, &persistence.UpdateWorkflowExecutionRequest{
					ShardID: shardOf(g), RangeID: 1,
					Workflow: persistence.WorkflowSnapshot{State: st, Tasks: persistence.Tasks{
						persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {benchTask(st, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, id)},
						persistencepb.TaskCategory_TASK_CATEGORY_TIMER:    {benchTask(st, persistencepb.TaskCategory_TASK_CATEGORY_TIMER, id+1)},
					}},
				})
				if err == nil {
					states[g] = st
				}
				return err
			}
			b.SetBytes(int64(proto.Size(states[0])))
			b.ResetTimer()
			var (
				wg   sync.WaitGroup
				work = make(chan struct{})
				errs = make([]error, c.goroutines)
			)
			for g := range c.goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						if errs[g] == nil {
							errs[g] = update(g)
						}
					}
				}()
			}
			for b.Loop() {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
			b.StopTimer()
			for g, err := range errs {
				require.NoError(b, err, "goroutine %d", g)
			}
			lat := timerValues(scope, "persistence_cassandra_lwt_latency", "UpdateWorkflowExecution")
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
			b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "lwt-p50-ms")
			b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "lwt-p99-ms")
			b.ReportMetric(float64(counter(scope, "persistence_cassandra_lwt", "UpdateWorkflowExecution"))/float64(b.N), "lwt/op")
		})
	}
}

// BenchmarkShardWriters measures how many workflow updates one shard takes
// (each the state, a transfer and a timer task), written one per LWT by
// several goroutines at once ("single", the writes contend in Paxos) or
// written as WriteShardBatch batches of "batch" updates of different runs
// by one goroutine (what the history service's group commit sends: one
// LWT in flight per shard). It reports updates/s, LWTs per update and the
// LWT latency percentiles.
func BenchmarkShardWriters(b *testing.B) {
	base := cassandratest.NewKeyspace(b, cassandratest.Config(b))
	round := 0
	for _, c := range []struct {
		mode              string
		goroutines, batch int
	}{
		{"single", 1, 1}, {"single", 8, 1}, {"single", 32, 1},
		{"batch", 1, 8}, {"batch", 1, 32},
	} {
		b.Run(fmt.Sprintf("%s/goroutines=%d/batch=%d", c.mode, c.goroutines, c.batch), func(b *testing.B) {
			round++
			cfg := base
			scope := tally.NewTestScope("", nil)
			cfg.Metrics = scope
			s := openT(b, cfg)
			ctx := b.Context()
			shard := int32(5000 + round)
			_, err := s.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: shard, RangeId: 1})
			require.NoError(b, err)
			runs := c.goroutines * c.batch
			states := make([]*persistencepb.WorkflowMutableState, runs)
			for i := range states {
				states[i] = persistencetest.BenchState(100000*round + i)
				require.NoError(b, s.Execution.CreateWorkflowExecution(ctx, &persistence.CreateWorkflowExecutionRequest{
					ShardID: shard, RangeID: 1, NewWorkflow: persistence.WorkflowSnapshot{State: states[i]},
				}))
			}
			scope = tally.NewTestScope("", nil)
			cfg.Metrics = scope
			s = openT(b, cfg)

			var (
				mu     sync.Mutex
				taskID int64
				next   = func() int64 { mu.Lock(); defer mu.Unlock(); taskID += 2; return taskID }
			)
			// write updates runs [g*batch, (g+1)*batch) in one store call.
			write := func(g int) error {
				writes := make([]persistence.ShardWrite, c.batch)
				sts := make([]*persistencepb.WorkflowMutableState, c.batch)
				for j := range writes {
					st := proto.Clone(states[g*c.batch+j]).(*persistencepb.WorkflowMutableState)
					st.DbRecordVersion++
					st.NextEventId += 3
					id := next()
					sts[j] = st
					writes[j].Update = &persistence.UpdateWorkflowExecutionRequest{
						ShardID: shard, RangeID: 1,
						Workflow: persistence.WorkflowSnapshot{State: st, Tasks: persistence.Tasks{
							persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {benchTask(st, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, id)},
							persistencepb.TaskCategory_TASK_CATEGORY_TIMER:    {benchTask(st, persistencepb.TaskCategory_TASK_CATEGORY_TIMER, id+1)},
						}},
					}
				}
				var err error
				if c.mode == "single" {
					err = s.Execution.UpdateWorkflowExecution(ctx, writes[0].Update)
				} else {
					err = s.Execution.WriteShardBatch(ctx, &persistence.ShardBatchRequest{ShardID: shard, RangeID: 1, Writes: writes})
				}
				if err == nil {
					copy(states[g*c.batch:], sts)
				}
				return err
			}
			b.ResetTimer()
			var (
				wg   sync.WaitGroup
				work = make(chan struct{})
				errs = make([]error, c.goroutines)
			)
			for g := range c.goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						if errs[g] == nil {
							errs[g] = write(g)
						}
					}
				}()
			}
			for b.Loop() {
				work <- struct{}{}
			}
			close(work)
			wg.Wait()
			b.StopTimer()
			for g, err := range errs {
				require.NoError(b, err, "goroutine %d", g)
			}
			op := "UpdateWorkflowExecution"
			if c.mode == "batch" {
				op = "WriteShardBatch"
			}
			updates := float64(b.N * c.batch)
			lat := timerValues(scope, "persistence_cassandra_lwt_latency", op)
			slices.Sort(lat)
			b.ReportMetric(updates/b.Elapsed().Seconds(), "updates/s")
			b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "lwt-p50-ms")
			b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "lwt-p99-ms")
			b.ReportMetric(float64(counter(scope, "persistence_cassandra_lwt", op))/updates, "lwt/update")
		})
	}
}
