package searchattribute

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"
)

// Limits bound a run's search attributes. Zero fields mean no limit.
type Limits struct {
	// NumberOfKeys bounds how many attributes a run holds.
	NumberOfKeys int
	// SizeOfValue bounds one attribute's encoded payload, in bytes.
	SizeOfValue int
	// TotalSize bounds all of a run's attributes, encoded, in bytes.
	TotalSize int
}

// DefaultLimits returns Temporal's defaults.
func DefaultLimits() Limits {
	return Limits{
		NumberOfKeys: 100,      // Temporal's SearchAttributesNumberOfKeysLimit
		SizeOfValue:  2 << 10,  // 2 KiB per value
		TotalSize:    40 << 10, // 40 KiB per run
	}
}

// WithDefaults fills zero fields from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.NumberOfKeys == 0 {
		l.NumberOfKeys = d.NumberOfKeys
	}
	if l.SizeOfValue == 0 {
		l.SizeOfValue = d.SizeOfValue
	}
	if l.TotalSize == 0 {
		l.TotalSize = d.TotalSize
	}
	return l
}

// ValidateSize checks sa against the limits: the number of attributes,
// each value's encoded size and the encoded size of them all.
func (l Limits) ValidateSize(sa *commonpb.SearchAttributes) error {
	fields := sa.GetIndexedFields()
	if len(fields) == 0 {
		return nil
	}
	if l.NumberOfKeys > 0 && len(fields) > l.NumberOfKeys {
		return errorf("Number of search attributes %d exceeds limit %d.", len(fields), l.NumberOfKeys)
	}
	if l.SizeOfValue > 0 {
		for _, name := range sortedNames(fields) {
			if size := proto.Size(fields[name]); size > l.SizeOfValue {
				return errorf("Search attribute %s value size %d exceeds limit %d.", name, size, l.SizeOfValue)
			}
		}
	}
	if size := proto.Size(sa); l.TotalSize > 0 && size > l.TotalSize {
		return errorf("Total size of search attributes %d exceeds limit %d.", size, l.TotalSize)
	}
	return nil
}

// Validate checks that every attribute sa sets may be set by a request or
// a command of namespace nsName, whose custom attributes are custom: it
// is a predefined or custom attribute (not a system one) and its value
// decodes as the attribute's type. Attributes are checked in name order,
// so the error is deterministic.
func Validate(sa *commonpb.SearchAttributes, nsName string, custom Types) error {
	fields := sa.GetIndexedFields()
	for _, name := range sortedNames(fields) {
		if name == "" {
			return errorf("SearchAttributes has an empty name.")
		}
		if IsSystem(name) {
			return errorf("Search attribute %s is reserved by the system.", name)
		}
		t, ok := TypeOf(name, custom)
		if !ok {
			return errorf("Search attribute %s is not defined in namespace %s.", name, nsName)
		}
		if err := CheckValue(name, t, fields[name]); err != nil {
			return err
		}
	}
	return nil
}

// CheckValue checks that p (a json/plain payload, or binary/null to unset)
// holds a value of type t, or a list of them.
func CheckValue(name string, t enumspb.IndexedValueType, p *commonpb.Payload) error {
	md := p.GetMetadata()
	switch enc := string(md["encoding"]); enc {
	case "binary/null":
		return nil
	case "json/plain":
	default:
		return errorf("Search attribute %s has unsupported encoding %q; expected json/plain.", name, enc)
	}
	if declared := string(md["type"]); declared != "" {
		dt, err := enumspb.IndexedValueTypeFromString(declared)
		if err != nil || dt != t {
			return errorf("Search attribute %s is of type %s, but the value is marked %s.", name, ShortTypeName(t), declared)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(p.GetData()))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		return errorf("Search attribute %s: invalid JSON value: %v.", name, err)
	}
	if dec.More() {
		return errorf("Search attribute %s: invalid JSON value: more than one value.", name)
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
			return errorf("Search attribute %s of type %s cannot hold the value %s.", name, ShortTypeName(t), strings.TrimSpace(string(p.GetData())))
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

// IsUnset reports whether p removes its attribute when upserted: no
// payload, no data, binary/null or JSON null.
func IsUnset(p *commonpb.Payload) bool {
	if p == nil || len(p.GetData()) == 0 {
		return true
	}
	return string(bytes.TrimSpace(p.GetData())) == "null"
}

// Merge returns cur with fields upserted: an unset value (IsUnset)
// removes its attribute. cur is not modified; with no fields, cur itself
// is returned.
func Merge(cur *commonpb.SearchAttributes, fields map[string]*commonpb.Payload) *commonpb.SearchAttributes {
	if len(fields) == 0 {
		return cur
	}
	out := &commonpb.SearchAttributes{IndexedFields: make(map[string]*commonpb.Payload, len(cur.GetIndexedFields())+len(fields))}
	for k, v := range cur.GetIndexedFields() {
		out.IndexedFields[k] = v
	}
	for k, v := range fields {
		if IsUnset(v) {
			delete(out.IndexedFields, k)
			continue
		}
		out.IndexedFields[k] = v
	}
	return out
}

// WithTypes returns sa with "type" metadata on every attribute whose type
// is known (predefined or in custom), as Temporal answers: the SDKs decode
// typed search attributes by it. Attributes of unknown type (a custom
// attribute removed since it was set) are left as they are. sa is not
// modified; when nothing changes, sa itself is returned.
func WithTypes(sa *commonpb.SearchAttributes, custom Types) *commonpb.SearchAttributes {
	fields := sa.GetIndexedFields()
	var out *commonpb.SearchAttributes
	for name, p := range fields {
		t, ok := TypeOf(name, custom)
		if !ok || p == nil {
			continue
		}
		want := ShortTypeName(t)
		if string(p.GetMetadata()["type"]) == want {
			continue
		}
		if out == nil {
			out = &commonpb.SearchAttributes{IndexedFields: make(map[string]*commonpb.Payload, len(fields))}
			for k, v := range fields {
				out.IndexedFields[k] = v
			}
		}
		md := make(map[string][]byte, len(p.GetMetadata())+1)
		for k, v := range p.GetMetadata() {
			md[k] = v
		}
		md["type"] = []byte(want)
		out.IndexedFields[name] = &commonpb.Payload{Metadata: md, Data: p.GetData(), ExternalPayloads: p.GetExternalPayloads()}
	}
	if out == nil {
		return sa
	}
	return out
}

func sortedNames(fields map[string]*commonpb.Payload) []string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
