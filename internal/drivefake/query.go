package drivefake

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// A matcher reports whether a file satisfies a parsed files.list query.
type matcher func(f *fileRec) bool

// tokenKind classifies a token of the query language.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokString
	tokWord
	tokOp     // = != < <= > >=
	tokLParen // (
	tokRParen // )
	tokLBrace // {
	tokRBrace // }
)

// token is one lexical token. For tokString, text is the unescaped value.
type token struct {
	kind tokenKind
	text string
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokString:
		return fmt.Sprintf("string %q", t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

// tokenize splits q into tokens. Strings are single-quoted; inside them \'
// stands for a quote and \\ for a backslash, and no other escape is valid.
func tokenize(q string) ([]token, error) {
	var toks []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			start := i
			var b strings.Builder
			i++
			for {
				if i >= len(q) {
					return nil, fmt.Errorf("unterminated string at offset %d", start)
				}
				c := q[i]
				if c == '\'' {
					i++
					break
				}
				if c == '\\' {
					if i+1 >= len(q) || (q[i+1] != '\'' && q[i+1] != '\\') {
						return nil, fmt.Errorf("invalid escape at offset %d", i)
					}
					b.WriteByte(q[i+1])
					i += 2
					continue
				}
				b.WriteByte(c)
				i++
			}
			toks = append(toks, token{kind: tokString, text: b.String(), pos: start})
		case c == '(':
			toks = append(toks, token{kind: tokLParen, text: "(", pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen, text: ")", pos: i})
			i++
		case c == '{':
			toks = append(toks, token{kind: tokLBrace, text: "{", pos: i})
			i++
		case c == '}':
			toks = append(toks, token{kind: tokRBrace, text: "}", pos: i})
			i++
		case c == '=':
			toks = append(toks, token{kind: tokOp, text: "=", pos: i})
			i++
		case c == '!' || c == '<' || c == '>':
			op := string(c)
			if i+1 < len(q) && q[i+1] == '=' {
				op += "="
			}
			if op == "!" {
				return nil, fmt.Errorf("unexpected '!' at offset %d", i)
			}
			toks = append(toks, token{kind: tokOp, text: op, pos: i})
			i += len(op)
		case isWordByte(c):
			start := i
			for i < len(q) && isWordByte(q[i]) {
				i++
			}
			toks = append(toks, token{kind: tokWord, text: q[start:i], pos: start})
		default:
			return nil, fmt.Errorf("unexpected character %q at offset %d", c, i)
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(q)}), nil
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parser is a recursive-descent parser over the tokens of a query:
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary }
//	unary   = "not" unary | primary
//	primary = "(" expr ")" | STRING "in" "parents" | term
//	term    = ("name" | "mimeType") ("=" | "!=" | "contains") STRING
//	        | "trashed" ("=" | "!=") ("true" | "false")
//	        | ("createdTime" | "modifiedTime") OP STRING
//	        | ("appProperties" | "properties") "has" "{" pair "and" pair "}"
//	pair    = ("key" | "value") "=" STRING
//
// Keywords (and, or, not, in, has, contains, true, false) are
// case-insensitive; term names are case-sensitive.
type parser struct {
	toks []token
	pos  int
}

// parseQuery parses a files.list q parameter. An empty q matches every file.
func parseQuery(q string) (matcher, error) {
	if strings.TrimSpace(q) == "" {
		return func(*fileRec) bool { return true }, nil
	}
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	m, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %v at offset %d", t, t.pos)
	}
	return m, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

// keyword reports whether the next token is the word kw (case-insensitive)
// and consumes it if so.
func (p *parser) keyword(kw string) bool {
	t := p.peek()
	if t.kind == tokWord && strings.EqualFold(t.text, kw) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expectKeyword(kw string) error {
	if !p.keyword(kw) {
		t := p.peek()
		return fmt.Errorf("expected %q, found %v at offset %d", kw, t, t.pos)
	}
	return nil
}

func (p *parser) expect(kind tokenKind, what string) (token, error) {
	t := p.next()
	if t.kind != kind {
		return t, fmt.Errorf("expected %s, found %v at offset %d", what, t, t.pos)
	}
	return t, nil
}

func (p *parser) expr() (matcher, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(f *fileRec) bool { return l(f) || right(f) }
	}
	return left, nil
}

func (p *parser) and() (matcher, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(f *fileRec) bool { return l(f) && right(f) }
	}
	return left, nil
}

func (p *parser) unary() (matcher, error) {
	if p.keyword("not") {
		m, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(f *fileRec) bool { return !m(f) }, nil
	}
	return p.primary()
}

func (p *parser) primary() (matcher, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		m, err := p.expr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen, `")"`); err != nil {
			return nil, err
		}
		return m, nil
	case tokString:
		if err := p.expectKeyword("in"); err != nil {
			return nil, err
		}
		coll, err := p.expect(tokWord, "a collection")
		if err != nil {
			return nil, err
		}
		if coll.text != "parents" {
			return nil, fmt.Errorf("unsupported collection %q at offset %d", coll.text, coll.pos)
		}
		id := t.text
		return func(f *fileRec) bool { return slices.Contains(f.Parents, id) }, nil
	case tokWord:
		return p.term(t)
	default:
		return nil, fmt.Errorf("unexpected %v at offset %d", t, t.pos)
	}
}

func (p *parser) term(field token) (matcher, error) {
	switch field.text {
	case "name", "mimeType":
		op, value, err := p.stringComparison(true)
		if err != nil {
			return nil, err
		}
		get := func(f *fileRec) string { return f.Name }
		contains := nameContains
		if field.text == "mimeType" {
			get = func(f *fileRec) string { return f.MimeType }
			contains = strings.Contains
		}
		switch op {
		case "=":
			return func(f *fileRec) bool { return get(f) == value }, nil
		case "!=":
			return func(f *fileRec) bool { return get(f) != value }, nil
		case "contains":
			return func(f *fileRec) bool { return contains(get(f), value) }, nil
		}
		return nil, fmt.Errorf("operator %q is not valid for %s", op, field.text)
	case "trashed":
		op, err := p.expect(tokOp, "= or !=")
		if err != nil {
			return nil, err
		}
		if op.text != "=" && op.text != "!=" {
			return nil, fmt.Errorf("operator %q is not valid for trashed", op.text)
		}
		v, err := p.expect(tokWord, "true or false")
		if err != nil {
			return nil, err
		}
		var want bool
		switch strings.ToLower(v.text) {
		case "true":
			want = true
		case "false":
		default:
			return nil, fmt.Errorf("expected true or false, found %v at offset %d", v, v.pos)
		}
		if op.text == "!=" {
			want = !want
		}
		return func(f *fileRec) bool { return f.Trashed == want }, nil
	case "createdTime", "modifiedTime":
		op, err := p.expect(tokOp, "a comparison operator")
		if err != nil {
			return nil, err
		}
		v, err := p.expect(tokString, "a quoted RFC 3339 time")
		if err != nil {
			return nil, err
		}
		when, err := time.Parse(time.RFC3339Nano, v.text)
		if err != nil {
			return nil, fmt.Errorf("invalid time %q at offset %d: %w", v.text, v.pos, err)
		}
		get := func(f *fileRec) time.Time { return f.Created }
		if field.text == "modifiedTime" {
			get = func(f *fileRec) time.Time { return f.Modified }
		}
		cmp := compareOp(op.text)
		return func(f *fileRec) bool { return cmp(get(f).Compare(when)) }, nil
	case "appProperties", "properties":
		if err := p.expectKeyword("has"); err != nil {
			return nil, err
		}
		key, value, err := p.keyValue()
		if err != nil {
			return nil, err
		}
		get := func(f *fileRec) map[string]string { return f.AppProperties }
		if field.text == "properties" {
			get = func(f *fileRec) map[string]string { return f.Properties }
		}
		return func(f *fileRec) bool {
			v, ok := get(f)[key]
			return ok && v == value
		}, nil
	}
	return nil, fmt.Errorf("unsupported query term %q at offset %d", field.text, field.pos)
}

// stringComparison parses the operator and quoted value of a string term.
func (p *parser) stringComparison(allowContains bool) (op, value string, err error) {
	t := p.next()
	switch {
	case t.kind == tokOp && (t.text == "=" || t.text == "!="):
		op = t.text
	case allowContains && t.kind == tokWord && strings.EqualFold(t.text, "contains"):
		op = "contains"
	default:
		return "", "", fmt.Errorf("expected =, != or contains, found %v at offset %d", t, t.pos)
	}
	v, err := p.expect(tokString, "a quoted string")
	if err != nil {
		return "", "", err
	}
	return op, v.text, nil
}

// keyValue parses "{ key='k' and value='v' }" (in either order).
func (p *parser) keyValue() (key, value string, err error) {
	if _, err := p.expect(tokLBrace, `"{"`); err != nil {
		return "", "", err
	}
	got := map[string]string{}
	for i := range 2 {
		if i == 1 {
			if err := p.expectKeyword("and"); err != nil {
				return "", "", err
			}
		}
		name, err := p.expect(tokWord, "key or value")
		if err != nil {
			return "", "", err
		}
		n := strings.ToLower(name.text)
		if n != "key" && n != "value" {
			return "", "", fmt.Errorf("expected key or value, found %v at offset %d", name, name.pos)
		}
		if _, dup := got[n]; dup {
			return "", "", fmt.Errorf("duplicate %s at offset %d", n, name.pos)
		}
		op, err := p.expect(tokOp, "=")
		if err != nil {
			return "", "", err
		}
		if op.text != "=" {
			return "", "", fmt.Errorf("expected =, found %v at offset %d", op, op.pos)
		}
		v, err := p.expect(tokString, "a quoted string")
		if err != nil {
			return "", "", err
		}
		got[n] = v.text
	}
	if _, err := p.expect(tokRBrace, `"}"`); err != nil {
		return "", "", err
	}
	return got["key"], got["value"], nil
}

// compareOp turns a comparison operator into a test of a Compare result.
func compareOp(op string) func(c int) bool {
	switch op {
	case "=":
		return func(c int) bool { return c == 0 }
	case "!=":
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c < 0 }
	case "<=":
		return func(c int) bool { return c <= 0 }
	case ">":
		return func(c int) bool { return c > 0 }
	default: // ">=", the only operator left after tokenizing
		return func(c int) bool { return c >= 0 }
	}
}

// nameContains approximates Drive's "name contains": every word of value
// must be a case-insensitive prefix of some word of name, words being runs
// of letters and digits. A value without words is a prefix test on the
// whole name.
func nameContains(name, value string) bool {
	qs := words(value)
	if len(qs) == 0 {
		return strings.HasPrefix(strings.ToLower(name), strings.ToLower(value))
	}
	ns := words(name)
	for _, q := range qs {
		if !slices.ContainsFunc(ns, func(n string) bool { return strings.HasPrefix(n, q) }) {
			return false
		}
	}
	return true
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}
