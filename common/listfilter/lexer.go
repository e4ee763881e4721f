package listfilter

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	// tokIdent is a bare word: an attribute name or a keyword.
	tokIdent
	// tokQuotedIdent is a `backquoted` attribute name; never a keyword.
	tokQuotedIdent
	tokString
	tokNumber
	tokLParen
	tokRParen
	tokComma
	// tokOp is a comparison operator: = != <> < <= > >=.
	tokOp
)

type token struct {
	kind tokenKind
	// text is the decoded text: the string without quotes and escapes, the
	// identifier without backquotes, the number or operator as written.
	text string
	// isInt is set on numbers written without a fraction or exponent.
	isInt bool
	// pos is the byte offset of the token's first character.
	pos int
}

// keywords are the reserved words; a bare identifier equal to one of them
// (in any case) is the keyword, and an attribute with such a name must be
// backquoted.
var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IN": true, "IS": true, "NULL": true,
	"BETWEEN": true, "STARTS_WITH": true, "ORDER": true, "BY": true,
	"ASC": true, "DESC": true, "TRUE": true, "FALSE": true,
	// Not supported, reserved so that they get a clear error.
	"LIKE": true, "GROUP": true, "LIMIT": true,
}

func isKeyword(word string) bool { return keywords[strings.ToUpper(word)] }

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

// lex splits src into tokens, ending with a tokEOF.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) && strings.IndexByte(" \t\n\r\f\v", src[i]) >= 0 {
			i++
		}
		if i >= len(src) {
			return append(toks, token{kind: tokEOF, pos: len(src)}), nil
		}
		start := i
		c := src[i]
		switch {
		case c == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", pos: start})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", pos: start})
			i++
		case c == ',':
			toks = append(toks, token{kind: tokComma, text: ",", pos: start})
			i++
		case c == '=':
			toks = append(toks, token{kind: tokOp, text: "=", pos: start})
			i++
		case c == '!':
			if i+1 < len(src) && src[i+1] == '=' {
				toks = append(toks, token{kind: tokOp, text: "!=", pos: start})
				i += 2
				continue
			}
			return nil, errorAt(src, start, `unexpected character '!' (did you mean "!="?)`)
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(src) && (src[i+1] == '=' || (c == '<' && src[i+1] == '>')) {
				op += string(src[i+1])
			}
			toks = append(toks, token{kind: tokOp, text: op, pos: start})
			i += len(op)
		case c == '\'' || c == '"':
			s, n, err := lexString(src, start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: s, pos: start})
			i += n
		case c == '`':
			s, n, err := lexQuotedIdent(src, start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokQuotedIdent, text: s, pos: start})
			i += n
		case isDigit(c) || startsNumber(src, i):
			tok, err := lexNumber(src, start)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i += len(tok.text)
		case isIdentStart(c):
			for i < len(src) && isIdentChar(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tokIdent, text: src[start:i], pos: start})
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, errorAt(src, start, "unexpected character %q", r)
		}
	}
}

// startsNumber reports whether a number starting with a sign or a point
// begins at src[i]: [+-]?\.?[0-9].
func startsNumber(src string, i int) bool {
	if i < len(src) && (src[i] == '+' || src[i] == '-') {
		i++
	}
	if i < len(src) && src[i] == '.' {
		i++
	}
	return i < len(src) && isDigit(src[i])
}

// lexNumber reads [+-]? digits [. digits] [(e|E) [+-] digits].
func lexNumber(src string, start int) (token, error) {
	i := start
	if src[i] == '+' || src[i] == '-' {
		i++
	}
	isInt := true
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i < len(src) && src[i] == '.' {
		isInt = false
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		isInt = false
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		digits := i
		for i < len(src) && isDigit(src[i]) {
			i++
		}
		if i == digits {
			return token{}, errorAt(src, start, "invalid number %q", src[start:i])
		}
	}
	if i < len(src) && (isIdentChar(src[i]) || src[i] == '.') {
		end := i
		for end < len(src) && (isIdentChar(src[end]) || src[end] == '.') {
			end++
		}
		return token{}, errorAt(src, start, "invalid number %q", src[start:end])
	}
	return token{kind: tokNumber, text: src[start:i], isInt: isInt, pos: start}, nil
}

// lexString reads a string quoted with src[start] (' or "). Inside it the
// quote is written doubled or backslash-escaped; \n \t \r \0 \b \Z \\ are
// MySQL-style escapes and a backslash before any other character stands
// for that character. Returns the decoded string and the bytes consumed.
func lexString(src string, start int) (string, int, error) {
	quote := src[start]
	var b strings.Builder
	i := start + 1
	for i < len(src) {
		c := src[i]
		switch {
		case c == quote:
			if i+1 < len(src) && src[i+1] == quote {
				b.WriteByte(quote)
				i += 2
				continue
			}
			return b.String(), i + 1 - start, nil
		case c == '\\' && i+1 < len(src):
			b.WriteByte(unescape(src[i+1]))
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, errorAt(src, start, "unterminated string")
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case '0':
		return 0
	case 'b':
		return '\b'
	case 'Z':
		return 0x1a
	}
	return c
}

// lexQuotedIdent reads a `backquoted` identifier; a backquote inside it is
// written doubled.
func lexQuotedIdent(src string, start int) (string, int, error) {
	var b strings.Builder
	i := start + 1
	for i < len(src) {
		if src[i] == '`' {
			if i+1 < len(src) && src[i+1] == '`' {
				b.WriteByte('`')
				i += 2
				continue
			}
			if b.Len() == 0 {
				return "", 0, errorAt(src, start, "empty quoted identifier")
			}
			return b.String(), i + 1 - start, nil
		}
		b.WriteByte(src[i])
		i++
	}
	return "", 0, errorAt(src, start, "unterminated quoted identifier")
}

// quoteString renders s as a single-quoted literal that lexString reads
// back as s.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// quoteIdent renders an attribute name bare when lex reads it back as a
// plain identifier, else backquoted.
func quoteIdent(name string) string {
	bare := name != "" && isIdentStart(name[0]) && !isKeyword(name)
	for i := 0; bare && i < len(name); i++ {
		bare = isIdentChar(name[i])
	}
	if bare {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// describe names a token for error messages.
func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokIdent:
		if isKeyword(t.text) {
			return "keyword " + strings.ToUpper(t.text)
		}
		return "identifier " + strconv.Quote(t.text)
	case tokQuotedIdent:
		return "identifier " + strconv.Quote(t.text)
	case tokString:
		return "string " + quoteString(t.text)
	case tokNumber:
		return "number " + t.text
	default:
		return strconv.Quote(t.text)
	}
}
