package temporalcli_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// taskQueueDescription is `task-queue describe`'s JSON answer (the CLI's
// own shape, not a proto message).
type taskQueueDescription struct {
	Pollers []struct {
		BuildID       string `json:"buildId"`
		TaskQueueType string `json:"taskQueueType"`
		Identity      string `json:"identity"`
	} `json:"pollers"`
	Stats []struct {
		BuildID                 string `json:"buildId"`
		TaskQueueType           string `json:"taskQueueType"`
		ApproximateBacklogCount int64  `json:"approximateBacklogCount"`
	} `json:"stats"`
}

// legacyTaskQueueDescription is `task-queue describe --legacy-mode`'s.
type legacyTaskQueueDescription struct {
	Pollers []struct {
		Identity string `json:"identity"`
	} `json:"pollers"`
	TaskQueues []struct {
		Partition        int   `json:"partition"`
		BacklogCountHint int64 `json:"backlog_count_hint"`
	} `json:"taskQueues"`
}

func TestTaskQueueDescribe(t *testing.T) {
	e := newEnv(t)
	e.startWorker()
	identity := workerIdentity

	// The worker polls both of its queue's task types.
	e.eventually("describe lists the worker polling both types", func() (bool, error) {
		var d taskQueueDescription
		err := e.tryJSON(&d, "task-queue", "describe", "-t", queue)
		types := map[string]bool{}
		for _, p := range d.Pollers {
			if p.Identity == identity {
				types[p.TaskQueueType] = true
			}
		}
		return types["workflow"] && types["activity"], err
	})

	// A queue nobody polls holds the workflow tasks of the runs started on it.
	for _, id := range []string{"idle-1", "idle-2"} {
		e.run("workflow", "start", "--type", "Anything", "-t", "idle", "-w", id)
	}
	var d taskQueueDescription
	e.runJSON(&d, "task-queue", "describe", "-t", "idle")
	require.Empty(t, d.Pollers)
	backlog := map[string]int64{}
	for _, s := range d.Stats {
		backlog[s.TaskQueueType] = s.ApproximateBacklogCount
	}
	require.Equal(t, map[string]int64{"workflow": 2, "activity": 0}, backlog)

	var legacy legacyTaskQueueDescription
	e.runJSON(&legacy, "task-queue", "describe", "-t", "idle", "--legacy-mode")
	require.Empty(t, legacy.Pollers)
	require.Len(t, legacy.TaskQueues, 1)
	require.Equal(t, int64(2), legacy.TaskQueues[0].BacklogCountHint)

	e.runJSON(&legacy, "task-queue", "describe", "-t", queue, "--legacy-mode")
	var identities []string
	for _, p := range legacy.Pollers {
		identities = append(identities, p.Identity)
	}
	require.Contains(t, identities, identity)
}
