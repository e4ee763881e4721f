package history

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	protocolpb "go.temporal.io/api/protocol/v1"
	"go.temporal.io/api/serviceerror"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/common/clock"
	tokenpb "github.com/meridian-dev/meridian/common/commonpb"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/persistence/embedded"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// The shell's side of workflow updates, at the protocol level: what the
// SDK tests cannot provoke (a worker that ignores an update, limits, a
// caller whose deadline ends first, aborts when the run closes).

func newUpdateTestService(t *testing.T, cfg Config) *Service {
	t.Helper()
	stores, err := embedded.Open(t.Name(), embedded.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = stores.Close() })
	ctx := context.Background()
	require.NoError(t, stores.Namespace.CreateNamespace(ctx, &persistencepb.NamespaceDetail{
		Info:   &namespacepb.NamespaceInfo{Id: testNSID, Name: testNS, State: enumspb.NAMESPACE_STATE_REGISTERED},
		Config: &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(24 * time.Hour)},
	}))
	c := clock.Real()
	cfg.NumShards = 2
	s, err := NewService(cfg, Deps{
		Stores: stores, Namespaces: namespace.NewRegistry(stores.Namespace, c, 0), Matching: nopMatching{}, Clock: c, HostID: "test",
	})
	require.NoError(t, err)
	require.NoError(t, s.Start(ctx))
	t.Cleanup(s.Stop)
	return s
}

type updateResult struct {
	resp *workflowservice.UpdateWorkflowExecutionResponse
	err  error
}

// sendUpdate calls UpdateWorkflowExecution in the background with a
// deadline of d.
func sendUpdate(s *Service, ex *commonpb.WorkflowExecution, id string, stage enumspb.UpdateWorkflowExecutionLifecycleStage, d time.Duration) <-chan updateResult {
	out := make(chan updateResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		resp, err := s.UpdateWorkflowExecution(ctx, &historyservice.UpdateWorkflowExecutionRequest{
			NamespaceId: testNSID,
			Request: &workflowservice.UpdateWorkflowExecutionRequest{
				Namespace: testNS, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ex.WorkflowId},
				WaitPolicy: &updatepb.WaitPolicy{LifecycleStage: stage},
				Request: &updatepb.Request{
					Meta:  &updatepb.Meta{UpdateId: id},
					Input: &updatepb.Input{Name: "U"},
				},
			},
		})
		out <- updateResult{resp.GetResponse(), err}
	}()
	return out
}

// waitAdmitted waits until run ex holds update id in its registry.
func waitAdmitted(t *testing.T, s *Service, ex *commonpb.WorkflowExecution, id string) {
	t.Helper()
	sh, err := s.shardFor(context.Background(), testNSID, ex.WorkflowId)
	require.NoError(t, err)
	rc := sh.cache.pin(runKey{testNSID, ex.WorkflowId, ex.RunId})
	defer sh.cache.unpin(rc)
	require.Eventually(t, func() bool {
		require.NoError(t, rc.acquire(context.Background()))
		defer rc.release()
		return rc.updates.get(id) != nil
	}, 5*time.Second, 5*time.Millisecond, "update %q not admitted", id)
}

// startTask starts ex's scheduled workflow task.
func startTask(t *testing.T, s *Service, ex *commonpb.WorkflowExecution, reqID string) (*tokenpb.TaskToken, *workflowservice.PollWorkflowTaskQueueResponse) {
	t.Helper()
	events := history(t, s, ex)
	last := events[len(events)-1]
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, last.EventType)
	started, err := s.RecordWorkflowTaskStarted(context.Background(), &historyservice.RecordWorkflowTaskStartedRequest{
		NamespaceId: testNSID, Execution: ex, ScheduledEventId: last.EventId, RequestId: reqID,
		PollRequest: &workflowservice.PollWorkflowTaskQueueRequest{Identity: "worker"},
	})
	require.NoError(t, err)
	var tok tokenpb.TaskToken
	require.NoError(t, proto.Unmarshal(started.Response.TaskToken, &tok))
	return &tok, started.Response
}

func respond(s *Service, tok *tokenpb.TaskToken, msgs []*protocolpb.Message, cmds ...*commandpb.Command) error {
	_, err := s.RespondWorkflowTaskCompleted(context.Background(), &historyservice.RespondWorkflowTaskCompletedRequest{
		NamespaceId: testNSID, Token: tok,
		Request: &workflowservice.RespondWorkflowTaskCompletedRequest{Namespace: testNS, Identity: "worker", Commands: cmds, Messages: msgs},
	})
	return err
}

func acceptance(t *testing.T, req *protocolpb.Message) *protocolpb.Message {
	t.Helper()
	var r updatepb.Request
	require.NoError(t, req.Body.UnmarshalTo(&r))
	body, err := anypb.New(&updatepb.Acceptance{
		AcceptedRequestMessageId: req.Id, AcceptedRequestSequencingEventId: req.GetEventId(), AcceptedRequest: &r,
	})
	require.NoError(t, err)
	return &protocolpb.Message{Id: req.ProtocolInstanceId + "/accept", ProtocolInstanceId: req.ProtocolInstanceId, Body: body}
}

func TestUpdateMessagesAndUnprocessedRejection(t *testing.T) {
	s := newUpdateTestService(t, Config{})
	ex := start(t, s, "wf")
	res := sendUpdate(s, ex, "u1", stageCompleted, 10*time.Second)
	waitAdmitted(t, s, ex, "u1")

	// The task carries the update, sequenced right before its started event.
	tok, task := startTask(t, s, ex, "poll-1")
	require.Len(t, task.Messages, 1)
	m := task.Messages[0]
	require.Equal(t, "u1", m.ProtocolInstanceId)
	require.Equal(t, "u1/request", m.Id)
	require.Equal(t, task.StartedEventId-1, m.GetEventId())
	var r updatepb.Request
	require.NoError(t, m.Body.UnmarshalTo(&r))
	require.Equal(t, "U", r.GetInput().GetName())

	// A retried start of the same task carries it again.
	_, again := startTask2(t, s, ex, task.StartedEventId-1, "poll-1")
	require.Len(t, again.Messages, 1)

	// A completion that ignores it: the update is rejected as unprocessed.
	require.NoError(t, respond(s, tok, nil))
	got := <-res
	require.NoError(t, got.err)
	require.Equal(t, stageCompleted, got.resp.Stage)
	require.Equal(t, "UnprocessedUpdate", got.resp.GetOutcome().GetFailure().GetApplicationFailureInfo().GetType())
	require.Zero(t, count(history(t, s, ex), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED))
}

// startTask2 re-sends RecordWorkflowTaskStarted for scheduled event id.
func startTask2(t *testing.T, s *Service, ex *commonpb.WorkflowExecution, scheduled int64, reqID string) (*tokenpb.TaskToken, *workflowservice.PollWorkflowTaskQueueResponse) {
	t.Helper()
	started, err := s.RecordWorkflowTaskStarted(context.Background(), &historyservice.RecordWorkflowTaskStartedRequest{
		NamespaceId: testNSID, Execution: ex, ScheduledEventId: scheduled, RequestId: reqID,
		PollRequest: &workflowservice.PollWorkflowTaskQueueRequest{Identity: "worker"},
	})
	require.NoError(t, err)
	var tok tokenpb.TaskToken
	require.NoError(t, proto.Unmarshal(started.Response.TaskToken, &tok))
	return &tok, started.Response
}

func TestUpdateAcceptedThenPolled(t *testing.T) {
	s := newUpdateTestService(t, Config{})
	ex := start(t, s, "wf")
	res := sendUpdate(s, ex, "u1", stageAccepted, 10*time.Second)
	waitAdmitted(t, s, ex, "u1")
	tok, task := startTask(t, s, ex, "poll-1")
	acc := acceptance(t, task.Messages[0])
	require.NoError(t, respond(s, tok, []*protocolpb.Message{acc}, &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE,
		Attributes:  &commandpb.Command_ProtocolMessageCommandAttributes{ProtocolMessageCommandAttributes: &commandpb.ProtocolMessageCommandAttributes{MessageId: acc.Id}},
	}))
	got := <-res
	require.NoError(t, got.err)
	require.Equal(t, stageAccepted, got.resp.Stage)
	require.Nil(t, got.resp.Outcome)
	require.Equal(t, ex.RunId, got.resp.GetUpdateRef().GetWorkflowExecution().GetRunId())

	// A poll without a wait policy answers at once; an unknown update is
	// not found.
	poll := func(id string, stage enumspb.UpdateWorkflowExecutionLifecycleStage, d time.Duration) (*historyservice.PollWorkflowExecutionUpdateResponse, error) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		req := &workflowservice.PollWorkflowExecutionUpdateRequest{
			Namespace: testNS, UpdateRef: &updatepb.UpdateRef{WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ex.WorkflowId}, UpdateId: id},
		}
		if stage != 0 {
			req.WaitPolicy = &updatepb.WaitPolicy{LifecycleStage: stage}
		}
		return s.PollWorkflowExecutionUpdate(ctx, &historyservice.PollWorkflowExecutionUpdateRequest{NamespaceId: testNSID, Request: req})
	}
	p, err := poll("u1", 0, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, stageAccepted, p.Response.Stage)
	_, err = poll("nope", 0, 10*time.Second)
	var nf *serviceerror.NotFound
	require.ErrorAs(t, err, &nf)

	// Waiting for COMPLETED with a short deadline answers the stage reached
	// a margin before the deadline.
	p, err = poll("u1", stageCompleted, 1500*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, stageAccepted, p.Response.Stage)
	require.Nil(t, p.Response.Outcome)

	// The run closes before the update completes: its outcome is a failure.
	_, err = s.TerminateWorkflowExecution(context.Background(), &historyservice.TerminateWorkflowExecutionRequest{
		NamespaceId: testNSID, Request: &workflowservice.TerminateWorkflowExecutionRequest{Namespace: testNS, WorkflowExecution: ex},
	})
	require.NoError(t, err)
	p, err = poll("u1", stageCompleted, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, stageCompleted, p.Response.Stage)
	require.Equal(t, "AcceptedUpdateCompletedWorkflow", p.Response.GetOutcome().GetFailure().GetApplicationFailureInfo().GetType())
}

func TestUpdateAdmittedStageAtDeadlineAndAbortOnClose(t *testing.T) {
	s := newUpdateTestService(t, Config{})
	ex := start(t, s, "wf")
	// No worker: the caller gets ADMITTED a margin before its deadline.
	got := <-sendUpdate(s, ex, "u1", stageAccepted, 1500*time.Millisecond)
	require.NoError(t, got.err)
	require.Equal(t, stageAdmitted, got.resp.Stage)

	// The re-sent request waits on the same update; the run is terminated.
	res := sendUpdate(s, ex, "u1", stageAccepted, 10*time.Second)
	waitAdmitted(t, s, ex, "u1")
	_, err := s.TerminateWorkflowExecution(context.Background(), &historyservice.TerminateWorkflowExecutionRequest{
		NamespaceId: testNSID, Request: &workflowservice.TerminateWorkflowExecutionRequest{Namespace: testNS, WorkflowExecution: ex},
	})
	require.NoError(t, err)
	got = <-res
	var nf *serviceerror.NotFound
	require.ErrorAs(t, got.err, &nf)
	require.Contains(t, got.err.Error(), "workflow execution already completed")

	// A new update on the closed run is refused the same way.
	got = <-sendUpdate(s, ex, "u2", stageAccepted, 10*time.Second)
	require.ErrorAs(t, got.err, &nf)
}

func TestUpdateAbortedByContinueAsNewIsRetryable(t *testing.T) {
	s := newUpdateTestService(t, Config{})
	ex := start(t, s, "wf")
	tok, _ := startTask(t, s, ex, "poll-1")
	// u1 is admitted while the task runs; the task continues as new.
	res := sendUpdate(s, ex, "u1", stageAccepted, 10*time.Second)
	waitAdmitted(t, s, ex, "u1")
	require.NoError(t, respond(s, tok, nil, &commandpb.Command{
		CommandType: enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
		Attributes: &commandpb.Command_ContinueAsNewWorkflowExecutionCommandAttributes{ContinueAsNewWorkflowExecutionCommandAttributes: &commandpb.ContinueAsNewWorkflowExecutionCommandAttributes{
			WorkflowType: &commonpb.WorkflowType{Name: "W"},
		}},
	}))
	got := <-res
	var un *serviceerror.Unavailable
	require.ErrorAs(t, got.err, &un, "the SDK retries and reaches the new run")
}

func TestUpdateInFlightLimit(t *testing.T) {
	s := newUpdateTestService(t, Config{MaxInFlightUpdates: 1})
	ex := start(t, s, "wf")
	res := sendUpdate(s, ex, "u1", stageAccepted, 10*time.Second)
	waitAdmitted(t, s, ex, "u1")
	got := <-sendUpdate(s, ex, "u2", stageAccepted, 10*time.Second)
	var re *serviceerror.ResourceExhausted
	require.ErrorAs(t, got.err, &re)
	// The same ID is no new update.
	same := sendUpdate(s, ex, "u1", stageAccepted, 10*time.Second)

	// A failed task does not count: its retry carries the update again.
	tok, task := startTask(t, s, ex, "poll-1")
	require.Len(t, task.Messages, 1)
	_, err := s.RespondWorkflowTaskFailed(context.Background(), &historyservice.RespondWorkflowTaskFailedRequest{
		NamespaceId: testNSID, Token: tok,
		Request: &workflowservice.RespondWorkflowTaskFailedRequest{Namespace: testNS, Identity: "worker"},
	})
	require.NoError(t, err)
	tok, task = startTask(t, s, ex, "poll-2")
	require.Len(t, task.Messages, 1)
	require.NoError(t, respond(s, tok, []*protocolpb.Message{acceptance(t, task.Messages[0])}))
	for _, ch := range []<-chan updateResult{res, same} {
		got := <-ch
		require.NoError(t, got.err)
		require.Equal(t, stageAccepted, got.resp.Stage)
	}
	require.Equal(t, 1, count(history(t, s, ex), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED))
}
