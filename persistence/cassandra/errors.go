package cassandra

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/gocql/gocql"

	"github.com/meridian-dev/meridian/persistence"
)

// Error types for the error_type metric tag.
const (
	errTypeTimeout     = "timeout"
	errTypeUnavailable = "unavailable"
	errTypeCanceled    = "canceled"
	errTypeNotFound    = "not_found"
	errTypeOther       = "other"
)

// classify maps a driver error to the persistence error a caller acts on,
// keeping the driver's message: errors.Is(err, persistence.ErrTimeout)
// and errors.As(err, *gocql.RequestErrWriteTimeout) both hold.
//
//   - Timeouts (server read/write timeouts, CAS outcome unknown, no answer
//     within Config.Timeout, a failed write on some replicas) are
//     persistence.ErrTimeout: a write may or may not have been applied;
//     a caller of a conditional write must reload before retrying.
//   - Unavailable, overloaded, bootstrapping, no connection, a read that
//     failed on replicas: persistence.ErrUnavailable; nothing was applied.
//   - gocql.ErrNotFound (no row): persistence.ErrNotFound.
//   - Context cancellation and deadline stay as they are.
//
// It returns the metric error type and the error. Condition failures are
// not errors of the driver: the stores decode them from the [applied]
// result (see execution.go).
func classify(op string, err error) (errType string, classified error) {
	var (
		writeTimeout *gocql.RequestErrWriteTimeout
		readTimeout  *gocql.RequestErrReadTimeout
		casUnknown   *gocql.RequestErrCASWriteUnknown
		writeFailure *gocql.RequestErrWriteFailure
		readFailure  *gocql.RequestErrReadFailure
		unavailable  *gocql.RequestErrUnavailable
		netErr       net.Error
	)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return errTypeCanceled, fmt.Errorf("cassandra: %s: %w", op, err)
	case errors.Is(err, gocql.ErrNotFound):
		return errTypeNotFound, fmt.Errorf("cassandra: %s: %w", op, persistence.ErrNotFound)
	case errors.As(err, &writeTimeout), errors.As(err, &readTimeout), errors.As(err, &casUnknown),
		errors.As(err, &writeFailure), errors.Is(err, gocql.ErrTimeoutNoResponse),
		errors.Is(err, gocql.ErrConnectionClosed):
		return errTypeTimeout, fmt.Errorf("cassandra: %s: %w: %w", op, persistence.ErrTimeout, err)
	case errors.As(err, &unavailable), errors.As(err, &readFailure),
		errors.Is(err, gocql.ErrNoConnections), errors.Is(err, gocql.ErrSessionClosed),
		errors.Is(err, gocql.ErrUnavailable):
		return errTypeUnavailable, fmt.Errorf("cassandra: %s: %w: %w", op, persistence.ErrUnavailable, err)
	case errors.As(err, &netErr) && netErr.Timeout():
		return errTypeTimeout, fmt.Errorf("cassandra: %s: %w: %w", op, persistence.ErrTimeout, err)
	}
	var reqErr gocql.RequestError
	if errors.As(err, &reqErr) {
		switch reqErr.Code() {
		case gocql.ErrCodeOverloaded, gocql.ErrCodeBootstrapping, gocql.ErrCodeUnavailable, gocql.ErrCodeTruncate:
			return errTypeUnavailable, fmt.Errorf("cassandra: %s: %w: %w", op, persistence.ErrUnavailable, err)
		case gocql.ErrCodeWriteTimeout, gocql.ErrCodeReadTimeout, gocql.ErrCodeCASWriteUnknown, gocql.ErrCodeWriteFailure:
			return errTypeTimeout, fmt.Errorf("cassandra: %s: %w: %w", op, persistence.ErrTimeout, err)
		}
	}
	return errTypeOther, fmt.Errorf("cassandra: %s: %w", op, err)
}
