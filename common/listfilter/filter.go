package listfilter

import (
	"strings"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// Filter is a parsed query. It is immutable and safe for concurrent use.
// The zero value and a nil *Filter match every record and have no ORDER BY.
type Filter struct {
	// expr is the WHERE part; nil matches everything.
	expr    Expr
	groupBy []Attribute
	order   []OrderTerm
}

// Expr returns the parsed WHERE part, nil when the query has none. Callers
// must not modify it.
func (f *Filter) Expr() Expr {
	if f == nil {
		return nil
	}
	return f.expr
}

// GroupBy returns the GROUP BY attributes, nil when the query has none.
// Parse accepts only ExecutionStatus there (Temporal's rule); only counts
// can be grouped, which is the caller's to enforce.
func (f *Filter) GroupBy() []Attribute {
	if f == nil || len(f.groupBy) == 0 {
		return nil
	}
	return append([]Attribute(nil), f.groupBy...)
}

// Order returns the ORDER BY terms, nil when the query has none.
func (f *Filter) Order() []OrderTerm {
	if f == nil || len(f.order) == 0 {
		return nil
	}
	return append([]OrderTerm(nil), f.order...)
}

// Match reports whether rec satisfies the query. A nil record or one
// without info has every attribute absent.
func (f *Filter) Match(rec *persistencepb.VisibilityRecord) bool {
	if f == nil || f.expr == nil {
		return true
	}
	return eval(f.expr, rec)
}

// OrderBy returns f.Less when the query has an ORDER BY, else nil so that
// the store applies its default order.
func (f *Filter) OrderBy() func(a, b *persistencepb.VisibilityRecord) bool {
	if f == nil || len(f.order) == 0 {
		return nil
	}
	return f.Less
}

// Less orders records by the ORDER BY terms, then by RunId ascending so
// that the order is total (stable pagination). Without ORDER BY it is the
// store default: StartTime newest first, then RunId. Absent values sort
// last in either direction; an attribute holding several values sorts by
// its smallest one ascending and its largest one descending.
func (f *Filter) Less(a, b *persistencepb.VisibilityRecord) bool {
	order := defaultOrder
	if f != nil && len(f.order) > 0 {
		order = f.order
	}
	return less(order, a, b)
}

// String renders the query canonically: keywords upper-case, attribute
// names bare unless they need backquotes, strings single-quoted, values
// normalized (status short names, UTC RFC3339 times, nanosecond
// durations), explicit ASC/DESC. Parse(f.String()) yields an equal Filter.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	var b strings.Builder
	if f.expr != nil {
		f.expr.writeTo(&b)
	}
	if len(f.groupBy) > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("GROUP BY ")
		for i, a := range f.groupBy {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(a.Name))
		}
	}
	if len(f.order) > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("ORDER BY ")
		for i, t := range f.order {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(t.String())
		}
	}
	return b.String()
}
