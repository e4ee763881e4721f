package listfilter

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// SearchAttributeTypes maps a namespace's custom search attribute names to
// their types. Names are case-sensitive.
type SearchAttributeTypes map[string]enumspb.IndexedValueType

// Names of the built-in attributes whose values get special treatment.
const (
	attrExecutionStatus   = "ExecutionStatus"
	attrExecutionDuration = "ExecutionDuration"
	attrRunID             = "RunId"
	attrStartTime         = "StartTime"
)

// builtin describes a built-in attribute. get reads it from a record; nil
// means the attribute is stored in the record's search attributes like a
// custom one (Temporal's "predefined" attributes).
type builtin struct {
	typ enumspb.IndexedValueType
	get func(info *workflowpb.WorkflowExecutionInfo) []Value
}

const (
	typeKeyword     = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	typeKeywordList = enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST
	typeText        = enumspb.INDEXED_VALUE_TYPE_TEXT
	typeInt         = enumspb.INDEXED_VALUE_TYPE_INT
	typeDouble      = enumspb.INDEXED_VALUE_TYPE_DOUBLE
	typeBool        = enumspb.INDEXED_VALUE_TYPE_BOOL
	typeDatetime    = enumspb.INDEXED_VALUE_TYPE_DATETIME
)

// builtins are Temporal's system search attributes (read from the
// WorkflowExecutionInfo fields) and its user-visible predefined ones (read
// from the record's search attributes).
var builtins = map[string]builtin{
	"WorkflowId": {typeKeyword, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return keywordValue(i.GetExecution().GetWorkflowId())
	}},
	attrRunID: {typeKeyword, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return keywordValue(i.GetExecution().GetRunId())
	}},
	"WorkflowType": {typeKeyword, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return keywordValue(i.GetType().GetName())
	}},
	attrExecutionStatus: {typeKeyword, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		if i == nil {
			return nil
		}
		return []Value{{Kind: KindString, Str: i.GetStatus().String()}}
	}},
	attrStartTime: {typeDatetime, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return timeValue(i.GetStartTime())
	}},
	"CloseTime": {typeDatetime, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return timeValue(i.GetCloseTime())
	}},
	"ExecutionTime": {typeDatetime, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return timeValue(i.GetExecutionTime())
	}},
	attrExecutionDuration: {typeInt, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return durationValue(i.GetExecutionDuration())
	}},
	"HistoryLength": {typeInt, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return intValue(i, i.GetHistoryLength())
	}},
	"HistorySizeBytes": {typeInt, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return intValue(i, i.GetHistorySizeBytes())
	}},
	"StateTransitionCount": {typeInt, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return intValue(i, i.GetStateTransitionCount())
	}},
	"TaskQueue": {typeKeyword, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return keywordValue(i.GetTaskQueue())
	}},
	"ParentWorkflowId": {typeKeyword, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return keywordValue(i.GetParentExecution().GetWorkflowId())
	}},
	"ParentRunId": {typeKeyword, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return keywordValue(i.GetParentExecution().GetRunId())
	}},
	"RootWorkflowId": {typeKeyword, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return keywordValue(i.GetRootExecution().GetWorkflowId())
	}},
	"RootRunId": {typeKeyword, func(i *workflowpb.WorkflowExecutionInfo) []Value {
		return keywordValue(i.GetRootExecution().GetRunId())
	}},

	// Predefined: kept in the search attributes map.
	"TemporalChangeVersion":              {typeKeywordList, nil},
	"BinaryChecksums":                    {typeKeywordList, nil},
	"BuildIds":                           {typeKeywordList, nil},
	"BatcherNamespace":                   {typeKeyword, nil},
	"BatcherUser":                        {typeKeyword, nil},
	"TemporalScheduledStartTime":         {typeDatetime, nil},
	"TemporalScheduledById":              {typeKeyword, nil},
	"TemporalSchedulePaused":             {typeBool, nil},
	"TemporalNamespaceDivision":          {typeKeyword, nil},
	"TemporalPauseInfo":                  {typeKeywordList, nil},
	"TemporalReportedProblems":           {typeKeywordList, nil},
	"TemporalWorkerDeploymentVersion":    {typeKeyword, nil},
	"TemporalWorkerDeployment":           {typeKeyword, nil},
	"TemporalWorkflowVersioningBehavior": {typeKeyword, nil},
}

// resolveAttribute finds name among the built-in attributes, then sa.
func resolveAttribute(name string, sa SearchAttributeTypes) (Attribute, string) {
	if b, ok := builtins[name]; ok {
		return Attribute{Name: name, Type: b.typ, System: true}, ""
	}
	if t, ok := sa[name]; ok {
		if _, known := enumspb.IndexedValueType_name[int32(t)]; !known || t == enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return Attribute{}, "search attribute " + strconv.Quote(name) + " has unsupported type " + t.String()
		}
		return Attribute{Name: name, Type: t}, ""
	}
	msg := "unknown search attribute " + strconv.Quote(name)
	var similar []string
	for n := range builtins {
		if strings.EqualFold(n, name) {
			similar = append(similar, n)
		}
	}
	for n := range sa {
		if strings.EqualFold(n, name) {
			similar = append(similar, n)
		}
	}
	if len(similar) > 0 {
		sort.Strings(similar)
		msg += " (names are case-sensitive; did you mean " + strconv.Quote(similar[0]) + "?)"
	}
	return Attribute{}, msg
}

// values reads attr from info: nil when absent, more than one value for a
// list (or a scalar attribute holding a list).
func (a Attribute) values(info *workflowpb.WorkflowExecutionInfo) []Value {
	if a.System {
		if b, ok := builtins[a.Name]; ok && b.get != nil {
			return b.get(info)
		}
	}
	return decodePayload(info.GetSearchAttributes().GetIndexedFields()[a.Name], a.Type)
}

// keywordValue: an empty string field is an absent attribute.
func keywordValue(s string) []Value {
	if s == "" {
		return nil
	}
	return []Value{{Kind: KindString, Str: s}}
}

// intValue: counters are always present on a record.
func intValue(info *workflowpb.WorkflowExecutionInfo, n int64) []Value {
	if info == nil {
		return nil
	}
	return []Value{{Kind: KindInt, Int: n}}
}

func timeValue(ts *timestamppb.Timestamp) []Value {
	if ts == nil {
		return nil
	}
	return []Value{{Kind: KindTime, Time: ts.AsTime().UTC()}}
}

func durationValue(d *durationpb.Duration) []Value {
	if d == nil {
		return nil
	}
	return []Value{{Kind: KindInt, Int: int64(d.AsDuration())}}
}

// decodePayload decodes a search attribute value as Temporal stores it:
// JSON ("json/plain") of a scalar or of a list of scalars of type t. Values
// that are null, malformed or of another type are treated as absent.
func decodePayload(p *commonpb.Payload, t enumspb.IndexedValueType) []Value {
	if p == nil || len(p.GetData()) == 0 {
		return nil
	}
	if enc, ok := p.GetMetadata()["encoding"]; ok && string(enc) != "json/plain" {
		return nil // "binary/null" and anything we cannot read
	}
	dec := json.NewDecoder(bytes.NewReader(p.GetData()))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil
	}
	items, isList := raw.([]any)
	if !isList {
		items = []any{raw}
	}
	var out []Value
	for _, item := range items {
		if v, ok := jsonValue(item, t); ok {
			out = append(out, v)
		}
	}
	return out
}

func jsonValue(item any, t enumspb.IndexedValueType) (Value, bool) {
	switch t {
	case typeKeyword, typeKeywordList, typeText:
		if s, ok := item.(string); ok {
			return Value{Kind: KindString, Str: s}, true
		}
	case typeInt:
		if n, ok := item.(json.Number); ok {
			if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
				return Value{Kind: KindInt, Int: i}, true
			}
			return jsonDouble(n)
		}
	case typeDouble:
		if n, ok := item.(json.Number); ok {
			return jsonDouble(n)
		}
	case typeBool:
		if b, ok := item.(bool); ok {
			return Value{Kind: KindBool, Bool: b}, true
		}
	case typeDatetime:
		if s, ok := item.(string); ok {
			if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return Value{Kind: KindTime, Time: tm.UTC()}, true
			}
		}
	}
	return Value{}, false
}

func jsonDouble(n json.Number) (Value, bool) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return Value{}, false
	}
	return Value{Kind: KindDouble, Double: f}, true
}
