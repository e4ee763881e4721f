package listfilter

import (
	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// defaultOrder is the store's order when a query has no ORDER BY.
var defaultOrder = []OrderTerm{{
	Attr: Attribute{Name: attrStartTime, Type: typeDatetime, System: true},
	Desc: true,
}}

// runIDAttr breaks ties after the ORDER BY terms.
var runIDAttr = Attribute{Name: attrRunID, Type: typeKeyword, System: true}

func less(order []OrderTerm, a, b *persistencepb.VisibilityRecord) bool {
	ai, bi := a.GetInfo(), b.GetInfo()
	for _, t := range order {
		if c := compareKeys(sortKey(t.Attr.values(ai), t.Desc), sortKey(t.Attr.values(bi), t.Desc), t.Desc); c != 0 {
			return c < 0
		}
	}
	return compareKeys(sortKey(runIDAttr.values(ai), false), sortKey(runIDAttr.values(bi), false), false) < 0
}

// sortKey picks the value a record sorts by: the smallest ascending, the
// largest descending (Elasticsearch's default for multi-valued fields).
func sortKey(vals []Value, desc bool) *Value {
	var key *Value
	for i := range vals {
		if key == nil {
			key = &vals[i]
			continue
		}
		if c, ok := compareValues(vals[i], *key); ok && (c > 0) == desc && c != 0 {
			key = &vals[i]
		}
	}
	return key
}

// compareKeys returns the position of a relative to b in the requested
// direction; absent keys go last either way.
func compareKeys(a, b *Value, desc bool) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	c, ok := compareValues(*a, *b)
	if !ok {
		// Mixed kinds cannot come from one attribute; order by kind to
		// stay a strict weak order anyway.
		c = int(a.Kind) - int(b.Kind)
	}
	if desc {
		return -c
	}
	return c
}
