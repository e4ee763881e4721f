package frontend

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/meridian-dev/meridian/common/listfilter"
)

func TestFieldType(t *testing.T) {
	for field, want := range map[string]enumspb.IndexedValueType{
		"Keyword01":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"KeywordList03": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		"Text1":         enumspb.INDEXED_VALUE_TYPE_TEXT,
		"Int10":         enumspb.INDEXED_VALUE_TYPE_INT,
		"Double02":      enumspb.INDEXED_VALUE_TYPE_DOUBLE,
		"Bool01":        enumspb.INDEXED_VALUE_TYPE_BOOL,
		"Datetime01":    enumspb.INDEXED_VALUE_TYPE_DATETIME,
	} {
		got, ok := fieldType(field)
		require.True(t, ok, field)
		require.Equal(t, want, got, field)
	}
	for _, field := range []string{"Keyword", "01", "", "Foo01", "keyword01"} {
		_, ok := fieldType(field)
		require.False(t, ok, field)
	}
}

func TestAddRemoveSearchAttributes(t *testing.T) {
	kw, in := enumspb.INDEXED_VALUE_TYPE_KEYWORD, enumspb.INDEXED_VALUE_TYPE_INT
	orig := map[string]string{"Keyword01": "Existing"}
	got, err := addSearchAttributes(orig, map[string]enumspb.IndexedValueType{"B": kw, "A": kw, "N": in, "Existing": kw}, 20)
	require.NoError(t, err)
	// Deterministic allocation in name order; the existing one is kept.
	require.Equal(t, map[string]string{"Keyword01": "Existing", "Keyword02": "A", "Keyword03": "B", "Int01": "N"}, got)
	require.Equal(t, map[string]string{"Keyword01": "Existing"}, orig, "input must not be modified")
	require.Equal(t, map[string]enumspb.IndexedValueType{"Existing": kw, "A": kw, "B": kw, "N": in}, customSearchAttributes(got))

	_, err = addSearchAttributes(got, map[string]enumspb.IndexedValueType{"A": in}, 20)
	requireInvalid(t, err, "Search attribute A already exists with type Keyword.")

	_, err = addSearchAttributes(nil, map[string]enumspb.IndexedValueType{"X": kw, "Y": kw, "Z": kw}, 2)
	requireInvalid(t, err, "cannot have more than 2 search attributes of type Keyword")

	removed, err := removeSearchAttributes(got, []string{"A", "N"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"Keyword01": "Existing", "Keyword03": "B"}, removed)
	require.Len(t, got, 4, "input must not be modified")

	_, err = removeSearchAttributes(got, []string{"Missing"})
	requireInvalid(t, err, "Search attribute Missing doesn't exist.")

	// A freed field is reused.
	again, err := addSearchAttributes(removed, map[string]enumspb.IndexedValueType{"C": kw}, 20)
	require.NoError(t, err)
	require.Equal(t, "C", again["Keyword02"])
}

func TestSearchAttributeNames(t *testing.T) {
	aliases := map[string]string{"Keyword01": "CustomKeywordField", "Int01": "CustomIntField", "Datetime01": "When",
		"Bool01": "Flag", "Double01": "Score", "KeywordList01": "Tags", "Text01": "Notes"}
	sa := func(name string, p *commonpb.Payload) *commonpb.SearchAttributes {
		return &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{name: p}}
	}
	for _, c := range []struct {
		name string
		sa   *commonpb.SearchAttributes
		want string
	}{
		{"none", nil, ""},
		{"keyword", sa("CustomKeywordField", jsonPayload(`"abc"`, "Keyword")), ""},
		{"keyword screaming type", sa("CustomKeywordField", jsonPayload(`"abc"`, "INDEXED_VALUE_TYPE_KEYWORD")), ""},
		{"keyword list as keyword", sa("CustomKeywordField", jsonPayload(`["a","b"]`, "")), ""},
		{"keyword list", sa("Tags", jsonPayload(`["a","b"]`, "KeywordList")), ""},
		{"text", sa("Notes", jsonPayload(`"hello world"`, "Text")), ""},
		{"int", sa("CustomIntField", jsonPayload(`42`, "Int")), ""},
		{"double", sa("Score", jsonPayload(`4.5`, "Double")), ""},
		{"bool", sa("Flag", jsonPayload(`true`, "Bool")), ""},
		{"datetime", sa("When", jsonPayload(`"2024-01-02T03:04:05.123Z"`, "Datetime")), ""},
		{"null json", sa("CustomIntField", jsonPayload(`null`, "")), ""},
		{"binary null unsets", sa("CustomIntField", &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/null")}}), ""},
		{"undefined", sa("Nope", jsonPayload(`"x"`, "")), "Search attribute Nope is not defined in namespace default."},
		{"system", sa("WorkflowType", jsonPayload(`"x"`, "")), "Search attribute WorkflowType is reserved by the system."},
		{"int holds string", sa("CustomIntField", jsonPayload(`"x"`, "")), "Search attribute CustomIntField of type Int cannot hold the value \"x\"."},
		{"int holds fraction", sa("CustomIntField", jsonPayload(`1.5`, "")), "cannot hold the value 1.5"},
		{"bool holds number", sa("Flag", jsonPayload(`1`, "")), "of type Bool cannot hold"},
		{"double holds bool", sa("Score", jsonPayload(`true`, "")), "of type Double cannot hold"},
		{"datetime not RFC3339", sa("When", jsonPayload(`"yesterday"`, "")), "of type Datetime cannot hold"},
		{"keyword holds number", sa("CustomKeywordField", jsonPayload(`5`, "")), "of type Keyword cannot hold"},
		{"list with bad element", sa("Tags", jsonPayload(`["a", 1]`, "")), "of type KeywordList cannot hold"},
		{"type mismatch", sa("CustomKeywordField", jsonPayload(`"x"`, "Int")), "Search attribute CustomKeywordField is of type Keyword, but the value is marked Int."},
		{"unknown declared type", sa("CustomKeywordField", jsonPayload(`"x"`, "Blob")), "marked Blob"},
		{"bad json", sa("CustomKeywordField", jsonPayload(`{`, "")), "Search attribute CustomKeywordField: invalid JSON value"},
		{"bad encoding", sa("CustomKeywordField", &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/plain")}}), `unsupported encoding "binary/plain"`},
		{"no encoding", sa("CustomKeywordField", &commonpb.Payload{Data: []byte(`"x"`)}), `unsupported encoding ""`},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireInvalid(t, searchAttributeNames("default", c.sa, aliases), c.want)
		})
	}
}

// The system attributes the frontend reports must be the ones listfilter
// knows, with the same types.
func TestSystemSearchAttributesMatchListFilter(t *testing.T) {
	for name, typ := range systemSearchAttributes {
		_, err := listfilter.Parse(fmt.Sprintf("%#q IS NOT NULL", name), nil)
		require.NoError(t, err, "listfilter does not know system attribute %s", name)
		// A custom attribute of the same name is shadowed by the built-in
		// one, so an equality with a value of the wrong type must fail
		// according to the built-in type.
		var lit string
		switch typ {
		case enumspb.INDEXED_VALUE_TYPE_INT:
			lit = "'not a number'"
		case enumspb.INDEXED_VALUE_TYPE_DATETIME:
			lit = "'not a time'"
		case enumspb.INDEXED_VALUE_TYPE_BOOL:
			lit = "'not a bool'"
		default:
			continue
		}
		_, err = listfilter.Parse(fmt.Sprintf("%#q = %s", name, lit), nil)
		require.Error(t, err, "listfilter accepts %s for %s (%v)", lit, name, typ)
	}
	_, err := listfilter.Parse("NotAnAttribute = 'x'", nil)
	require.Error(t, err)
}
