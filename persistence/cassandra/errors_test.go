package cassandra

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gocql/gocql"
	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence"
)

// frameErr is a server error frame with a code, as gocql returns for
// errors without a dedicated type (overloaded, bootstrapping, ...).
type frameErr struct{ code int }

func (e frameErr) Code() int       { return e.code }
func (e frameErr) Message() string { return fmt.Sprintf("code %#x", e.code) }
func (e frameErr) Error() string   { return e.Message() }

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name    string
		err     error
		is      error
		errType string
	}{
		{"WriteTimeout", &gocql.RequestErrWriteTimeout{WriteType: "CAS"}, persistence.ErrTimeout, errTypeTimeout},
		{"ReadTimeout", &gocql.RequestErrReadTimeout{}, persistence.ErrTimeout, errTypeTimeout},
		{"CASWriteUnknown", &gocql.RequestErrCASWriteUnknown{}, persistence.ErrTimeout, errTypeTimeout},
		{"WriteFailure", &gocql.RequestErrWriteFailure{}, persistence.ErrTimeout, errTypeTimeout},
		{"NoResponse", gocql.ErrTimeoutNoResponse, persistence.ErrTimeout, errTypeTimeout},
		{"ConnectionClosed", gocql.ErrConnectionClosed, persistence.ErrTimeout, errTypeTimeout},
		{"WrappedWriteTimeout", fmt.Errorf("x: %w", &gocql.RequestErrWriteTimeout{}), persistence.ErrTimeout, errTypeTimeout},
		{"Unavailable", &gocql.RequestErrUnavailable{}, persistence.ErrUnavailable, errTypeUnavailable},
		{"ReadFailure", &gocql.RequestErrReadFailure{}, persistence.ErrUnavailable, errTypeUnavailable},
		{"NoConnections", gocql.ErrNoConnections, persistence.ErrUnavailable, errTypeUnavailable},
		{"SessionClosed", gocql.ErrSessionClosed, persistence.ErrUnavailable, errTypeUnavailable},
		{"Overloaded", frameErr{gocql.ErrCodeOverloaded}, persistence.ErrUnavailable, errTypeUnavailable},
		{"Bootstrapping", frameErr{gocql.ErrCodeBootstrapping}, persistence.ErrUnavailable, errTypeUnavailable},
		{"NotFound", gocql.ErrNotFound, persistence.ErrNotFound, errTypeNotFound},
		{"Canceled", context.Canceled, context.Canceled, errTypeCanceled},
		{"Deadline", context.DeadlineExceeded, context.DeadlineExceeded, errTypeCanceled},
		{"Syntax", frameErr{gocql.ErrCodeSyntax}, nil, errTypeOther},
		{"Other", errors.New("boom"), nil, errTypeOther},
	} {
		t.Run(c.name, func(t *testing.T) {
			typ, got := classify("SomeOp", c.err)
			require.Equal(t, c.errType, typ)
			require.ErrorContains(t, got, "cassandra: SomeOp: ")
			if c.is != nil {
				require.ErrorIs(t, got, c.is)
			}
			for _, other := range []error{persistence.ErrTimeout, persistence.ErrUnavailable, persistence.ErrNotFound} {
				if other != c.is {
					require.NotErrorIs(t, got, other)
				}
			}
			// The driver's error stays reachable.
			if c.errType == errTypeTimeout || c.errType == errTypeUnavailable {
				require.ErrorIs(t, got, c.err)
			}
		})
	}
}

func TestReadRetryPolicyRetriesOnlyTransientErrors(t *testing.T) {
	p := readRetryPolicy{}
	require.Equal(t, gocql.Retry, p.GetRetryType(&gocql.RequestErrReadTimeout{}))
	require.Equal(t, gocql.Retry, p.GetRetryType(&gocql.RequestErrUnavailable{}))
	require.Equal(t, gocql.Rethrow, p.GetRetryType(frameErr{gocql.ErrCodeSyntax}))
	require.Equal(t, gocql.Rethrow, p.GetRetryType(context.Canceled))
}
