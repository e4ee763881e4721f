package frontend

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	querypb "go.temporal.io/api/query/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// vcase is one row of a validation table: mutate a valid request, expect
// InvalidArgument whose message contains want ("" = valid).
type vcase[R any] struct {
	name   string
	mutate func(r R)
	want   string
}

func runValidation[R any](t *testing.T, base func() R, check func(R) error, cases []vcase[R]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := base()
			if c.mutate != nil {
				c.mutate(r)
			}
			requireInvalid(t, check(r), c.want)
		})
	}
}

// requireInvalid checks err is nil (want == "") or an InvalidArgument whose
// message contains want.
func requireInvalid(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		require.NoError(t, err)
		return
	}
	require.Error(t, err)
	var ia *serviceerror.InvalidArgument
	require.ErrorAs(t, err, &ia, "want InvalidArgument, got %T: %v", err, err)
	require.Contains(t, ia.Message, want)
}

var tv = validator{cfg: DefaultConfig()}

const (
	twoMiB     = 2 << 20
	longString = "x"
)

func long(n int) string { return strings.Repeat(longString, n) }

func payloadsOf(n int) *commonpb.Payloads {
	return &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: make([]byte, n)}}}
}

func payloadOf(n int) *commonpb.Payload { return &commonpb.Payload{Data: make([]byte, n)} }

func failureOf(n int) *failurepb.Failure { return &failurepb.Failure{Message: long(n)} }

func jsonPayload(data string, typ string) *commonpb.Payload {
	md := map[string][]byte{"encoding": []byte("json/plain")}
	if typ != "" {
		md["type"] = []byte(typ)
	}
	return &commonpb.Payload{Metadata: md, Data: []byte(data)}
}

func neg(d time.Duration) *durationpb.Duration { return durationpb.New(-d) }

// badDuration has nanos out of range.
func badDuration() *durationpb.Duration { return &durationpb.Duration{Seconds: 1, Nanos: 2e9} }

func validStart() *workflowservice.StartWorkflowExecutionRequest {
	return &workflowservice.StartWorkflowExecutionRequest{
		Namespace:                "default",
		WorkflowId:               "wf-1",
		WorkflowType:             &commonpb.WorkflowType{Name: "OrderWorkflow"},
		TaskQueue:                &taskqueuepb.TaskQueue{Name: "orders", Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:                    payloadsOf(100),
		WorkflowExecutionTimeout: durationpb.New(time.Hour),
		WorkflowRunTimeout:       durationpb.New(time.Hour),
		WorkflowTaskTimeout:      durationpb.New(10 * time.Second),
		Identity:                 "worker@host",
		RequestId:                "req-1",
		WorkflowIdReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIdConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		RetryPolicy: &commonpb.RetryPolicy{
			InitialInterval:        durationpb.New(time.Second),
			BackoffCoefficient:     2,
			MaximumInterval:        durationpb.New(time.Minute),
			MaximumAttempts:        5,
			NonRetryableErrorTypes: []string{"BadInput"},
		},
		Memo:             &commonpb.Memo{Fields: map[string]*commonpb.Payload{"note": payloadOf(10)}},
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"CustomKeywordField": jsonPayload(`"a"`, "Keyword")}},
		Header:           &commonpb.Header{Fields: map[string]*commonpb.Payload{"trace": payloadOf(10)}},
		UserMetadata:     &sdkpb.UserMetadata{Summary: payloadOf(10)},
	}
}

func TestValidateStartWorkflowExecution(t *testing.T) {
	type R = *workflowservice.StartWorkflowExecutionRequest
	manySA := func(n, size int) *commonpb.SearchAttributes {
		sa := &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{}}
		for i := 0; i < n; i++ {
			sa.IndexedFields[long(i+1)] = payloadOf(size)
		}
		return sa
	}
	runValidation(t, validStart, tv.startWorkflowExecution, []vcase[R]{
		{name: "valid", want: ""},
		{name: "minimal", mutate: func(r R) {
			*r = workflowservice.StartWorkflowExecutionRequest{Namespace: "n", WorkflowId: "w", WorkflowType: &commonpb.WorkflowType{Name: "t"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}}
		}, want: ""},
		{name: "zero retry policy", mutate: func(r R) { r.RetryPolicy = &commonpb.RetryPolicy{} }, want: ""},
		{name: "sticky kind", mutate: func(r R) { r.TaskQueue.Kind = enumspb.TASK_QUEUE_KIND_STICKY }, want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "long namespace", mutate: func(r R) { r.Namespace = long(1001) }, want: "Namespace exceeds length limit"},
		{name: "no workflow id", mutate: func(r R) { r.WorkflowId = "" }, want: "WorkflowId is not set on request."},
		{name: "id at limit", mutate: func(r R) { r.WorkflowId = long(1000) }, want: ""},
		{name: "long workflow id", mutate: func(r R) { r.WorkflowId = long(1001) }, want: "WorkflowId exceeds length limit of 1000 bytes."},
		{name: "no workflow type", mutate: func(r R) { r.WorkflowType = nil }, want: "WorkflowType is not set on request."},
		{name: "empty workflow type", mutate: func(r R) { r.WorkflowType.Name = "" }, want: "WorkflowType is not set on request."},
		{name: "long workflow type", mutate: func(r R) { r.WorkflowType.Name = long(1001) }, want: "WorkflowType exceeds length limit"},
		{name: "no task queue", mutate: func(r R) { r.TaskQueue = nil }, want: "TaskQueue is not set on request."},
		{name: "empty task queue", mutate: func(r R) { r.TaskQueue.Name = "" }, want: "TaskQueue is not set on request."},
		{name: "long task queue", mutate: func(r R) { r.TaskQueue.Name = long(1001) }, want: "TaskQueue exceeds length limit"},
		{name: "reserved task queue", mutate: func(r R) { r.TaskQueue.Name = "/_sys/x" }, want: "TaskQueue name must not start with the reserved prefix"},
		{name: "bad task queue kind", mutate: func(r R) { r.TaskQueue.Kind = 42 }, want: "Invalid TaskQueue.Kind: 42."},
		{name: "long normal name", mutate: func(r R) { r.TaskQueue.NormalName = long(1001) }, want: "TaskQueue.NormalName exceeds length limit"},
		{name: "long request id", mutate: func(r R) { r.RequestId = long(1001) }, want: "RequestId exceeds length limit"},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "negative execution timeout", mutate: func(r R) { r.WorkflowExecutionTimeout = neg(time.Second) }, want: "Invalid WorkflowExecutionTimeout: -1s is negative."},
		{name: "negative run timeout", mutate: func(r R) { r.WorkflowRunTimeout = neg(time.Second) }, want: "Invalid WorkflowRunTimeout"},
		{name: "negative task timeout", mutate: func(r R) { r.WorkflowTaskTimeout = neg(time.Second) }, want: "Invalid WorkflowTaskTimeout"},
		{name: "malformed task timeout", mutate: func(r R) { r.WorkflowTaskTimeout = badDuration() }, want: "Invalid WorkflowTaskTimeout"},
		{name: "negative start delay", mutate: func(r R) { r.WorkflowStartDelay = neg(time.Second) }, want: "Invalid WorkflowStartDelay"},
		{name: "cron with start delay", mutate: func(r R) { r.CronSchedule = "* * * * *"; r.WorkflowStartDelay = durationpb.New(time.Second) }, want: "CronSchedule and WorkflowStartDelay may not be used together."},
		{name: "cron alone", mutate: func(r R) { r.CronSchedule = "* * * * *" }, want: ""},
		{name: "long cron", mutate: func(r R) { r.CronSchedule = long(1001) }, want: "CronSchedule exceeds length limit"},
		{name: "invalid cron", mutate: func(r R) { r.CronSchedule = "every day" }, want: "Invalid CronSchedule"},
		{name: "cron out of range", mutate: func(r R) { r.CronSchedule = "0 25 * * *" }, want: "Invalid CronSchedule"},
		{name: "cron descriptor", mutate: func(r R) { r.CronSchedule = "@every 1s" }, want: ""},
		{name: "bad reuse policy", mutate: func(r R) { r.WorkflowIdReusePolicy = 99 }, want: "Invalid WorkflowIdReusePolicy: 99."},
		{name: "bad conflict policy", mutate: func(r R) { r.WorkflowIdConflictPolicy = 99 }, want: "Invalid WorkflowIdConflictPolicy: 99."},
		{name: "terminate-if-running with conflict policy", mutate: func(r R) {
			r.WorkflowIdReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING //nolint:staticcheck // deprecated but still accepted from older clients
		}, want: "WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING cannot be used together with a WorkflowIdConflictPolicy"},
		{name: "terminate-if-running alone", mutate: func(r R) {
			r.WorkflowIdReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING //nolint:staticcheck // deprecated but still accepted from older clients
			r.WorkflowIdConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED
		}, want: ""},
		{name: "retry negative initial", mutate: func(r R) { r.RetryPolicy.InitialInterval = neg(time.Second) }, want: "Invalid RetryPolicy.InitialInterval"},
		{name: "retry negative maximum", mutate: func(r R) { r.RetryPolicy.MaximumInterval = neg(time.Second) }, want: "Invalid RetryPolicy.MaximumInterval"},
		{name: "retry coefficient below 1", mutate: func(r R) { r.RetryPolicy.BackoffCoefficient = 0.5 }, want: "Invalid RetryPolicy.BackoffCoefficient: 0.5; it must be at least 1."},
		{name: "retry coefficient negative", mutate: func(r R) { r.RetryPolicy.BackoffCoefficient = -2 }, want: "Invalid RetryPolicy.BackoffCoefficient"},
		{name: "retry coefficient exactly 1", mutate: func(r R) { r.RetryPolicy.BackoffCoefficient = 1 }, want: ""},
		{name: "retry negative attempts", mutate: func(r R) { r.RetryPolicy.MaximumAttempts = -1 }, want: "Invalid RetryPolicy.MaximumAttempts: -1 is negative."},
		{name: "retry maximum below initial", mutate: func(r R) { r.RetryPolicy.MaximumInterval = durationpb.New(time.Millisecond) }, want: "Invalid RetryPolicy.MaximumInterval: 1ms is less than InitialInterval 1s."},
		{name: "retry blank error type", mutate: func(r R) { r.RetryPolicy.NonRetryableErrorTypes = []string{" "} }, want: "Invalid RetryPolicy.NonRetryableErrorTypes: blank error type."},
		{name: "input at limit", mutate: func(r R) { r.Input = payloadsOf(twoMiB - 16) }, want: ""},
		{name: "input too large", mutate: func(r R) { r.Input = payloadsOf(twoMiB) }, want: "Blob data size exceeds limit. Input is"},
		{name: "memo too large", mutate: func(r R) { r.Memo.Fields["big"] = payloadOf(twoMiB) }, want: "Memo size exceeds limit"},
		{name: "header too large", mutate: func(r R) { r.Header.Fields["big"] = payloadOf(twoMiB) }, want: "Blob data size exceeds limit. Header is"},
		{name: "too many search attributes", mutate: func(r R) { r.SearchAttributes = manySA(101, 1) }, want: "Number of search attributes 101 exceeds limit 100."},
		{name: "search attribute value too large", mutate: func(r R) { r.SearchAttributes = manySA(1, 3000) }, want: "Search attribute x value size"},
		{name: "search attributes too large in total", mutate: func(r R) { r.SearchAttributes = manySA(25, 1900) }, want: "Total size of search attributes"},
		{name: "search attribute empty name", mutate: func(r R) { r.SearchAttributes.IndexedFields[""] = payloadOf(1) }, want: "SearchAttributes has an empty name."},
		{name: "continued failure too large", mutate: func(r R) { r.ContinuedFailure = failureOf(twoMiB) }, want: "Blob data size exceeds limit. ContinuedFailure"},
		{name: "last completion result too large", mutate: func(r R) { r.LastCompletionResult = payloadsOf(twoMiB) }, want: "Blob data size exceeds limit. LastCompletionResult"},
		{name: "summary too large", mutate: func(r R) { r.UserMetadata.Summary = payloadOf(twoMiB) }, want: "Blob data size exceeds limit. UserMetadata.Summary"},
		{name: "details too large", mutate: func(r R) { r.UserMetadata.Details = payloadOf(twoMiB) }, want: "Blob data size exceeds limit. UserMetadata.Details"},
	})
	requireInvalid(t, tv.startWorkflowExecution(nil), "Request is not set.")
}

func TestValidateBlobWarning(t *testing.T) {
	var warned []string
	v := validator{cfg: DefaultConfig(), onWarn: func(field string, size, limit int) {
		warned = append(warned, field)
		require.Greater(t, size, limit)
	}}
	r := validStart()
	r.Input = payloadsOf(600 << 10)
	r.Memo.Fields["m"] = payloadOf(3 << 10)
	require.NoError(t, v.startWorkflowExecution(r))
	require.ElementsMatch(t, []string{"Input", "Memo"}, warned)
}

func TestValidateLimitsFollowConfig(t *testing.T) {
	v := validator{cfg: Config{MaxIDLength: 5, BlobSizeLimitError: 100, BlobSizeLimitWarn: 50}.withDefaults()}
	r := validStart()
	r.Namespace = "d"
	r.WorkflowId = "123456"
	requireInvalid(t, v.startWorkflowExecution(r), "WorkflowId exceeds length limit of 5 bytes.")
	r = validStart()
	r.Namespace = "d"
	r.WorkflowId, r.WorkflowType.Name, r.TaskQueue.Name, r.Identity, r.RequestId = "w", "t", "q", "", ""
	r.Input = payloadsOf(200)
	r.Memo, r.Header, r.SearchAttributes, r.UserMetadata = nil, nil, nil, nil
	requireInvalid(t, v.startWorkflowExecution(r), "Blob data size exceeds limit. Input is 206 bytes; the limit is 100.")
}

func validSignalWithStart() *workflowservice.SignalWithStartWorkflowExecutionRequest {
	s := validStart()
	return &workflowservice.SignalWithStartWorkflowExecutionRequest{
		Namespace:    s.Namespace,
		WorkflowId:   s.WorkflowId,
		WorkflowType: s.WorkflowType,
		TaskQueue:    s.TaskQueue,
		Input:        s.Input,
		RequestId:    s.RequestId,
		SignalName:   "go",
		SignalInput:  payloadsOf(10),
		RetryPolicy:  s.RetryPolicy,
		UserMetadata: &sdkpb.UserMetadata{},
	}
}

func TestValidateSignalWithStartWorkflowExecution(t *testing.T) {
	type R = *workflowservice.SignalWithStartWorkflowExecutionRequest
	runValidation(t, validSignalWithStart, tv.signalWithStartWorkflowExecution, []vcase[R]{
		{name: "valid", want: ""},
		{name: "use existing", mutate: func(r R) { r.WorkflowIdConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING }, want: ""},
		{name: "conflict policy fail", mutate: func(r R) { r.WorkflowIdConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL }, want: "WORKFLOW_ID_CONFLICT_POLICY_FAIL is not supported by SignalWithStartWorkflowExecution"},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no workflow id", mutate: func(r R) { r.WorkflowId = "" }, want: "WorkflowId is not set on request."},
		{name: "no task queue", mutate: func(r R) { r.TaskQueue = nil }, want: "TaskQueue is not set on request."},
		{name: "no signal name", mutate: func(r R) { r.SignalName = "" }, want: "SignalName is not set on request."},
		{name: "long signal name", mutate: func(r R) { r.SignalName = long(1001) }, want: "SignalName exceeds length limit"},
		{name: "signal input too large", mutate: func(r R) { r.SignalInput = payloadsOf(twoMiB) }, want: "Blob data size exceeds limit. SignalInput"},
		{name: "negative run timeout", mutate: func(r R) { r.WorkflowRunTimeout = neg(time.Minute) }, want: "Invalid WorkflowRunTimeout"},
		{name: "bad retry", mutate: func(r R) { r.RetryPolicy.MaximumAttempts = -3 }, want: "Invalid RetryPolicy.MaximumAttempts"},
		{name: "summary too large", mutate: func(r R) { r.UserMetadata.Summary = payloadOf(twoMiB) }, want: "UserMetadata.Summary"},
	})
	requireInvalid(t, tv.signalWithStartWorkflowExecution(nil), "Request is not set.")
}

func exec(wf, run string) *commonpb.WorkflowExecution {
	return &commonpb.WorkflowExecution{WorkflowId: wf, RunId: run}
}

func TestValidateSignalWorkflowExecution(t *testing.T) {
	type R = *workflowservice.SignalWorkflowExecutionRequest
	base := func() R {
		return &workflowservice.SignalWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", fakeRunID), SignalName: "s", Input: payloadsOf(1), RequestId: "r"}
	}
	runValidation(t, base, tv.signalWorkflowExecution, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no run id", mutate: func(r R) { r.WorkflowExecution.RunId = "" }, want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no execution", mutate: func(r R) { r.WorkflowExecution = nil }, want: "WorkflowExecution is not set on request."},
		{name: "no workflow id", mutate: func(r R) { r.WorkflowExecution.WorkflowId = "" }, want: "WorkflowId is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.WorkflowExecution.RunId = "nope" }, want: "Invalid RunId."},
		{name: "no signal name", mutate: func(r R) { r.SignalName = "" }, want: "SignalName is not set on request."},
		{name: "long request id", mutate: func(r R) { r.RequestId = long(1001) }, want: "RequestId exceeds length limit"},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "long control", mutate: func(r R) { r.Control = long(1001) }, want: "Control exceeds length limit"}, //nolint:staticcheck // deprecated but still sent by older clients
		{name: "input too large", mutate: func(r R) { r.Input = payloadsOf(twoMiB) }, want: "Blob data size exceeds limit. Input"},
		{name: "header too large", mutate: func(r R) {
			r.Header = &commonpb.Header{Fields: map[string]*commonpb.Payload{"h": payloadOf(twoMiB)}}
		}, want: "Blob data size exceeds limit. Header"},
	})
	requireInvalid(t, tv.signalWorkflowExecution(nil), "Request is not set.")
}

func TestValidateRequestCancelWorkflowExecution(t *testing.T) {
	type R = *workflowservice.RequestCancelWorkflowExecutionRequest
	base := func() R {
		return &workflowservice.RequestCancelWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", ""), RequestId: "r", Reason: "because"}
	}
	runValidation(t, base, tv.requestCancelWorkflowExecution, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no execution", mutate: func(r R) { r.WorkflowExecution = nil }, want: "WorkflowExecution is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.WorkflowExecution.RunId = "x" }, want: "Invalid RunId."},
		{name: "bad first execution run id", mutate: func(r R) { r.FirstExecutionRunId = "x" }, want: "Invalid FirstExecutionRunId."},
		{name: "good first execution run id", mutate: func(r R) { r.FirstExecutionRunId = fakeRunID }, want: ""},
		{name: "long request id", mutate: func(r R) { r.RequestId = long(1001) }, want: "RequestId exceeds length limit"},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "huge reason", mutate: func(r R) { r.Reason = long(twoMiB + 1) }, want: "Blob data size exceeds limit. Reason"},
	})
	requireInvalid(t, tv.requestCancelWorkflowExecution(nil), "Request is not set.")
}

func TestValidateTerminateWorkflowExecution(t *testing.T) {
	type R = *workflowservice.TerminateWorkflowExecutionRequest
	base := func() R {
		return &workflowservice.TerminateWorkflowExecutionRequest{Namespace: "default", WorkflowExecution: exec("wf", ""), Reason: "r", Details: payloadsOf(1)}
	}
	runValidation(t, base, tv.terminateWorkflowExecution, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no workflow id", mutate: func(r R) { r.WorkflowExecution.WorkflowId = "" }, want: "WorkflowId is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.WorkflowExecution.RunId = "x" }, want: "Invalid RunId."},
		{name: "bad first execution run id", mutate: func(r R) { r.FirstExecutionRunId = "x" }, want: "Invalid FirstExecutionRunId."},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "huge reason", mutate: func(r R) { r.Reason = long(twoMiB + 1) }, want: "Reason"},
		{name: "details too large", mutate: func(r R) { r.Details = payloadsOf(twoMiB) }, want: "Blob data size exceeds limit. Details"},
	})
	requireInvalid(t, tv.terminateWorkflowExecution(nil), "Request is not set.")
}

func TestValidateDescribeWorkflowExecution(t *testing.T) {
	type R = *workflowservice.DescribeWorkflowExecutionRequest
	base := func() R {
		return &workflowservice.DescribeWorkflowExecutionRequest{Namespace: "default", Execution: exec("wf", fakeRunID)}
	}
	runValidation(t, base, tv.describeWorkflowExecution, []vcase[R]{
		{name: "valid", want: ""},
		{name: "uppercase run id", mutate: func(r R) { r.Execution.RunId = strings.ToUpper(fakeRunID) }, want: ""},
		{name: "bare hex run id", mutate: func(r R) { r.Execution.RunId = strings.ReplaceAll(fakeRunID, "-", "") }, want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no execution", mutate: func(r R) { r.Execution = nil }, want: "Execution is not set on request."},
		{name: "no workflow id", mutate: func(r R) { r.Execution.WorkflowId = "" }, want: "WorkflowId is not set on request."},
		// The readiness probe of external test runners.
		{name: "invalid run id", mutate: func(r R) { r.Execution.RunId = "invalid-run-id" }, want: "Invalid RunId"},
		{name: "run id with bad hex", mutate: func(r R) { r.Execution.RunId = "g1111111-2222-4333-8444-555555555555" }, want: "Invalid RunId."},
		{name: "run id with misplaced dash", mutate: func(r R) { r.Execution.RunId = "111111112-222-4333-8444-555555555555" }, want: "Invalid RunId."},
	})
	requireInvalid(t, tv.describeWorkflowExecution(nil), "Request is not set.")
}

func TestValidateGetWorkflowExecutionHistory(t *testing.T) {
	type R = *workflowservice.GetWorkflowExecutionHistoryRequest
	base := func() R {
		return &workflowservice.GetWorkflowExecutionHistoryRequest{Namespace: "default", Execution: exec("wf", ""), WaitNewEvent: true, HistoryEventFilterType: enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT}
	}
	runValidation(t, base, tv.getWorkflowExecutionHistory, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no execution", mutate: func(r R) { r.Execution = nil }, want: "Execution is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.Execution.RunId = "x" }, want: "Invalid RunId."},
		{name: "negative page size", mutate: func(r R) { r.MaximumPageSize = -1 }, want: "Invalid MaximumPageSize: -1 is negative."},
		{name: "bad filter type", mutate: func(r R) { r.HistoryEventFilterType = 7 }, want: "Invalid HistoryEventFilterType: 7."},
	})
	requireInvalid(t, tv.getWorkflowExecutionHistory(nil), "Request is not set.")
}

func TestValidateQueryWorkflow(t *testing.T) {
	type R = *workflowservice.QueryWorkflowRequest
	base := func() R {
		return &workflowservice.QueryWorkflowRequest{Namespace: "default", Execution: exec("wf", ""), Query: &querypb.WorkflowQuery{QueryType: "state", QueryArgs: payloadsOf(1)}}
	}
	runValidation(t, base, tv.queryWorkflow, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no execution", mutate: func(r R) { r.Execution = nil }, want: "Execution is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.Execution.RunId = "x" }, want: "Invalid RunId."},
		{name: "no query", mutate: func(r R) { r.Query = nil }, want: "Query is not set on request."},
		{name: "no query type", mutate: func(r R) { r.Query.QueryType = "" }, want: "QueryType is not set on request."},
		{name: "long query type", mutate: func(r R) { r.Query.QueryType = long(1001) }, want: "QueryType exceeds length limit"},
		{name: "args too large", mutate: func(r R) { r.Query.QueryArgs = payloadsOf(twoMiB) }, want: "Blob data size exceeds limit. QueryArgs"},
		{name: "header too large", mutate: func(r R) {
			r.Query.Header = &commonpb.Header{Fields: map[string]*commonpb.Payload{"h": payloadOf(twoMiB)}}
		}, want: "Blob data size exceeds limit. Header"},
		{name: "bad reject condition", mutate: func(r R) { r.QueryRejectCondition = 9 }, want: "Invalid QueryRejectCondition: 9."},
	})
	requireInvalid(t, tv.queryWorkflow(nil), "Request is not set.")
}

func TestValidateResetStickyTaskQueue(t *testing.T) {
	type R = *workflowservice.ResetStickyTaskQueueRequest
	base := func() R {
		return &workflowservice.ResetStickyTaskQueueRequest{Namespace: "default", Execution: exec("wf", fakeRunID)}
	}
	runValidation(t, base, tv.resetStickyTaskQueue, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no execution", mutate: func(r R) { r.Execution = nil }, want: "Execution is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.Execution.RunId = "x" }, want: "Invalid RunId."},
	})
	requireInvalid(t, tv.resetStickyTaskQueue(nil), "Request is not set.")
}

func TestValidatePollWorkflowTaskQueue(t *testing.T) {
	type R = *workflowservice.PollWorkflowTaskQueueRequest
	base := func() R {
		return &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default", TaskQueue: &taskqueuepb.TaskQueue{Name: "host:uuid", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: "orders"}, Identity: "me"}
	}
	runValidation(t, base, tv.pollWorkflowTaskQueue, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no task queue", mutate: func(r R) { r.TaskQueue = nil }, want: "TaskQueue is not set on request."},
		{name: "long task queue", mutate: func(r R) { r.TaskQueue.Name = long(1001) }, want: "TaskQueue exceeds length limit"},
		{name: "bad kind", mutate: func(r R) { r.TaskQueue.Kind = 5 }, want: "Invalid TaskQueue.Kind: 5."},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "long binary checksum", mutate: func(r R) { r.BinaryChecksum = long(1001) }, want: "BinaryChecksum exceeds length limit"}, //nolint:staticcheck // deprecated but still sent by older SDKs
	})
	requireInvalid(t, tv.pollWorkflowTaskQueue(nil), "Request is not set.")
}

func TestValidatePollActivityTaskQueue(t *testing.T) {
	type R = *workflowservice.PollActivityTaskQueueRequest
	base := func() R {
		return &workflowservice.PollActivityTaskQueueRequest{Namespace: "default", TaskQueue: &taskqueuepb.TaskQueue{Name: "orders"}, Identity: "me",
			TaskQueueMetadata: &taskqueuepb.TaskQueueMetadata{MaxTasksPerSecond: wrapperspb.Double(10)}}
	}
	runValidation(t, base, tv.pollActivityTaskQueue, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no task queue", mutate: func(r R) { r.TaskQueue = nil }, want: "TaskQueue is not set on request."},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "negative rate", mutate: func(r R) { r.TaskQueueMetadata.MaxTasksPerSecond = wrapperspb.Double(-1) }, want: "Invalid TaskQueueMetadata.MaxTasksPerSecond"},
	})
	requireInvalid(t, tv.pollActivityTaskQueue(nil), "Request is not set.")
}

func TestValidateRespondWorkflowTaskCompleted(t *testing.T) {
	type R = *workflowservice.RespondWorkflowTaskCompletedRequest
	base := func() R {
		return &workflowservice.RespondWorkflowTaskCompletedRequest{
			Namespace: "default", Identity: "me", ReturnNewWorkflowTask: true,
			StickyAttributes: &taskqueuepb.StickyExecutionAttributes{
				WorkerTaskQueue:        &taskqueuepb.TaskQueue{Name: "host:uuid", Kind: enumspb.TASK_QUEUE_KIND_STICKY},
				ScheduleToStartTimeout: durationpb.New(5 * time.Second),
			},
			QueryResults: map[string]*querypb.WorkflowQueryResult{
				"q1": {ResultType: enumspb.QUERY_RESULT_TYPE_ANSWERED, Answer: payloadsOf(1)},
			},
		}
	}
	runValidation(t, base, tv.respondWorkflowTaskCompleted, []vcase[R]{
		{name: "valid", want: ""},
		{name: "namespace may be empty", mutate: func(r R) { r.Namespace = "" }, want: ""},
		{name: "long namespace", mutate: func(r R) { r.Namespace = long(1001) }, want: "Namespace exceeds length limit"},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "long binary checksum", mutate: func(r R) { r.BinaryChecksum = long(1001) }, want: "BinaryChecksum exceeds length limit"}, //nolint:staticcheck // deprecated but still sent by older SDKs
		{name: "sticky without queue", mutate: func(r R) { r.StickyAttributes.WorkerTaskQueue = nil }, want: "StickyAttributes.WorkerTaskQueue is not set on request."},
		{name: "sticky long queue", mutate: func(r R) { r.StickyAttributes.WorkerTaskQueue.Name = long(1001) }, want: "StickyAttributes.WorkerTaskQueue exceeds length limit"},
		{name: "sticky negative timeout", mutate: func(r R) { r.StickyAttributes.ScheduleToStartTimeout = neg(time.Second) }, want: "Invalid StickyAttributes.ScheduleToStartTimeout"},
		{name: "query result bad type", mutate: func(r R) { r.QueryResults["q1"].ResultType = 8 }, want: "Invalid QueryResults.ResultType: 8."},
		{name: "query answer too large", mutate: func(r R) { r.QueryResults["q1"].Answer = payloadsOf(twoMiB) }, want: "Blob data size exceeds limit. QueryResults[q1].Answer"},
		{name: "query failure too large", mutate: func(r R) { r.QueryResults["q1"].Failure = failureOf(twoMiB) }, want: "QueryResults[q1].Failure"},
	})
	requireInvalid(t, tv.respondWorkflowTaskCompleted(nil), "Request is not set.")
}

func TestValidateRespondWorkflowTaskFailed(t *testing.T) {
	type R = *workflowservice.RespondWorkflowTaskFailedRequest
	base := func() R {
		return &workflowservice.RespondWorkflowTaskFailedRequest{Namespace: "default", Cause: enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, Failure: failureOf(10)}
	}
	runValidation(t, base, tv.respondWorkflowTaskFailed, []vcase[R]{
		{name: "valid", want: ""},
		{name: "long namespace", mutate: func(r R) { r.Namespace = long(1001) }, want: "Namespace exceeds length limit"},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "long binary checksum", mutate: func(r R) { r.BinaryChecksum = long(1001) }, want: "BinaryChecksum exceeds length limit"}, //nolint:staticcheck // deprecated but still sent by older SDKs
		{name: "bad cause", mutate: func(r R) { r.Cause = 999 }, want: "Invalid Cause: 999."},
		{name: "failure too large", mutate: func(r R) { r.Failure = failureOf(twoMiB) }, want: "Blob data size exceeds limit. Failure"},
	})
	requireInvalid(t, tv.respondWorkflowTaskFailed(nil), "Request is not set.")
}

func TestValidateActivityByID(t *testing.T) {
	type R = *workflowservice.RespondActivityTaskCompletedByIdRequest
	base := func() R {
		return &workflowservice.RespondActivityTaskCompletedByIdRequest{Namespace: "default", WorkflowId: "wf", RunId: fakeRunID, ActivityId: "a1", Result: payloadsOf(1)}
	}
	runValidation(t, base, tv.respondActivityTaskCompletedByID, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no run id", mutate: func(r R) { r.RunId = "" }, want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no workflow id", mutate: func(r R) { r.WorkflowId = "" }, want: "WorkflowId is not set on request."},
		{name: "bad run id", mutate: func(r R) { r.RunId = "x" }, want: "Invalid RunId."},
		{name: "no activity id", mutate: func(r R) { r.ActivityId = "" }, want: "ActivityId is not set on request."},
		{name: "long activity id", mutate: func(r R) { r.ActivityId = long(1001) }, want: "ActivityId exceeds length limit"},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
		{name: "result too large", mutate: func(r R) { r.Result = payloadsOf(twoMiB) }, want: "Blob data size exceeds limit. Result"},
	})
	requireInvalid(t, tv.respondActivityTaskCompletedByID(nil), "Request is not set.")
}

func TestValidateActivityResponses(t *testing.T) {
	big := payloadsOf(twoMiB)
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"heartbeat ok", tv.recordActivityTaskHeartbeat(&workflowservice.RecordActivityTaskHeartbeatRequest{Details: payloadsOf(1)}), ""},
		{"heartbeat details", tv.recordActivityTaskHeartbeat(&workflowservice.RecordActivityTaskHeartbeatRequest{Details: big}), "Blob data size exceeds limit. Details"},
		{"heartbeat identity", tv.recordActivityTaskHeartbeat(&workflowservice.RecordActivityTaskHeartbeatRequest{Identity: long(1001)}), "Identity exceeds length limit"},
		{"heartbeat namespace", tv.recordActivityTaskHeartbeat(&workflowservice.RecordActivityTaskHeartbeatRequest{Namespace: long(1001)}), "Namespace exceeds length limit"},
		{"heartbeat nil", tv.recordActivityTaskHeartbeat(nil), "Request is not set."},
		{"heartbeat by id ok", tv.recordActivityTaskHeartbeatByID(&workflowservice.RecordActivityTaskHeartbeatByIdRequest{Namespace: "n", WorkflowId: "w", ActivityId: "a"}), ""},
		{"heartbeat by id no activity", tv.recordActivityTaskHeartbeatByID(&workflowservice.RecordActivityTaskHeartbeatByIdRequest{Namespace: "n", WorkflowId: "w"}), "ActivityId is not set on request."},
		{"heartbeat by id details", tv.recordActivityTaskHeartbeatByID(&workflowservice.RecordActivityTaskHeartbeatByIdRequest{Namespace: "n", WorkflowId: "w", ActivityId: "a", Details: big}), "Details"},
		{"heartbeat by id nil", tv.recordActivityTaskHeartbeatByID(nil), "Request is not set."},
		{"completed ok", tv.respondActivityTaskCompleted(&workflowservice.RespondActivityTaskCompletedRequest{Result: payloadsOf(1)}), ""},
		{"completed result", tv.respondActivityTaskCompleted(&workflowservice.RespondActivityTaskCompletedRequest{Result: big}), "Blob data size exceeds limit. Result"},
		{"completed identity", tv.respondActivityTaskCompleted(&workflowservice.RespondActivityTaskCompletedRequest{Identity: long(1001)}), "Identity exceeds length limit"},
		{"completed nil", tv.respondActivityTaskCompleted(nil), "Request is not set."},
		{"failed ok", tv.respondActivityTaskFailed(&workflowservice.RespondActivityTaskFailedRequest{Failure: failureOf(1)}), ""},
		{"failed no failure", tv.respondActivityTaskFailed(&workflowservice.RespondActivityTaskFailedRequest{}), "Failure is not set on request."},
		{"failed failure", tv.respondActivityTaskFailed(&workflowservice.RespondActivityTaskFailedRequest{Failure: failureOf(twoMiB)}), "Blob data size exceeds limit. Failure"},
		{"failed heartbeat details", tv.respondActivityTaskFailed(&workflowservice.RespondActivityTaskFailedRequest{Failure: failureOf(1), LastHeartbeatDetails: big}), "LastHeartbeatDetails"},
		{"failed identity", tv.respondActivityTaskFailed(&workflowservice.RespondActivityTaskFailedRequest{Failure: failureOf(1), Identity: long(1001)}), "Identity exceeds length limit"},
		{"failed nil", tv.respondActivityTaskFailed(nil), "Request is not set."},
		{"failed by id ok", tv.respondActivityTaskFailedByID(&workflowservice.RespondActivityTaskFailedByIdRequest{Namespace: "n", WorkflowId: "w", ActivityId: "a", Failure: failureOf(1)}), ""},
		{"failed by id no failure", tv.respondActivityTaskFailedByID(&workflowservice.RespondActivityTaskFailedByIdRequest{Namespace: "n", WorkflowId: "w", ActivityId: "a"}), "Failure is not set on request."},
		{"failed by id bad run", tv.respondActivityTaskFailedByID(&workflowservice.RespondActivityTaskFailedByIdRequest{Namespace: "n", WorkflowId: "w", RunId: "r", ActivityId: "a"}), "Invalid RunId."},
		{"failed by id details", tv.respondActivityTaskFailedByID(&workflowservice.RespondActivityTaskFailedByIdRequest{Namespace: "n", WorkflowId: "w", ActivityId: "a", Failure: failureOf(1), LastHeartbeatDetails: big}), "LastHeartbeatDetails"},
		{"failed by id nil", tv.respondActivityTaskFailedByID(nil), "Request is not set."},
		{"canceled ok", tv.respondActivityTaskCanceled(&workflowservice.RespondActivityTaskCanceledRequest{Details: payloadsOf(1)}), ""},
		{"canceled details", tv.respondActivityTaskCanceled(&workflowservice.RespondActivityTaskCanceledRequest{Details: big}), "Blob data size exceeds limit. Details"},
		{"canceled identity", tv.respondActivityTaskCanceled(&workflowservice.RespondActivityTaskCanceledRequest{Identity: long(1001)}), "Identity exceeds length limit"},
		{"canceled nil", tv.respondActivityTaskCanceled(nil), "Request is not set."},
		{"canceled by id ok", tv.respondActivityTaskCanceledByID(&workflowservice.RespondActivityTaskCanceledByIdRequest{Namespace: "n", WorkflowId: "w", ActivityId: "a"}), ""},
		{"canceled by id no workflow", tv.respondActivityTaskCanceledByID(&workflowservice.RespondActivityTaskCanceledByIdRequest{Namespace: "n", ActivityId: "a"}), "WorkflowId is not set on request."},
		{"canceled by id no namespace", tv.respondActivityTaskCanceledByID(&workflowservice.RespondActivityTaskCanceledByIdRequest{WorkflowId: "w", ActivityId: "a"}), "Namespace is not set on request."},
		{"canceled by id details", tv.respondActivityTaskCanceledByID(&workflowservice.RespondActivityTaskCanceledByIdRequest{Namespace: "n", WorkflowId: "w", ActivityId: "a", Details: big}), "Details"},
		{"canceled by id nil", tv.respondActivityTaskCanceledByID(nil), "Request is not set."},
	} {
		t.Run(c.name, func(t *testing.T) { requireInvalid(t, c.err, c.want) })
	}
}

func TestValidateRespondQueryTaskCompleted(t *testing.T) {
	type R = *workflowservice.RespondQueryTaskCompletedRequest
	base := func() R {
		return &workflowservice.RespondQueryTaskCompletedRequest{Namespace: "default", CompletedType: enumspb.QUERY_RESULT_TYPE_ANSWERED, QueryResult: payloadsOf(1)}
	}
	runValidation(t, base, tv.respondQueryTaskCompleted, []vcase[R]{
		{name: "valid", want: ""},
		{name: "failed", mutate: func(r R) { r.CompletedType = enumspb.QUERY_RESULT_TYPE_FAILED; r.ErrorMessage = "boom" }, want: ""},
		{name: "long namespace", mutate: func(r R) { r.Namespace = long(1001) }, want: "Namespace exceeds length limit"},
		{name: "no completed type", mutate: func(r R) { r.CompletedType = enumspb.QUERY_RESULT_TYPE_UNSPECIFIED }, want: "CompletedType is not set on request."},
		{name: "bad completed type", mutate: func(r R) { r.CompletedType = 7 }, want: "Invalid CompletedType: 7."},
		{name: "result too large", mutate: func(r R) { r.QueryResult = payloadsOf(twoMiB) }, want: "Blob data size exceeds limit. QueryResult"},
		{name: "error message too large", mutate: func(r R) { r.ErrorMessage = long(twoMiB + 1) }, want: "Blob data size exceeds limit. ErrorMessage"},
		{name: "failure too large", mutate: func(r R) { r.Failure = failureOf(twoMiB) }, want: "Blob data size exceeds limit. Failure"},
	})
	requireInvalid(t, tv.respondQueryTaskCompleted(nil), "Request is not set.")
}

func TestValidateDescribeTaskQueue(t *testing.T) {
	type R = *workflowservice.DescribeTaskQueueRequest
	base := func() R {
		return &workflowservice.DescribeTaskQueueRequest{Namespace: "default", TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}, TaskQueueType: enumspb.TASK_QUEUE_TYPE_ACTIVITY}
	}
	runValidation(t, base, tv.describeTaskQueue, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "no task queue", mutate: func(r R) { r.TaskQueue = nil }, want: "TaskQueue is not set on request."},
		{name: "bad type", mutate: func(r R) { r.TaskQueueType = 9 }, want: "Invalid TaskQueueType: 9."},
		{name: "bad types", mutate: func(r R) { r.TaskQueueTypes = []enumspb.TaskQueueType{1, 9} }, want: "Invalid TaskQueueTypes: 9."}, //nolint:staticcheck // deprecated ENHANCED describe field, still sent by older CLIs
		{name: "bad api mode", mutate: func(r R) { r.ApiMode = 9 }, want: "Invalid ApiMode: 9."},                                        //nolint:staticcheck // deprecated ENHANCED describe mode, still sent by older CLIs
	})
	requireInvalid(t, tv.describeTaskQueue(nil), "Request is not set.")
}

func TestValidateShutdownWorker(t *testing.T) {
	type R = *workflowservice.ShutdownWorkerRequest
	base := func() R {
		return &workflowservice.ShutdownWorkerRequest{Namespace: "default", StickyTaskQueue: "host:uuid", Identity: "me"}
	}
	runValidation(t, base, tv.shutdownWorker, []vcase[R]{
		{name: "valid", want: ""},
		{name: "no namespace", mutate: func(r R) { r.Namespace = "" }, want: "Namespace is not set on request."},
		{name: "long sticky queue", mutate: func(r R) { r.StickyTaskQueue = long(1001) }, want: "StickyTaskQueue exceeds length limit"},
		{name: "long identity", mutate: func(r R) { r.Identity = long(1001) }, want: "Identity exceeds length limit"},
	})
	requireInvalid(t, tv.shutdownWorker(nil), "Request is not set.")
}
