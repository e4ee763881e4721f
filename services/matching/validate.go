package matching

import (
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

// partitionOf validates a task queue named by field and returns its
// partition key and kind.
func partitionOf(field, namespaceID string, tq *taskqueuepb.TaskQueue, taskType enumspb.TaskQueueType) (partitionKey, enumspb.TaskQueueKind, error) {
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
	return partitionKey{namespaceID: namespaceID, name: name, taskType: taskType}, kind, nil
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
