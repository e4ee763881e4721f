package frontend

import (
	"go.temporal.io/api/serviceerror"
	"google.golang.org/protobuf/proto"

	tokenspb "github.com/meridian-dev/meridian/common/commonpb"
)

// Task tokens handed to workers are marshaled tokenspb.TaskToken (workflow
// and activity tasks) or tokenspb.QueryTaskToken (legacy query tasks). The
// frontend only decodes them and checks that they name a namespace and a
// target; history and matching validate the rest.

// decodeTaskToken decodes a workflow or activity task token. An empty,
// undecodable or incomplete token is InvalidArgument "Error deserializing
// task token.".
func decodeTaskToken(b []byte) (*tokenspb.TaskToken, error) {
	if len(b) == 0 {
		return nil, serviceerror.NewInvalidArgument(msgDeserializingToken)
	}
	t := &tokenspb.TaskToken{}
	if err := proto.Unmarshal(b, t); err != nil {
		return nil, serviceerror.NewInvalidArgument(msgDeserializingToken)
	}
	if t.GetNamespaceId() == "" || t.GetWorkflowId() == "" {
		return nil, serviceerror.NewInvalidArgument(msgDeserializingToken)
	}
	return t, nil
}

// decodeQueryTaskToken decodes a legacy query task token, with the same
// errors as decodeTaskToken.
func decodeQueryTaskToken(b []byte) (*tokenspb.QueryTaskToken, error) {
	if len(b) == 0 {
		return nil, serviceerror.NewInvalidArgument(msgDeserializingToken)
	}
	t := &tokenspb.QueryTaskToken{}
	if err := proto.Unmarshal(b, t); err != nil {
		return nil, serviceerror.NewInvalidArgument(msgDeserializingToken)
	}
	if t.GetNamespaceId() == "" || t.GetQueryId() == "" || t.GetTaskQueue() == "" {
		return nil, serviceerror.NewInvalidArgument(msgDeserializingToken)
	}
	return t, nil
}

// activityTokenByID builds the token of a *ById activity call: addressed
// by (workflow ID, run ID, activity ID), scheduled_event_id 0.
func activityTokenByID(namespaceID, workflowID, runID, activityID string) *tokenspb.TaskToken {
	return &tokenspb.TaskToken{
		NamespaceId: namespaceID,
		WorkflowId:  workflowID,
		RunId:       runID,
		ActivityId:  activityID,
	}
}
