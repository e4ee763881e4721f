package listfilter

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// parseCases pairs queries with their canonical form (Filter.String).
var parseCases = []struct {
	name, query, want string
}{
	{"empty", "", ""},
	{"blank", " \t\n ", ""},
	{"and", "WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running'",
		"WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running'"},
	{"or with parens", `WorkflowId = "abc" OR (WorkflowType IN ('A','B') AND StartTime > '2024-01-01T00:00:00Z')`,
		"WorkflowId = 'abc' OR WorkflowType IN ('A', 'B') AND StartTime > '2024-01-01T00:00:00Z'"},
	{"order by", "ExecutionStatus != 'Completed' ORDER BY StartTime DESC",
		"ExecutionStatus != 'Completed' ORDER BY StartTime DESC"},
	{"order by only", "order by StartTime", "ORDER BY StartTime ASC"},
	{"group by", "WorkflowType = 'A' group by ExecutionStatus", "WorkflowType = 'A' GROUP BY ExecutionStatus"},
	{"group by only", "GROUP BY ExecutionStatus", "GROUP BY ExecutionStatus"},
	{"group and order by", "GROUP BY ExecutionStatus ORDER BY StartTime", "GROUP BY ExecutionStatus ORDER BY StartTime ASC"},
	{"order by many", "ORDER BY WorkflowType asc, StartTime desc, CustomIntField",
		"ORDER BY WorkflowType ASC, StartTime DESC, CustomIntField ASC"},
	{"between", "CloseTime BETWEEN '2024-01-01T00:00:00Z' AND '2024-02-01T00:00:00Z'",
		"CloseTime BETWEEN '2024-01-01T00:00:00Z' AND '2024-02-01T00:00:00Z'"},
	{"not between", "HistoryLength not between 1 and 10", "HistoryLength NOT BETWEEN 1 AND 10"},
	{"between then and", "HistoryLength BETWEEN 1 AND 10 AND TaskQueue = 'q'",
		"HistoryLength BETWEEN 1 AND 10 AND TaskQueue = 'q'"},
	{"starts with", "WorkflowId STARTS_WITH 'order-'", "WorkflowId STARTS_WITH 'order-'"},
	{"not starts with", "WorkflowId not starts_with 'order-'", "WorkflowId NOT STARTS_WITH 'order-'"},
	{"custom", "CustomKeywordField = 'x' AND CustomIntField >= 3 AND CustomBoolField = true",
		"CustomKeywordField = 'x' AND CustomIntField >= 3 AND CustomBoolField = true"},
	{"backquoted", "`WorkflowType` = 'x'", "WorkflowType = 'x'"},
	{"is null", "WorkflowType IS NULL", "WorkflowType IS NULL"},
	{"is not null", "CloseTime is not null", "CloseTime IS NOT NULL"},
	{"not in", "WorkflowType NOT IN ('A', 'B')", "WorkflowType NOT IN ('A', 'B')"},
	{"in one", "WorkflowType IN ('A')", "WorkflowType IN ('A')"},
	{"ne", "WorkflowType != 'A'", "WorkflowType != 'A'"},
	{"ltgt", "WorkflowType <> 'A'", "WorkflowType != 'A'"},
	{"comparisons", "HistoryLength < 1 OR HistoryLength <= 2 OR HistoryLength > 3 OR HistoryLength >= 4",
		"HistoryLength < 1 OR HistoryLength <= 2 OR HistoryLength > 3 OR HistoryLength >= 4"},
	{"no spaces", "HistoryLength>=4 AND(WorkflowId='a'OR RunId<>'b')",
		"HistoryLength >= 4 AND (WorkflowId = 'a' OR RunId != 'b')"},
	{"keywords any case", "WorkflowId In ('a') oR WorkflowId Starts_With 'b' aNd CloseTime iS nOt NuLl",
		"WorkflowId IN ('a') OR WorkflowId STARTS_WITH 'b' AND CloseTime IS NOT NULL"},

	// Precedence and grouping.
	{"and binds tighter", "RunId = 'a' OR RunId = 'b' AND RunId = 'c'",
		"RunId = 'a' OR RunId = 'b' AND RunId = 'c'"},
	{"parens kept when needed", "(RunId = 'a' OR RunId = 'b') AND RunId = 'c'",
		"(RunId = 'a' OR RunId = 'b') AND RunId = 'c'"},
	{"redundant parens dropped", "((RunId = 'a')) AND (RunId = 'b' AND RunId = 'c')",
		"RunId = 'a' AND RunId = 'b' AND RunId = 'c'"},
	{"nested or flattened", "RunId = 'a' OR (RunId = 'b' OR RunId = 'c')",
		"RunId = 'a' OR RunId = 'b' OR RunId = 'c'"},
	{"not", "NOT RunId = 'a'", "NOT RunId = 'a'"},
	{"not binds tighter than and", "NOT RunId = 'a' AND RunId = 'b'", "NOT RunId = 'a' AND RunId = 'b'"},
	{"not of group", "NOT (RunId = 'a' OR RunId = 'b')", "NOT (RunId = 'a' OR RunId = 'b')"},
	{"double not", "not not RunId = 'a'", "NOT NOT RunId = 'a'"},

	// Values.
	{"status lower case", "ExecutionStatus = 'running'", "ExecutionStatus = 'Running'"},
	{"status number", "ExecutionStatus = 3", "ExecutionStatus = 'Failed'"},
	{"status full name", "ExecutionStatus IN ('WORKFLOW_EXECUTION_STATUS_TIMED_OUT', 'continuedasnew', 'Canceled', 'Terminated', 'Paused')",
		"ExecutionStatus IN ('TimedOut', 'ContinuedAsNew', 'Canceled', 'Terminated', 'Paused')"},
	{"time offset", "StartTime > '2024-01-01T02:00:00+02:00'", "StartTime > '2024-01-01T00:00:00Z'"},
	{"time nanos", "StartTime >= '2024-01-01T00:00:00.000000500Z'", "StartTime >= '2024-01-01T00:00:00.0000005Z'"},
	{"time unix nanos", "ExecutionTime < 1704067200000000000", "ExecutionTime < '2024-01-01T00:00:00Z'"},
	{"duration string", "ExecutionDuration > '1h30m'", "ExecutionDuration > 5400000000000"},
	{"duration nanos", "ExecutionDuration <= 10", "ExecutionDuration <= 10"},
	{"duration between", "ExecutionDuration BETWEEN '10s' AND '1m'", "ExecutionDuration BETWEEN 10000000000 AND 60000000000"},
	{"double from int", "CustomDoubleField > 3", "CustomDoubleField > 3.0"},
	{"double exponent", "CustomDoubleField < -1.5e3", "CustomDoubleField < -1500.0"},
	{"double tiny", "CustomDoubleField = 1e-300", "CustomDoubleField = 1e-300"},
	{"int with fraction", "CustomIntField = 2.5", "CustomIntField = 2.5"},
	{"int negative", "CustomIntField > -9223372036854775808", "CustomIntField > -9223372036854775808"},
	{"int plus", "CustomIntField = +7", "CustomIntField = 7"},
	{"double leading point", "CustomDoubleField IN (.5, +.25, 1., -2)", "CustomDoubleField IN (0.5, 0.25, 1.0, -2.0)"},
	{"double large", "CustomDoubleField > 1e21", "CustomDoubleField > 1e+21"},
	{"bool false", "CustomBoolField != FALSE", "CustomBoolField != false"},
	{"bool in", "CustomBoolField IN (true, false)", "CustomBoolField IN (true, false)"},
	{"datetime custom", "CustomDatetimeField BETWEEN '2024-01-01T00:00:00Z' AND 1706745600000000000",
		"CustomDatetimeField BETWEEN '2024-01-01T00:00:00Z' AND '2024-02-01T00:00:00Z'"},
	{"keyword list", "CustomKeywordListField IN ('a', 'b')", "CustomKeywordListField IN ('a', 'b')"},
	{"text", "CustomTextField = 'hello world'", "CustomTextField = 'hello world'"},
	{"doubled quote", "WorkflowId = 'it''s'", `WorkflowId = 'it\'s'`},
	{"escapes", `WorkflowId = "say \"hi\"\n\\" OR WorkflowId = 'tab\there'`,
		`WorkflowId = 'say "hi"\n\\' OR WorkflowId = 'tab\there'`},
	{"unicode", "WorkflowId = 'commande-é'", "WorkflowId = 'commande-é'"},
	{"empty string", "WorkflowId = ''", "WorkflowId = ''"},

	// Attribute names.
	{"reserved name", "`Order` = 'x' ORDER BY `Order`", "`Order` = 'x' ORDER BY `Order` ASC"},
	{"name with space", "`My Field` = 'y'", "`My Field` = 'y'"},
	{"name with backquote", "`Tick``s` > 1", "`Tick``s` > 1"},
	{"builtin shadows custom", "WorkflowType STARTS_WITH 'Order'", "WorkflowType STARTS_WITH 'Order'"},
	{"predefined", "TemporalChangeVersion = 'fix-1' AND BuildIds IN ('unversioned') AND TemporalSchedulePaused = false",
		"TemporalChangeVersion = 'fix-1' AND BuildIds IN ('unversioned') AND TemporalSchedulePaused = false"},
	{"parent and root", "ParentWorkflowId = 'p' AND ParentRunId = 'r' AND RootWorkflowId = 'q' AND RootRunId IS NOT NULL",
		"ParentWorkflowId = 'p' AND ParentRunId = 'r' AND RootWorkflowId = 'q' AND RootRunId IS NOT NULL"},
}

func TestParseCanonical(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.query, testSA)
			require.NoError(t, err)
			require.Equal(t, tc.want, f.String())

			// The canonical form is a fixed point.
			again, err := Parse(f.String(), testSA)
			require.NoError(t, err)
			require.Equal(t, tc.want, again.String())
			require.Equal(t, f.Expr(), again.Expr())
			require.Equal(t, f.Order(), again.Order())
			require.Equal(t, f.GroupBy(), again.GroupBy())
		})
	}
}

func TestParseTree(t *testing.T) {
	f, err := Parse("WorkflowType = 'A' AND (ExecutionStatus = 'running' OR NOT WorkflowId IN ('x', 'y')) ORDER BY StartTime DESC", testSA)
	require.NoError(t, err)

	wfType := Attribute{Name: "WorkflowType", Type: typeKeyword, System: true}
	status := Attribute{Name: "ExecutionStatus", Type: typeKeyword, System: true}
	wfID := Attribute{Name: "WorkflowId", Type: typeKeyword, System: true}
	require.Equal(t, &And{Exprs: []Expr{
		&Compare{Attr: wfType, Op: OpEq, Values: []Value{{Kind: KindString, Str: "A"}}},
		&Or{Exprs: []Expr{
			&Compare{Attr: status, Op: OpEq, Values: []Value{{Kind: KindString, Str: "Running"}}},
			&Not{Expr: &Compare{Attr: wfID, Op: OpIn, Values: []Value{
				{Kind: KindString, Str: "x"}, {Kind: KindString, Str: "y"},
			}}},
		}},
	}}, f.Expr())
	require.Equal(t, []OrderTerm{{Attr: Attribute{Name: "StartTime", Type: typeDatetime, System: true}, Desc: true}}, f.Order())

	// Conjuncts is what a backend walks to push equality down.
	conj := Conjuncts(f.Expr())
	require.Len(t, conj, 2)
	require.Equal(t, "WorkflowType = 'A'", conj[0].String())
	require.Nil(t, Conjuncts(nil))
	require.Len(t, Conjuncts(conj[0]), 1)

	custom, err := Parse("CustomIntField = 1", testSA)
	require.NoError(t, err)
	require.Equal(t, Attribute{Name: "CustomIntField", Type: typeInt}, custom.Expr().(*Compare).Attr)

	empty, err := Parse("", testSA)
	require.NoError(t, err)
	require.Nil(t, empty.Expr())
	require.Nil(t, empty.Order())
	require.Nil(t, empty.OrderBy())

	// Parse with no custom attributes still knows the built-in ones.
	_, err = Parse("WorkflowId = 'a'", nil)
	require.NoError(t, err)
}

func TestOpNegated(t *testing.T) {
	for op, want := range map[Op]Op{OpNe: OpEq, OpNotIn: OpIn, OpNotBetween: OpBetween, OpNotStartsWith: OpStartsWith} {
		got, neg := op.Negated()
		require.True(t, neg, op.String())
		require.Equal(t, want, got)
	}
	for _, op := range []Op{OpEq, OpLt, OpLe, OpGt, OpGe, OpIn, OpBetween, OpStartsWith, OpIsNull, OpIsNotNull} {
		got, neg := op.Negated()
		require.False(t, neg, op.String())
		require.Equal(t, op, got)
	}
	require.Equal(t, "Op(99)", Op(99).String())
}

var errorCases = []struct {
	name, query, want string
}{
	{"unknown attribute", "Foo = 'x'", `invalid query: unknown search attribute "Foo" at position 1`},
	{"attribute case", "workflowId = 'x'", `unknown search attribute "workflowId" (names are case-sensitive; did you mean "WorkflowId"?)`},
	{"missing value", "WorkflowType =", `invalid query: expected value after "=" but found end of query at position 15`},
	{"missing value before and", "WorkflowType = AND RunId = 'a'", `expected value after "=" but found keyword AND at position 16`},
	{"unquoted value", "WorkflowType = OrderWorkflow", `expected value after "=" but found identifier "OrderWorkflow" (did you forget to quote it?) at position 16`},
	{"starts_with on int", "CustomIntField STARTS_WITH 'x'",
		`invalid query: operator STARTS_WITH is not supported on Int attribute "CustomIntField" (supported: =, !=, <, <=, >, >=, IN, NOT IN, BETWEEN, NOT BETWEEN, IS NULL, IS NOT NULL) at position 16`},
	{"gt on status", "ExecutionStatus > 'Running'", `operator > is not supported on Keyword attribute "ExecutionStatus"`},
	{"starts_with on text", "CustomTextField STARTS_WITH 'a'", `operator STARTS_WITH is not supported on Text attribute "CustomTextField"`},
	{"in on text", "CustomTextField IN ('a')", `operator IN is not supported on Text attribute "CustomTextField"`},
	{"lt on keyword list", "CustomKeywordListField < 'a'", `operator < is not supported on KeywordList attribute "CustomKeywordListField"`},
	{"between on bool", "CustomBoolField BETWEEN true AND false", `operator BETWEEN is not supported on Bool attribute "CustomBoolField"`},
	{"not starts_with on datetime", "StartTime NOT STARTS_WITH '2024'", `operator NOT STARTS_WITH is not supported on Datetime attribute "StartTime"`},
	{"string for int", "CustomIntField = 'abc'", `invalid value 'abc' for Int attribute "CustomIntField": expected a number at position 18`},
	{"int overflow", "CustomIntField = 99999999999999999999", `for Int attribute "CustomIntField": expected an integer within the 64-bit range`},
	{"double overflow", "CustomDoubleField = 1e999", `invalid value 1e999 for Double attribute "CustomDoubleField": expected a finite number`},
	{"string for double", "CustomDoubleField = '1.5'", `expected a finite number`},
	{"number for bool", "CustomBoolField = 1", `invalid value 1 for Bool attribute "CustomBoolField": expected true or false`},
	{"string for bool", "CustomBoolField = 'true'", `expected true or false`},
	{"bad time", "StartTime > '2024-13-01'", `invalid value '2024-13-01' for Datetime attribute "StartTime": expected an RFC3339 time`},
	{"date only", "StartTime > '2024-01-01'", `for Datetime attribute "StartTime"`},
	{"time out of range", "StartTime = '0000-01-01T00:00:00+01:00'", `for Datetime attribute "StartTime"`},
	{"float time", "StartTime = 1.5", `for Datetime attribute "StartTime"`},
	{"bad status", "ExecutionStatus = 'Bogus'", `invalid value 'Bogus' for Keyword attribute "ExecutionStatus": expected a workflow execution status`},
	{"bad status number", "ExecutionStatus = 42", `invalid value 42 for Keyword attribute "ExecutionStatus"`},
	{"bad duration", "ExecutionDuration > 'soon'", `invalid value 'soon' for Int attribute "ExecutionDuration": expected a duration`},
	{"number for keyword", "WorkflowId = 123", `invalid value 123 for Keyword attribute "WorkflowId": expected a quoted string`},
	{"bool for keyword list", "CustomKeywordListField = true", `expected a quoted string`},
	{"blank text", "CustomTextField = ' ,. '", `expected at least one word to search for`},
	{"dangling and", "WorkflowId = 'x' AND", `expected search attribute name but found end of query at position 21`},
	{"dangling or", "WorkflowId = 'x' OR ORDER BY RunId", `expected search attribute name but found keyword ORDER`},
	{"leading and", "AND WorkflowId = 'x'", "expected search attribute name but found keyword AND (quote an attribute with that name in backquotes: `AND`) at position 1"},
	{"unclosed paren", "(WorkflowId = 'x'", `expected ")" to close "(" at position 1 but found end of query at position 18`},
	{"extra paren", "WorkflowId = 'x')", `expected AND, OR, GROUP BY, ORDER BY or end of query but found ")" at position 17`},
	{"empty parens", "()", `empty parentheses at position 2`},
	{"juxtaposed", "WorkflowId = 'x' WorkflowType = 'y'", `expected AND, OR, GROUP BY, ORDER BY or end of query but found identifier "WorkflowType" at position 18`},
	{"unterminated string", "WorkflowId = 'x", `unterminated string at position 14`},
	{"unterminated escape", `WorkflowId = 'x\'`, `unterminated string`},
	{"empty in", "WorkflowId IN ()", `expected value after "IN" but found ")"`},
	{"in without comma", "WorkflowId IN ('a' 'b')", `expected "," or ")" in IN list but found string 'b'`},
	{"in without parens", "WorkflowId IN 'a'", `expected "(" after IN but found string 'a'`},
	{"not in unterminated", "WorkflowId NOT IN ('a',", `expected value after "NOT IN" but found end of query`},
	{"between without and", "HistoryLength BETWEEN 1 2", `expected AND after BETWEEN 1 but found number 2`},
	{"between missing high", "HistoryLength BETWEEN 1 AND", `expected value after "AND" but found end of query`},
	{"is without null", "WorkflowId IS 'x'", `expected NULL after IS but found string 'x'`},
	{"is not without null", "WorkflowId IS NOT 'x'", `expected NULL after IS NOT but found string 'x'`},
	{"equals null", "WorkflowId = NULL", `NULL is not a value here (use IS NULL or IS NOT NULL)`},
	{"like", "WorkflowId LIKE 'a%'", `LIKE is not supported (use STARTS_WITH for a prefix match)`},
	{"not equals", "WorkflowId NOT = 'x'", `expected IN, BETWEEN or STARTS_WITH after NOT but found "="`},
	{"missing operator", "WorkflowId 'x'", `expected an operator after WorkflowId but found string 'x'`},
	{"attribute only", "WorkflowId", `expected an operator after WorkflowId but found end of query`},
	{"value on left", "'x' = WorkflowId", `expected search attribute name but found string 'x' (quote attribute names in backquotes, not quotes)`},
	{"attribute on right", "WorkflowId = `RunId`", `did you forget to quote it?`},
	{"function", "StartTime > now()", `expected value after ">" but found identifier "now"`},
	{"order by text", "ORDER BY CustomTextField", `cannot ORDER BY Text attribute "CustomTextField" at position 10`},
	{"order by keyword list", "ORDER BY CustomKeywordListField DESC", `cannot ORDER BY KeywordList attribute "CustomKeywordListField"`},
	{"order without by", "ORDER WorkflowId", `expected BY after ORDER but found identifier "WorkflowId"`},
	{"order by nothing", "ORDER BY", `expected search attribute name after ORDER BY but found end of query`},
	{"order by unknown", "ORDER BY Foo", `unknown search attribute "Foo" at position 10`},
	{"order by junk", "ORDER BY StartTime DESC WorkflowId", `expected "," or end of query but found identifier "WorkflowId"`},
	{"order by trailing comma", "ORDER BY StartTime,", `expected search attribute name after ORDER BY but found end of query`},
	{"group by other", "WorkflowType = 'x' GROUP BY WorkflowType", `GROUP BY is only supported for ExecutionStatus, not "WorkflowType" at position 29`},
	{"group by custom", "GROUP BY CustomKeywordField", `GROUP BY is only supported for ExecutionStatus, not "CustomKeywordField"`},
	{"group by twice", "GROUP BY ExecutionStatus, ExecutionStatus", `"ExecutionStatus" appears twice in GROUP BY`},
	{"group without by", "GROUP ExecutionStatus", `expected BY after GROUP but found identifier "ExecutionStatus"`},
	{"group by after order by", "ORDER BY StartTime GROUP BY ExecutionStatus", `GROUP BY must come before ORDER BY`},
	{"limit", "WorkflowId = 'x' LIMIT 10", `LIMIT is not supported`},
	{"unsupported type", "BadType = 'x'", `search attribute "BadType" has unsupported type Unspecified`},
	{"bad character", "WorkflowId = 'x' # comment", `unexpected character '#' at position 18`},
	{"bang", "WorkflowId ! 'x'", `unexpected character '!' (did you mean "!="?)`},
	{"double equals", "WorkflowId == 'x'", `expected value after "=" but found "="`},
	{"bad number", "CustomIntField = 12abc", `invalid number "12abc"`},
	{"bad exponent", "CustomIntField = 1e", `invalid number "1e"`},
	{"two points", "CustomDoubleField = 1.2.3", `invalid number "1.2.3"`},
	{"empty quoted identifier", "`` = 'x'", `empty quoted identifier at position 1`},
	{"unterminated quoted identifier", "`abc = 'x'", `unterminated quoted identifier`},
	{"position counts characters", "WorkflowId = 'é' AND Foo = 1", `unknown search attribute "Foo" at position 22`},
	{"deep nesting", strings.Repeat("(", 101) + "RunId = 'a'" + strings.Repeat(")", 101), `query is nested more than 100 levels deep at position 101`},
	{"deep not", strings.Repeat("NOT ", 200) + "RunId = 'a'", `query is nested more than 100 levels deep`},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.query, testSA)
			require.Nil(t, f)
			require.Error(t, err)
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "error is %T", err)
			require.True(t, strings.HasPrefix(err.Error(), "invalid query: "), err.Error())
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParseNestingWithinLimit(t *testing.T) {
	q := strings.Repeat("(", 100) + "RunId = 'a'" + strings.Repeat(")", 100)
	f, err := Parse(q, testSA)
	require.NoError(t, err)
	require.Equal(t, "RunId = 'a'", f.String())

	// Depth is about nesting, not length.
	long := strings.Repeat("RunId = 'a' OR ", 5000) + "RunId = 'b'"
	_, err = Parse(long, testSA)
	require.NoError(t, err)
}

func TestParseErrorWithoutPosition(t *testing.T) {
	require.Equal(t, "invalid query: boom", (&ParseError{Msg: "boom"}).Error())
}
