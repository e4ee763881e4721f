package listfilter

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

var orderCases = []struct {
	query string
	want  []string
}{
	{"ORDER BY StartTime DESC", []string{"order2", "order1", "child", "bare", "noinfo"}},
	{"ORDER BY StartTime", []string{"child", "order1", "order2", "bare", "noinfo"}},
	{"ORDER BY WorkflowType, StartTime DESC", []string{"order2", "order1", "child", "bare", "noinfo"}},
	{"ORDER BY WorkflowType DESC, StartTime ASC", []string{"child", "order1", "order2", "bare", "noinfo"}},
	// child holds ['x', 'z']: it sorts by 'z' descending and by 'x' ascending
	// (tied with order1's 'x', broken by RunId).
	{"ORDER BY CustomKeywordField DESC", []string{"child", "order2", "order1", "bare", "noinfo"}},
	{"ORDER BY CustomKeywordField ASC", []string{"order1", "child", "order2", "bare", "noinfo"}},
	{"ORDER BY ExecutionStatus", []string{"order2", "child", "order1", "bare", "noinfo"}},
	{"ORDER BY CustomIntField DESC", []string{"order2", "order1", "bare", "child", "noinfo"}},
	{"ORDER BY CustomBoolField", []string{"order2", "order1", "bare", "child", "noinfo"}},
	{"ORDER BY CustomDoubleField DESC", []string{"order1", "order2", "bare", "child", "noinfo"}},
	// Absent values last, ties (here: all absent) by RunId.
	{"ORDER BY CloseTime DESC", []string{"order2", "child", "bare", "order1", "noinfo"}},
	{"ORDER BY ExecutionDuration", []string{"child", "order2", "bare", "order1", "noinfo"}},
	{"ORDER BY HistoryLength DESC", []string{"order2", "order1", "child", "bare", "noinfo"}},
	{"WorkflowType = 'OrderWorkflow' ORDER BY CustomDatetimeField", []string{"order2", "order1"}},
}

func sortedNames(t *testing.T, f *Filter, less func(a, b *persistencepb.VisibilityRecord) bool) []string {
	t.Helper()
	type named struct {
		name string
		rec  *persistencepb.VisibilityRecord
	}
	var recs []named
	for name, rec := range fixtures() {
		if f.Match(rec) {
			recs = append(recs, named{name, rec})
		}
	}
	sort.Slice(recs, func(i, j int) bool { return less(recs[i].rec, recs[j].rec) })
	names := make([]string, len(recs))
	for i, r := range recs {
		names[i] = r.name
	}
	return names
}

func TestOrderBy(t *testing.T) {
	for _, tc := range orderCases {
		t.Run(tc.query, func(t *testing.T) {
			f, err := Parse(tc.query, testSA)
			require.NoError(t, err)
			less := f.OrderBy()
			require.NotNil(t, less)
			require.Equal(t, tc.want, sortedNames(t, f, less))
		})
	}
}

func TestDefaultOrder(t *testing.T) {
	f, err := Parse("WorkflowId IS NOT NULL", testSA)
	require.NoError(t, err)
	require.Nil(t, f.OrderBy(), "no ORDER BY leaves the store's default")
	// Less itself still orders, as the store's default does.
	require.Equal(t, []string{"order2", "order1", "child", "bare"}, sortedNames(t, f, f.Less))

	var nilFilter *Filter
	require.Equal(t, []string{"order2", "order1", "child", "bare", "noinfo"}, sortedNames(t, nilFilter, nilFilter.Less))
}

// TestLessIsStrictWeakOrder checks irreflexivity, asymmetry and
// transitivity over every fixture triple, for every ORDER BY case.
func TestLessIsStrictWeakOrder(t *testing.T) {
	var recs []*persistencepb.VisibilityRecord
	for _, r := range fixtures() {
		recs = append(recs, r)
	}
	recs = append(recs, nil)
	queries := []string{""}
	for _, tc := range orderCases {
		queries = append(queries, tc.query)
	}
	for _, q := range queries {
		f, err := Parse(q, testSA)
		require.NoError(t, err)
		for _, a := range recs {
			require.False(t, f.Less(a, a), q)
			for _, b := range recs {
				if f.Less(a, b) {
					require.False(t, f.Less(b, a), q)
				}
				for _, c := range recs {
					if f.Less(a, b) && f.Less(b, c) {
						require.True(t, f.Less(a, c), q)
					}
				}
			}
		}
	}
}
