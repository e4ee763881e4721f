package searchattribute

import (
	"fmt"
	"maps"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
)

// Types maps search attribute names to their types. Names are
// case-sensitive.
type Types map[string]enumspb.IndexedValueType

// system are the attributes the server maintains from the run itself; no
// request or command may set them.
var system = Types{
	"WorkflowId":           enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RunId":                enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"WorkflowType":         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"ExecutionStatus":      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"StartTime":            enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"CloseTime":            enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"ExecutionTime":        enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"ExecutionDuration":    enumspb.INDEXED_VALUE_TYPE_INT,
	"HistoryLength":        enumspb.INDEXED_VALUE_TYPE_INT,
	"HistorySizeBytes":     enumspb.INDEXED_VALUE_TYPE_INT,
	"StateTransitionCount": enumspb.INDEXED_VALUE_TYPE_INT,
	"TaskQueue":            enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"ParentWorkflowId":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"ParentRunId":          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RootWorkflowId":       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RootRunId":            enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// predefined are Temporal's attributes that every namespace has but that
// live in a run's search attributes like custom ones: SDKs upsert
// TemporalChangeVersion (workflow.GetVersion), the schedule and batch
// system workflows start runs with theirs.
var predefined = Types{
	"TemporalChangeVersion":              enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	"BinaryChecksums":                    enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	"BuildIds":                           enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	"BatcherNamespace":                   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"BatcherUser":                        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"TemporalScheduledStartTime":         enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"TemporalScheduledById":              enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"TemporalSchedulePaused":             enumspb.INDEXED_VALUE_TYPE_BOOL,
	"TemporalNamespaceDivision":          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"TemporalPauseInfo":                  enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	"TemporalReportedProblems":           enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	"TemporalWorkerDeploymentVersion":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"TemporalWorkerDeployment":           enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"TemporalWorkflowVersioningBehavior": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// System returns the attributes every namespace has (system and
// predefined) in a fresh map the caller may keep.
func System() Types {
	out := maps.Clone(system)
	maps.Copy(out, predefined)
	return out
}

// IsReserved reports whether name is a system or predefined attribute: a
// custom attribute cannot take the name.
func IsReserved(name string) bool {
	_, s := system[name]
	_, p := predefined[name]
	return s || p
}

// IsSystem reports whether name is maintained by the server and cannot be
// set by a request or command.
func IsSystem(name string) bool {
	_, ok := system[name]
	return ok
}

// TypeOf returns the type of an attribute a run may hold: a predefined
// attribute or one of custom.
func TypeOf(name string, custom Types) (enumspb.IndexedValueType, bool) {
	if t, ok := predefined[name]; ok {
		return t, true
	}
	t, ok := custom[name]
	return t, ok
}

// fieldPrefixes maps each type to the field-name prefix that encodes it.
var fieldPrefixes = map[enumspb.IndexedValueType]string{
	enumspb.INDEXED_VALUE_TYPE_TEXT:         "Text",
	enumspb.INDEXED_VALUE_TYPE_KEYWORD:      "Keyword",
	enumspb.INDEXED_VALUE_TYPE_INT:          "Int",
	enumspb.INDEXED_VALUE_TYPE_DOUBLE:       "Double",
	enumspb.INDEXED_VALUE_TYPE_BOOL:         "Bool",
	enumspb.INDEXED_VALUE_TYPE_DATETIME:     "Datetime",
	enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
}

// FieldPrefix is the field-name prefix of type t ("Keyword"), false for
// UNSPECIFIED and unknown types.
func FieldPrefix(t enumspb.IndexedValueType) (string, bool) {
	p, ok := fieldPrefixes[t]
	return p, ok
}

// FieldType returns the type a custom attribute field name encodes:
// "Keyword03" -> KEYWORD, "KeywordList01" -> KEYWORD_LIST.
func FieldType(field string) (enumspb.IndexedValueType, bool) {
	prefix := strings.TrimRight(field, "0123456789")
	if prefix == field || prefix == "" {
		return enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED, false
	}
	for t, p := range fieldPrefixes {
		if p == prefix {
			return t, true
		}
	}
	return enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED, false
}

// FromAliases returns a namespace's custom attributes from its alias map
// (field name -> attribute name). Entries whose field name encodes no type
// are ignored.
func FromAliases(aliases map[string]string) Types {
	out := make(Types, len(aliases))
	for field, name := range aliases {
		if t, ok := FieldType(field); ok {
			out[name] = t
		}
	}
	return out
}

// ShortTypeName is Temporal's PascalCase spelling of t ("KeywordList").
func ShortTypeName(t enumspb.IndexedValueType) string {
	if p, ok := fieldPrefixes[t]; ok {
		return p
	}
	return t.String()
}

// errorf builds the package's errors: plain, with a message for users.
func errorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}
