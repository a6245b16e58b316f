// Package csvtest reads the hostile cell values kept in internal/csvfile/testdata/payloads.txt, shared by the
// csvfile tests and the LibreOffice check in scripts/spreadsheet.
//
// The file has one payload a line: a class, then, each after a tab, the parts of the value, concatenated. A part
// is a Go string literal (so that NUL, invalid UTF-8 and bidi controls can be written down), optionally followed
// by *N to repeat it N times: `long	"="	"A"*40000` is = and forty thousand A. Blank lines and lines starting with
// # are skipped.
package csvtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Payload is one hostile cell value.
type Payload struct {
	Class string // the kind of attack or trouble, such as "dde" or "invalid-utf8"
	Value string
	Line  int // line number in the file, for messages
}

// Classes of payloads whose text a spreadsheet may read as a number, date, time or boolean instead of text.
// Every other class must come back as the very text written.
var Convertible = map[string]bool{"number-like": true}

// Verbatim classes hold text the encoder must not change at all: Thai, emoji, combining marks.
var Verbatim = map[string]bool{"unicode-text": true}

// Load reads the payload file at path.
func Load(path string) ([]Payload, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open payloads: %w", err)
	}
	defer f.Close()
	ps, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ps, nil
}

// Parse reads payloads from r.
func Parse(r io.Reader) ([]Payload, error) {
	var out []Payload
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) < 2 || parts[0] == "" {
			return nil, fmt.Errorf("line %d: want CLASS<tab>\"part\"[*N]..., got %q", n, line)
		}
		var v strings.Builder
		for _, p := range parts[1:] {
			s, err := part(p)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			v.WriteString(s)
		}
		out = append(out, Payload{Class: parts[0], Value: v.String(), Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read payloads: %w", err)
	}
	return out, nil
}

var repeated = regexp.MustCompile(`^(".*")\*([0-9]+)$`)

// part reads one "literal" or "literal"*N.
func part(p string) (string, error) {
	lit, times := p, 1
	if m := repeated.FindStringSubmatch(p); m != nil {
		n, err := strconv.Atoi(m[2])
		if err != nil || n < 1 || n > 1<<20 {
			return "", fmt.Errorf("repeat in %q is not *N with N between 1 and 1048576", p)
		}
		lit, times = m[1], n
	}
	v, err := strconv.Unquote(lit)
	if err != nil {
		return "", fmt.Errorf("%s is not a Go string literal: %w", lit, err)
	}
	return strings.Repeat(v, times), nil
}
