// Package tfcheck reads the Terraform configuration in terraform/ as text and
// finds its blocks and attributes, so that tests can assert its security
// properties without the Terraform CLI, a provider or the network.
//
// It understands just enough HCL for that: comments (#, // and /* */), quoted
// strings with escapes and ${...} interpolations, heredocs, and nested blocks.
// It does not evaluate expressions: an attribute's value is its source text.
package tfcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Block is one HCL block: its type, its labels and the text between its braces.
type Block struct {
	Type   string
	Labels []string
	Body   string
	File   string
}

// Config is the text of every .tf file of a folder.
type Config struct {
	Files map[string]string // base name to contents
}

// Load reads every .tf file in dir.
func Load(dir string) (*Config, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no .tf files in %s", dir)
	}
	c := &Config{Files: map[string]string{}}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		c.Files[filepath.Base(p)] = string(b)
	}
	return c, nil
}

// Blocks returns the top-level blocks of every file, in file name order.
func (c *Config) Blocks() ([]Block, error) {
	names := make([]string, 0, len(c.Files))
	for n := range c.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []Block
	for _, n := range names {
		bs, err := ParseBlocks(c.Files[n])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for i := range bs {
			bs[i].File = n
		}
		out = append(out, bs...)
	}
	return out, nil
}

// Find returns the top-level blocks of a type whose labels start with labels.
func (c *Config) Find(typ string, labels ...string) ([]Block, error) {
	all, err := c.Blocks()
	if err != nil {
		return nil, err
	}
	var out []Block
	for _, b := range all {
		if b.Type == typ && len(b.Labels) >= len(labels) && slices.Equal(b.Labels[:len(labels)], labels) {
			out = append(out, b)
		}
	}
	return out, nil
}

// Sub returns the blocks named typ directly inside b.
func (b Block) Sub(typ string) []Block {
	bs, err := ParseBlocks(b.Body)
	if err != nil {
		return nil
	}
	var out []Block
	for _, s := range bs {
		if s.Type == typ {
			s.File = b.File
			out = append(out, s)
		}
	}
	return out
}

// Attr returns the source text of an attribute set directly in b (not in a
// nested block), trimmed, and whether it is there.
func (b Block) Attr(name string) (string, bool) {
	re := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(name) + `\s*=\s*(.*?)\s*$`)
	for _, line := range strings.Split(Outer(b.Body), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			return m[1], true
		}
	}
	return "", false
}

// Outer returns text with every comment removed and the inside of every
// nested block blanked, keeping strings and line breaks.
func Outer(text string) string {
	var sb strings.Builder
	s := scanner{src: text}
	depth := 0
	for !s.done() {
		start := s.pos
		switch kind := s.next(); kind {
		case tokComment:
			sb.WriteString(strings.Repeat("\n", strings.Count(text[start:s.pos], "\n")))
		case tokOpen:
			if depth == 0 {
				sb.WriteString("{")
			}
			depth++
		case tokClose:
			depth--
			if depth == 0 {
				sb.WriteString("}")
			}
		default:
			if depth == 0 {
				sb.WriteString(text[start:s.pos])
			} else {
				sb.WriteString(strings.Repeat("\n", strings.Count(text[start:s.pos], "\n")))
			}
		}
	}
	return sb.String()
}

// StripComments returns text without its comments.
func StripComments(text string) string {
	var sb strings.Builder
	s := scanner{src: text}
	for !s.done() {
		start := s.pos
		if s.next() == tokComment {
			sb.WriteString(strings.Repeat("\n", strings.Count(text[start:s.pos], "\n")))
			continue
		}
		sb.WriteString(text[start:s.pos])
	}
	return sb.String()
}

var blockHead = regexp.MustCompile(`(?:^|\n)[ \t]*([A-Za-z_][A-Za-z0-9_-]*)((?:[ \t]+(?:"[^"\n]*"|[A-Za-z_][A-Za-z0-9_-]*))*)[ \t]*$`)
var labelRe = regexp.MustCompile(`"([^"\n]*)"|([A-Za-z_][A-Za-z0-9_-]*)`)

// ParseBlocks returns the blocks at the top level of text. An object
// expression such as `x = { ... }` is not a block and is skipped.
func ParseBlocks(text string) ([]Block, error) {
	var out []Block
	s := scanner{src: text}
	lineStart := 0 // start of the text that precedes the next "{" at depth 0
	for !s.done() {
		start := s.pos
		switch s.next() {
		case tokComment:
			lineStart = s.pos
		case tokOpen:
			head := text[lineStart:start]
			if i := strings.LastIndex(head, "\n"); i >= 0 {
				head = head[i:]
			}
			bodyStart := s.pos
			if err := s.skipBlock(); err != nil {
				return nil, err
			}
			bodyEnd := s.pos - 1
			if m := blockHead.FindStringSubmatch(head); m != nil && !strings.Contains(head, "=") {
				b := Block{Type: m[1], Body: text[bodyStart:bodyEnd]}
				for _, l := range labelRe.FindAllStringSubmatch(m[2], -1) {
					b.Labels = append(b.Labels, l[1]+l[2])
				}
				out = append(out, b)
			}
			lineStart = s.pos
		case tokClose:
			return nil, fmt.Errorf("unbalanced } at offset %d", start)
		case tokNewline:
			lineStart = start
		}
	}
	return out, nil
}

type tok int

const (
	tokOther tok = iota
	tokComment
	tokString
	tokOpen
	tokClose
	tokNewline
)

type scanner struct {
	src string
	pos int
}

func (s *scanner) done() bool { return s.pos >= len(s.src) }

var heredocStart = regexp.MustCompile(`^<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n`)

// next consumes one token and says what it was.
func (s *scanner) next() tok {
	rest := s.src[s.pos:]
	switch {
	case strings.HasPrefix(rest, "#"), strings.HasPrefix(rest, "//"):
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			s.pos += i
		} else {
			s.pos = len(s.src)
		}
		return tokComment
	case strings.HasPrefix(rest, "/*"):
		if i := strings.Index(rest[2:], "*/"); i >= 0 {
			s.pos += i + 4
		} else {
			s.pos = len(s.src)
		}
		return tokComment
	case strings.HasPrefix(rest, `"`):
		s.pos++
		s.skipString()
		return tokString
	case heredocStart.MatchString(rest):
		m := heredocStart.FindStringSubmatch(rest)
		s.pos += len(m[0])
		end := regexp.MustCompile(`(?m)^[ \t]*` + m[1] + `[ \t]*$`).FindStringIndex(s.src[s.pos:])
		if end == nil {
			s.pos = len(s.src)
		} else {
			s.pos += end[1]
		}
		return tokString
	case rest[0] == '{':
		s.pos++
		return tokOpen
	case rest[0] == '}':
		s.pos++
		return tokClose
	case rest[0] == '\n':
		s.pos++
		return tokNewline
	}
	s.pos++
	return tokOther
}

// skipString consumes the rest of a quoted string, after its opening quote,
// with its escapes and its ${...} / %{...} templates (which may hold strings).
func (s *scanner) skipString() {
	for !s.done() {
		c := s.src[s.pos]
		switch {
		case c == '\\':
			s.pos += 2
		case c == '"':
			s.pos++
			return
		case (c == '$' || c == '%') && strings.HasPrefix(s.src[s.pos+1:], "{"):
			s.pos += 2
			_ = s.skipBlock()
		default:
			s.pos++
		}
	}
}

// skipBlock consumes up to and including the "}" that closes an opened "{".
func (s *scanner) skipBlock() error {
	depth := 1
	for !s.done() {
		switch s.next() {
		case tokOpen:
			depth++
		case tokClose:
			depth--
			if depth == 0 {
				return nil
			}
		}
	}
	return fmt.Errorf("unclosed {")
}

// Expr returns the whole source text of an attribute set directly in b, over
// as many lines as its brackets span (a multi-line list, say), without
// comments and trimmed, and whether it is there. Object expressions ({ ... })
// come back as {} (see Outer).
func (b Block) Expr(name string) (string, bool) {
	outer := Outer(b.Body)
	loc := regexp.MustCompile(`(?m)^[ \t]*` + regexp.QuoteMeta(name) + `[ \t]*=[ \t]*`).FindStringIndex(outer)
	if loc == nil {
		return "", false
	}
	s := scanner{src: outer, pos: loc[1]}
	depth := 0
	for !s.done() {
		start := s.pos
		switch s.next() {
		case tokNewline:
			if depth == 0 {
				return strings.TrimSpace(outer[loc[1]:start]), true
			}
		case tokOpen:
			depth++
		case tokClose:
			depth--
		case tokOther:
			switch outer[start] {
			case '(', '[':
				depth++
			case ')', ']':
				depth--
			}
		}
	}
	return strings.TrimSpace(outer[loc[1]:]), true
}

var (
	stringLit  = regexp.MustCompile(`^"([^"\\$%]*)"$`)
	conversion = regexp.MustCompile(`^(?:toset|tolist)\(([\s\S]*)\)$`)
	localRef   = regexp.MustCompile(`^local\.([A-Za-z_][A-Za-z0-9_]*)$`)
)

// Strings resolves an expression of b to the literal strings it can take:
// a quoted string without templates, a list of them, toset or tolist of one,
// local.NAME (from a locals block), and each.value or each.key of b's
// for_each. Anything else (a variable, a template, a function) cannot be
// known from the text, and is an error.
func (c *Config) Strings(b Block, expr string) ([]string, error) {
	expr = strings.TrimSpace(expr)
	if m := stringLit.FindStringSubmatch(expr); m != nil {
		return []string{m[1]}, nil
	}
	if m := conversion.FindStringSubmatch(expr); m != nil {
		return c.Strings(b, m[1])
	}
	if strings.HasPrefix(expr, "[") && strings.HasSuffix(expr, "]") {
		var out []string
		for _, el := range strings.Split(expr[1:len(expr)-1], ",") {
			if el = strings.TrimSpace(el); el == "" {
				continue
			}
			vs, err := c.Strings(b, el)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
		return out, nil
	}
	if m := localRef.FindStringSubmatch(expr); m != nil {
		locals, err := c.Find("locals")
		if err != nil {
			return nil, err
		}
		for _, l := range locals {
			if e, ok := l.Expr(m[1]); ok {
				return c.Strings(l, e)
			}
		}
		return nil, fmt.Errorf("no local %q", m[1])
	}
	if expr == "each.value" || expr == "each.key" {
		fe, ok := b.Expr("for_each")
		if !ok {
			return nil, fmt.Errorf("%s without for_each", expr)
		}
		vs, err := c.Strings(b, fe)
		if err != nil {
			return nil, fmt.Errorf("for_each = %s: %w", fe, err)
		}
		return vs, nil
	}
	return nil, fmt.Errorf("%q cannot be resolved from the text (only literal strings, lists of them, toset/tolist, local.NAME and each.value over those)", expr)
}
