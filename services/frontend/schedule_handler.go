package frontend

import (
	"context"
	"errors"
	"fmt"
	"maps"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	querypb "go.temporal.io/api/query/v1"
	schedulepb "go.temporal.io/api/schedule/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/common/listfilter"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/common/schedule"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Schedules. Each schedule is a scheduler workflow (common/schedule's
// contract) that the system worker (services/worker) runs in the
// schedule's namespace. These handlers translate the Schedule API into
// starting, updating, querying and terminating that workflow through
// history, like the frontend's other workflow calls. Writes wait until
// the scheduler applied them (workflow updates with wait stage
// COMPLETED), so a describe after an update sees it.

// maxMatchingTimes bounds ListScheduleMatchingTimes.
const maxMatchingTimes = 1000

var dataConverter = converter.GetDefaultDataConverter()

// errScheduleNotFound is what every call on a missing schedule gets.
func errScheduleNotFound(id string) error {
	return serviceerror.NewNotFound(fmt.Sprintf("schedule %q not found", id))
}

// CreateSchedule starts the schedule's scheduler workflow. A schedule ID
// in use gets WorkflowExecutionAlreadyStarted (AlreadyExists), which the
// SDK reports as ErrScheduleAlreadyRunning; the request ID makes retries
// of a successful create succeed.
func (s *Service) CreateSchedule(ctx context.Context, req *workflowservice.CreateScheduleRequest) (*workflowservice.CreateScheduleResponse, error) {
	if err := s.v.createSchedule(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if err := newWorkflowsIn(ns, req.GetSearchAttributes(), req.GetSchedule().GetAction().GetStartWorkflow().GetSearchAttributes()); err != nil {
		return nil, err
	}
	if req.RequestId == "" {
		req.RequestId = s.newID()
	}
	// The second argument is the scheduler's carried state: none yet.
	input, err := dataConverter.ToPayloads(req, nil)
	if err != nil {
		return nil, serviceerror.NewInternal(fmt.Sprintf("encode scheduler input: %v", err))
	}
	sa := &commonpb.SearchAttributes{IndexedFields: maps.Clone(req.GetSearchAttributes().GetIndexedFields())}
	if sa.IndexedFields == nil {
		sa.IndexedFields = map[string]*commonpb.Payload{}
	}
	division, err := converter.GetDefaultDataConverter().ToPayload(schedule.Division)
	if err != nil {
		return nil, serviceerror.NewInternal(fmt.Sprintf("encode search attribute: %v", err))
	}
	division.Metadata["type"] = []byte(enumspb.INDEXED_VALUE_TYPE_KEYWORD.String())
	sa.IndexedFields[schedule.DivisionSearchAttribute] = division
	start := &workflowservice.StartWorkflowExecutionRequest{
		Namespace:             ns.Name(),
		WorkflowId:            schedule.WorkflowID(req.GetScheduleId()),
		WorkflowType:          &commonpb.WorkflowType{Name: schedule.WorkflowType},
		TaskQueue:             &taskqueuepb.TaskQueue{Name: schedule.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:                 input,
		Identity:              req.GetIdentity(),
		RequestId:             req.GetRequestId(),
		WorkflowIdReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		Memo:                  req.GetMemo(),
		SearchAttributes:      sa,
	}
	if _, err := s.history.StartWorkflowExecution(ctx, &historyservice.StartWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request:     start,
	}); err != nil {
		return nil, dependencyError("history", err)
	}
	return &workflowservice.CreateScheduleResponse{ConflictToken: conflictToken(0)}, nil
}

// conflictToken encodes a token as the scheduler does (8 bytes, big end).
func conflictToken(n int64) []byte {
	b := make([]byte, 8)
	for i := range 8 {
		b[7-i] = byte(n >> (8 * i))
	}
	return b
}

// schedulerRun returns the running scheduler workflow of schedule id, or
// NotFound.
func (s *Service) schedulerRun(ctx context.Context, ns *namespace.Entry, id string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	resp, err := s.history.DescribeWorkflowExecution(ctx, &historyservice.DescribeWorkflowExecutionRequest{
		NamespaceId: ns.ID(),
		Request: &workflowservice.DescribeWorkflowExecutionRequest{
			Namespace: ns.Name(),
			Execution: &commonpb.WorkflowExecution{WorkflowId: schedule.WorkflowID(id)},
		},
	})
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, errScheduleNotFound(id)
	}
	if err != nil {
		return nil, dependencyError("history", err)
	}
	out := resp.GetResponse()
	if out.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return nil, errScheduleNotFound(id)
	}
	return out, nil
}

// describeScheduler asks the scheduler workflow for its description.
func (s *Service) describeScheduler(ctx context.Context, ns *namespace.Entry, id string) (*workflowservice.DescribeScheduleResponse, *workflowservice.DescribeWorkflowExecutionResponse, error) {
	run, err := s.schedulerRun(ctx, ns, id)
	if err != nil {
		return nil, nil, err
	}
	q, err := s.QueryWorkflow(ctx, &workflowservice.QueryWorkflowRequest{
		Namespace: ns.Name(),
		Execution: run.GetWorkflowExecutionInfo().GetExecution(),
		Query:     &querypb.WorkflowQuery{QueryType: schedule.QueryDescribe},
	})
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, nil, errScheduleNotFound(id)
		}
		return nil, nil, err
	}
	var out workflowservice.DescribeScheduleResponse
	if err := dataConverter.FromPayloads(q.GetQueryResult(), &out); err != nil {
		return nil, nil, serviceerror.NewInternal(fmt.Sprintf("decode schedule description: %v", err))
	}
	return &out, run, nil
}

// DescribeSchedule returns the schedule, its info, memo and search
// attributes.
func (s *Service) DescribeSchedule(ctx context.Context, req *workflowservice.DescribeScheduleRequest) (*workflowservice.DescribeScheduleResponse, error) {
	if err := s.v.describeSchedule(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	out, run, err := s.describeScheduler(ctx, ns, req.GetScheduleId())
	if err != nil {
		return nil, err
	}
	info := run.GetWorkflowExecutionInfo()
	out.Memo = userMemo(info.GetMemo())
	out.SearchAttributes = userSearchAttributes(info.GetSearchAttributes())
	return out, nil
}

// userMemo is a scheduler's memo without the list info it keeps there.
func userMemo(m *commonpb.Memo) *commonpb.Memo {
	if _, ok := m.GetFields()[schedule.MemoKey]; !ok {
		return m
	}
	fields := maps.Clone(m.GetFields())
	delete(fields, schedule.MemoKey)
	return &commonpb.Memo{Fields: fields}
}

// userSearchAttributes drops the division attribute the server set.
func userSearchAttributes(sa *commonpb.SearchAttributes) *commonpb.SearchAttributes {
	if _, ok := sa.GetIndexedFields()[schedule.DivisionSearchAttribute]; !ok {
		return sa
	}
	fields := maps.Clone(sa.GetIndexedFields())
	delete(fields, schedule.DivisionSearchAttribute)
	return &commonpb.SearchAttributes{IndexedFields: fields}
}

// UpdateSchedule replaces the schedule. A set conflict token that does
// not match the schedule's current one gets FailedPrecondition.
func (s *Service) UpdateSchedule(ctx context.Context, req *workflowservice.UpdateScheduleRequest) (*workflowservice.UpdateScheduleResponse, error) {
	if err := s.v.updateSchedule(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if err := searchAttributesIn(ns, req.GetSchedule().GetAction().GetStartWorkflow().GetSearchAttributes()); err != nil {
		return nil, err
	}
	if err := s.updateScheduler(ctx, ns, req.GetScheduleId(), schedule.UpdateSchedule, req, req.GetRequestId(), req.GetIdentity()); err != nil {
		return nil, err
	}
	return &workflowservice.UpdateScheduleResponse{}, nil
}

// PatchSchedule triggers, backfills, pauses or unpauses the schedule.
func (s *Service) PatchSchedule(ctx context.Context, req *workflowservice.PatchScheduleRequest) (*workflowservice.PatchScheduleResponse, error) {
	if err := s.v.patchSchedule(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if err := s.updateScheduler(ctx, ns, req.GetScheduleId(), schedule.UpdatePatch, req, req.GetRequestId(), req.GetIdentity()); err != nil {
		return nil, err
	}
	return &workflowservice.PatchScheduleResponse{}, nil
}

// updateScheduler sends a workflow update to the scheduler and waits
// until it completed. The request ID is the update ID, so a retried call
// is applied once.
func (s *Service) updateScheduler(ctx context.Context, ns *namespace.Entry, id, name string, arg proto.Message, requestID, identity string) error {
	run, err := s.schedulerRun(ctx, ns, id)
	if err != nil {
		return err
	}
	if requestID == "" {
		requestID = s.newID()
	}
	args, err := dataConverter.ToPayloads(arg)
	if err != nil {
		return serviceerror.NewInternal(fmt.Sprintf("encode schedule update: %v", err))
	}
	exec := &commonpb.WorkflowExecution{WorkflowId: schedule.WorkflowID(id), RunId: run.GetWorkflowExecutionInfo().GetExecution().GetRunId()}
	wait := &updatepb.WaitPolicy{LifecycleStage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED}
	resp, err := s.UpdateWorkflowExecution(ctx, &workflowservice.UpdateWorkflowExecutionRequest{
		Namespace:         ns.Name(),
		WorkflowExecution: exec,
		WaitPolicy:        wait,
		Request: &updatepb.Request{
			Meta:  &updatepb.Meta{UpdateId: requestID, Identity: identity},
			Input: &updatepb.Input{Name: name, Args: args},
		},
	})
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return errScheduleNotFound(id)
		}
		return err
	}
	outcome := resp.GetOutcome()
	for outcome == nil {
		if err := ctx.Err(); err != nil {
			return serviceerror.NewDeadlineExceeded("the schedule did not apply the change in time; it may still")
		}
		poll, err := s.PollWorkflowExecutionUpdate(ctx, &workflowservice.PollWorkflowExecutionUpdateRequest{
			Namespace:  ns.Name(),
			UpdateRef:  &updatepb.UpdateRef{WorkflowExecution: exec, UpdateId: requestID},
			Identity:   identity,
			WaitPolicy: wait,
		})
		if err != nil {
			return err
		}
		outcome = poll.GetOutcome()
	}
	if f := outcome.GetFailure(); f != nil {
		return serviceerror.NewFailedPrecondition(f.GetMessage())
	}
	return nil
}

// DeleteSchedule terminates the scheduler workflow. Workflows it started
// keep running.
func (s *Service) DeleteSchedule(ctx context.Context, req *workflowservice.DeleteScheduleRequest) (*workflowservice.DeleteScheduleResponse, error) {
	if err := s.v.deleteSchedule(req); err != nil {
		return nil, err
	}
	ns, err := s.activeNamespace(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	run, err := s.schedulerRun(ctx, ns, req.GetScheduleId())
	if err != nil {
		return nil, err
	}
	_, err = s.TerminateWorkflowExecution(ctx, &workflowservice.TerminateWorkflowExecutionRequest{
		Namespace:         ns.Name(),
		WorkflowExecution: run.GetWorkflowExecutionInfo().GetExecution(),
		Reason:            "schedule deleted",
		Identity:          req.GetIdentity(),
	})
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, errScheduleNotFound(req.GetScheduleId())
	}
	if err != nil {
		return nil, err
	}
	return &workflowservice.DeleteScheduleResponse{}, nil
}

// ListScheduleMatchingTimes lists the times in (start, end] the schedule's
// spec names, with jitter, at most maxMatchingTimes of them.
func (s *Service) ListScheduleMatchingTimes(ctx context.Context, req *workflowservice.ListScheduleMatchingTimesRequest) (*workflowservice.ListScheduleMatchingTimesResponse, error) {
	if err := s.v.listScheduleMatchingTimes(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	desc, _, err := s.describeScheduler(ctx, ns, req.GetScheduleId())
	if err != nil {
		return nil, err
	}
	spec, err := schedule.Compile(desc.GetSchedule().GetSpec())
	if err != nil {
		return nil, serviceerror.NewInternal(fmt.Sprintf("stored schedule spec does not compile: %v", err))
	}
	seed := ns.Name() + "/" + req.GetScheduleId()
	var out []*timestamppb.Timestamp
	for _, t := range spec.Times(seed, req.GetStartTime().AsTime(), req.GetEndTime().AsTime(), maxMatchingTimes) {
		out = append(out, timestamppb.New(t))
	}
	return &workflowservice.ListScheduleMatchingTimesResponse{StartTime: out}, nil
}

// ListSchedules lists the running scheduler workflows of the namespace
// (visibility records with the scheduler division), optionally filtered
// by a visibility query.
func (s *Service) ListSchedules(ctx context.Context, req *workflowservice.ListSchedulesRequest) (*workflowservice.ListSchedulesResponse, error) {
	if err := s.v.listSchedules(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	f := &scheduleFilter{}
	if q := req.GetQuery(); q != "" {
		if f.user, err = parseQuery(ns, q); err != nil {
			return nil, err
		}
	}
	recs, next, err := s.visibility.ListWorkflowExecutions(ctx, &persistence.ListWorkflowExecutionsRequest{
		NamespaceID:   ns.ID(),
		Filter:        f,
		PageSize:      clampPageSize(int(req.GetMaximumPageSize()), s.cfg.DefaultVisibilityPageSize, s.cfg.MaxVisibilityPageSize),
		NextPageToken: req.GetNextPageToken(),
	})
	if err != nil {
		return nil, storeError("visibility store", err)
	}
	out := &workflowservice.ListSchedulesResponse{NextPageToken: next, Schedules: make([]*schedulepb.ScheduleListEntry, 0, len(recs))}
	for _, r := range recs {
		info := r.GetInfo()
		id, _ := schedule.ScheduleID(info.GetExecution().GetWorkflowId())
		entry := &schedulepb.ScheduleListEntry{
			ScheduleId:       id,
			Memo:             userMemo(info.GetMemo()),
			SearchAttributes: userSearchAttributes(info.GetSearchAttributes()),
		}
		if p := info.GetMemo().GetFields()[schedule.MemoKey]; p != nil {
			var li schedulepb.ScheduleListInfo
			if err := dataConverter.FromPayload(p, &li); err == nil {
				entry.Info = &li
			}
		}
		out.Schedules = append(out.Schedules, entry)
	}
	return out, nil
}

// scheduleFilter selects running scheduler workflows that match the
// user's query, if any.
type scheduleFilter struct {
	user *listfilter.Filter
}

// Match implements persistence.VisibilityFilter.
func (f *scheduleFilter) Match(rec *persistencepb.VisibilityRecord) bool {
	info := rec.GetInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING || divisionOf(rec) != schedule.Division {
		return false
	}
	if _, ok := schedule.ScheduleID(info.GetExecution().GetWorkflowId()); !ok {
		return false
	}
	return f.user == nil || f.user.Match(rec)
}

// divisionOf is a record's TemporalNamespaceDivision, "" when unset.
func divisionOf(rec *persistencepb.VisibilityRecord) string {
	p := rec.GetInfo().GetSearchAttributes().GetIndexedFields()[schedule.DivisionSearchAttribute]
	if p == nil {
		return ""
	}
	var v string
	if err := dataConverter.FromPayload(p, &v); err != nil {
		return ""
	}
	return v
}
