package rpc

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/persistence"
)

// TestErrorsRoundTrip checks that what a remote handler returns is what
// the caller of the client adapter gets: the same serviceerror type with
// the same status and details, the same sentinel, the same NotOwned type.
func TestErrorsRoundTrip(t *testing.T) {
	host := startFakeHost(t, "a", ServerDeps{}, 1)
	conn, err := newTestPool(t, ClientConfig{}).Conn(host.addr)
	require.NoError(t, err)
	client := NewHistoryClient(conn)
	start := historyRequests("ns", "1")["StartWorkflowExecution"].(*historyservice.StartWorkflowExecutionRequest)

	queryFailure := &failurepb.Failure{Message: "query handler panicked", Source: "GoSDK"}
	same := []struct {
		name  string
		err   error
		check func(t *testing.T, got error)
	}{
		{name: "NotFound", err: serviceerror.NewNotFound("workflow execution not found")},
		{name: "WorkflowExecutionAlreadyStarted", err: serviceerror.NewWorkflowExecutionAlreadyStarted("Workflow execution is already running", "request-1", "run-1"),
			check: func(t *testing.T, got error) {
				var e *serviceerror.WorkflowExecutionAlreadyStarted
				require.ErrorAs(t, got, &e)
				require.Equal(t, "run-1", e.RunId)
				require.Equal(t, "request-1", e.StartRequestId)
			}},
		{name: "NamespaceNotFound", err: serviceerror.NewNamespaceNotFound("orders"),
			check: func(t *testing.T, got error) {
				var e *serviceerror.NamespaceNotFound
				require.ErrorAs(t, got, &e)
				require.Equal(t, "orders", e.Namespace)
			}},
		{name: "QueryFailed", err: serviceerror.NewQueryFailedWithFailure("query failed", queryFailure),
			check: func(t *testing.T, got error) {
				var e *serviceerror.QueryFailed
				require.ErrorAs(t, got, &e)
				require.True(t, proto.Equal(queryFailure, e.Failure), "failure: %v", e.Failure)
			}},
		{name: "InvalidArgument", err: serviceerror.NewInvalidArgument("WorkflowId is not set on request.")},
		{name: "NamespaceNotActive", err: serviceerror.NewNamespaceNotActive("orders", "east", "west")},
		{name: "ResourceExhausted", err: serviceerror.NewResourceExhausted(enumspb.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT, "too many updates")},
		{name: "FailedPrecondition", err: serviceerror.NewFailedPrecondition("too many updates in total")},
		{name: "Unavailable", err: serviceerror.NewUnavailable("store overloaded")},
		{name: "DeadlineExceeded", err: serviceerror.NewDeadlineExceeded("timed out")},
		{name: "Internal", err: serviceerror.NewInternal("bug")},
		{name: "MultiOperationExecution", err: serviceerror.NewMultiOperationExecution("Update-with-Start could not be executed.", []error{
			serviceerror.NewMultiOperationAborted("Operation was aborted."),
			serviceerror.NewInvalidArgument("update ID is not set"),
		}), check: func(t *testing.T, got error) {
			var e *serviceerror.MultiOperationExecution
			require.ErrorAs(t, got, &e)
			ops := e.OperationErrors()
			require.Len(t, ops, 2)
			require.IsType(t, &serviceerror.MultiOperationAborted{}, ops[0])
			require.IsType(t, &serviceerror.InvalidArgument{}, ops[1])
		}},
		{name: "ShardNotOwned", err: &historyservice.ShardNotOwnedError{ShardID: 1, Owner: "node-b"},
			check: func(t *testing.T, got error) {
				var e *historyservice.ShardNotOwnedError
				require.ErrorAs(t, got, &e)
				require.Equal(t, historyservice.ShardNotOwnedError{ShardID: 1, Owner: "node-b"}, *e)
				require.True(t, IsNotOwned(got))
			}},
		{name: "NotOwned", err: &NotOwnedError{What: "matching partition x"},
			check: func(t *testing.T, got error) {
				require.Equal(t, &NotOwnedError{What: "matching partition x"}, got)
				require.True(t, IsNotOwned(got))
			}},
	}
	for _, tc := range same {
		t.Run(tc.name, func(t *testing.T) {
			host.setHandle(func(context.Context, string, any) (any, error, bool) { return nil, tc.err, true })
			_, got := client.StartWorkflowExecution(context.Background(), start)
			require.Error(t, got)
			require.IsType(t, tc.err, got)
			require.Equal(t, tc.err.Error(), got.Error())
			requireSameStatus(t, ToStatus(tc.err), ToStatus(got))
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}

	// Errors that are not serviceerrors arrive as the serviceerror the
	// frontend would have made of them in-process.
	converted := []struct {
		name string
		err  error
		want error
	}{
		{"context deadline", fmt.Errorf("waiting: %w", context.DeadlineExceeded), &serviceerror.DeadlineExceeded{}},
		{"context canceled", context.Canceled, &serviceerror.Canceled{}},
		{"store timeout", fmt.Errorf("append history: %w", persistence.ErrTimeout), &serviceerror.Unavailable{}},
		{"shard ownership lost", &persistence.ShardOwnershipLostError{ShardID: 1, RangeID: 2, StoredRangeID: 3}, &serviceerror.Unavailable{}},
		{"plain error", errors.New("boom"), &serviceerror.Internal{}},
		{"wrapped serviceerror", fmt.Errorf("resolve: %w", serviceerror.NewNotFound("gone")), &serviceerror.NotFound{}},
	}
	for _, tc := range converted {
		t.Run(tc.name, func(t *testing.T) {
			host.setHandle(func(context.Context, string, any) (any, error, bool) { return nil, tc.err, true })
			_, got := client.StartWorkflowExecution(context.Background(), start)
			require.IsType(t, tc.want, got)
			require.Contains(t, got.Error(), tc.err.Error())
		})
	}
}

func TestStickyWorkerUnavailableRoundTrip(t *testing.T) {
	host := startFakeHost(t, "a", ServerDeps{})
	host.setHandle(func(context.Context, string, any) (any, error, bool) {
		return nil, matchingservice.ErrStickyWorkerUnavailable, true
	})
	conn, err := newTestPool(t, ClientConfig{}).Conn(host.addr)
	require.NoError(t, err)
	_, err = NewMatchingClient(conn).AddWorkflowTask(context.Background(), &matchingservice.AddWorkflowTaskRequest{})
	require.True(t, matchingservice.IsStickyWorkerUnavailable(err), "got %T %v", err, err)
	require.ErrorIs(t, err, matchingservice.ErrStickyWorkerUnavailable)
}

func TestFromStatusErrorIsIdempotent(t *testing.T) {
	for _, err := range []error{
		serviceerror.NewNotFound("x"),
		&historyservice.ShardNotOwnedError{ShardID: 4},
		&NotOwnedError{What: "y"},
		matchingservice.ErrStickyWorkerUnavailable,
		errors.New("not a status"),
	} {
		once := FromStatusError(ToStatus(err).Err())
		require.Equal(t, once, FromStatusError(once), "%v", err)
	}
	require.NoError(t, FromStatusError(nil))
	require.Nil(t, ToStatus(nil))
	require.Equal(t, codes.Internal, ToStatus(errors.New("x")).Code())
}

// requireSameStatus compares code, message and decoded details (an Any's
// bytes may differ: map fields have no canonical order).
func requireSameStatus(t *testing.T, want, got *status.Status) {
	t.Helper()
	require.Equal(t, want.Code(), got.Code())
	require.Equal(t, want.Message(), got.Message())
	wd, gd := want.Details(), got.Details()
	require.Len(t, gd, len(wd))
	for i := range wd {
		wm, ok := wd[i].(proto.Message)
		require.True(t, ok, "detail %d: %v", i, wd[i])
		require.True(t, proto.Equal(wm, gd[i].(proto.Message)), "detail %d: want %v, got %v", i, wd[i], gd[i])
	}
}
