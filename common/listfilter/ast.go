package listfilter

import (
	"math"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// Expr is a node of a parsed WHERE clause: *And, *Or, *Not or *Compare.
// Parse builds canonical trees: And and Or have at least two operands and
// never an operand of their own kind (nested ones are flattened).
type Expr interface {
	// String renders the node in the canonical query syntax.
	String() string
	writeTo(b *strings.Builder)
	prec() int
}

// And matches when every operand matches.
type And struct{ Exprs []Expr }

// Or matches when any operand matches.
type Or struct{ Exprs []Expr }

// Not matches when its operand does not.
type Not struct{ Expr Expr }

// Compare is one predicate on one attribute: Attr Op Values.
//
// Values holds, by Op: none for IS [NOT] NULL; two (low, high) for
// [NOT] BETWEEN; one or more for [NOT] IN; exactly one otherwise. Their
// kinds are normalized for Attr (see Value).
type Compare struct {
	Attr   Attribute
	Op     Op
	Values []Value
}

// Attribute is a resolved search attribute.
type Attribute struct {
	Name string
	Type enumspb.IndexedValueType
	// System is set for built-in attributes (Temporal's system and
	// predefined search attributes), which take precedence over a custom
	// attribute of the same name.
	System bool
}

// Op is a comparison operator.
type Op int

const (
	OpEq Op = iota + 1 // =
	OpNe               // != (also written <>)
	OpLt               // <
	OpLe               // <=
	OpGt               // >
	OpGe               // >=
	OpIn
	OpNotIn
	OpBetween
	OpNotBetween
	OpStartsWith
	OpNotStartsWith
	OpIsNull
	OpIsNotNull
)

var opNames = [...]string{
	OpEq: "=", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=",
	OpIn: "IN", OpNotIn: "NOT IN", OpBetween: "BETWEEN", OpNotBetween: "NOT BETWEEN",
	OpStartsWith: "STARTS_WITH", OpNotStartsWith: "NOT STARTS_WITH",
	OpIsNull: "IS NULL", OpIsNotNull: "IS NOT NULL",
}

func (o Op) String() string {
	if o > 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Negated reports whether o is the negation of another operator, and
// returns that operator: (OpEq, true) for OpNe, (OpIn, true) for OpNotIn,
// (o, false) for a positive operator. IS NOT NULL is not a negated operator.
func (o Op) Negated() (Op, bool) {
	switch o {
	case OpNe:
		return OpEq, true
	case OpNotIn:
		return OpIn, true
	case OpNotBetween:
		return OpBetween, true
	case OpNotStartsWith:
		return OpStartsWith, true
	}
	return o, false
}

// Kind is the kind of a Value.
type Kind int

const (
	KindString Kind = iota + 1
	KindInt
	KindDouble
	KindBool
	KindTime
)

// Value is a typed literal (or a value read from a record). Only the field
// of its Kind is set. Literals are normalized for their attribute:
//   - Keyword, KeywordList, Text: KindString.
//   - ExecutionStatus: KindString holding the status's short name
//     ("Running", "ContinuedAsNew", ...), whatever the query spelled.
//   - Int: KindInt, or KindDouble when the query wrote a fraction.
//   - ExecutionDuration: KindInt nanoseconds.
//   - Double: KindDouble.
//   - Bool: KindBool.
//   - Datetime: KindTime in UTC.
type Value struct {
	Kind   Kind
	Str    string
	Int    int64
	Double float64
	Bool   bool
	Time   time.Time
}

// String renders v as a literal that parses back to v.
func (v Value) String() string {
	switch v.Kind {
	case KindString:
		return quoteString(v.Str)
	case KindInt:
		return strconv.FormatInt(v.Int, 10)
	case KindDouble:
		return formatDouble(v.Double)
	case KindBool:
		if v.Bool {
			return "true"
		}
		return "false"
	case KindTime:
		return quoteString(v.Time.UTC().Format(time.RFC3339Nano))
	}
	return "NULL"
}

// formatDouble writes f so that it lexes as a float again (never as an
// integer).
func formatDouble(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		// Never produced by Parse; rendered for completeness.
		return quoteString(strconv.FormatFloat(f, 'g', -1, 64))
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// OrderTerm is one ORDER BY key.
type OrderTerm struct {
	Attr Attribute
	Desc bool
}

func (t OrderTerm) String() string {
	if t.Desc {
		return quoteIdent(t.Attr.Name) + " DESC"
	}
	return quoteIdent(t.Attr.Name) + " ASC"
}

// Conjuncts returns the operands of a top-level And, or e alone; nil for a
// nil e. A backend can push down the conjuncts it indexes (for example
// Compare{WorkflowType, OpEq, ...}) and must still Match the rest.
func Conjuncts(e Expr) []Expr {
	switch x := e.(type) {
	case nil:
		return nil
	case *And:
		return x.Exprs
	}
	return []Expr{e}
}

// Precedences, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precPredicate
)

func (*Or) prec() int      { return precOr }
func (*And) prec() int     { return precAnd }
func (*Not) prec() int     { return precNot }
func (*Compare) prec() int { return precPredicate }

func (e *Or) String() string      { return render(e) }
func (e *And) String() string     { return render(e) }
func (e *Not) String() string     { return render(e) }
func (e *Compare) String() string { return render(e) }

func render(e Expr) string {
	var b strings.Builder
	e.writeTo(&b)
	return b.String()
}

// writeOperand writes e, parenthesized when it binds looser than min.
func writeOperand(b *strings.Builder, e Expr, min int) {
	if e == nil {
		b.WriteString("()")
		return
	}
	if e.prec() < min {
		b.WriteByte('(')
		e.writeTo(b)
		b.WriteByte(')')
		return
	}
	e.writeTo(b)
}

func (e *Or) writeTo(b *strings.Builder) {
	for i, x := range e.Exprs {
		if i > 0 {
			b.WriteString(" OR ")
		}
		// An Or operand of an Or needs no parentheses to mean the same.
		writeOperand(b, x, precOr)
	}
}

func (e *And) writeTo(b *strings.Builder) {
	for i, x := range e.Exprs {
		if i > 0 {
			b.WriteString(" AND ")
		}
		writeOperand(b, x, precAnd)
	}
}

func (e *Not) writeTo(b *strings.Builder) {
	b.WriteString("NOT ")
	writeOperand(b, e.Expr, precNot)
}

func (e *Compare) writeTo(b *strings.Builder) {
	b.WriteString(quoteIdent(e.Attr.Name))
	b.WriteByte(' ')
	b.WriteString(e.Op.String())
	switch e.Op {
	case OpIsNull, OpIsNotNull:
	case OpIn, OpNotIn:
		b.WriteString(" (")
		for i, v := range e.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(v.String())
		}
		b.WriteByte(')')
	case OpBetween, OpNotBetween:
		if len(e.Values) == 2 {
			b.WriteByte(' ')
			b.WriteString(e.Values[0].String())
			b.WriteString(" AND ")
			b.WriteString(e.Values[1].String())
		}
	default:
		if len(e.Values) > 0 {
			b.WriteByte(' ')
			b.WriteString(e.Values[0].String())
		}
	}
}
