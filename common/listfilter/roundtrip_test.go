package listfilter

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
)

// TestRoundTripRandomTrees complements FuzzParse from the other side: it
// generates random canonical trees with awkward values, renders them, and
// requires Parse to rebuild exactly the same tree.
func TestRoundTripRandomTrees(t *testing.T) {
	const seed = 20240101
	g := &treeGen{rnd: rand.New(rand.NewPCG(seed, seed))}
	for name, b := range builtins {
		g.attrs = append(g.attrs, Attribute{Name: name, Type: b.typ, System: true})
	}
	for name, typ := range testSA {
		if _, shadowed := builtins[name]; !shadowed && typ != enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED {
			g.attrs = append(g.attrs, Attribute{Name: name, Type: typ})
		}
	}
	sort.Slice(g.attrs, func(i, j int) bool { return g.attrs[i].Name < g.attrs[j].Name })

	for i := 0; i < 3000; i++ {
		want := &Filter{expr: g.expr(0)}
		for n := g.rnd.IntN(3); n > 0; n-- {
			want.order = append(want.order, g.orderTerm())
		}
		query := want.String()
		got, err := Parse(query, testSA)
		require.NoError(t, err, "seed %d, iteration %d: %s", seed, i, query)
		require.Equal(t, want.Expr(), got.Expr(), "seed %d, iteration %d: %s", seed, i, query)
		require.Equal(t, want.Order(), got.Order(), "seed %d, iteration %d: %s", seed, i, query)
		require.Equal(t, query, got.String())
	}
}

type treeGen struct {
	rnd   *rand.Rand
	attrs []Attribute
}

func (g *treeGen) expr(depth int) Expr {
	if depth > 3 {
		return g.compare()
	}
	switch g.rnd.IntN(6) {
	case 0:
		return &And{Exprs: g.operands(depth, func(e Expr) bool { _, ok := e.(*And); return !ok })}
	case 1:
		return &Or{Exprs: g.operands(depth, func(e Expr) bool { _, ok := e.(*Or); return !ok })}
	case 2:
		return &Not{Expr: g.expr(depth + 1)}
	}
	return g.compare()
}

// operands returns 2-4 operands that pass ok (canonical trees do not nest
// And in And or Or in Or).
func (g *treeGen) operands(depth int, ok func(Expr) bool) []Expr {
	n := 2 + g.rnd.IntN(3)
	var out []Expr
	for len(out) < n {
		if e := g.expr(depth + 1); ok(e) {
			out = append(out, e)
		}
	}
	return out
}

func (g *treeGen) orderTerm() OrderTerm {
	for {
		a := g.attrs[g.rnd.IntN(len(g.attrs))]
		if a.orderable() {
			return OrderTerm{Attr: a, Desc: g.rnd.IntN(2) == 0}
		}
	}
}

func (g *treeGen) compare() *Compare {
	a := g.attrs[g.rnd.IntN(len(g.attrs))]
	ops := supportedOps(a.class())
	c := &Compare{Attr: a, Op: ops[g.rnd.IntN(len(ops))]}
	n := 1
	switch c.Op {
	case OpIsNull, OpIsNotNull:
		n = 0
	case OpBetween, OpNotBetween:
		n = 2
	case OpIn, OpNotIn:
		n = 1 + g.rnd.IntN(4)
	}
	for i := 0; i < n; i++ {
		c.Values = append(c.Values, g.value(a))
	}
	return c
}

var awkward = []string{
	"", "a", "x y", "'", `"`, `\`, "\n", "\t", "\r", "\x00", "\x1a", "é", "`",
	"''", " AND ", "OR", "NULL", ")", "(", ",", "\xff", "日本", "--", "/*", "%", "_",
}

func (g *treeGen) str() string {
	var b strings.Builder
	for n := g.rnd.IntN(4); n > 0; n-- {
		b.WriteString(awkward[g.rnd.IntN(len(awkward))])
	}
	return b.String()
}

func (g *treeGen) value(a Attribute) Value {
	switch a.class() {
	case classStatus:
		names := make([]string, 0, len(enumspb.WorkflowExecutionStatus_shorthandValue))
		for n := range enumspb.WorkflowExecutionStatus_shorthandValue {
			names = append(names, n)
		}
		sort.Strings(names)
		return Value{Kind: KindString, Str: names[g.rnd.IntN(len(names))]}
	case classKeyword, classKeywordList:
		return Value{Kind: KindString, Str: g.str()}
	case classText:
		return Value{Kind: KindString, Str: g.str() + " word" + g.str()}
	case classBool:
		return Value{Kind: KindBool, Bool: g.rnd.IntN(2) == 0}
	case classDatetime:
		lo := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
		hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
		sec := lo + g.rnd.Int64N(hi-lo+1)
		if g.rnd.IntN(4) == 0 {
			sec = []int64{lo, hi, 0, -1}[g.rnd.IntN(4)]
		}
		return Value{Kind: KindTime, Time: time.Unix(sec, g.rnd.Int64N(1e9)).UTC()}
	case classInt:
		if !a.isDuration() && g.rnd.IntN(3) == 0 {
			return Value{Kind: KindDouble, Double: g.double()}
		}
		ints := []int64{0, 1, -1, math.MaxInt64, math.MinInt64, g.rnd.Int64(), -g.rnd.Int64N(1e6)}
		return Value{Kind: KindInt, Int: ints[g.rnd.IntN(len(ints))]}
	}
	return Value{Kind: KindDouble, Double: g.double()}
}

func (g *treeGen) double() float64 {
	fs := []float64{
		0, math.Copysign(0, -1), 1.5, -2, 1e-300, 1e300, math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat64, 1 << 53, 1<<53 + 2, 1e21, 0.1,
		g.rnd.NormFloat64() * 1e6, math.Float64frombits(g.rnd.Uint64() &^ (0x7ff << 52)),
	}
	return fs[g.rnd.IntN(len(fs))]
}
