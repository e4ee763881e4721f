package rpc

import (
	"context"
	"fmt"
	"time"

	"github.com/uber-go/tally/v4"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/meridian-dev/meridian/common/clock"
)

// router is the routing loop HistoryRouter and MatchingRouter share. C is
// the generated gRPC client type, K the routing key (a shard ID or a
// partition key).
type router[C, K any] struct {
	service   string // "history" or "matching"
	cfg       RouterConfig
	pool      *Pool
	newClient func(grpc.ClientConnInterface) C
	// prepare, when set, completes a request before it is routed (the
	// matching router picks a partition); it runs once per request.
	prepare  func(req any)
	key      func(req any) (K, bool)
	owner    func(K) (string, error)
	describe func(K) string // for errors: "history shard 17"
	clock    clock.Clock
	logger   *zap.Logger

	requests, retries, failures tally.Counter
}

type routerDeps struct {
	Pool    *Pool
	Clock   clock.Clock
	Logger  *zap.Logger
	Metrics tally.Scope
}

func (r *router[C, K]) init(service string, cfg RouterConfig, d routerDeps) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if d.Pool == nil {
		return fmt.Errorf("rpc: %s router: Pool is required", service)
	}
	if d.Clock == nil {
		d.Clock = clock.Real()
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.Metrics == nil {
		d.Metrics = tally.NoopScope
	}
	scope := d.Metrics.Tagged(map[string]string{metricServiceTag: service})
	r.service = service
	r.cfg = cfg.withDefaults()
	r.pool = d.Pool
	r.clock = d.Clock
	r.logger = d.Logger.Named("rpc").With(zap.String("service", service))
	r.requests = scope.Counter(metricRoutedRequests)
	r.retries = scope.Counter(metricRoutingRetries)
	r.failures = scope.Counter(metricRoutingFailures)
	return nil
}

// route sends req to the owner of its key with call, a method expression
// of the generated client interface (historyservice.HistoryServiceClient.
// StartWorkflowExecution). It returns the first answer that is not
// NotOwned. After a NotOwned answer, or when no owner is known, it looks
// the owner up again and retries: at once if the owner changed (but never
// twice in a row without waiting), otherwise after a backoff that doubles
// from InitialBackoff to MaxBackoff, until MaxRetryDuration after the
// first failure or the caller's deadline, then answers Unavailable.
//
// Only NotOwned is retried: the host did nothing. Any other error,
// Unavailable from an unreachable host included (the request may have
// run), goes back to the caller unchanged.
func route[C, K, Req, Resp any](ctx context.Context, r *router[C, K], req Req, call func(C, context.Context, Req, ...grpc.CallOption) (Resp, error)) (Resp, error) {
	var zero Resp
	if r.prepare != nil {
		r.prepare(req)
	}
	k, ok := r.key(req)
	if !ok {
		return zero, serviceerror.NewInternal(fmt.Sprintf("rpc: %s router has no routing key for %T", r.service, req))
	}
	r.requests.Inc(1)
	var (
		giveUp   time.Time     // end of the retry budget, set by the first failure
		backoff  time.Duration // next wait to an unchanged owner
		skipped  bool          // the last retry did not wait
		attempts int
	)
	for {
		attempts++
		addr, err := r.owner(k)
		if err == nil {
			conn, cerr := r.pool.Conn(addr)
			if cerr != nil {
				return zero, unavailablef("%s at %s: %v", r.describe(k), addr, cerr)
			}
			var resp Resp
			resp, err = call(r.newClient(conn), ctx, req)
			if err == nil || !IsNotOwned(err) {
				return resp, err
			}
			r.logger.Debug("owner refused request", zap.String("target", r.describe(k)), zap.String("addr", addr), zap.Int("attempt", attempts))
		}
		// err is NotOwned from addr, or the owner lookup failed.
		now := r.clock.Now()
		if giveUp.IsZero() {
			giveUp = now.Add(r.cfg.MaxRetryDuration)
			backoff = r.cfg.InitialBackoff
		}
		wait := backoff
		if IsNotOwned(err) && !skipped {
			if next, nerr := r.owner(k); nerr == nil && next != addr {
				wait = 0
			}
		}
		wake := now.Add(wait)
		if wake.After(giveUp) {
			return zero, r.giveUp(k, attempts, err, "retry budget spent")
		}
		// Deadlines are wall-clock time; r.clock is too outside tests.
		if d, ok := ctx.Deadline(); ok && wake.After(d) {
			return zero, r.giveUp(k, attempts, err, "caller's deadline is near")
		}
		if wait > 0 {
			if serr := clock.Sleep(ctx, r.clock, wait); serr != nil {
				return zero, wireError(serr)
			}
			backoff = min(2*backoff, r.cfg.MaxBackoff)
		}
		skipped = wait == 0
		r.retries.Inc(1)
	}
}

// giveUp records and describes a request no owner accepted.
func (r *router[C, K]) giveUp(k K, attempts int, last error, why string) error {
	r.failures.Inc(1)
	what := r.describe(k)
	r.logger.Warn("no owner accepted request", zap.String("target", what), zap.Int("attempts", attempts),
		zap.String("reason", why), zap.Error(last))
	return unavailablef("%s: no host accepted the request after %d attempts (%s): %v", what, attempts, why, last)
}

// wireError converts err as a Server would send it and a client receive
// it: a context error becomes serviceerror DeadlineExceeded or Canceled,
// as if the remote call had failed with it.
func wireError(err error) error {
	return FromStatusError(ToStatus(err).Err())
}
