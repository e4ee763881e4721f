package cassandra_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uber-go/tally/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/common/metrics"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/cassandra"
	"github.com/meridian-dev/meridian/persistence/cassandra/cassandratest"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
	"github.com/meridian-dev/meridian/persistence/persistencetest"
	schema "github.com/meridian-dev/meridian/schema/cassandra"
)

func TestRequiredSchemaVersionIsLatestMigration(t *testing.T) {
	latest, err := schema.LatestVersion()
	require.NoError(t, err)
	require.Equal(t, latest, cassandra.RequiredSchemaVersion,
		"a new migration in schema/cassandra: bump RequiredSchemaVersion (or explain why this build does not need it)")
}

func TestOpenRefusesMissingOrOldSchema(t *testing.T) {
	base := cassandratest.Config(t)

	// No keyspace at all.
	cfg := base
	cfg.Keyspace = cassandratest.RandomKeyspaceName(t)
	_, err := cassandra.Open(cfg, nil)
	var missing *cassandra.SchemaVersionError
	require.ErrorAs(t, err, &missing)
	require.True(t, missing.Missing)
	require.ErrorContains(t, err, "does not exist")
	require.ErrorContains(t, err, fmt.Sprintf("'meridian schema setup --hosts %s --port %d --keyspace %s'", base.Hosts[0], base.Port, cfg.Keyspace))

	// A keyspace without Meridian's tables: version 0.
	cassandratest.CreateKeyspace(t, cfg)
	_, err = cassandra.Open(cfg, nil)
	var old *cassandra.SchemaVersionError
	require.ErrorAs(t, err, &old)
	require.Equal(t, 0, old.Have)
	require.Equal(t, cassandra.RequiredSchemaVersion, old.Need)
	require.ErrorContains(t, err, fmt.Sprintf("needs schema version %d: run 'meridian schema setup", cassandra.RequiredSchemaVersion))

	// Bad config never connects.
	bad := base
	bad.Consistency = "SOMETIMES"
	_, err = cassandra.Open(bad, nil)
	require.ErrorContains(t, err, "Config.Consistency")
}

// counter reads a counter of the test scope by name and operation.
func counter(s tally.TestScope, name, op string) int64 {
	for _, c := range s.Snapshot().Counters() {
		if c.Name() == name && c.Tags()[metrics.OperationTag] == op {
			return c.Value()
		}
	}
	return 0
}

// TestLWTsPerWorkflow replays the transactions the history service makes
// for a workflow with one activity (services/history: start, then one
// update per workflow task started/completed and activity started/
// completed) and counts Cassandra LWTs with the backend's own metrics: one
// per transaction, plus the fence's single read of the current record per
// update. A conflict costs exactly one LWT more.
func TestLWTsPerWorkflow(t *testing.T) {
	cfg := cassandratest.NewKeyspace(t, cassandratest.Config(t))
	scope := tally.NewTestScope("", nil)
	cfg.Metrics = scope
	s := openT(t, cfg)
	ctx := t.Context()
	const shardID = 7
	_, err := s.Shard.GetOrCreateShard(ctx, &persistencepb.ShardInfo{ShardId: shardID, RangeId: 1})
	require.NoError(t, err)

	st := persistencetest.BenchState(1)
	require.NoError(t, s.Execution.CreateWorkflowExecution(ctx, &persistence.CreateWorkflowExecutionRequest{
		ShardID: shardID, RangeID: 1, Mode: persistence.CreateModeBrandNew,
		NewWorkflow: persistence.WorkflowSnapshot{State: st, Tasks: persistence.Tasks{
			persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER:   {benchTask(st, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, 1)},
			persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY: {benchTask(st, persistencepb.TaskCategory_TASK_CATEGORY_VISIBILITY, 2)},
		}},
	}))
	// Workflow task started, completed (schedules the activity), activity
	// started, completed, workflow task started, completed (closes the run).
	const updates = 6
	for i := range updates {
		st = proto.Clone(st).(*persistencepb.WorkflowMutableState)
		st.DbRecordVersion++
		st.NextEventId += 2
		if i == updates-1 {
			st.ExecutionState = &persistencepb.ExecutionState{State: persistencepb.WorkflowState_WORKFLOW_STATE_COMPLETED, Status: enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED}
			st.ExecutionInfo.CloseTime = timestamppb.New(st.ExecutionInfo.StartTime.AsTime())
		}
		require.NoError(t, s.Execution.UpdateWorkflowExecution(ctx, &persistence.UpdateWorkflowExecutionRequest{
			ShardID: shardID, RangeID: 1, Workflow: persistence.WorkflowSnapshot{State: st, Tasks: persistence.Tasks{
				persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER: {benchTask(st, persistencepb.TaskCategory_TASK_CATEGORY_TRANSFER, int64(10+i))},
				persistencepb.TaskCategory_TASK_CATEGORY_TIMER:    {benchTask(st, persistencepb.TaskCategory_TASK_CATEGORY_TIMER, int64(20+i))},
			}},
		}))
	}
	cur, err := s.Execution.GetCurrentExecution(ctx, shardID, st.ExecutionInfo.NamespaceId, st.ExecutionInfo.WorkflowId)
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, cur.Status)

	require.Equal(t, int64(1), counter(scope, "persistence_cassandra_lwt", "CreateWorkflowExecution"))
	require.Equal(t, int64(1), counter(scope, "persistence_cassandra_requests", "CreateWorkflowExecution"))
	require.Equal(t, int64(updates), counter(scope, "persistence_cassandra_lwt", "UpdateWorkflowExecution"))
	require.Equal(t, int64(2*updates), counter(scope, "persistence_cassandra_requests", "UpdateWorkflowExecution"), "one read of the current record and one LWT per update")
	require.Zero(t, counter(scope, "persistence_cassandra_lwt_not_applied", "UpdateWorkflowExecution"))

	// A stale writer costs one LWT, not applied, and nothing else.
	stale := proto.Clone(st).(*persistencepb.WorkflowMutableState)
	err = s.Execution.UpdateWorkflowExecution(ctx, &persistence.UpdateWorkflowExecutionRequest{
		ShardID: shardID, RangeID: 1, Workflow: persistence.WorkflowSnapshot{State: stale},
	})
	require.ErrorIs(t, err, persistence.ErrConditionFailed)
	require.Equal(t, int64(updates+1), counter(scope, "persistence_cassandra_lwt", "UpdateWorkflowExecution"))
	require.Equal(t, int64(1), counter(scope, "persistence_cassandra_lwt_not_applied", "UpdateWorkflowExecution"))
	require.Zero(t, counter(scope, "persistence_cassandra_errors", "UpdateWorkflowExecution"), "a lost condition is not an error")

	// History appends and visibility are plain writes.
	require.Zero(t, counter(scope, "persistence_cassandra_lwt", "AppendHistoryNodes"))
}
