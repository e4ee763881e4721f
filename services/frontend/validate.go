package frontend

import (
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The validator checks requests against the configured limits. Its methods
// are pure: they read the request and the config, do no I/O, never modify
// the request, and return nil or a serviceerror.InvalidArgument whose
// message names the offending field (in the proto's Go spelling, as
// Temporal does: "WorkflowId is not set on request.").
//
// Requests are validated before anything is looked up, so a malformed
// request gets InvalidArgument even when its namespace does not exist.

// Messages shared by several requests. Wording follows Temporal's frontend
// where one exists, so error-matching tools keep working.
const (
	msgBlobSizeExceeded      = "Blob data size exceeds limit."
	msgInvalidRunID          = "Invalid RunId."
	msgDeserializingToken    = "Error deserializing task token."
	msgTokenNamespace        = "Operation requested with a token from a different namespace."
	msgRequestNil            = "Request is not set."
	msgReservedTaskQueuePref = "/_sys/"
)

// validator carries the limits; onWarn, when set, is told about blobs that
// pass but exceed the warn level.
type validator struct {
	cfg    Config
	onWarn func(field string, size, limit int)
}

func invalidArgf(format string, args ...any) error {
	return serviceerror.NewInvalidArgument(fmt.Sprintf(format, args...))
}

// namespacedRequest is a request made in one namespace.
type namespacedRequest interface {
	proto.Message
	GetNamespace() string
}

// request checks what every namespaced request starts with: that it is
// set (a nil *Request in r counts as unset) and names a namespace.
func (v validator) request(r namespacedRequest) error {
	if !r.ProtoReflect().IsValid() {
		return invalidArgf(msgRequestNil)
	}
	return v.namespace(r.GetNamespace())
}

// required checks that a string field is set and within MaxIDLength.
func (v validator) required(field, value string) error {
	if value == "" {
		return invalidArgf("%s is not set on request.", field)
	}
	return v.length(field, value)
}

// length checks an optional string field against MaxIDLength.
func (v validator) length(field, value string) error {
	if len(value) > v.cfg.MaxIDLength {
		return invalidArgf("%s exceeds length limit of %d bytes.", field, v.cfg.MaxIDLength)
	}
	return nil
}

// namespace checks the namespace name of a request.
func (v validator) namespace(name string) error { return v.required("Namespace", name) }

// runID checks an optional run ID: empty, or a UUID.
func (v validator) runID(field, runID string) error {
	if runID == "" {
		return nil
	}
	if !isUUID(runID) {
		if field == "RunId" {
			return serviceerror.NewInvalidArgument(msgInvalidRunID)
		}
		return invalidArgf("Invalid %s.", field)
	}
	return nil
}

// execution checks a WorkflowExecution field: present, workflow ID set,
// run ID empty or a UUID.
func (v validator) execution(field string, e *commonpb.WorkflowExecution) error {
	if e == nil {
		return invalidArgf("%s is not set on request.", field)
	}
	if err := v.required("WorkflowId", e.GetWorkflowId()); err != nil {
		return err
	}
	return v.runID("RunId", e.GetRunId())
}

// taskQueue checks a task queue: present, named, within the length limit,
// not reserved, of a known kind.
func (v validator) taskQueue(tq *taskqueuepb.TaskQueue) error {
	if tq == nil || tq.GetName() == "" {
		return serviceerror.NewInvalidArgument("TaskQueue is not set on request.")
	}
	if err := v.length("TaskQueue", tq.GetName()); err != nil {
		return err
	}
	if strings.HasPrefix(tq.GetName(), msgReservedTaskQueuePref) {
		return invalidArgf("TaskQueue name must not start with the reserved prefix %q.", msgReservedTaskQueuePref)
	}
	if !validEnum(enumspb.TaskQueueKind_name, int32(tq.GetKind())) {
		return invalidArgf("Invalid TaskQueue.Kind: %d.", tq.GetKind())
	}
	if err := v.length("TaskQueue.NormalName", tq.GetNormalName()); err != nil {
		return err
	}
	return nil
}

// duration checks an optional duration: well-formed and not negative.
func (v validator) duration(field string, d *durationpb.Duration) error {
	if d == nil {
		return nil
	}
	if err := d.CheckValid(); err != nil {
		return invalidArgf("Invalid %s: %v.", field, err)
	}
	if d.AsDuration() < 0 {
		return invalidArgf("Invalid %s: %v is negative.", field, d.AsDuration())
	}
	return nil
}

// blob checks the encoded size of a payload-carrying message (Payloads,
// Payload, Header, Failure...) against the blob limits.
func (v validator) blob(field string, m proto.Message) error {
	if m == nil {
		return nil
	}
	size := proto.Size(m)
	if size > v.cfg.BlobSizeLimitError {
		return invalidArgf("%s %s is %d bytes; the limit is %d.", msgBlobSizeExceeded, field, size, v.cfg.BlobSizeLimitError)
	}
	if size > v.cfg.BlobSizeLimitWarn && v.onWarn != nil {
		v.onWarn(field, size, v.cfg.BlobSizeLimitWarn)
	}
	return nil
}

// payloads checks a Payloads field; a nil pointer is fine.
func (v validator) payloads(field string, p *commonpb.Payloads) error {
	if p == nil {
		return nil
	}
	return v.blob(field, p)
}

func (v validator) header(h *commonpb.Header) error {
	if h == nil {
		return nil
	}
	return v.blob("Header", h)
}

func (v validator) failure(field string, f *failurepb.Failure) error {
	if f == nil {
		return nil
	}
	return v.blob(field, f)
}

func (v validator) memo(m *commonpb.Memo) error {
	if m == nil {
		return nil
	}
	size := proto.Size(m)
	if size > v.cfg.MemoSizeLimitError {
		return invalidArgf("Memo size exceeds limit: %d bytes; the limit is %d.", size, v.cfg.MemoSizeLimitError)
	}
	if size > v.cfg.MemoSizeLimitWarn && v.onWarn != nil {
		v.onWarn("Memo", size, v.cfg.MemoSizeLimitWarn)
	}
	return nil
}

func (v validator) userMetadata(m interface {
	GetSummary() *commonpb.Payload
	GetDetails() *commonpb.Payload
}) error {
	if err := v.payload("UserMetadata.Summary", m.GetSummary()); err != nil {
		return err
	}
	return v.payload("UserMetadata.Details", m.GetDetails())
}

func (v validator) payload(field string, p *commonpb.Payload) error {
	if p == nil {
		return nil
	}
	return v.blob(field, p)
}

// retryPolicy checks a retry policy the way Temporal does: non-negative
// intervals and attempts, a backoff coefficient of at least 1 when set, a
// maximum interval no shorter than the initial one, no blank error types.
func (v validator) retryPolicy(p *commonpb.RetryPolicy) error {
	if p == nil {
		return nil
	}
	if err := v.duration("RetryPolicy.InitialInterval", p.GetInitialInterval()); err != nil {
		return err
	}
	if err := v.duration("RetryPolicy.MaximumInterval", p.GetMaximumInterval()); err != nil {
		return err
	}
	if c := p.GetBackoffCoefficient(); c != 0 && !(c >= 1) {
		return invalidArgf("Invalid RetryPolicy.BackoffCoefficient: %v; it must be at least 1.", c)
	}
	if p.GetMaximumAttempts() < 0 {
		return invalidArgf("Invalid RetryPolicy.MaximumAttempts: %d is negative.", p.GetMaximumAttempts())
	}
	initial, maxInterval := p.GetInitialInterval().AsDuration(), p.GetMaximumInterval().AsDuration()
	if maxInterval > 0 && maxInterval < initial {
		return invalidArgf("Invalid RetryPolicy.MaximumInterval: %v is less than InitialInterval %v.", maxInterval, initial)
	}
	for _, t := range p.GetNonRetryableErrorTypes() {
		if strings.TrimSpace(t) == "" {
			return serviceerror.NewInvalidArgument("Invalid RetryPolicy.NonRetryableErrorTypes: blank error type.")
		}
	}
	return nil
}

// pageSize checks a requested page size: not negative.
func (v validator) pageSize(field string, n int32) error {
	if n < 0 {
		return invalidArgf("Invalid %s: %d is negative.", field, n)
	}
	return nil
}

// enumValue checks that an enum field holds a value the API defines.
func enumValue[E ~int32](field string, names map[int32]string, e E) error {
	if !validEnum(names, int32(e)) {
		return invalidArgf("Invalid %s: %d.", field, int32(e))
	}
	return nil
}

func validEnum(names map[int32]string, v int32) bool {
	_, ok := names[v]
	return ok
}
