package listfilter

import (
	"cmp"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	enumspb "go.temporal.io/api/enums/v1"
)

// class groups attributes that accept the same operators and values.
type class int

const (
	classKeyword class = iota
	classStatus
	classKeywordList
	classText
	classInt // Int attributes, ExecutionDuration included
	classDouble
	classBool
	classDatetime
)

func (a Attribute) class() class {
	if a.System && a.Name == attrExecutionStatus {
		return classStatus
	}
	switch a.Type {
	case typeKeywordList:
		return classKeywordList
	case typeText:
		return classText
	case typeInt:
		return classInt
	case typeDouble:
		return classDouble
	case typeBool:
		return classBool
	case typeDatetime:
		return classDatetime
	}
	return classKeyword
}

func (a Attribute) isDuration() bool { return a.System && a.Name == attrExecutionDuration }

var (
	opsEquality = []Op{OpEq, OpNe, OpIn, OpNotIn, OpIsNull, OpIsNotNull}
	opsOrdered  = []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe, OpIn, OpNotIn, OpBetween, OpNotBetween, OpIsNull, OpIsNotNull}
	opsKeyword  = append(append([]Op(nil), opsOrdered...), OpStartsWith, OpNotStartsWith)
	opsText     = []Op{OpEq, OpNe, OpIsNull, OpIsNotNull}
)

// supportedOps lists the operators each class accepts; they follow
// Temporal's (ExecutionStatus, a Keyword there, only gets equality).
func supportedOps(c class) []Op {
	switch c {
	case classKeyword:
		return opsKeyword
	case classStatus, classKeywordList, classBool:
		return opsEquality
	case classText:
		return opsText
	}
	return opsOrdered
}

func checkOp(a Attribute, op Op) string {
	ops := supportedOps(a.class())
	for _, o := range ops {
		if o == op {
			return ""
		}
	}
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = o.String()
	}
	return "operator " + op.String() + " is not supported on " + a.Type.String() +
		" attribute " + strconv.Quote(a.Name) + " (supported: " + strings.Join(names, ", ") + ")"
}

// orderable reports whether ORDER BY may use the attribute.
func (a Attribute) orderable() bool {
	c := a.class()
	return c != classText && c != classKeywordList
}

// statusByName maps lower-cased short ("running") and full
// ("workflow_execution_status_running") names to statuses.
var statusByName = func() map[string]enumspb.WorkflowExecutionStatus {
	m := map[string]enumspb.WorkflowExecutionStatus{}
	for name, v := range enumspb.WorkflowExecutionStatus_shorthandValue {
		m[strings.ToLower(name)] = enumspb.WorkflowExecutionStatus(v)
	}
	for name, v := range enumspb.WorkflowExecutionStatus_value {
		m[strings.ToLower(name)] = enumspb.WorkflowExecutionStatus(v)
	}
	return m
}()

// literalText renders a value token as the user wrote it, for messages.
func literalText(t token) string {
	switch t.kind {
	case tokString:
		return quoteString(t.text)
	case tokIdent:
		return strings.ToLower(t.text)
	}
	return t.text
}

// toValue converts a literal token (string, number, TRUE or FALSE) to a
// value of attribute a, or returns why it cannot.
func toValue(a Attribute, t token) (Value, string) {
	bad := func(expected string) (Value, string) {
		return Value{}, "invalid value " + literalText(t) + " for " + a.Type.String() +
			" attribute " + strconv.Quote(a.Name) + ": expected " + expected
	}
	isString, isNumber, isBool := t.kind == tokString, t.kind == tokNumber, t.kind == tokIdent
	switch {
	case a.class() == classStatus:
		if isString {
			if s, ok := statusByName[strings.ToLower(t.text)]; ok {
				return Value{Kind: KindString, Str: s.String()}, ""
			}
		}
		if isNumber && t.isInt {
			if n, err := strconv.ParseInt(t.text, 10, 32); err == nil {
				if _, ok := enumspb.WorkflowExecutionStatus_name[int32(n)]; ok {
					return Value{Kind: KindString, Str: enumspb.WorkflowExecutionStatus(n).String()}, ""
				}
			}
		}
		return bad("a workflow execution status: 'Running', 'Completed', 'Failed', 'Canceled', " +
			"'Terminated', 'ContinuedAsNew', 'TimedOut' or 'Paused'")
	case a.isDuration():
		if isString {
			if d, err := time.ParseDuration(t.text); err == nil {
				return Value{Kind: KindInt, Int: int64(d)}, ""
			}
		}
		if isNumber && t.isInt {
			if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
				return Value{Kind: KindInt, Int: n}, ""
			}
		}
		return bad("a duration such as '90s' or '1h30m', or integer nanoseconds")
	}
	switch a.class() {
	case classKeyword, classKeywordList:
		if isString {
			return Value{Kind: KindString, Str: t.text}, ""
		}
		return bad("a quoted string")
	case classText:
		if !isString {
			return bad("a quoted string")
		}
		if len(textTokens(t.text)) == 0 {
			return bad("at least one word to search for")
		}
		return Value{Kind: KindString, Str: t.text}, ""
	case classInt:
		if isNumber && t.isInt {
			if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
				return Value{Kind: KindInt, Int: n}, ""
			}
			return bad("an integer within the 64-bit range")
		}
		if isNumber {
			if f, ok := parseDouble(t.text); ok {
				return Value{Kind: KindDouble, Double: f}, ""
			}
		}
		return bad("a number")
	case classDouble:
		if isNumber {
			if f, ok := parseDouble(t.text); ok {
				return Value{Kind: KindDouble, Double: f}, ""
			}
		}
		return bad("a finite number")
	case classBool:
		if isBool {
			return Value{Kind: KindBool, Bool: strings.EqualFold(t.text, "true")}, ""
		}
		return bad("true or false")
	case classDatetime:
		if isString {
			if tm, err := time.Parse(time.RFC3339Nano, t.text); err == nil {
				// Keep to times that render back as RFC3339 in UTC.
				if u := tm.UTC(); u.Year() >= 0 && u.Year() <= 9999 {
					return Value{Kind: KindTime, Time: u}, ""
				}
			}
		}
		if isNumber && t.isInt {
			if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
				return Value{Kind: KindTime, Time: time.Unix(0, n).UTC()}, ""
			}
		}
		return bad("an RFC3339 time such as '2024-01-02T15:04:05Z', or integer unix nanoseconds")
	}
	return bad("a value")
}

func parseDouble(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// compareValues orders two values of comparable kinds. ok is false when
// they cannot be compared (different kinds), which no predicate matches.
func compareValues(a, b Value) (c int, ok bool) {
	switch {
	case a.Kind == KindString && b.Kind == KindString:
		return strings.Compare(a.Str, b.Str), true
	case a.Kind == KindInt && b.Kind == KindInt:
		return cmp.Compare(a.Int, b.Int), true
	case a.Kind == KindDouble && b.Kind == KindDouble:
		return cmp.Compare(a.Double, b.Double), true
	case a.Kind == KindInt && b.Kind == KindDouble:
		return compareIntDouble(a.Int, b.Double), true
	case a.Kind == KindDouble && b.Kind == KindInt:
		return -compareIntDouble(b.Int, a.Double), true
	case a.Kind == KindBool && b.Kind == KindBool:
		switch {
		case a.Bool == b.Bool:
			return 0, true
		case b.Bool:
			return -1, true
		}
		return 1, true
	case a.Kind == KindTime && b.Kind == KindTime:
		return a.Time.Compare(b.Time), true
	}
	return 0, false
}

// compareIntDouble compares exactly, without rounding i to a float64.
func compareIntDouble(i int64, f float64) int {
	const two63 = 9223372036854775808.0
	switch {
	case math.IsNaN(f):
		return 1 // never produced; any consistent answer
	case f >= two63:
		return -1
	case f < -two63:
		return 1
	}
	t := math.Trunc(f)
	if c := cmp.Compare(i, int64(t)); c != 0 {
		return c
	}
	return -cmp.Compare(f-t, 0)
}

// textTokens splits s into lower-cased words: runs of letters and digits.
func textTokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// textContains reports whether every word of query is a word of field.
func textContains(field, query string) bool {
	words := textTokens(field)
	for _, q := range textTokens(query) {
		found := false
		for _, w := range words {
			if w == q {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
