package listfilter

import (
	"strings"

	"github.com/meridian-dev/meridian/persistence/persistencepb"
)

// eval evaluates e against rec with two-valued logic: a predicate on an
// absent attribute is false, and its negated form (!=, NOT IN,
// NOT BETWEEN, NOT STARTS_WITH) is exactly NOT of the positive one, so it
// is true.
func eval(e Expr, rec *persistencepb.VisibilityRecord) bool {
	switch x := e.(type) {
	case *And:
		for _, c := range x.Exprs {
			if !eval(c, rec) {
				return false
			}
		}
		return true
	case *Or:
		for _, c := range x.Exprs {
			if eval(c, rec) {
				return true
			}
		}
		return false
	case *Not:
		return !eval(x.Expr, rec)
	case *Compare:
		return x.match(x.Attr.values(rec.GetInfo()))
	}
	// nil or a foreign Expr: Parse never builds one.
	return e == nil
}

// match applies the predicate to an attribute's values (none when absent).
// A positive predicate holds when any value satisfies it.
func (c *Compare) match(vals []Value) bool {
	switch c.Op {
	case OpIsNull:
		return len(vals) == 0
	case OpIsNotNull:
		return len(vals) > 0
	}
	op, negated := c.Op.Negated()
	found := false
	for _, v := range vals {
		if c.test(op, v) {
			found = true
			break
		}
	}
	return found != negated
}

// test applies a positive operator to one value.
func (c *Compare) test(op Op, v Value) bool {
	if len(c.Values) == 0 {
		return false
	}
	lit := c.Values[0]
	switch op {
	case OpEq:
		if c.Attr.class() == classText {
			return v.Kind == KindString && lit.Kind == KindString && textContains(v.Str, lit.Str)
		}
		n, ok := compareValues(v, lit)
		return ok && n == 0
	case OpLt, OpLe, OpGt, OpGe:
		n, ok := compareValues(v, lit)
		if !ok {
			return false
		}
		switch op {
		case OpLt:
			return n < 0
		case OpLe:
			return n <= 0
		case OpGt:
			return n > 0
		}
		return n >= 0
	case OpIn:
		for _, l := range c.Values {
			if n, ok := compareValues(v, l); ok && n == 0 {
				return true
			}
		}
		return false
	case OpBetween:
		if len(c.Values) != 2 {
			return false
		}
		lo, okLo := compareValues(v, c.Values[0])
		hi, okHi := compareValues(v, c.Values[1])
		return okLo && okHi && lo >= 0 && hi <= 0
	case OpStartsWith:
		return v.Kind == KindString && lit.Kind == KindString && strings.HasPrefix(v.Str, lit.Str)
	}
	return false
}
