package frontend

import "github.com/meridian-dev/meridian/common/metrics"

// Metrics the frontend emits; every name it uses is listed here. The
// request, error and latency metrics are the ones every service shares
// (common/metrics); the caller's scope is expected to carry
// metrics.ServiceTag = "frontend".
const (
	// MetricRequests counts API calls received, tagged with TagOperation
	// (the gRPC method name, e.g. "StartWorkflowExecution").
	MetricRequests = metrics.ServiceRequests
	// MetricErrors counts API calls that returned an error, tagged with
	// TagOperation and TagErrorType: the serviceerror type sent to the
	// client ("InvalidArgument", "NamespaceNotFound", "Unavailable"...),
	// which determines its gRPC code.
	MetricErrors = metrics.ServiceErrors
	// MetricLatency times API calls (long polls included), tagged with
	// TagOperation.
	MetricLatency = metrics.ServiceLatency
	// MetricPanics counts handler panics recovered and answered Internal.
	MetricPanics = "frontend_panics"
	// MetricBlobSizeWarnings counts payloads above Config.BlobSizeLimitWarn
	// (or memos above MemoSizeLimitWarn) that were still accepted.
	MetricBlobSizeWarnings = "frontend_blob_size_warnings"
)

// Metric tag keys.
const (
	TagOperation = metrics.OperationTag
	TagErrorType = metrics.ErrorTypeTag
)
