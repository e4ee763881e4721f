package listfilter

import (
	"encoding/json"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// testSA is the custom attribute registry used throughout the tests.
var testSA = SearchAttributeTypes{
	"CustomKeywordField":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"CustomTextField":        enumspb.INDEXED_VALUE_TYPE_TEXT,
	"CustomIntField":         enumspb.INDEXED_VALUE_TYPE_INT,
	"CustomDoubleField":      enumspb.INDEXED_VALUE_TYPE_DOUBLE,
	"CustomBoolField":        enumspb.INDEXED_VALUE_TYPE_BOOL,
	"CustomDatetimeField":    enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"CustomKeywordListField": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	// Names that need backquotes.
	"Order":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"My Field": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"Tick`s":   enumspb.INDEXED_VALUE_TYPE_INT,
	// A custom attribute shadowed by the built-in one.
	"WorkflowType": enumspb.INDEXED_VALUE_TYPE_INT,
	"BadType":      enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED,
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// jsonPayload encodes v the way Temporal SDKs and servers encode search
// attribute values.
func jsonPayload(v any, typ enumspb.IndexedValueType) *commonpb.Payload {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	md := map[string][]byte{"encoding": []byte("json/plain")}
	if typ != enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED {
		md["type"] = []byte(typ.String())
	}
	return &commonpb.Payload{Metadata: md, Data: data}
}

type recOpt func(*workflowpb.WorkflowExecutionInfo)

func record(workflowID, runID string, opts ...recOpt) *persistencepb.VisibilityRecord {
	info := &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID},
	}
	for _, o := range opts {
		o(info)
	}
	return &persistencepb.VisibilityRecord{NamespaceId: "ns", Info: info}
}

func withType(name string) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) { i.Type = &commonpb.WorkflowType{Name: name} }
}

func withStatus(s enumspb.WorkflowExecutionStatus) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) { i.Status = s }
}

func withStart(s string) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) { i.StartTime = timestamppb.New(ts(s)) }
}

func withClose(s string, d time.Duration) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) {
		i.CloseTime = timestamppb.New(ts(s))
		i.ExecutionDuration = durationpb.New(d)
	}
}

func withExecutionTime(s string) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) { i.ExecutionTime = timestamppb.New(ts(s)) }
}

func withCounters(historyLength, historySize, transitions int64) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) {
		i.HistoryLength, i.HistorySizeBytes, i.StateTransitionCount = historyLength, historySize, transitions
	}
}

func withTaskQueue(tq string) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) { i.TaskQueue = tq }
}

func withParent(wid, rid string) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) {
		i.ParentExecution = &commonpb.WorkflowExecution{WorkflowId: wid, RunId: rid}
	}
}

func withRoot(wid, rid string) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) {
		i.RootExecution = &commonpb.WorkflowExecution{WorkflowId: wid, RunId: rid}
	}
}

func withSA(name string, p *commonpb.Payload) recOpt {
	return func(i *workflowpb.WorkflowExecutionInfo) {
		if i.SearchAttributes == nil {
			i.SearchAttributes = &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{}}
		}
		i.SearchAttributes.IndexedFields[name] = p
	}
}

// fixtures are the records the match, order and fuzz tests evaluate.
func fixtures() map[string]*persistencepb.VisibilityRecord {
	return map[string]*persistencepb.VisibilityRecord{
		"order1": record("order-1", "run-1",
			withType("OrderWorkflow"),
			withStatus(enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING),
			withStart("2024-01-05T10:00:00Z"),
			withExecutionTime("2024-01-05T10:00:00Z"),
			withCounters(12, 2048, 30),
			withTaskQueue("orders"),
			withRoot("order-1", "run-1"),
			withSA("CustomKeywordField", jsonPayload("x", enumspb.INDEXED_VALUE_TYPE_KEYWORD)),
			withSA("CustomTextField", jsonPayload("Hello, big World!", enumspb.INDEXED_VALUE_TYPE_TEXT)),
			withSA("CustomIntField", jsonPayload(3, enumspb.INDEXED_VALUE_TYPE_INT)),
			withSA("CustomDoubleField", jsonPayload(2.5, enumspb.INDEXED_VALUE_TYPE_DOUBLE)),
			withSA("CustomBoolField", jsonPayload(true, enumspb.INDEXED_VALUE_TYPE_BOOL)),
			withSA("CustomDatetimeField", jsonPayload(ts("2024-03-01T12:00:00.123456789Z"), enumspb.INDEXED_VALUE_TYPE_DATETIME)),
			withSA("CustomKeywordListField", jsonPayload([]string{"red", "green"}, enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST)),
			withSA("TemporalChangeVersion", jsonPayload([]string{"fix-1", "fix-2"}, enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST)),
			withSA("BuildIds", jsonPayload([]string{"unversioned"}, enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST)),
			withSA("Order", jsonPayload("first", enumspb.INDEXED_VALUE_TYPE_KEYWORD)),
		),
		"order2": record("order-2", "run-2",
			withType("OrderWorkflow"),
			withStatus(enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED),
			withStart("2024-01-20T00:00:00Z"),
			withClose("2024-01-20T01:30:00Z", 90*time.Minute),
			withCounters(40, 9000, 80),
			withTaskQueue("orders"),
			withSA("CustomKeywordField", jsonPayload("y", enumspb.INDEXED_VALUE_TYPE_KEYWORD)),
			withSA("CustomTextField", jsonPayload("goodbye world", enumspb.INDEXED_VALUE_TYPE_TEXT)),
			withSA("CustomIntField", jsonPayload(10, enumspb.INDEXED_VALUE_TYPE_INT)),
			withSA("CustomDoubleField", jsonPayload(-1, enumspb.INDEXED_VALUE_TYPE_DOUBLE)),
			withSA("CustomBoolField", jsonPayload(false, enumspb.INDEXED_VALUE_TYPE_BOOL)),
			withSA("CustomDatetimeField", jsonPayload("2024-02-01T00:00:00+01:00", enumspb.INDEXED_VALUE_TYPE_DATETIME)),
			withSA("CustomKeywordListField", jsonPayload([]string{"blue"}, enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST)),
		),
		"child": record("payment-7", "run-7",
			withType("PaymentWorkflow"),
			withStatus(enumspb.WORKFLOW_EXECUTION_STATUS_FAILED),
			withStart("2023-12-31T23:59:59Z"),
			withClose("2024-01-01T00:00:10Z", 11*time.Second),
			withCounters(5, 100, 9),
			withTaskQueue("payments"),
			withParent("order-1", "run-1"),
			withRoot("order-1", "run-1"),
			// A Keyword attribute holding a list, and an unregistered type tag.
			withSA("CustomKeywordField", jsonPayload([]string{"x", "z"}, enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED)),
			// Explicit null and an empty list are absent.
			withSA("CustomIntField", &commonpb.Payload{
				Metadata: map[string][]byte{"encoding": []byte("binary/null")},
			}),
			withSA("CustomKeywordListField", jsonPayload([]string{}, enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST)),
			// Malformed JSON is absent, never a panic.
			withSA("CustomDoubleField", &commonpb.Payload{
				Metadata: map[string][]byte{"encoding": []byte("json/plain")},
				Data:     []byte("{not json"),
			}),
			withSA("CustomBoolField", jsonPayload(nil, enumspb.INDEXED_VALUE_TYPE_BOOL)),
		),
		"bare":   record("bare", "run-0"),
		"noinfo": {NamespaceId: "ns"},
	}
}
