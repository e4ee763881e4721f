package searchattribute

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"
)

func jsonPayload(data, typ string) *commonpb.Payload {
	p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(data)}
	if typ != "" {
		p.Metadata["type"] = []byte(typ)
	}
	return p
}

var binaryNull = &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/null")}}

func attrs(kv ...any) *commonpb.SearchAttributes {
	sa := &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{}}
	for i := 0; i < len(kv); i += 2 {
		sa.IndexedFields[kv[i].(string)] = kv[i+1].(*commonpb.Payload)
	}
	return sa
}

func TestFromAliases(t *testing.T) {
	got := FromAliases(map[string]string{"Keyword01": "A", "KeywordList02": "Tags", "Datetime01": "When", "Bogus01": "X", "Int": "Y"})
	require.Equal(t, Types{"A": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "Tags": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST, "When": enumspb.INDEXED_VALUE_TYPE_DATETIME}, got)
	for typ := range fieldPrefixes {
		p, ok := FieldPrefix(typ)
		require.True(t, ok)
		back, ok := FieldType(p + "07")
		require.True(t, ok)
		require.Equal(t, typ, back)
	}
}

func TestValidate(t *testing.T) {
	custom := Types{"Kw": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "N": enumspb.INDEXED_VALUE_TYPE_INT, "When": enumspb.INDEXED_VALUE_TYPE_DATETIME}
	for _, c := range []struct {
		name string
		sa   *commonpb.SearchAttributes
		want string
	}{
		{"empty", nil, ""},
		{"custom", attrs("Kw", jsonPayload(`"x"`, "Keyword"), "N", jsonPayload(`3`, "")), ""},
		{"predefined without type", attrs("TemporalChangeVersion", jsonPayload(`["fix-1"]`, "")), ""},
		{"predefined schedule", attrs("TemporalScheduledById", jsonPayload(`"sched"`, "Keyword"), "TemporalScheduledStartTime", jsonPayload(`"2024-01-02T03:04:05Z"`, "Datetime")), ""},
		{"unset", attrs("N", binaryNull), ""},
		{"system", attrs("ExecutionStatus", jsonPayload(`"Running"`, "")), "Search attribute ExecutionStatus is reserved by the system."},
		{"unknown", attrs("Nope", jsonPayload(`"x"`, "")), "Search attribute Nope is not defined in namespace ns."},
		{"wrong value", attrs("When", jsonPayload(`"soon"`, "")), "Search attribute When of type Datetime cannot hold the value \"soon\"."},
		{"wrong declared type", attrs("N", jsonPayload(`3`, "Double")), "Search attribute N is of type Int, but the value is marked Double."},
		{"two JSON values", attrs("N", jsonPayload(`3 4`, "")), "more than one value"},
		{"first in name order", attrs("Zed", jsonPayload(`1`, ""), "Abc", jsonPayload(`1`, "")), "Search attribute Abc is not defined"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.sa, "ns", custom)
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestValidateSize(t *testing.T) {
	l := Limits{NumberOfKeys: 2, SizeOfValue: 40, TotalSize: 80}
	require.NoError(t, l.ValidateSize(nil))
	require.NoError(t, l.ValidateSize(attrs("A", jsonPayload(`"x"`, ""))))
	require.ErrorContains(t, l.ValidateSize(attrs("A", jsonPayload(`1`, ""), "B", jsonPayload(`1`, ""), "C", jsonPayload(`1`, ""))),
		"Number of search attributes 3 exceeds limit 2.")
	require.ErrorContains(t, l.ValidateSize(attrs("A", jsonPayload(`"`+strings.Repeat("v", 30)+`"`, ""))), "Search attribute A value size")
	two := attrs("A", jsonPayload(`"`+strings.Repeat("v", 10)+`"`, ""), "B", jsonPayload(`"`+strings.Repeat("v", 10)+`"`, ""))
	require.Greater(t, proto.Size(two), 80)
	require.ErrorContains(t, l.ValidateSize(two), "Total size of search attributes")
	require.NoError(t, Limits{}.ValidateSize(two), "zero limits: no limit")
	require.Equal(t, DefaultLimits(), Limits{}.WithDefaults())
}

func TestMerge(t *testing.T) {
	cur := attrs("A", jsonPayload(`1`, ""), "B", jsonPayload(`2`, ""))
	require.Same(t, cur, Merge(cur, nil))
	out := Merge(cur, map[string]*commonpb.Payload{"A": binaryNull, "B": jsonPayload(` null `, ""), "C": jsonPayload(`3`, "")})
	require.Equal(t, []string{"C"}, sortedNames(out.GetIndexedFields()))
	require.Len(t, cur.GetIndexedFields(), 2, "cur must not be modified")
	require.Len(t, Merge(nil, map[string]*commonpb.Payload{"A": jsonPayload(`1`, "")}).GetIndexedFields(), 1)
}

func TestWithTypes(t *testing.T) {
	custom := Types{"Kw": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "Tags": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST}
	typed := attrs("Kw", jsonPayload(`"x"`, "Keyword"))
	require.Same(t, typed, WithTypes(typed, custom), "nothing to change")
	require.Nil(t, WithTypes(nil, custom))

	in := attrs("Kw", jsonPayload(`"x"`, "INDEXED_VALUE_TYPE_KEYWORD"), "Tags", jsonPayload(`["a"]`, ""),
		"TemporalChangeVersion", jsonPayload(`["c-1"]`, ""), "Removed", jsonPayload(`1`, ""))
	orig := proto.Clone(in)
	out := WithTypes(in, custom)
	require.True(t, proto.Equal(orig, in), "input must not be modified")
	got := map[string]string{}
	for name, p := range out.GetIndexedFields() {
		got[name] = string(p.GetMetadata()["type"])
		require.Equal(t, "json/plain", string(p.GetMetadata()["encoding"]))
		require.Equal(t, in.GetIndexedFields()[name].GetData(), p.GetData())
	}
	require.Equal(t, map[string]string{"Kw": "Keyword", "Tags": "KeywordList", "TemporalChangeVersion": "KeywordList", "Removed": ""}, got)
}

func TestReservedNames(t *testing.T) {
	require.True(t, IsReserved("WorkflowId"))
	require.True(t, IsReserved("TemporalChangeVersion"))
	require.False(t, IsReserved("CustomKeywordField"))
	require.True(t, IsSystem("StartTime"))
	require.False(t, IsSystem("BuildIds"))
	all := System()
	all["WorkflowId"] = enumspb.INDEXED_VALUE_TYPE_INT
	require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, System()["WorkflowId"], "System returns a copy")
}
