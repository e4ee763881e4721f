package listfilter

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// FuzzParse checks that Parse never panics, that every error is a
// *ParseError, and that the canonical form round-trips: Parse(f.String())
// gives the same tree, the same ORDER BY, the same canonical text, and the
// same Match and Less answers on the fixtures.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.query)
	}
	for _, tc := range errorCases {
		f.Add(tc.query)
	}
	for _, tc := range matchCases {
		f.Add(tc.query)
	}
	for _, tc := range orderCases {
		f.Add(tc.query)
	}

	var recs []*persistencepb.VisibilityRecord
	for _, r := range fixtures() {
		recs = append(recs, r)
	}
	recs = append(recs, nil)

	f.Fuzz(func(t *testing.T, query string) {
		first, err := Parse(query, testSA)
		if err != nil {
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "error is %T: %v", err, err)
			require.True(t, strings.HasPrefix(err.Error(), "invalid query: "), err.Error())
			require.Nil(t, first)
			return
		}
		canonical := first.String()
		second, err := Parse(canonical, testSA)
		require.NoError(t, err, "canonical form %q of %q does not parse", canonical, query)
		require.Equal(t, canonical, second.String(), "query %q", query)
		require.Equal(t, first.Expr(), second.Expr(), "query %q", query)
		require.Equal(t, first.Order(), second.Order(), "query %q", query)
		require.Equal(t, first.GroupBy(), second.GroupBy(), "query %q", query)
		for _, a := range recs {
			require.Equal(t, first.Match(a), second.Match(a), "query %q", query)
			for _, b := range recs {
				require.Equal(t, first.Less(a, b), second.Less(a, b), "query %q", query)
			}
		}
	})
}
