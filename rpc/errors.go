package rpc

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meridian-dev/meridian/api/historyservice"
	"github.com/meridian-dev/meridian/api/matchingservice"
	"github.com/meridian-dev/meridian/persistence"
)

// Errors cross the wire as gRPC statuses and come back as the values the
// handler returned, so that a caller cannot tell a remote service from an
// in-process one:
//
//   - serviceerror values travel as serviceerror.ToStatus encodes them
//     (code, message, the typed detail: run ID of
//     WorkflowExecutionAlreadyStarted, namespace of NamespaceNotFound, ...)
//     and come back through serviceerror.FromStatus as the same type;
//   - sentinel errors of the api packages that implement GRPCStatus
//     (matchingservice.ErrStickyWorkerUnavailable) come back as the same
//     sentinel, so errors.Is keeps working;
//   - *historyservice.ShardNotOwnedError and *NotOwnedError travel as
//     Unavailable with an ErrorInfo detail and come back as the same type
//     (a client that does not know them, the SDK included, sees a
//     retryable Unavailable);
//   - context errors become DeadlineExceeded / Canceled, transient store
//     errors Unavailable, and anything else Internal (a handler returned
//     an error no caller can act on), as the frontend classifies
//     in-process errors.

// sentinels are the api packages' errors that cross the wire by their
// GRPCStatus and are matched back by code and message.
var sentinels = []error{
	matchingservice.ErrStickyWorkerUnavailable,
}

const (
	// errorDomain and reasonNotOwned mark a NotOwnedError's ErrorInfo.
	errorDomain    = "meridian"
	reasonNotOwned = "NOT_OWNED"
)

// NotOwnedError is returned by a host asked to serve something placed on
// the ring that it does not own, such as a matching host asked about a
// task-queue partition it never acquired or has released after a ring
// change. The host did nothing; the request may be sent again to the
// current owner, which the routers do. History hosts answer with their
// own *historyservice.ShardNotOwnedError instead; IsNotOwned recognizes
// both.
type NotOwnedError struct {
	// What names the thing not owned, e.g. "matching partition ...".
	What string
}

func (e *NotOwnedError) Error() string { return e.What + " is not owned by this host" }

// GRPCStatus encodes the error as Unavailable with an ErrorInfo detail
// (domain "meridian", reason "NOT_OWNED", metadata "what").
func (e *NotOwnedError) GRPCStatus() *status.Status {
	st := status.New(codes.Unavailable, e.Error())
	if d, err := st.WithDetails(&errdetails.ErrorInfo{
		Reason:   reasonNotOwned,
		Domain:   errorDomain,
		Metadata: map[string]string{"what": e.What},
	}); err == nil {
		st = d
	}
	return st
}

// IsNotOwned reports whether err says that the host asked does not own
// the request's shard or partition (*NotOwnedError or
// historyservice.ShardNotOwnedError, in-process or received over gRPC), so
// that the request did nothing and may be sent to the current owner.
func IsNotOwned(err error) bool {
	var e *NotOwnedError
	if errors.As(err, &e) {
		return true
	}
	_, ok := historyservice.AsShardNotOwned(err)
	return ok
}

// ToStatus converts a handler's error to the status sent to the client
// (nil for nil), by the rules above.
func ToStatus(err error) *status.Status {
	if err == nil {
		return nil
	}
	var se serviceerror.ServiceError
	if errors.As(err, &se) {
		return serviceerror.ToStatus(err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.New(codes.DeadlineExceeded, err.Error())
	}
	if errors.Is(err, context.Canceled) {
		return status.New(codes.Canceled, err.Error())
	}
	if st, ok := status.FromError(err); ok {
		return st
	}
	if isTransientStoreError(err) {
		return status.New(codes.Unavailable, err.Error())
	}
	return status.New(codes.Internal, err.Error())
}

// FromStatusError converts an error returned by a gRPC client call back to
// the error the remote handler returned, by the rules above. Errors that
// are not gRPC statuses are returned unchanged.
func FromStatusError(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	if st.Code() == codes.Unavailable {
		for _, d := range st.Details() {
			ei, ok := d.(*errdetails.ErrorInfo)
			switch {
			case !ok:
			case ei.GetDomain() == errorDomain && ei.GetReason() == reasonNotOwned:
				return &NotOwnedError{What: ei.GetMetadata()["what"]}
			case ei.GetDomain() == historyservice.ErrorDomain && ei.GetReason() == historyservice.ShardNotOwnedReason:
				id, _ := strconv.ParseInt(ei.GetMetadata()["shard_id"], 10, 32)
				return &historyservice.ShardNotOwnedError{ShardID: int32(id), Owner: ei.GetMetadata()["owner"]}
			}
		}
	}
	if len(st.Proto().GetDetails()) == 0 {
		for _, s := range sentinels {
			ss := status.Convert(s)
			if ss.Code() == st.Code() && ss.Message() == st.Message() {
				return s
			}
		}
	}
	return serviceerror.FromStatus(st)
}

// isTransientStoreError reports store errors worth a retry: they reach
// callers as Unavailable.
func isTransientStoreError(err error) bool {
	return errors.Is(err, persistence.ErrTimeout) ||
		errors.Is(err, persistence.ErrUnavailable) ||
		errors.Is(err, persistence.ErrConditionFailed) ||
		persistence.IsShardOwnershipLost(err)
}

// unavailablef is the error a router returns when it cannot reach an owner.
func unavailablef(format string, args ...any) error {
	return serviceerror.NewUnavailable(fmt.Sprintf(format, args...))
}
