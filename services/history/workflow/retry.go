package workflow

import (
	"math"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Retry policy defaults, as the SDKs document them.
const (
	DefaultRetryInitialInterval    = time.Second
	DefaultRetryBackoffCoefficient = 2.0
	// The maximum interval defaults to this many initial intervals.
	DefaultRetryMaximumIntervalFactor = 100
)

// NormalizeRetryPolicy returns p with unset fields filled with defaults;
// nil becomes the default policy (unlimited attempts).
func NormalizeRetryPolicy(p *commonpb.RetryPolicy) *commonpb.RetryPolicy {
	out := &commonpb.RetryPolicy{}
	if p != nil {
		out.InitialInterval = p.InitialInterval
		out.BackoffCoefficient = p.BackoffCoefficient
		out.MaximumInterval = p.MaximumInterval
		out.MaximumAttempts = p.MaximumAttempts
		out.NonRetryableErrorTypes = p.NonRetryableErrorTypes
	}
	if out.InitialInterval.AsDuration() <= 0 {
		out.InitialInterval = durationpb.New(DefaultRetryInitialInterval)
	}
	if out.BackoffCoefficient < 1 {
		out.BackoffCoefficient = DefaultRetryBackoffCoefficient
	}
	if out.MaximumInterval.AsDuration() <= 0 {
		out.MaximumInterval = durationpb.New(DefaultRetryMaximumIntervalFactor * out.InitialInterval.AsDuration())
	}
	return out
}

// RetryDecision is the outcome of NextRetry.
type RetryDecision struct {
	// Backoff before the next attempt; meaningful only when State is
	// RETRY_STATE_IN_PROGRESS.
	Backoff time.Duration
	State   enumspb.RetryState
}

// NextRetry decides whether attempt (1-based, the one that just failed) is
// retried under policy, given the failure, the time now and the deadline
// after which no attempt may start (zero: none).
func NextRetry(policy *commonpb.RetryPolicy, attempt int32, failure *failurepb.Failure, now, deadline time.Time) RetryDecision {
	if policy == nil {
		return RetryDecision{State: enumspb.RETRY_STATE_RETRY_POLICY_NOT_SET}
	}
	if policy.MaximumAttempts > 0 && attempt >= policy.MaximumAttempts {
		return RetryDecision{State: enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED}
	}
	var nextDelay time.Duration
	if app := failure.GetApplicationFailureInfo(); app != nil {
		if app.NonRetryable {
			return RetryDecision{State: enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE}
		}
		for _, t := range policy.NonRetryableErrorTypes {
			if t == app.Type {
				return RetryDecision{State: enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE}
			}
		}
		nextDelay = app.NextRetryDelay.AsDuration()
	}
	if t := failure.GetTimeoutFailureInfo(); t != nil {
		// Only start-to-close and heartbeat timeouts are retried.
		if t.TimeoutType != enumspb.TIMEOUT_TYPE_START_TO_CLOSE && t.TimeoutType != enumspb.TIMEOUT_TYPE_HEARTBEAT {
			return RetryDecision{State: enumspb.RETRY_STATE_TIMEOUT}
		}
	}
	backoff := nextDelay
	if backoff <= 0 {
		backoff = Backoff(policy, attempt)
	}
	if !deadline.IsZero() && !now.Add(backoff).Before(deadline) {
		return RetryDecision{State: enumspb.RETRY_STATE_TIMEOUT}
	}
	return RetryDecision{Backoff: backoff, State: enumspb.RETRY_STATE_IN_PROGRESS}
}

// Backoff is the delay after failed attempt n (1-based):
// initial * coefficient^(n-1), capped at the maximum interval.
func Backoff(policy *commonpb.RetryPolicy, attempt int32) time.Duration {
	initial := float64(policy.InitialInterval.AsDuration())
	maxI := float64(policy.MaximumInterval.AsDuration())
	coef := policy.BackoffCoefficient
	if !(coef >= 1) { // also NaN
		coef = 1
	}
	if attempt < 1 {
		attempt = 1
	}
	d := initial * math.Pow(coef, float64(attempt-1))
	if math.IsNaN(d) || d < 0 {
		// A zero initial interval times infinite growth, or a negative interval.
		d = 0
	}
	if maxI > 0 && d >= maxI {
		// Not d = maxI: a large maximum does not survive the float round trip.
		return policy.MaximumInterval.AsDuration()
	}
	// float64(math.MaxInt64) rounds up to 2^63, which does not convert.
	if d >= float64(math.MaxInt64) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(d)
}
