package listfilter

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
)

var all = []string{"bare", "child", "noinfo", "order1", "order2"}

// matchCases list, for each query, which fixtures it selects.
var matchCases = []struct {
	query string
	want  []string
}{
	{"", all},
	{"ORDER BY StartTime", all},

	// System attributes.
	{"WorkflowType = 'OrderWorkflow'", []string{"order1", "order2"}},
	{"WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running'", []string{"order1"}},
	{"WorkflowType IS NULL", []string{"bare", "noinfo"}},
	{"WorkflowType IS NOT NULL", []string{"child", "order1", "order2"}},
	{"WorkflowId = 'order-1'", []string{"order1"}},
	{"WorkflowId STARTS_WITH 'order-'", []string{"order1", "order2"}},
	{"WorkflowId STARTS_WITH 'Order-'", nil},
	{"WorkflowId NOT STARTS_WITH 'order-'", []string{"bare", "child", "noinfo"}},
	{"WorkflowId > 'order-1'", []string{"child", "order2"}},
	{"WorkflowId BETWEEN 'order-1' AND 'order-2'", []string{"order1", "order2"}},
	{"WorkflowId BETWEEN 'order-2' AND 'order-1'", nil},
	{"RunId = 'run-7'", []string{"child"}},
	{"TaskQueue = 'orders'", []string{"order1", "order2"}},
	{"TaskQueue IS NULL", []string{"bare", "noinfo"}},
	{"ParentWorkflowId = 'order-1' AND ParentRunId = 'run-1'", []string{"child"}},
	{"ParentWorkflowId IS NULL", []string{"bare", "noinfo", "order1", "order2"}},
	{"RootRunId = 'run-1'", []string{"child", "order1"}},
	{"RootWorkflowId != 'order-1'", []string{"bare", "noinfo", "order2"}},

	// ExecutionStatus.
	{"ExecutionStatus = 'running'", []string{"order1"}},
	{"ExecutionStatus = 2", []string{"order2"}},
	{"ExecutionStatus != 'Completed'", []string{"bare", "child", "noinfo", "order1"}},
	{"ExecutionStatus IN ('Failed', 'Completed')", []string{"child", "order2"}},
	{"ExecutionStatus NOT IN ('Failed', 'Completed')", []string{"bare", "noinfo", "order1"}},
	{"ExecutionStatus IS NULL", []string{"noinfo"}},

	// Times and durations.
	{"StartTime > '2024-01-01T00:00:00Z'", []string{"order1", "order2"}},
	{"StartTime < '2024-01-01T00:00:00Z'", []string{"child"}},
	{"StartTime >= 1704448800000000000", []string{"order1", "order2"}},
	{"StartTime = '2024-01-05T12:00:00+02:00'", []string{"order1"}},
	{"StartTime <= '2024-01-05T10:00:00Z'", []string{"child", "order1"}},
	{"CloseTime BETWEEN '2024-01-01T00:00:00Z' AND '2024-02-01T00:00:00Z'", []string{"child", "order2"}},
	{"CloseTime IS NULL", []string{"bare", "noinfo", "order1"}},
	{"CloseTime != '2024-01-20T01:30:00Z'", []string{"bare", "child", "noinfo", "order1"}},
	{"ExecutionTime = '2024-01-05T10:00:00Z'", []string{"order1"}},
	{"ExecutionDuration > '1h'", []string{"order2"}},
	{"ExecutionDuration < '1m'", []string{"child"}},
	{"ExecutionDuration = 11000000000", []string{"child"}},
	{"ExecutionDuration IS NULL", []string{"bare", "noinfo", "order1"}},

	// Int counters are present on every record with info.
	{"HistoryLength >= 12", []string{"order1", "order2"}},
	{"HistoryLength BETWEEN 5 AND 12", []string{"child", "order1"}},
	{"HistoryLength NOT BETWEEN 5 AND 12", []string{"bare", "noinfo", "order2"}},
	{"HistorySizeBytes > 1000 AND StateTransitionCount < 50", []string{"order1"}},
	{"HistoryLength = 0", []string{"bare"}},
	{"HistoryLength IS NULL", []string{"noinfo"}},

	// Keyword (one record holds a list: any element matches).
	{"CustomKeywordField = 'x'", []string{"child", "order1"}},
	{"CustomKeywordField = 'z'", []string{"child"}},
	{"CustomKeywordField != 'x'", []string{"bare", "noinfo", "order2"}},
	{"CustomKeywordField IN ('y', 'z')", []string{"child", "order2"}},
	{"CustomKeywordField STARTS_WITH 'x'", []string{"child", "order1"}},
	{"CustomKeywordField < 'y'", []string{"child", "order1"}},
	{"CustomKeywordField IS NULL", []string{"bare", "noinfo"}},

	// Int.
	{"CustomIntField >= 3", []string{"order1", "order2"}},
	{"CustomIntField = 3.0", []string{"order1"}},
	{"CustomIntField < 3.5", []string{"order1"}},
	{"CustomIntField > 2.5 AND CustomIntField < 3.5", []string{"order1"}},
	{"CustomIntField IN (1, 10)", []string{"order2"}},
	{"CustomIntField IS NULL", []string{"bare", "child", "noinfo"}},

	// Double.
	{"CustomDoubleField > 0", []string{"order1"}},
	{"CustomDoubleField = -1", []string{"order2"}},
	{"CustomDoubleField BETWEEN -1 AND 2.5", []string{"order1", "order2"}},
	{"CustomDoubleField IS NULL", []string{"bare", "child", "noinfo"}},

	// Bool.
	{"CustomBoolField = true", []string{"order1"}},
	{"CustomBoolField = false", []string{"order2"}},
	{"CustomBoolField != true", []string{"bare", "child", "noinfo", "order2"}},
	{"CustomBoolField IS NULL", []string{"bare", "child", "noinfo"}},

	// Datetime.
	{"CustomDatetimeField > '2024-02-01T00:00:00Z'", []string{"order1"}},
	{"CustomDatetimeField = '2024-01-31T23:00:00Z'", []string{"order2"}},
	{"CustomDatetimeField = '2024-03-01T12:00:00.123456789Z'", []string{"order1"}},
	{"CustomDatetimeField = '2024-03-01T12:00:00.123456788Z'", nil},

	// KeywordList.
	{"CustomKeywordListField = 'red'", []string{"order1"}},
	{"CustomKeywordListField IN ('blue', 'green')", []string{"order1", "order2"}},
	{"CustomKeywordListField NOT IN ('blue')", []string{"bare", "child", "noinfo", "order1"}},
	{"CustomKeywordListField != 'red'", []string{"bare", "child", "noinfo", "order2"}},
	{"CustomKeywordListField IS NULL", []string{"bare", "child", "noinfo"}},

	// Text: every word of the value must be a word of the field.
	{"CustomTextField = 'hello'", []string{"order1"}},
	{"CustomTextField = 'WORLD'", []string{"order1", "order2"}},
	{"CustomTextField = 'world, hello'", []string{"order1"}},
	{"CustomTextField = 'hell'", nil},
	{"CustomTextField != 'hello'", []string{"bare", "child", "noinfo", "order2"}},

	// Predefined and oddly named attributes.
	{"TemporalChangeVersion = 'fix-2'", []string{"order1"}},
	{"BuildIds IS NOT NULL", []string{"order1"}},
	{"TemporalNamespaceDivision IS NULL", all},
	{"`Order` = 'first'", []string{"order1"}},

	// Logic.
	{"WorkflowId = 'payment-7' OR WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Completed'",
		[]string{"child", "order2"}},
	{"(WorkflowId = 'payment-7' OR WorkflowType = 'OrderWorkflow') AND ExecutionStatus = 'Completed'",
		[]string{"order2"}},
	{"NOT WorkflowType = 'OrderWorkflow'", []string{"bare", "child", "noinfo"}},
	{"NOT (WorkflowType = 'OrderWorkflow' OR TaskQueue = 'payments')", []string{"bare", "noinfo"}},
	{"NOT NOT TaskQueue = 'payments'", []string{"child"}},
}

func TestMatch(t *testing.T) {
	recs := fixtures()
	for _, tc := range matchCases {
		t.Run(tc.query, func(t *testing.T) {
			f, err := Parse(tc.query, testSA)
			require.NoError(t, err)
			var got []string
			for name, rec := range recs {
				if f.Match(rec) {
					got = append(got, name)
				}
			}
			sort.Strings(got)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestNegationIsComplement checks the documented two-valued logic: every
// negated operator selects exactly the records its positive form rejects.
func TestNegationIsComplement(t *testing.T) {
	pairs := [][2]string{
		{"CustomKeywordField = 'x'", "CustomKeywordField != 'x'"},
		{"CustomIntField IN (3, 4)", "CustomIntField NOT IN (3, 4)"},
		{"CloseTime BETWEEN '2024-01-01T00:00:00Z' AND '2024-02-01T00:00:00Z'",
			"CloseTime NOT BETWEEN '2024-01-01T00:00:00Z' AND '2024-02-01T00:00:00Z'"},
		{"WorkflowId STARTS_WITH 'order'", "WorkflowId NOT STARTS_WITH 'order'"},
		{"CustomKeywordListField = 'red'", "CustomKeywordListField != 'red'"},
		{"CustomTextField = 'world'", "CustomTextField != 'world'"},
		{"TaskQueue IS NULL", "TaskQueue IS NOT NULL"},
		{"CustomBoolField = true", "NOT CustomBoolField = true"},
	}
	for _, p := range pairs {
		pos, err := Parse(p[0], testSA)
		require.NoError(t, err)
		neg, err := Parse(p[1], testSA)
		require.NoError(t, err)
		for name, rec := range fixtures() {
			require.NotEqual(t, pos.Match(rec), neg.Match(rec), "%s on %s", p[0], name)
		}
	}
}

func TestMatchDegenerateInputs(t *testing.T) {
	f, err := Parse("WorkflowId = 'a' OR WorkflowId != 'a'", testSA)
	require.NoError(t, err)
	require.True(t, f.Match(nil))

	f, err = Parse("WorkflowId = 'a' OR CustomIntField = 3", testSA)
	require.NoError(t, err)
	require.False(t, f.Match(nil))

	var nilFilter *Filter
	require.True(t, nilFilter.Match(nil))
	require.True(t, nilFilter.Match(fixtures()["order1"]))
	require.Nil(t, nilFilter.Expr())
	require.Nil(t, nilFilter.OrderBy())
	require.Equal(t, "", nilFilter.String())
	require.True(t, (&Filter{}).Match(fixtures()["order1"]))
}

func TestDecodePayload(t *testing.T) {
	kw := enumspb.INDEXED_VALUE_TYPE_KEYWORD
	cases := []struct {
		name string
		p    *commonpb.Payload
		typ  enumspb.IndexedValueType
		want []Value
	}{
		{"nil", nil, kw, nil},
		{"no data", &commonpb.Payload{}, kw, nil},
		{"no metadata", &commonpb.Payload{Data: []byte(`"a"`)}, kw, []Value{{Kind: KindString, Str: "a"}}},
		{"other encoding", &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/plain")}, Data: []byte(`"a"`)}, kw, nil},
		{"wrong type", jsonPayload(5, kw), kw, nil},
		{"mixed list", jsonPayload([]any{"a", 1, nil, "b"}, kw), kw, []Value{{Kind: KindString, Str: "a"}, {Kind: KindString, Str: "b"}}},
		{"int", jsonPayload(int64(-9223372036854775808), enumspb.INDEXED_VALUE_TYPE_INT), enumspb.INDEXED_VALUE_TYPE_INT,
			[]Value{{Kind: KindInt, Int: -9223372036854775808}}},
		{"int written as float", jsonPayload(2.5, enumspb.INDEXED_VALUE_TYPE_INT), enumspb.INDEXED_VALUE_TYPE_INT,
			[]Value{{Kind: KindDouble, Double: 2.5}}},
		{"double overflow", &commonpb.Payload{Data: []byte(`1e999`)}, enumspb.INDEXED_VALUE_TYPE_DOUBLE, nil},
		{"bad datetime", jsonPayload("yesterday", enumspb.INDEXED_VALUE_TYPE_DATETIME), enumspb.INDEXED_VALUE_TYPE_DATETIME, nil},
		{"object", &commonpb.Payload{Data: []byte(`{"a":1}`)}, kw, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, decodePayload(tc.p, tc.typ))
		})
	}
}

func TestCompareIntDouble(t *testing.T) {
	cases := []struct {
		i    int64
		f    float64
		want int
	}{
		{3, 3.0, 0},
		{3, 3.5, -1},
		{4, 3.5, 1},
		{-3, -3.5, 1},
		{-4, -3.5, -1},
		{9223372036854775807, 9223372036854775807.0, -1}, // the float is 2^63
		{-9223372036854775808, -9223372036854775808.0, 0},
		{-9223372036854775808, -1e300, 1},
		{9007199254740993, 9007199254740992.0, 1}, // 2^53+1 is not a float64
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, compareIntDouble(tc.i, tc.f), "%d vs %g", tc.i, tc.f)
		got, ok := compareValues(Value{Kind: KindDouble, Double: tc.f}, Value{Kind: KindInt, Int: tc.i})
		require.True(t, ok)
		require.Equal(t, -tc.want, got)
	}
	_, ok := compareValues(Value{Kind: KindString}, Value{Kind: KindInt})
	require.False(t, ok)
}
