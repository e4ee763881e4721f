package workflow

import (
	"math"
	"math/rand"
	"reflect"
	"testing"
	"testing/quick"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestNormalizeRetryPolicy(t *testing.T) {
	tests := []struct {
		name string
		in   *commonpb.RetryPolicy
		want *commonpb.RetryPolicy
	}{
		{
			name: "nil is the default policy",
			in:   nil,
			want: &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 2, MaximumInterval: dur(100 * time.Second)},
		},
		{
			name: "empty is the default policy",
			in:   &commonpb.RetryPolicy{},
			want: &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 2, MaximumInterval: dur(100 * time.Second)},
		},
		{
			name: "maximum interval defaults to 100x the given initial interval",
			in:   &commonpb.RetryPolicy{InitialInterval: dur(3 * time.Second)},
			want: &commonpb.RetryPolicy{InitialInterval: dur(3 * time.Second), BackoffCoefficient: 2, MaximumInterval: dur(300 * time.Second)},
		},
		{
			name: "set fields are kept",
			in: &commonpb.RetryPolicy{InitialInterval: dur(500 * time.Millisecond), BackoffCoefficient: 1.5, MaximumInterval: dur(10 * time.Second),
				MaximumAttempts: 7, NonRetryableErrorTypes: []string{"A", "B"}},
			want: &commonpb.RetryPolicy{InitialInterval: dur(500 * time.Millisecond), BackoffCoefficient: 1.5, MaximumInterval: dur(10 * time.Second),
				MaximumAttempts: 7, NonRetryableErrorTypes: []string{"A", "B"}},
		},
		{
			name: "coefficient 1 is valid (constant backoff)",
			in:   &commonpb.RetryPolicy{BackoffCoefficient: 1},
			want: &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 1, MaximumInterval: dur(100 * time.Second)},
		},
		{
			name: "coefficient below 1 becomes the default",
			in:   &commonpb.RetryPolicy{BackoffCoefficient: 0.5},
			want: &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 2, MaximumInterval: dur(100 * time.Second)},
		},
		{
			name: "negative intervals become defaults",
			in:   &commonpb.RetryPolicy{InitialInterval: dur(-time.Second), MaximumInterval: dur(-time.Second)},
			want: &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 2, MaximumInterval: dur(100 * time.Second)},
		},
		{
			name: "unlimited attempts stay unlimited",
			in:   &commonpb.RetryPolicy{MaximumAttempts: 0},
			want: &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 2, MaximumInterval: dur(100 * time.Second)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before *commonpb.RetryPolicy
			if tc.in != nil {
				before = proto.Clone(tc.in).(*commonpb.RetryPolicy)
			}
			got := NormalizeRetryPolicy(tc.in)
			require.True(t, proto.Equal(tc.want, got), "want %v\ngot  %v", tc.want, got)
			if tc.in != nil {
				require.True(t, proto.Equal(before, tc.in), "the input policy was modified")
				require.NotSame(t, tc.in, got)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	std := NormalizeRetryPolicy(nil) // 1s, x2, max 100s
	tests := []struct {
		name    string
		policy  *commonpb.RetryPolicy
		attempt int32
		want    time.Duration
	}{
		{"first retry waits the initial interval", std, 1, time.Second},
		{"grows by the coefficient", std, 2, 2 * time.Second},
		{"grows by the coefficient again", std, 3, 4 * time.Second},
		{"attempt 7 is 64s", std, 7, 64 * time.Second},
		{"capped at the maximum interval", std, 8, 100 * time.Second},
		{"stays capped", std, 1000, 100 * time.Second},
		{"huge attempt", std, math.MaxInt32, 100 * time.Second},
		{"attempt 0 counts as 1", std, 0, time.Second},
		{"negative attempt counts as 1", std, -5, time.Second},
		{"coefficient 1 is constant", &commonpb.RetryPolicy{InitialInterval: dur(3 * time.Second), BackoffCoefficient: 1, MaximumInterval: dur(time.Hour)}, 50, 3 * time.Second},
		{"fractional coefficient", &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 1.5, MaximumInterval: dur(time.Hour)}, 3, 2250 * time.Millisecond},
		{"coefficient below 1 counts as 1", &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 0.1, MaximumInterval: dur(time.Hour)}, 9, time.Second},
		{"NaN coefficient counts as 1", &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: math.NaN(), MaximumInterval: dur(time.Hour)}, 9, time.Second},
		{"infinite coefficient is capped", &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: math.Inf(1), MaximumInterval: dur(time.Hour)}, 2, time.Hour},
		{"huge coefficient is capped", &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 1e308, MaximumInterval: dur(time.Minute)}, 5, time.Minute},
		{"maximum interval below initial wins", &commonpb.RetryPolicy{InitialInterval: dur(time.Minute), BackoffCoefficient: 2, MaximumInterval: dur(time.Second)}, 1, time.Second},
		// Unnormalised policies (no maximum interval) must not overflow.
		{"no cap: huge coefficient saturates", &commonpb.RetryPolicy{InitialInterval: dur(time.Second), BackoffCoefficient: 1e308}, 5, math.MaxInt64},
		{"no cap: 1ns x 2^63 saturates", &commonpb.RetryPolicy{InitialInterval: dur(1), BackoffCoefficient: 2}, 64, math.MaxInt64},
		{"no cap: 1ns x 2^62", &commonpb.RetryPolicy{InitialInterval: dur(1), BackoffCoefficient: 2}, 63, 1 << 62},
		{"no cap: zero interval times infinite growth is zero", &commonpb.RetryPolicy{BackoffCoefficient: 1e308}, 3, 0},
		{"negative interval is zero", &commonpb.RetryPolicy{InitialInterval: dur(-time.Second), BackoffCoefficient: 2}, 3, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Backoff(tc.policy, tc.attempt))
		})
	}
}

// backoffPolicy is a random, possibly hostile, retry policy with a maximum
// interval (what NormalizeRetryPolicy guarantees).
type backoffPolicy struct {
	Initial, Max time.Duration
	Coef         float64
}

func (backoffPolicy) Generate(r *rand.Rand, _ int) reflect.Value {
	durations := []func() time.Duration{
		func() time.Duration { return time.Duration(r.Int63n(int64(time.Minute))) },
		func() time.Duration { return time.Duration(r.Int63()) },
		func() time.Duration { return time.Duration(r.Int63n(10)) },
		func() time.Duration { return -time.Duration(r.Int63n(int64(time.Hour))) },
		func() time.Duration { return 0 },
		func() time.Duration { return math.MaxInt64 },
	}
	coefs := []func() float64{
		func() float64 { return 1 + r.Float64()*3 },
		func() float64 { return r.Float64() * 1e6 },
		func() float64 { return math.Exp(r.Float64() * 700) },
		func() float64 { return -r.Float64() },
		func() float64 { return math.Inf(1) },
		math.NaN,
		func() float64 { return 1 },
	}
	p := backoffPolicy{
		Initial: durations[r.Intn(len(durations))](),
		Max:     durations[r.Intn(len(durations))](),
		Coef:    coefs[r.Intn(len(coefs))](),
	}
	if p.Max <= 0 {
		p.Max = time.Duration(1 + r.Int63n(int64(time.Hour)))
	}
	return reflect.ValueOf(p)
}

func (p backoffPolicy) proto() *commonpb.RetryPolicy {
	return &commonpb.RetryPolicy{InitialInterval: durationpb.New(p.Initial), MaximumInterval: durationpb.New(p.Max), BackoffCoefficient: p.Coef}
}

// TestBackoffQuick: for any policy with a maximum interval, Backoff never
// panics, is never negative, never exceeds the maximum interval and is
// monotonic non-decreasing in the attempt.
func TestBackoffQuick(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	cfg := &quick.Config{MaxCount: 20000, Rand: rand.New(rand.NewSource(seed))}
	prop := func(p backoffPolicy, a, b int32) bool {
		if a > b {
			a, b = b, a
		}
		pol := p.proto()
		da, db := Backoff(pol, a), Backoff(pol, b)
		return da >= 0 && db >= 0 && da <= p.Max && db <= p.Max && da <= db
	}
	if err := quick.Check(prop, cfg); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
}

// TestBackoffMatchesNaive checks Backoff against repeated multiplication
// for well-behaved policies.
func TestBackoffMatchesNaive(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewSource(seed))
	for i := 0; i < 5000; i++ {
		initial := time.Duration(1 + r.Int63n(int64(10*time.Second)))
		maxI := initial * time.Duration(1+r.Int63n(1000))
		coef := 1 + r.Float64()*3
		attempt := int32(1 + r.Intn(60))
		naive := float64(initial)
		for n := int32(1); n < attempt && naive < float64(maxI); n++ {
			naive *= coef
		}
		naive = math.Min(naive, float64(maxI))
		got := Backoff(&commonpb.RetryPolicy{InitialInterval: dur(initial), MaximumInterval: dur(maxI), BackoffCoefficient: coef}, attempt)
		// Backoff truncates to whole nanoseconds.
		require.InDelta(t, naive, float64(got), math.Max(2, naive*1e-9), "seed %d: initial=%v max=%v coef=%v attempt=%d", seed, initial, maxI, coef, attempt)
	}
}

func FuzzBackoff(f *testing.F) {
	f.Add(int64(time.Second), int64(100*time.Second), 2.0, int32(1), int32(2))
	f.Add(int64(1), int64(math.MaxInt64), 2.0, int32(63), int32(64))
	f.Add(int64(0), int64(time.Second), 1e308, int32(2), int32(3))
	f.Add(int64(-1), int64(time.Second), math.NaN(), int32(-1), int32(math.MaxInt32))
	f.Add(int64(math.MaxInt64), int64(1), math.Inf(1), int32(0), int32(1))
	f.Fuzz(func(t *testing.T, initial, maxI int64, coef float64, a, b int32) {
		if maxI <= 0 {
			return // normalised policies always have a maximum interval
		}
		if a > b {
			a, b = b, a
		}
		p := &commonpb.RetryPolicy{InitialInterval: durationpb.New(time.Duration(initial)), MaximumInterval: durationpb.New(time.Duration(maxI)), BackoffCoefficient: coef}
		da, db := Backoff(p, a), Backoff(p, b)
		if da < 0 || db < 0 || da > time.Duration(maxI) || db > time.Duration(maxI) || da > db {
			t.Fatalf("Backoff(%v, %d)=%v, Backoff(.., %d)=%v", p, a, da, b, db)
		}
	})
}

func TestNextRetry(t *testing.T) {
	now := t0
	std := NormalizeRetryPolicy(nil)
	three := NormalizeRetryPolicy(&commonpb.RetryPolicy{MaximumAttempts: 3})
	typed := NormalizeRetryPolicy(&commonpb.RetryPolicy{NonRetryableErrorTypes: []string{"FatalError"}})
	app := func(typ string) *failurepb.Failure { return appFailure("boom", typ, false) }
	withDelay := func(d time.Duration) *failurepb.Failure {
		f := app("RateLimited")
		f.GetApplicationFailureInfo().NextRetryDelay = dur(d)
		return f
	}
	tests := []struct {
		name     string
		policy   *commonpb.RetryPolicy
		attempt  int32
		failure  *failurepb.Failure
		deadline time.Time
		want     RetryDecision
	}{
		{"nil policy", nil, 1, app("X"), time.Time{}, RetryDecision{State: enumspb.RETRY_STATE_RETRY_POLICY_NOT_SET}},
		{"first retry", std, 1, app("X"), time.Time{}, RetryDecision{Backoff: time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"backoff grows", std, 4, app("X"), time.Time{}, RetryDecision{Backoff: 8 * time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"unlimited attempts", std, 100000, app("X"), time.Time{}, RetryDecision{Backoff: 100 * time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"nil failure is retried", std, 1, nil, time.Time{}, RetryDecision{Backoff: time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"below maximum attempts", three, 2, app("X"), time.Time{}, RetryDecision{Backoff: 2 * time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"maximum attempts reached", three, 3, app("X"), time.Time{}, RetryDecision{State: enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED}},
		{"past maximum attempts", three, 4, app("X"), time.Time{}, RetryDecision{State: enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED}},
		{"one attempt only", NormalizeRetryPolicy(&commonpb.RetryPolicy{MaximumAttempts: 1}), 1, app("X"), time.Time{}, RetryDecision{State: enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED}},
		{"non-retryable flag", std, 1, appFailure("boom", "X", true), time.Time{}, RetryDecision{State: enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE}},
		{"non-retryable error type", typed, 1, app("FatalError"), time.Time{}, RetryDecision{State: enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE}},
		{"other error type is retried", typed, 1, app("IOError"), time.Time{}, RetryDecision{Backoff: time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"next_retry_delay overrides the backoff", std, 1, withDelay(7 * time.Second), time.Time{}, RetryDecision{Backoff: 7 * time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"next_retry_delay is not capped by the maximum interval", std, 1, withDelay(time.Hour), time.Time{}, RetryDecision{Backoff: time.Hour, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"next_retry_delay past the deadline", std, 1, withDelay(time.Hour), now.Add(time.Minute), RetryDecision{State: enumspb.RETRY_STATE_TIMEOUT}},
		{"zero next_retry_delay uses the policy", std, 3, withDelay(0), time.Time{}, RetryDecision{Backoff: 4 * time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"start-to-close timeout is retried", std, 1, timeoutFailure(enumspb.TIMEOUT_TYPE_START_TO_CLOSE), time.Time{}, RetryDecision{Backoff: time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"heartbeat timeout is retried", std, 2, timeoutFailure(enumspb.TIMEOUT_TYPE_HEARTBEAT), time.Time{}, RetryDecision{Backoff: 2 * time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"schedule-to-start timeout is final", std, 1, timeoutFailure(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START), time.Time{}, RetryDecision{State: enumspb.RETRY_STATE_TIMEOUT}},
		{"schedule-to-close timeout is final", std, 1, timeoutFailure(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE), time.Time{}, RetryDecision{State: enumspb.RETRY_STATE_TIMEOUT}},
		{"retry before the deadline", std, 1, app("X"), now.Add(time.Second + 1), RetryDecision{Backoff: time.Second, State: enumspb.RETRY_STATE_IN_PROGRESS}},
		{"retry exactly at the deadline is too late", std, 1, app("X"), now.Add(time.Second), RetryDecision{State: enumspb.RETRY_STATE_TIMEOUT}},
		{"deadline already passed", std, 1, app("X"), now.Add(-time.Second), RetryDecision{State: enumspb.RETRY_STATE_TIMEOUT}},
		// Attempts are checked first: a non-retryable failure on the last
		// attempt reports the attempts (Temporal checks retryability first).
		{"maximum attempts before non-retryable", three, 3, appFailure("boom", "X", true), time.Time{}, RetryDecision{State: enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, NextRetry(tc.policy, tc.attempt, tc.failure, now, tc.deadline))
		})
	}
}

func TestNormalizeTimeouts(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name                     string
		execution, run, task     time.Duration
		wantExec, wantRun, wantT time.Duration
	}{
		{"all unset", 0, 0, 0, 0, 0, 10 * s},
		{"run defaults to execution", 60 * s, 0, 0, 60 * s, 60 * s, 10 * s},
		{"run capped by execution", 60 * s, 120 * s, 0, 60 * s, 60 * s, 10 * s},
		{"shorter run kept", 60 * s, 30 * s, 0, 60 * s, 30 * s, 10 * s},
		{"run without execution", 0, 30 * s, 0, 0, 30 * s, 10 * s},
		{"task kept", 0, 0, 30 * s, 0, 0, 30 * s},
		{"task capped at 120s", 0, 0, 5 * 60 * s, 0, 0, 120 * s},
		{"task exactly 120s", 0, 0, 120 * s, 0, 0, 120 * s},
		{"task capped by run", 0, 5 * s, 0, 0, 5 * s, 5 * s},
		{"explicit task capped by run", 0, 5 * s, 30 * s, 0, 5 * s, 5 * s},
		{"task capped by run that was capped by execution", 8 * s, 60 * s, 30 * s, 8 * s, 8 * s, 8 * s},
		{"120s cap before the run cap", 0, 200 * s, 500 * s, 0, 200 * s, 120 * s},
		{"negative task is the default", 0, 0, -s, 0, 0, 10 * s},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, r, k := NormalizeTimeouts(tc.execution, tc.run, tc.task)
			require.Equal(t, [3]time.Duration{tc.wantExec, tc.wantRun, tc.wantT}, [3]time.Duration{e, r, k})
		})
	}
}
