package frontend

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	filterpb "go.temporal.io/api/filter/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/common/listfilter"
	"github.com/meridian-dev/meridian/common/namespace"
	"github.com/meridian-dev/meridian/common/searchattribute"
	"github.com/meridian-dev/meridian/persistence"
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Visibility APIs, all served from the VisibilityStore. Queries are parsed
// by listfilter against the namespace's custom search attributes.

// ListWorkflowExecutions lists runs matching a query, in the query's ORDER
// BY (default: start time, newest first).
func (s *Service) ListWorkflowExecutions(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	if req == nil {
		return nil, serviceerror.NewInvalidArgument(msgRequestNil)
	}
	infos, next, err := s.listByQuery(ctx, req.GetNamespace(), req.GetQuery(), req.GetPageSize(), req.GetNextPageToken())
	if err != nil {
		return nil, err
	}
	return &workflowservice.ListWorkflowExecutionsResponse{Executions: infos, NextPageToken: next}, nil
}

// ScanWorkflowExecutions is ListWorkflowExecutions without ordering
// guarantees (the store's default order is used).
func (s *Service) ScanWorkflowExecutions(ctx context.Context, req *workflowservice.ScanWorkflowExecutionsRequest) (*workflowservice.ScanWorkflowExecutionsResponse, error) { //nolint:staticcheck // deprecated API, still called by older CLIs
	if req == nil {
		return nil, serviceerror.NewInvalidArgument(msgRequestNil)
	}
	infos, next, err := s.listByQuery(ctx, req.GetNamespace(), req.GetQuery(), req.GetPageSize(), req.GetNextPageToken())
	if err != nil {
		return nil, err
	}
	return &workflowservice.ScanWorkflowExecutionsResponse{Executions: infos, NextPageToken: next}, nil //nolint:staticcheck // deprecated API, still called by older CLIs
}

func (s *Service) listByQuery(ctx context.Context, nsName, query string, pageSize int32, token []byte) ([]*workflowpb.WorkflowExecutionInfo, []byte, error) {
	if err := s.v.listWorkflowExecutions(nsName, pageSize); err != nil {
		return nil, nil, err
	}
	ns, err := s.namespaceByName(ctx, nsName)
	if err != nil {
		return nil, nil, err
	}
	req := &persistence.ListWorkflowExecutionsRequest{
		NamespaceID:   ns.ID(),
		PageSize:      clampPageSize(int(pageSize), s.cfg.DefaultVisibilityPageSize, s.cfg.MaxVisibilityPageSize),
		NextPageToken: token,
	}
	var f *listfilter.Filter
	if strings.TrimSpace(query) != "" {
		if f, err = parseQuery(ns, query); err != nil {
			return nil, nil, err
		}
		if f.GroupBy() != nil {
			return nil, nil, serviceerror.NewInvalidArgument("invalid query: GROUP BY is only supported in CountWorkflowExecutions")
		}
		req.Filter = f
		req.Less = f.OrderBy()
	}
	req.Filter = hideDivisions(req.Filter, f)
	return s.listIn(ctx, ns, req)
}

// listIn lists the records of ns that req selects.
func (s *Service) listIn(ctx context.Context, ns *namespace.Entry, req *persistence.ListWorkflowExecutionsRequest) ([]*workflowpb.WorkflowExecutionInfo, []byte, error) {
	recs, next, err := s.visibility.ListWorkflowExecutions(ctx, req)
	if err != nil {
		return nil, nil, storeError("visibility store", err)
	}
	return executionInfos(recs, namespaceSearchAttributes(ns)), next, nil
}

// namespaceSearchAttributes returns the custom search attributes of ns.
func namespaceSearchAttributes(ns *namespace.Entry) searchattribute.Types {
	return searchattribute.FromAliases(ns.Detail().GetConfig().GetCustomSearchAttributeAliases())
}

// parseQuery parses a visibility query for namespace ns.
func parseQuery(ns *namespace.Entry, query string) (*listfilter.Filter, error) {
	f, err := listfilter.Parse(query, listfilter.SearchAttributeTypes(namespaceSearchAttributes(ns)))
	if err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "invalid query") {
			msg = "invalid query: " + msg
		}
		return nil, serviceerror.NewInvalidArgument(msg)
	}
	return f, nil
}

// executionInfos maps visibility records to the API's execution infos,
// with each search attribute's type (custom: the namespace's attributes)
// in its payload's "type" metadata, which the SDKs decode typed values by.
func executionInfos(recs []*persistencepb.VisibilityRecord, custom searchattribute.Types) []*workflowpb.WorkflowExecutionInfo {
	out := make([]*workflowpb.WorkflowExecutionInfo, 0, len(recs))
	for _, r := range recs {
		if info := r.GetInfo(); info != nil {
			info.SearchAttributes = searchattribute.WithTypes(info.GetSearchAttributes(), custom)
			// Never nil, as in Temporal (SDK helpers read their fields).
			if info.SearchAttributes == nil {
				info.SearchAttributes = &commonpb.SearchAttributes{}
			}
			if info.Memo == nil {
				info.Memo = &commonpb.Memo{}
			}
			out = append(out, info)
		}
	}
	return out
}

// CountWorkflowExecutions counts runs matching a query. With GROUP BY
// ExecutionStatus (the only grouping Temporal supports) it also returns
// one group per status that has runs, in status order, each named by the
// status ("Running") as a Keyword payload.
func (s *Service) CountWorkflowExecutions(ctx context.Context, req *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	if err := s.v.countWorkflowExecutions(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	var f *listfilter.Filter
	if strings.TrimSpace(req.GetQuery()) != "" {
		if f, err = parseQuery(ns, req.GetQuery()); err != nil {
			return nil, err
		}
	}
	var vf persistence.VisibilityFilter
	if f != nil {
		vf = f
	}
	vf = hideDivisions(vf, f)
	if f.GroupBy() != nil {
		return s.countByStatus(ctx, ns, vf)
	}
	n, err := s.visibility.CountWorkflowExecutions(ctx, ns.ID(), vf)
	if err != nil {
		return nil, storeError("visibility store", err)
	}
	return &workflowservice.CountWorkflowExecutionsResponse{Count: n}, nil
}

// countByStatus answers a count grouped by ExecutionStatus. It reads the
// matching records in one unpaged list (the stores scan the namespace for
// a count too) and groups them here.
func (s *Service) countByStatus(ctx context.Context, ns *namespace.Entry, filter persistence.VisibilityFilter) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	recs, _, err := s.visibility.ListWorkflowExecutions(ctx, &persistence.ListWorkflowExecutionsRequest{
		NamespaceID: ns.ID(),
		Filter:      filter,
		Less:        noOrder,
		PageSize:    0, // every matching record
	})
	if err != nil {
		return nil, storeError("visibility store", err)
	}
	counts := map[enumspb.WorkflowExecutionStatus]int64{}
	for _, r := range recs {
		counts[r.GetInfo().GetStatus()]++
	}
	statuses := make([]enumspb.WorkflowExecutionStatus, 0, len(counts))
	for st := range counts {
		statuses = append(statuses, st)
	}
	slices.Sort(statuses)
	resp := &workflowservice.CountWorkflowExecutionsResponse{Count: int64(len(recs))}
	for _, st := range statuses {
		resp.Groups = append(resp.Groups, &workflowservice.CountWorkflowExecutionsResponse_AggregationGroup{
			GroupValues: []*commonpb.Payload{keywordPayload(st.String())},
			Count:       counts[st],
		})
	}
	return resp, nil
}

// noOrder leaves records in scan order: a grouped count needs no sort.
func noOrder(_, _ *persistencepb.VisibilityRecord) bool { return false }

// keywordPayload encodes s as Temporal encodes a Keyword value.
func keywordPayload(s string) *commonpb.Payload {
	data, _ := json.Marshal(s) // a string always marshals
	return &commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte("json/plain"), "type": []byte(searchattribute.ShortTypeName(enumspb.INDEXED_VALUE_TYPE_KEYWORD))},
		Data:     data,
	}
}

// ListOpenWorkflowExecutions lists running workflows, newest start first,
// filtered by start time and by execution or type.
func (s *Service) ListOpenWorkflowExecutions(ctx context.Context, req *workflowservice.ListOpenWorkflowExecutionsRequest) (*workflowservice.ListOpenWorkflowExecutionsResponse, error) {
	if err := s.v.listOpenWorkflowExecutions(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	f := &legacyFilter{
		open:      true,
		timeRange: req.GetStartTimeFilter(),
		execution: req.GetExecutionFilter(),
		typeName:  req.GetTypeFilter().GetName(),
	}
	infos, next, err := s.listIn(ctx, ns, &persistence.ListWorkflowExecutionsRequest{
		NamespaceID:   ns.ID(),
		Filter:        hideDivisions(f, nil),
		PageSize:      clampPageSize(int(req.GetMaximumPageSize()), s.cfg.DefaultVisibilityPageSize, s.cfg.MaxVisibilityPageSize),
		NextPageToken: req.GetNextPageToken(),
	})
	if err != nil {
		return nil, err
	}
	return &workflowservice.ListOpenWorkflowExecutionsResponse{Executions: infos, NextPageToken: next}, nil
}

// ListClosedWorkflowExecutions lists closed workflows, most recently
// closed first. As in Temporal, the "start time" filter of this call
// applies to the close time.
func (s *Service) ListClosedWorkflowExecutions(ctx context.Context, req *workflowservice.ListClosedWorkflowExecutionsRequest) (*workflowservice.ListClosedWorkflowExecutionsResponse, error) {
	if err := s.v.listClosedWorkflowExecutions(req); err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	f := &legacyFilter{
		timeRange: req.GetStartTimeFilter(),
		execution: req.GetExecutionFilter(),
		typeName:  req.GetTypeFilter().GetName(),
	}
	if sf := req.GetStatusFilter(); sf != nil {
		f.status = sf.GetStatus()
	}
	infos, next, err := s.listIn(ctx, ns, &persistence.ListWorkflowExecutionsRequest{
		NamespaceID:   ns.ID(),
		Filter:        hideDivisions(f, nil),
		Less:          closedFirst,
		PageSize:      clampPageSize(int(req.GetMaximumPageSize()), s.cfg.DefaultVisibilityPageSize, s.cfg.MaxVisibilityPageSize),
		NextPageToken: req.GetNextPageToken(),
	})
	if err != nil {
		return nil, err
	}
	return &workflowservice.ListClosedWorkflowExecutionsResponse{Executions: infos, NextPageToken: next}, nil
}

// legacyFilter implements the structured filters of ListOpen/Closed.
type legacyFilter struct {
	open      bool
	timeRange *filterpb.StartTimeFilter
	execution *filterpb.WorkflowExecutionFilter
	typeName  string
	// status, when set, selects one close status (closed lists only).
	status enumspb.WorkflowExecutionStatus
}

// Match implements persistence.VisibilityFilter.
func (f *legacyFilter) Match(rec *persistencepb.VisibilityRecord) bool {
	info := rec.GetInfo()
	if info == nil {
		return false
	}
	running := info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	if running != f.open {
		return false
	}
	if f.status != enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED && info.GetStatus() != f.status {
		return false
	}
	if f.execution != nil {
		if info.GetExecution().GetWorkflowId() != f.execution.GetWorkflowId() {
			return false
		}
		if r := f.execution.GetRunId(); r != "" && info.GetExecution().GetRunId() != r {
			return false
		}
	}
	if f.typeName != "" && info.GetType().GetName() != f.typeName {
		return false
	}
	if f.timeRange != nil {
		ts := info.GetStartTime()
		if !f.open {
			ts = info.GetCloseTime()
		}
		if ts == nil {
			return false
		}
		t := ts.AsTime()
		if e := f.timeRange.GetEarliestTime(); e != nil && t.Before(e.AsTime()) {
			return false
		}
		if l := f.timeRange.GetLatestTime(); l != nil && t.After(l.AsTime()) {
			return false
		}
	}
	return true
}

// closedFirst orders closed runs by close time, newest first, then run ID.
func closedFirst(a, b *persistencepb.VisibilityRecord) bool {
	ta, tb := a.GetInfo().GetCloseTime().AsTime(), b.GetInfo().GetCloseTime().AsTime()
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	return a.GetInfo().GetExecution().GetRunId() < b.GetInfo().GetExecution().GetRunId()
}

// GetSearchAttributes lists the system search attributes and their types.
// The request names no namespace, so custom attributes are not included;
// OperatorService.ListSearchAttributes reports those per namespace.
func (s *Service) GetSearchAttributes(context.Context, *workflowservice.GetSearchAttributesRequest) (*workflowservice.GetSearchAttributesResponse, error) {
	return &workflowservice.GetSearchAttributesResponse{Keys: copySystemSearchAttributes()}, nil
}
