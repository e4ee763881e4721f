package matching

import (
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/ring"
)

// A normal task queue has Config.PartitionCount(name) partitions, numbered
// from 0; a sticky queue has one. Partition 0 is the root. Each partition
// is its own taskQueueManager with its own lease and backlog, placed on a
// matching host by the ring (key: ring.TaskQueuePartitionKey). The matching
// router picks a partition for each Add and Poll, so a queue's load spreads
// over its partitions and their hosts.
//
// The partitions form a tree of two levels: every non-root partition's
// parent is the root. A task must not wait in one partition while a poller
// waits in another, so a non-root partition forwards to the root (through
// Deps.Forward) what it cannot match itself, as Temporal's matching does:
//
//   - an Add that finds no local poller and no local backlog is offered to
//     the root first (AddXTaskRequest.forwarded_from). The root hands it only
//     to a poller already waiting there and never stores it; if none takes
//     it, the forwarding partition writes it to its own backlog;
//   - a Poll that finds no local task is forwarded to the root
//     (PollXTaskQueueRequest.forwarded_from), where it waits like any poll,
//     at most Config.MaxForwardedPolls at a time per partition; the others
//     wait locally;
//   - buffered backlog tasks with no local poller are offered to the root
//     one at a time, as forwarded Adds, retried with a backoff from
//     Config.BacklogForwardInterval while the root has no poller.
//
// So the root's pollers are a meeting point for every partition: a task in
// any partition reaches a poller waiting in any other. The root itself
// never forwards. Legacy query tasks always go to the root.
//
// A non-root partition's backlog lives in the TaskStore under the name
// partitionNamePrefix + name + "/" + partition (Temporal's convention), so
// the root's backlog keeps the queue's own name and a queue that gains
// partitions keeps its existing backlog in the root.

// MaxPartitions bounds the partitions of a task queue.
const MaxPartitions = 1024

// partitionNamePrefix starts the stored names of non-root partitions. Task
// queues named by users may not start with it.
const partitionNamePrefix = "/_sys/"

// partitionKey names one task-queue partition.
type partitionKey struct {
	namespaceID string
	name        string // the task queue's name, as users know it
	taskType    enumspb.TaskQueueType
	partition   int32 // 0 is the root
}

// storedName is the name of k's backlog in the TaskStore.
func (k partitionKey) storedName() string {
	if k.partition == 0 {
		return k.name
	}
	return partitionNamePrefix + k.name + "/" + strconv.FormatInt(int64(k.partition), 10)
}

func (k partitionKey) storeKey() persistence.TaskQueueKey {
	return persistence.TaskQueueKey{NamespaceID: k.namespaceID, Name: k.storedName(), TaskType: int32(k.taskType)}
}

// ringKey is k's placement key on the matching ring.
func (k partitionKey) ringKey() string {
	return ring.TaskQueuePartitionKey(k.namespaceID, k.name, int32(k.taskType), k.partition)
}

func (k partitionKey) String() string { return k.ringKey() }
