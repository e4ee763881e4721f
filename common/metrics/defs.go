package metrics

// Names shared by every service. Service-specific names live in each
// service's own metrics.go.
const (
	// ServiceRequests counts requests a service handled, tagged with
	// OperationTag (and NamespaceTag where known).
	ServiceRequests = "service_requests"
	// ServiceErrors counts requests that returned an error, tagged with
	// OperationTag and ErrorTypeTag.
	ServiceErrors = "service_errors"
	// ServiceLatency times requests end to end, tagged with OperationTag.
	ServiceLatency = "service_latency"

	// registrationErrors counts metrics Prometheus refused to register.
	registrationErrors = "metrics_registration_errors"
)

// Tag keys shared by every service.
const (
	// ServiceTag names the service role: frontend, history, matching,
	// worker, controller. Set once on each service's sub-scope.
	ServiceTag = "service"
	// OperationTag names the API or internal operation, e.g.
	// "StartWorkflowExecution".
	OperationTag = "operation"
	// NamespaceTag is the namespace name.
	NamespaceTag = "namespace"
	// ErrorTypeTag classifies an error, e.g. the serviceerror type.
	ErrorTypeTag = "error_type"
)
