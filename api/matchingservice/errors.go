package matchingservice

import (
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrStickyWorkerUnavailable is returned by AddWorkflowTask for a sticky
// queue whose worker has not polled lately; the caller should send the task
// to the workflow's normal queue instead.
var ErrStickyWorkerUnavailable error = stickyWorkerUnavailable{}

type stickyWorkerUnavailable struct{}

func (stickyWorkerUnavailable) Error() string { return "sticky worker unavailable" }

// GRPCStatus lets the error cross a gRPC boundary as Unavailable.
func (stickyWorkerUnavailable) GRPCStatus() *status.Status {
	return status.New(codes.Unavailable, "sticky worker unavailable")
}

// IsStickyWorkerUnavailable reports whether err is ErrStickyWorkerUnavailable.
func IsStickyWorkerUnavailable(err error) bool {
	return errors.Is(err, ErrStickyWorkerUnavailable)
}
