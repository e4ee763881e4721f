package frontend

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meridian-dev/meridian/persistence"
)

// Errors crossing the API are serviceerror values so that the SDK maps
// them. Dependencies (history, matching, stores) may return anything; the
// functions here classify once:
//
//   - a serviceerror (or an error wrapping one) passes through unchanged;
//   - a gRPC status error (history or matching reached over gRPC) becomes
//     the serviceerror its status encodes, details included;
//   - context deadline / cancellation become DeadlineExceeded / Canceled;
//   - store errors become NotFound or Unavailable (retryable);
//   - anything else from history or matching is a bug: Internal.

// dependencyError converts an error returned by history or matching.
func dependencyError(dep string, err error) error {
	if err == nil {
		return nil
	}
	if e, ok := classify(err); ok {
		return e
	}
	if isStoreError(err) {
		return serviceerror.NewUnavailable(fmt.Sprintf("%s: %v", dep, err))
	}
	return serviceerror.NewInternal(fmt.Sprintf("%s: %v", dep, err))
}

// storeError converts an error returned by a persistence store.
func storeError(store string, err error) error {
	if err == nil {
		return nil
	}
	if e, ok := classify(err); ok {
		return e
	}
	if errors.Is(err, persistence.ErrNotFound) {
		return serviceerror.NewNotFound(fmt.Sprintf("%s: %v", store, err))
	}
	// Timeouts, overload, lost conditions and unknown store failures are
	// all worth a retry.
	return serviceerror.NewUnavailable(fmt.Sprintf("%s: %v", store, err))
}

// classify handles the cases shared by every source: serviceerrors, gRPC
// statuses and context errors.
func classify(err error) (error, bool) {
	var se serviceerror.ServiceError
	if errors.As(err, &se) {
		return err, true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return serviceerror.NewDeadlineExceeded(err.Error()), true
	}
	if errors.Is(err, context.Canceled) {
		return serviceerror.NewCanceled(err.Error()), true
	}
	if st, ok := status.FromError(err); ok && st.Code() != codes.OK {
		return serviceerror.FromStatus(st), true
	}
	return nil, false
}

func isStoreError(err error) bool {
	return errors.Is(err, persistence.ErrTimeout) ||
		errors.Is(err, persistence.ErrUnavailable) ||
		errors.Is(err, persistence.ErrConditionFailed) ||
		persistence.IsShardOwnershipLost(err)
}

// toStatus turns whatever a handler returned into the gRPC status sent to
// the client. Handlers return serviceerrors; anything else is a bug in the
// handler and becomes Internal.
func toStatus(err error) *status.Status {
	if err == nil {
		return nil
	}
	if e, ok := classify(err); ok {
		return serviceerror.ToStatus(e)
	}
	return status.New(codes.Internal, err.Error())
}
