package rpc

// Metric names of the rpc package. Router metrics carry metricServiceTag
// ("history" or "matching"); server metrics carry metricOperationTag and,
// for errors, metricCodeTag.
const (
	// metricRoutedRequests counts requests a router sent (once per
	// request, however many attempts it took).
	metricRoutedRequests = "rpc_routed_requests"
	// metricRoutingRetries counts attempts after the first: the owner
	// answered NotOwned or no owner was known, and the router tried again.
	metricRoutingRetries = "rpc_routing_retries"
	// metricRoutingFailures counts requests that still found no willing
	// owner when the retry budget (RouterConfig.MaxRetryDuration) or the
	// caller's deadline ran out; the caller got Unavailable.
	metricRoutingFailures = "rpc_routing_failures"

	// metricServerRequests, metricServerErrors and metricServerLatency
	// count, count failed, and time the calls a Server handled.
	metricServerRequests = "rpc_server_requests"
	metricServerErrors   = "rpc_server_errors"
	metricServerLatency  = "rpc_server_latency"
	// metricServerPanics counts handler panics a Server recovered.
	metricServerPanics = "rpc_server_panics"

	// metricServiceTag names the routed service: history or matching.
	metricServiceTag = "service"
	// metricOperationTag is the gRPC method name, e.g. "StartWorkflowExecution".
	metricOperationTag = "operation"
	// metricCodeTag is the gRPC status code of a failed call.
	metricCodeTag = "code"
)
