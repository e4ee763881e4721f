package cassandra

import (
	"sync"

	"github.com/uber-go/tally/v4"

	"github.com/meridian-dev/meridian/common/metrics"
)

// Metric names of the Cassandra backend. Every one is tagged with
// metrics.OperationTag: the store method that issued the request
// ("UpdateWorkflowExecution", "CreateTasks", ...).
const (
	// metricRequests counts CQL requests (statements and batches), reads
	// and writes, conditional or not.
	metricRequests = "persistence_cassandra_requests"
	// metricErrors counts requests that failed, also tagged with
	// metrics.ErrorTypeTag: timeout, unavailable, canceled, not_found or
	// other. A condition that did not hold is not an error.
	metricErrors = "persistence_cassandra_errors"
	// metricLWT counts lightweight transactions: conditional statements
	// and conditional batches, one Paxos round each. This is the budget
	// DESIGN.md §9 talks about.
	metricLWT = "persistence_cassandra_lwt"
	// metricLWTNotApplied counts lightweight transactions whose condition
	// did not hold ([applied] = false).
	metricLWTNotApplied = "persistence_cassandra_lwt_not_applied"
	// metricLatency times every request.
	metricLatency = "persistence_cassandra_latency"
	// metricLWTLatency times lightweight transactions.
	metricLWTLatency = "persistence_cassandra_lwt_latency"
)

// opMetrics are one operation's metrics, resolved once.
type opMetrics struct {
	scope         tally.Scope
	requests      tally.Counter
	lwt           tally.Counter
	lwtNotApplied tally.Counter
	latency       tally.Timer
	lwtLatency    tally.Timer
}

// opMetricsCache resolves operation names to their tagged metrics.
type opMetricsCache struct {
	root tally.Scope
	ops  sync.Map // string -> *opMetrics
}

func (c *opMetricsCache) get(op string) *opMetrics {
	if m, ok := c.ops.Load(op); ok {
		return m.(*opMetrics)
	}
	s := c.root.Tagged(map[string]string{metrics.OperationTag: op})
	m := &opMetrics{
		scope:         s,
		requests:      s.Counter(metricRequests),
		lwt:           s.Counter(metricLWT),
		lwtNotApplied: s.Counter(metricLWTNotApplied),
		latency:       s.Timer(metricLatency),
		lwtLatency:    s.Timer(metricLWTLatency),
	}
	actual, _ := c.ops.LoadOrStore(op, m)
	return actual.(*opMetrics)
}

// error counts one failed request of the operation.
func (m *opMetrics) error(errType string) {
	m.scope.Tagged(map[string]string{metrics.ErrorTypeTag: errType}).Counter(metricErrors).Inc(1)
}
