package frontend

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meridian-dev/meridian/persistence"
)

func TestDependencyError(t *testing.T) {
	already := serviceerror.NewWorkflowExecutionAlreadyStarted("started", "req", fakeRunID)
	remote := serviceerror.ToStatus(serviceerror.NewNamespaceNotActive("ns", "a", "b")).Err()
	for _, c := range []struct {
		name string
		in   error
		code codes.Code
		same bool
	}{
		{"serviceerror passes through", already, codes.AlreadyExists, true},
		{"wrapped serviceerror passes through", fmt.Errorf("ctx: %w", already), codes.AlreadyExists, true},
		{"grpc status from a remote service", remote, codes.FailedPrecondition, false},
		{"deadline", context.DeadlineExceeded, codes.DeadlineExceeded, false},
		{"wrapped deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded, false},
		{"canceled", context.Canceled, codes.Canceled, false},
		{"store timeout", persistence.ErrTimeout, codes.Unavailable, false},
		{"shard ownership lost", &persistence.ShardOwnershipLostError{ShardID: 1}, codes.Unavailable, false},
		{"anything else", errors.New("boom"), codes.Internal, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := dependencyError("history", c.in)
			require.Equal(t, c.code, serviceerror.ToStatus(got).Code())
			if c.same {
				require.Same(t, c.in, got)
			}
		})
	}
	require.NoError(t, dependencyError("history", nil))

	// Details survive the round trip through a gRPC status.
	var nna *serviceerror.NamespaceNotActive
	require.ErrorAs(t, dependencyError("history", remote), &nna)
	require.Equal(t, "b", nna.ActiveCluster)

	var as *serviceerror.WorkflowExecutionAlreadyStarted
	require.ErrorAs(t, dependencyError("history", already), &as)
	require.Equal(t, fakeRunID, as.RunId)
}

func TestStoreError(t *testing.T) {
	require.Equal(t, codes.NotFound, serviceerror.ToStatus(storeError("s", persistence.ErrNotFound)).Code())
	require.Equal(t, codes.Unavailable, serviceerror.ToStatus(storeError("s", persistence.ErrUnavailable)).Code())
	require.Equal(t, codes.Unavailable, serviceerror.ToStatus(storeError("s", errors.New("disk on fire"))).Code())
	nf := serviceerror.NewNamespaceNotFound("x")
	require.Same(t, nf, storeError("s", nf))
}

func TestToStatus(t *testing.T) {
	require.Nil(t, toStatus(nil))
	require.Equal(t, codes.InvalidArgument, toStatus(serviceerror.NewInvalidArgument("x")).Code())
	require.Equal(t, codes.Internal, toStatus(errors.New("raw")).Code())
	require.Equal(t, codes.DeadlineExceeded, toStatus(context.DeadlineExceeded).Code())
	require.Equal(t, codes.NotFound, toStatus(status.Error(codes.NotFound, "health")).Code())
}
