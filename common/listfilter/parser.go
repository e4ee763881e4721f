package listfilter

import (
	"strconv"
	"strings"
)

// maxDepth bounds nesting of parentheses and NOTs, so that a hostile query
// cannot exhaust the stack.
const maxDepth = 100

// Parse parses a List/CountWorkflowExecutions query. sa holds the
// namespace's custom search attributes; built-in attributes are always
// known. An empty (or all-blank) query matches every record. Every error is
// a *ParseError.
func Parse(query string, sa SearchAttributeTypes) (*Filter, error) {
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	p := &parser{src: query, toks: toks, sa: sa}
	f := &Filter{}
	if !p.at(tokEOF) && !p.atKeyword("ORDER") && !p.atKeyword("GROUP") {
		if f.expr, err = p.parseOr(); err != nil {
			return nil, err
		}
	}
	if p.atKeyword("GROUP") {
		if f.groupBy, err = p.parseGroupBy(); err != nil {
			return nil, err
		}
	}
	if p.atKeyword("ORDER") {
		if f.order, err = p.parseOrderBy(); err != nil {
			return nil, err
		}
	}
	if !p.at(tokEOF) {
		t := p.peek()
		switch {
		case isKeywordTok(t, "LIMIT"):
			return nil, p.errAt(t, "%s is not supported", strings.ToUpper(t.text))
		case isKeywordTok(t, "GROUP") && f.order != nil:
			return nil, p.errAt(t, "GROUP BY must come before ORDER BY")
		case isKeywordTok(t, "GROUP"):
			return nil, p.errAt(t, "only one GROUP BY is allowed")
		case f.order != nil || f.groupBy != nil:
			return nil, p.errAt(t, "expected \",\" or end of query but found %s", describe(t))
		}
		return nil, p.errAt(t, "expected AND, OR, GROUP BY, ORDER BY or end of query but found %s", describe(t))
	}
	return f, nil
}

var (
	comparisonOps = map[string]Op{"=": OpEq, "!=": OpNe, "<>": OpNe, "<": OpLt, "<=": OpLe, ">": OpGt, ">=": OpGe}
	keywordOps    = map[string]Op{"IN": OpIn, "BETWEEN": OpBetween, "STARTS_WITH": OpStartsWith}
)

type parser struct {
	src   string
	toks  []token
	i     int
	sa    SearchAttributeTypes
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) at(k tokenKind) bool { return p.peek().kind == k }

func isKeywordTok(t token, kw string) bool {
	return t.kind == tokIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) atKeyword(kw string) bool { return isKeywordTok(p.peek(), kw) }

func (p *parser) errAt(t token, format string, args ...any) *ParseError {
	return errorAt(p.src, t.pos, format, args...)
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(t, "query is nested more than %d levels deep", maxDepth)
	}
	return nil
}

// parseOr: and_expr { OR and_expr }.
func (p *parser) parseOr() (Expr, error) {
	var terms []Expr
	for {
		e, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		if or, ok := e.(*Or); ok {
			terms = append(terms, or.Exprs...)
		} else {
			terms = append(terms, e)
		}
		if !p.atKeyword("OR") {
			break
		}
		p.next()
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &Or{Exprs: terms}, nil
}

// parseAnd: not_expr { AND not_expr }.
func (p *parser) parseAnd() (Expr, error) {
	var terms []Expr
	for {
		e, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		if and, ok := e.(*And); ok {
			terms = append(terms, and.Exprs...)
		} else {
			terms = append(terms, e)
		}
		if !p.atKeyword("AND") {
			break
		}
		p.next()
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &And{Exprs: terms}, nil
}

// parseNot: NOT not_expr | "(" expr ")" | predicate.
func (p *parser) parseNot() (Expr, error) {
	t := p.peek()
	switch {
	case isKeywordTok(t, "NOT"):
		if err := p.enter(t); err != nil {
			return nil, err
		}
		p.next()
		e, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		p.depth--
		return &Not{Expr: e}, nil
	case t.kind == tokLParen:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		p.next()
		if p.at(tokRParen) {
			return nil, p.errAt(p.peek(), "empty parentheses")
		}
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.at(tokRParen) {
			return nil, p.errAt(p.peek(), "expected \")\" to close \"(\" at position %d but found %s",
				errorAt(p.src, t.pos, "").Pos, describe(p.peek()))
		}
		p.next()
		p.depth--
		return e, nil
	}
	return p.parsePredicate()
}

// parseAttribute reads an attribute name and resolves it.
func (p *parser) parseAttribute(what string) (Attribute, error) {
	t := p.next()
	switch t.kind {
	case tokIdent:
		if isKeyword(t.text) {
			return Attribute{}, p.errAt(t, "expected %s but found %s "+
				"(quote an attribute with that name in backquotes: `%s`)", what, describe(t), t.text)
		}
	case tokQuotedIdent:
	case tokString:
		return Attribute{}, p.errAt(t, "expected %s but found %s "+
			"(quote attribute names in backquotes, not quotes)", what, describe(t))
	default:
		return Attribute{}, p.errAt(t, "expected %s but found %s", what, describe(t))
	}
	a, msg := resolveAttribute(t.text, p.sa)
	if msg != "" {
		return Attribute{}, p.errAt(t, "%s", msg)
	}
	return a, nil
}

// parsePredicate: attribute followed by an operator and its operands.
func (p *parser) parsePredicate() (Expr, error) {
	attr, err := p.parseAttribute("search attribute name")
	if err != nil {
		return nil, err
	}
	opTok := p.next()
	var (
		op   Op
		lits []token
	)
	switch {
	case opTok.kind == tokOp:
		op = comparisonOps[opTok.text]
		lit, err := p.parseLiteral(opTok.text)
		if err != nil {
			return nil, err
		}
		lits = []token{lit}
	case isKeywordTok(opTok, "IS"):
		op = OpIsNull
		if p.atKeyword("NOT") {
			p.next()
			op = OpIsNotNull
		}
		if t := p.next(); !isKeywordTok(t, "NULL") {
			return nil, p.errAt(t, "expected NULL after %s but found %s",
				strings.TrimSuffix(op.String(), " NULL"), describe(t))
		}
	case isKeywordTok(opTok, "NOT"):
		t := p.next()
		switch {
		case isKeywordTok(t, "IN"):
			op = OpNotIn
		case isKeywordTok(t, "BETWEEN"):
			op = OpNotBetween
		case isKeywordTok(t, "STARTS_WITH"):
			op = OpNotStartsWith
		default:
			return nil, p.errAt(t, "expected IN, BETWEEN or STARTS_WITH after NOT but found %s", describe(t))
		}
		if lits, err = p.parseOperands(op); err != nil {
			return nil, err
		}
	case isKeywordTok(opTok, "IN"), isKeywordTok(opTok, "BETWEEN"), isKeywordTok(opTok, "STARTS_WITH"):
		op = keywordOps[strings.ToUpper(opTok.text)]
		if lits, err = p.parseOperands(op); err != nil {
			return nil, err
		}
	case isKeywordTok(opTok, "LIKE"):
		return nil, p.errAt(opTok, "LIKE is not supported (use STARTS_WITH for a prefix match)")
	default:
		return nil, p.errAt(opTok, "expected an operator after %s but found %s", quoteIdent(attr.Name), describe(opTok))
	}
	if msg := checkOp(attr, op); msg != "" {
		return nil, p.errAt(opTok, "%s", msg)
	}
	var values []Value // nil for IS [NOT] NULL
	for _, lit := range lits {
		v, msg := toValue(attr, lit)
		if msg != "" {
			return nil, p.errAt(lit, "%s", msg)
		}
		values = append(values, v)
	}
	return &Compare{Attr: attr, Op: op, Values: values}, nil
}

// parseOperands reads the operands of [NOT] IN, [NOT] BETWEEN and
// [NOT] STARTS_WITH.
func (p *parser) parseOperands(op Op) ([]token, error) {
	switch op {
	case OpIn, OpNotIn:
		if t := p.next(); t.kind != tokLParen {
			return nil, p.errAt(t, "expected \"(\" after %s but found %s", op, describe(t))
		}
		var lits []token
		for {
			lit, err := p.parseLiteral(op.String())
			if err != nil {
				return nil, err
			}
			lits = append(lits, lit)
			t := p.next()
			if t.kind == tokRParen {
				return lits, nil
			}
			if t.kind != tokComma {
				return nil, p.errAt(t, "expected \",\" or \")\" in %s list but found %s", op, describe(t))
			}
		}
	case OpBetween, OpNotBetween:
		low, err := p.parseLiteral(op.String())
		if err != nil {
			return nil, err
		}
		if t := p.next(); !isKeywordTok(t, "AND") {
			return nil, p.errAt(t, "expected AND after %s %s but found %s", op, literalText(low), describe(t))
		}
		high, err := p.parseLiteral("AND")
		if err != nil {
			return nil, err
		}
		return []token{low, high}, nil
	}
	lit, err := p.parseLiteral(op.String())
	if err != nil {
		return nil, err
	}
	return []token{lit}, nil
}

// parseLiteral reads a string, a number, TRUE or FALSE; after names the
// preceding token for the message when something else is found.
func (p *parser) parseLiteral(after string) (token, error) {
	t := p.next()
	switch {
	case t.kind == tokString, t.kind == tokNumber,
		isKeywordTok(t, "TRUE"), isKeywordTok(t, "FALSE"):
		return t, nil
	case isKeywordTok(t, "NULL"):
		return token{}, p.errAt(t, "NULL is not a value here (use IS NULL or IS NOT NULL)")
	case t.kind == tokIdent && !isKeyword(t.text), t.kind == tokQuotedIdent:
		return token{}, p.errAt(t, "expected value after %s but found %s (did you forget to quote it?)",
			strconv.Quote(after), describe(t))
	}
	return token{}, p.errAt(t, "expected value after %s but found %s", strconv.Quote(after), describe(t))
}

// parseOrderBy: ORDER BY attribute [ASC|DESC] { "," attribute [ASC|DESC] }.
func (p *parser) parseOrderBy() ([]OrderTerm, error) {
	p.next() // ORDER
	if t := p.next(); !isKeywordTok(t, "BY") {
		return nil, p.errAt(t, "expected BY after ORDER but found %s", describe(t))
	}
	var terms []OrderTerm
	for {
		t := p.peek()
		attr, err := p.parseAttribute("search attribute name after ORDER BY")
		if err != nil {
			return nil, err
		}
		if !attr.orderable() {
			return nil, p.errAt(t, "cannot ORDER BY %s attribute %s", attr.Type, strconv.Quote(attr.Name))
		}
		term := OrderTerm{Attr: attr}
		switch {
		case p.atKeyword("ASC"):
			p.next()
		case p.atKeyword("DESC"):
			p.next()
			term.Desc = true
		}
		terms = append(terms, term)
		if !p.at(tokComma) {
			return terms, nil
		}
		p.next()
	}
}

// parseGroupBy: GROUP BY attribute { "," attribute }. As in Temporal, only
// ExecutionStatus can be grouped by.
func (p *parser) parseGroupBy() ([]Attribute, error) {
	p.next() // GROUP
	if t := p.next(); !isKeywordTok(t, "BY") {
		return nil, p.errAt(t, "expected BY after GROUP but found %s", describe(t))
	}
	var attrs []Attribute
	for {
		t := p.peek()
		attr, err := p.parseAttribute("search attribute name after GROUP BY")
		if err != nil {
			return nil, err
		}
		if !attr.System || attr.Name != attrExecutionStatus {
			return nil, p.errAt(t, "GROUP BY is only supported for %s, not %s", attrExecutionStatus, strconv.Quote(attr.Name))
		}
		for _, a := range attrs {
			if a == attr {
				return nil, p.errAt(t, "%s appears twice in GROUP BY", strconv.Quote(attr.Name))
			}
		}
		attrs = append(attrs, attr)
		if !p.at(tokComma) {
			return attrs, nil
		}
		p.next()
	}
}
