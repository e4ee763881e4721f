package matching

import (
	"strings"
	"unicode/utf8"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// maxTaskQueueNameLength bounds task-queue names (bytes).
const maxTaskQueueNameLength = 1000

func invalidArgf(format string, args ...any) error {
	return serviceerror.NewInvalidArgumentf(format, args...)
}

func validateNamespaceID(id string) error {
	if id == "" {
		return invalidArgf("namespace_id is not set")
	}
	return nil
}

// partitionOf validates a task queue named by field and the partition asked
// for, and returns the partition's key and kind.
func partitionOf(field, namespaceID string, tq *taskqueuepb.TaskQueue, taskType enumspb.TaskQueueType, partition int32) (partitionKey, enumspb.TaskQueueKind, error) {
	if err := validateNamespaceID(namespaceID); err != nil {
		return partitionKey{}, 0, err
	}
	if tq == nil {
		return partitionKey{}, 0, invalidArgf("%s is not set", field)
	}
	name := tq.GetName()
	switch {
	case name == "":
		return partitionKey{}, 0, invalidArgf("%s.name is not set", field)
	case len(name) > maxTaskQueueNameLength:
		return partitionKey{}, 0, invalidArgf("%s.name is longer than %d bytes", field, maxTaskQueueNameLength)
	case !utf8.ValidString(name):
		return partitionKey{}, 0, invalidArgf("%s.name is not valid UTF-8", field)
	case strings.HasPrefix(name, partitionNamePrefix):
		return partitionKey{}, 0, invalidArgf("%s.name must not start with %q, which names task-queue partitions", field, partitionNamePrefix)
	}
	kind := tq.GetKind()
	switch kind {
	case enumspb.TASK_QUEUE_KIND_UNSPECIFIED:
		kind = enumspb.TASK_QUEUE_KIND_NORMAL
	case enumspb.TASK_QUEUE_KIND_NORMAL, enumspb.TASK_QUEUE_KIND_STICKY:
	default:
		return partitionKey{}, 0, invalidArgf("%s.kind %v is not supported", field, kind)
	}
	switch taskType {
	case enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY:
	default:
		return partitionKey{}, 0, invalidArgf("task queue type %v is not supported", taskType)
	}
	switch {
	case partition < 0 || partition >= MaxPartitions:
		return partitionKey{}, 0, invalidArgf("partition must be between 0 and %d, got %d", MaxPartitions-1, partition)
	case partition != 0 && kind == enumspb.TASK_QUEUE_KIND_STICKY:
		return partitionKey{}, 0, invalidArgf("partition must be 0 for a sticky task queue, got %d", partition)
	}
	return partitionKey{namespaceID: namespaceID, name: name, taskType: taskType, partition: partition}, kind, nil
}

// validateForwardedFrom checks the forwarded_from of a request for key: a
// forwarded request comes from a non-root partition and goes to the root.
func validateForwardedFrom(key partitionKey, kind enumspb.TaskQueueKind, from int32) error {
	switch {
	case from == 0:
		return nil
	case from < 0 || from >= MaxPartitions:
		return invalidArgf("forwarded_from must be between 1 and %d, got %d", MaxPartitions-1, from)
	case key.partition != 0 || kind != enumspb.TASK_QUEUE_KIND_NORMAL:
		return invalidArgf("forwarded_from is set (%d) but the request is not for the root partition of a normal task queue", from)
	}
	return nil
}

func validateExecution(ex *commonpb.WorkflowExecution) error {
	switch {
	case ex == nil:
		return invalidArgf("execution is not set")
	case ex.GetWorkflowId() == "":
		return invalidArgf("execution.workflow_id is not set")
	case ex.GetRunId() == "":
		return invalidArgf("execution.run_id is not set")
	}
	return nil
}

func validateScheduledEventID(id int64) error {
	if id <= 0 {
		return invalidArgf("scheduled_event_id must be positive, got %d", id)
	}
	return nil
}

func validateScheduleToStart(d *durationpb.Duration) error {
	if d == nil {
		return nil
	}
	if err := d.CheckValid(); err != nil {
		return invalidArgf("schedule_to_start_timeout is invalid: %v", err)
	}
	if d.AsDuration() < 0 {
		return invalidArgf("schedule_to_start_timeout must not be negative")
	}
	return nil
}
