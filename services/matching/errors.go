package matching

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"

	"github.com/meridian-dev/meridian/persistence"
)

// ctxError turns an ended context into the serviceerror a caller expects.
func ctxError(ctx context.Context) error {
	err := ctx.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return serviceerror.NewDeadlineExceeded("matching: " + err.Error())
	default:
		return serviceerror.NewCanceled("matching: " + err.Error())
	}
}

// storeError turns a TaskStore error into a retryable serviceerror.
func storeError(op string, err error) error {
	if errors.Is(err, persistence.ErrConditionFailed) {
		return serviceerror.NewUnavailablef("matching: %s: task queue owned elsewhere: %v", op, err)
	}
	var se serviceerror.ServiceError
	if errors.As(err, &se) {
		return err
	}
	return serviceerror.NewUnavailablef("matching: %s: %v", op, err)
}

// staleTaskReason reports whether history's error from Record*TaskStarted
// means the task is stale and must be dropped: NotFound (the run or the
// scheduled task is gone) or AlreadyExists (already started). It returns the
// drop reason, or "" for errors after which the task must be kept.
func staleTaskReason(err error) string {
	switch serviceerror.ToStatus(err).Code() {
	case codes.NotFound:
		return dropReasonNotFound
	case codes.AlreadyExists:
		return dropReasonAlreadyStarted
	default:
		return ""
	}
}

// historyUnavailable wraps a transient history error for a poller: polls
// only ever fail with retryable errors, so that a history problem never
// makes an SDK worker give up.
func historyUnavailable(op string, err error) error {
	return serviceerror.NewUnavailable(fmt.Sprintf("matching: %s: %v", op, err))
}
