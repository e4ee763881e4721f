package frontend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"google.golang.org/protobuf/proto"
)

// Search attributes.
//
// System attributes are fixed (systemSearchAttributes, the same set
// common/listfilter evaluates). Custom attributes belong to a namespace and
// are stored in its NamespaceConfig.custom_search_attribute_aliases, the
// map Temporal defines as "field name -> alias": the key is a field name
// "<Type><NN>" (Keyword01, Int02, KeywordList01...) whose prefix is the
// attribute's type, the value is the name users write. So the namespace
// record alone says which custom attributes exist and their types, with no
// change to the persistence contract. Visibility records carry search
// attributes under the user-facing name.

// systemSearchAttributes are the attributes every namespace has.
var systemSearchAttributes = map[string]enumspb.IndexedValueType{
	"WorkflowId":                         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RunId":                              enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"WorkflowType":                       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"ExecutionStatus":                    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"StartTime":                          enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"CloseTime":                          enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"ExecutionTime":                      enumspb.INDEXED_VALUE_TYPE_DATETIME,
	"ExecutionDuration":                  enumspb.INDEXED_VALUE_TYPE_INT,
	"HistoryLength":                      enumspb.INDEXED_VALUE_TYPE_INT,
	"HistorySizeBytes":                   enumspb.INDEXED_VALUE_TYPE_INT,
	"StateTransitionCount":               enumspb.INDEXED_VALUE_TYPE_INT,
	"TaskQueue":                          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"ParentWorkflowId":                   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"ParentRunId":                        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RootWorkflowId":                     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"RootRunId":                          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
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

// copySystemSearchAttributes returns a fresh copy callers may keep.
func copySystemSearchAttributes() map[string]enumspb.IndexedValueType {
	return maps.Clone(systemSearchAttributes)
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

// fieldType returns the type a custom attribute field name encodes:
// "Keyword03" -> KEYWORD, "KeywordList01" -> KEYWORD_LIST.
func fieldType(field string) (enumspb.IndexedValueType, bool) {
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

// customSearchAttributes returns a namespace's custom attributes (user
// name -> type) from its alias map. Entries whose field name encodes no
// type are ignored.
func customSearchAttributes(aliases map[string]string) map[string]enumspb.IndexedValueType {
	out := make(map[string]enumspb.IndexedValueType, len(aliases))
	for field, name := range aliases {
		if t, ok := fieldType(field); ok {
			out[name] = t
		}
	}
	return out
}

// customSearchAttributeType looks one name up without building a map.
func customSearchAttributeType(aliases map[string]string, name string) (enumspb.IndexedValueType, bool) {
	for field, alias := range aliases {
		if alias == name {
			return fieldType(field)
		}
	}
	return enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED, false
}

// searchAttributeNameRE is what a custom attribute name may look like.
var searchAttributeNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// addSearchAttributes returns aliases with the requested attributes added.
// Attributes already defined with the same type are left as they are
// (adding is idempotent); a different type is an error. aliases is not
// modified.
func addSearchAttributes(aliases map[string]string, add map[string]enumspb.IndexedValueType, maxPerType int) (map[string]string, error) {
	out := maps.Clone(aliases)
	if out == nil {
		out = map[string]string{}
	}
	names := make([]string, 0, len(add))
	for n := range add {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic field allocation
	for _, name := range names {
		t := add[name]
		if cur, ok := customSearchAttributeType(out, name); ok {
			if cur != t {
				return nil, invalidArgf("Search attribute %s already exists with type %s.", name, shortTypeName(cur))
			}
			continue
		}
		field, err := freeField(out, t, maxPerType)
		if err != nil {
			return nil, err
		}
		out[field] = name
	}
	return out, nil
}

// removeSearchAttributes returns aliases without the named attributes;
// removing an undefined attribute is an error. aliases is not modified.
func removeSearchAttributes(aliases map[string]string, remove []string) (map[string]string, error) {
	out := maps.Clone(aliases)
	for _, name := range remove {
		found := false
		for field, alias := range out {
			if alias == name {
				delete(out, field)
				found = true
			}
		}
		if !found {
			return nil, invalidArgf("Search attribute %s doesn't exist.", name)
		}
	}
	return out, nil
}

// freeField picks the lowest unused field name of type t.
func freeField(aliases map[string]string, t enumspb.IndexedValueType, maxPerType int) (string, error) {
	prefix := fieldPrefixes[t]
	for i := 1; i <= maxPerType; i++ {
		f := fmt.Sprintf("%s%02d", prefix, i)
		if _, used := aliases[f]; !used {
			return f, nil
		}
	}
	return "", invalidArgf("Unable to create search attribute: a namespace cannot have more than %d search attributes of type %s.", maxPerType, shortTypeName(t))
}

// shortTypeName is Temporal's PascalCase spelling ("Keyword").
func shortTypeName(t enumspb.IndexedValueType) string {
	if p, ok := fieldPrefixes[t]; ok {
		return p
	}
	return t.String()
}

// searchAttributeSizes checks count and size limits of request search
// attributes; names are checked by searchAttributeNames.
func (v validator) searchAttributeSizes(sa *commonpb.SearchAttributes) error {
	fields := sa.GetIndexedFields()
	if len(fields) == 0 {
		return nil
	}
	if len(fields) > v.cfg.SearchAttributesNumberOfKeysLimit {
		return invalidArgf("Number of search attributes %d exceeds limit %d.", len(fields), v.cfg.SearchAttributesNumberOfKeysLimit)
	}
	for name, p := range fields {
		if name == "" {
			return serviceerror.NewInvalidArgument("SearchAttributes has an empty name.")
		}
		if err := v.length("SearchAttributes name", name); err != nil {
			return err
		}
		if size := proto.Size(p); size > v.cfg.SearchAttributesSizeOfValueLimit {
			return invalidArgf("Search attribute %s value size %d exceeds limit %d.", name, size, v.cfg.SearchAttributesSizeOfValueLimit)
		}
	}
	if size := proto.Size(sa); size > v.cfg.SearchAttributesTotalSizeLimit {
		return invalidArgf("Total size of search attributes %d exceeds limit %d.", size, v.cfg.SearchAttributesTotalSizeLimit)
	}
	return nil
}

// searchAttributeNames checks that every attribute a start request sets is
// a custom attribute of the namespace and that its value decodes as the
// attribute's type. System attributes are set by the server only.
func searchAttributeNames(namespaceName string, sa *commonpb.SearchAttributes, aliases map[string]string) error {
	for name, p := range sa.GetIndexedFields() {
		if _, ok := systemSearchAttributes[name]; ok {
			return invalidArgf("Search attribute %s is reserved by the system.", name)
		}
		t, ok := customSearchAttributeType(aliases, name)
		if !ok {
			return invalidArgf("Search attribute %s is not defined in namespace %s.", name, namespaceName)
		}
		if err := checkSearchAttributeValue(name, t, p); err != nil {
			return err
		}
	}
	return nil
}

// checkSearchAttributeValue checks that p (a json/plain payload, or
// binary/null to unset) holds a value of type t, or a list of them.
func checkSearchAttributeValue(name string, t enumspb.IndexedValueType, p *commonpb.Payload) error {
	md := p.GetMetadata()
	switch enc := string(md["encoding"]); enc {
	case "binary/null":
		return nil
	case "json/plain":
	default:
		return invalidArgf("Search attribute %s has unsupported encoding %q; expected json/plain.", name, enc)
	}
	if declared := string(md["type"]); declared != "" {
		dt, err := enumspb.IndexedValueTypeFromString(declared)
		if err != nil || dt != t {
			return invalidArgf("Search attribute %s is of type %s, but the value is marked %s.", name, shortTypeName(t), declared)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(p.GetData()))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		return invalidArgf("Search attribute %s: invalid JSON value: %v.", name, err)
	}
	if val == nil {
		return nil
	}
	values := []any{val}
	if list, ok := val.([]any); ok {
		values = list
	}
	for _, e := range values {
		if !scalarMatches(t, e) {
			return invalidArgf("Search attribute %s of type %s cannot hold the value %s.", name, shortTypeName(t), strings.TrimSpace(string(p.GetData())))
		}
	}
	return nil
}

func scalarMatches(t enumspb.IndexedValueType, v any) bool {
	switch t {
	case enumspb.INDEXED_VALUE_TYPE_KEYWORD, enumspb.INDEXED_VALUE_TYPE_TEXT, enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST:
		_, ok := v.(string)
		return ok
	case enumspb.INDEXED_VALUE_TYPE_INT:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := strconv.ParseInt(string(n), 10, 64)
		return err == nil
	case enumspb.INDEXED_VALUE_TYPE_DOUBLE:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Float64()
		return err == nil
	case enumspb.INDEXED_VALUE_TYPE_BOOL:
		_, ok := v.(bool)
		return ok
	case enumspb.INDEXED_VALUE_TYPE_DATETIME:
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, err := time.Parse(time.RFC3339Nano, s)
		return err == nil
	}
	return false
}
