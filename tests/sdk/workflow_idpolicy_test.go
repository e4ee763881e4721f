package sdk_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
)

// wfMaybeFail fails when asked to, without retries.
func wfMaybeFail(ctx workflow.Context, fail bool) (string, error) {
	if fail {
		return "", temporal.NewNonRetryableApplicationError("asked to fail", "Deliberate", nil)
	}
	return "ok", nil
}

// requireAlreadyStarted checks err is WorkflowExecutionAlreadyStarted and
// returns the run ID it names.
func requireAlreadyStarted(t *testing.T, err error) string {
	t.Helper()
	var as *serviceerror.WorkflowExecutionAlreadyStarted
	require.Truef(t, errors.As(err, &as), "want WorkflowExecutionAlreadyStarted, got %T %v", err, err)
	return as.RunId
}

func TestWorkflowIDAlreadyStarted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// No worker: the run stays running.
	first := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfSleepHour)

	_, err := e.client.ExecuteWorkflow(wfCtx(t), client.StartWorkflowOptions{
		ID: first.GetID(), TaskQueue: wfName(t), WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, wfSleepHour)
	require.Equal(t, first.GetRunID(), requireAlreadyStarted(t, err))

	// Without the flag the SDK hands back the running run.
	again := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfSleepHour)
	require.Equal(t, first.GetRunID(), again.GetRunID())

	// Explicit FAIL conflict policy behaves the same; so does
	// REJECT_DUPLICATE / ALLOW_DUPLICATE reuse policy while running.
	for _, opts := range []client.StartWorkflowOptions{
		{WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL},
		{WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE},
		{WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE},
	} {
		opts.ID, opts.TaskQueue, opts.WorkflowExecutionErrorWhenAlreadyStarted = first.GetID(), wfName(t), true
		_, err := e.client.ExecuteWorkflow(wfCtx(t), opts, wfSleepHour)
		require.Equal(t, first.GetRunID(), requireAlreadyStarted(t, err))
	}

	desc, err := e.client.DescribeWorkflowExecution(wfCtx(t), first.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, first.GetRunID(), desc.GetWorkflowExecutionInfo().GetExecution().GetRunId())
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
}

func TestWorkflowIDConflictUseExisting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfSleepHour)
	second, err := e.client.ExecuteWorkflow(wfCtx(t), client.StartWorkflowOptions{
		ID: first.GetID(), TaskQueue: wfName(t),
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, wfSleepHour)
	require.NoError(t, err)
	require.Equal(t, first.GetRunID(), second.GetRunID())

	// The raw response says it did not start anything.
	resp, err := e.client.WorkflowService().StartWorkflowExecution(wfCtx(t), &workflowservice.StartWorkflowExecutionRequest{
		Namespace: "default", WorkflowId: first.GetID(), WorkflowType: &commonpb.WorkflowType{Name: "wfSleepHour"},
		TaskQueue: &taskqueuepb.TaskQueue{Name: wfName(t)}, RequestId: uuid.NewString(),
		WorkflowIdConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	})
	require.NoError(t, err)
	require.False(t, resp.GetStarted())
	require.Equal(t, first.GetRunID(), resp.GetRunId())

	events := wfHistory(t, e, first.GetID(), first.GetRunID())
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED))
	require.Equal(t, 0, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED))
}

func TestWorkflowIDConflictTerminateExisting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfSleepHour, wfEcho}, nil)
	first := wfStart(t, e, "1", client.StartWorkflowOptions{}, wfSleepHour)
	second, err := e.client.ExecuteWorkflow(wfCtx(t), client.StartWorkflowOptions{
		ID: first.GetID(), TaskQueue: wfName(t),
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING,
	}, wfEcho, "new")
	require.NoError(t, err)
	require.NotEqual(t, first.GetRunID(), second.GetRunID())

	err = first.Get(wfCtx(t), nil)
	var te *temporal.TerminatedError
	require.Truef(t, errors.As(err, &te), "the old run: want TerminatedError, got %T %v", err, err)
	var out string
	require.NoError(t, second.Get(wfCtx(t), &out))
	require.Equal(t, "new", out)

	events := wfHistory(t, e, first.GetID(), first.GetRunID())
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, events[len(events)-1].GetEventType())
}

func TestWorkflowIDReuseRejectDuplicate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfMaybeFail}, nil)
	opts := client.StartWorkflowOptions{
		ID: wfName(t) + "-1", TaskQueue: wfName(t),
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
	first, err := e.client.ExecuteWorkflow(wfCtx(t), opts, wfMaybeFail, false)
	require.NoError(t, err)
	require.NoError(t, first.Get(wfCtx(t), nil))

	_, err = e.client.ExecuteWorkflow(wfCtx(t), opts, wfMaybeFail, false)
	require.Equal(t, first.GetRunID(), requireAlreadyStarted(t, err))

	// The default policy (ALLOW_DUPLICATE) lets a new run start.
	opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED
	third, err := e.client.ExecuteWorkflow(wfCtx(t), opts, wfMaybeFail, false)
	require.NoError(t, err)
	require.NotEqual(t, first.GetRunID(), third.GetRunID())
	require.NoError(t, third.Get(wfCtx(t), nil))
}

func TestWorkflowIDReuseAllowDuplicateFailedOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wfWorker(t, e, wfName(t), worker.Options{}, []any{wfMaybeFail}, nil)
	opts := client.StartWorkflowOptions{
		ID: wfName(t) + "-1", TaskQueue: wfName(t),
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
	failed, err := e.client.ExecuteWorkflow(wfCtx(t), opts, wfMaybeFail, true)
	require.NoError(t, err)
	err = failed.Get(wfCtx(t), nil)
	var ae *temporal.ApplicationError
	require.Truef(t, errors.As(err, &ae), "want ApplicationError, got %T %v", err, err)

	// After a failure, a new run may start...
	ok, err := e.client.ExecuteWorkflow(wfCtx(t), opts, wfMaybeFail, false)
	require.NoError(t, err)
	require.NotEqual(t, failed.GetRunID(), ok.GetRunID())
	require.NoError(t, ok.Get(wfCtx(t), nil))

	// ...but not after a success.
	_, err = e.client.ExecuteWorkflow(wfCtx(t), opts, wfMaybeFail, false)
	require.Equal(t, ok.GetRunID(), requireAlreadyStarted(t, err))

	// Terminated and timed out count as failures too.
	id2 := wfName(t) + "-2"
	opts2 := opts
	opts2.ID = id2
	opts2.TaskQueue = wfName(t) + "-idle"
	r1, err := e.client.ExecuteWorkflow(wfCtx(t), opts2, wfSleepHour)
	require.NoError(t, err)
	require.NoError(t, e.client.TerminateWorkflow(wfCtx(t), id2, "", "stop"))
	r2, err := e.client.ExecuteWorkflow(wfCtx(t), opts2, wfSleepHour)
	require.NoError(t, err)
	require.NotEqual(t, r1.GetRunID(), r2.GetRunID())
}

func TestWorkflowStartRequestIDDedup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := e.client.WorkflowService()
	req := &workflowservice.StartWorkflowExecutionRequest{
		Namespace:           "default",
		WorkflowId:          wfName(t) + "-1",
		WorkflowType:        &commonpb.WorkflowType{Name: "wfSleepHour"},
		TaskQueue:           &taskqueuepb.TaskQueue{Name: wfName(t)},
		WorkflowTaskTimeout: durationpb.New(10 * time.Second),
		RequestId:           uuid.NewString(),
		Identity:            "test",
	}
	first, err := svc.StartWorkflowExecution(wfCtx(t), req)
	require.NoError(t, err)
	require.True(t, first.GetStarted())
	require.NotEmpty(t, first.GetRunId())

	// A retry with the same request ID is the same start.
	second, err := svc.StartWorkflowExecution(wfCtx(t), req)
	require.NoError(t, err)
	require.Equal(t, first.GetRunId(), second.GetRunId())

	// A different request ID is a different start, which conflicts.
	req.RequestId = uuid.NewString()
	_, err = svc.StartWorkflowExecution(wfCtx(t), req)
	require.Equal(t, first.GetRunId(), requireAlreadyStarted(t, err))

	events := wfHistory(t, e, req.WorkflowId, "")
	require.Equal(t, 1, wfCount(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED))
	require.Equal(t, first.GetRunId(), events[0].GetWorkflowExecutionStartedEventAttributes().GetOriginalExecutionRunId())

	// Dedup still holds after the run closed (the SDK may retry late).
	req.RequestId = "dedup-after-close"
	_, err = svc.TerminateWorkflowExecution(wfCtx(t), &workflowservice.TerminateWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: req.WorkflowId},
	})
	require.NoError(t, err)
	third, err := svc.StartWorkflowExecution(wfCtx(t), req)
	require.NoError(t, err)
	require.NotEqual(t, first.GetRunId(), third.GetRunId())
	fourth, err := svc.StartWorkflowExecution(wfCtx(t), req)
	require.NoError(t, err)
	require.Equal(t, third.GetRunId(), fourth.GetRunId())
}
