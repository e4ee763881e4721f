package frontend

import (
	"context"
	"encoding/json"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/meridian-dev/meridian/api/historyservice"
)

// reverseToken is GetWorkflowExecutionHistoryReverse's page token: the run
// being read (pinned on the first page, so that later pages read the same
// run even if the workflow has moved on) and the ID of the oldest event
// returned so far. Events below Before are still to come.
type reverseToken struct {
	RunID  string `json:"run_id"`
	Before int64  `json:"before"`
}

// GetWorkflowExecutionHistoryReverse reads a run's history newest event
// first, as `temporal workflow reset --type LastWorkflowTask` and the UI
// do. The first page starts at the run's last event; each next page
// continues below the previous one. History is stored oldest first, so
// each page reads the run forward up to where it continues: reading a
// whole history this way costs O(events²/page size) event reads, which is
// fine for the few newest pages callers usually want.
func (s *Service) GetWorkflowExecutionHistoryReverse(ctx context.Context, req *workflowservice.GetWorkflowExecutionHistoryReverseRequest) (*workflowservice.GetWorkflowExecutionHistoryReverseResponse, error) {
	if err := s.v.getWorkflowExecutionHistoryReverse(req); err != nil {
		return nil, err
	}
	tok, err := decodeReverseToken(req.GetNextPageToken(), req.GetExecution().GetRunId())
	if err != nil {
		return nil, err
	}
	ns, err := s.namespaceByName(ctx, req.GetNamespace())
	if err != nil {
		return nil, err
	}
	if tok.RunID == "" {
		d, err := s.history.DescribeWorkflowExecution(ctx, &historyservice.DescribeWorkflowExecutionRequest{
			NamespaceId: ns.ID(),
			Request: &workflowservice.DescribeWorkflowExecutionRequest{
				Namespace: req.GetNamespace(),
				Execution: &commonpb.WorkflowExecution{WorkflowId: req.GetExecution().GetWorkflowId()},
			},
		})
		if err != nil {
			return nil, dependencyError("history", err)
		}
		tok.RunID = d.GetResponse().GetWorkflowExecutionInfo().GetExecution().GetRunId()
		if tok.RunID == "" {
			return nil, serviceerror.NewInternal("history described a workflow without a run ID")
		}
	}
	events, err := s.readHistoryBefore(ctx, ns.ID(), req.GetNamespace(), req.GetExecution().GetWorkflowId(), tok)
	if err != nil {
		return nil, err
	}
	size := int(req.GetMaximumPageSize())
	if size == 0 || size > s.cfg.DefaultHistoryPageSize {
		size = s.cfg.DefaultHistoryPageSize
	}
	page, before := reversePage(events, size)
	out := &workflowservice.GetWorkflowExecutionHistoryReverseResponse{History: &historypb.History{Events: page}}
	if before > 1 {
		next, err := json.Marshal(reverseToken{RunID: tok.RunID, Before: before})
		if err != nil {
			return nil, serviceerror.NewInternal("encoding a history page token: " + err.Error())
		}
		out.NextPageToken = next
	}
	return out, nil
}

// decodeReverseToken reads a page token; an empty one is the first page
// of runID (empty: the current run). A token must be for runID when the
// request names one.
func decodeReverseToken(b []byte, runID string) (reverseToken, error) {
	if len(b) == 0 {
		return reverseToken{RunID: runID}, nil
	}
	var tok reverseToken
	if err := json.Unmarshal(b, &tok); err != nil || tok.RunID == "" || tok.Before < 2 {
		return reverseToken{}, serviceerror.NewInvalidArgument("Invalid NextPageToken.")
	}
	if runID != "" && runID != tok.RunID {
		return reverseToken{}, serviceerror.NewInvalidArgument("Invalid NextPageToken: it belongs to another run than Execution.RunId.")
	}
	return tok, nil
}

// readHistoryBefore reads tok's run forward, oldest first, and returns its
// events with IDs below tok.Before (all of them when Before is 0).
func (s *Service) readHistoryBefore(ctx context.Context, namespaceID, namespace, workflowID string, tok reverseToken) ([]*historypb.HistoryEvent, error) {
	var events []*historypb.HistoryEvent
	var page []byte
	for {
		resp, err := s.history.GetWorkflowExecutionHistory(ctx, &historyservice.GetWorkflowExecutionHistoryRequest{
			NamespaceId: namespaceID,
			Request: &workflowservice.GetWorkflowExecutionHistoryRequest{
				Namespace:       namespace,
				Execution:       &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: tok.RunID},
				MaximumPageSize: int32(s.cfg.DefaultHistoryPageSize),
				NextPageToken:   page,
			},
		})
		if err != nil {
			return nil, dependencyError("history", err)
		}
		for _, e := range resp.GetResponse().GetHistory().GetEvents() {
			if tok.Before != 0 && e.GetEventId() >= tok.Before {
				return events, nil
			}
			events = append(events, e)
		}
		page = resp.GetResponse().GetNextPageToken()
		if len(page) == 0 {
			return events, nil
		}
	}
}

// reversePage returns the newest size events of events (oldest first),
// newest first, and the ID of the oldest one returned: the next page's
// Before (0 when events is empty).
func reversePage(events []*historypb.HistoryEvent, size int) ([]*historypb.HistoryEvent, int64) {
	if len(events) == 0 {
		return []*historypb.HistoryEvent{}, 0
	}
	from := len(events) - size
	if from < 0 {
		from = 0
	}
	page := make([]*historypb.HistoryEvent, 0, len(events)-from)
	for i := len(events) - 1; i >= from; i-- {
		page = append(page, events[i])
	}
	return page, events[from].GetEventId()
}
