package csvfile

// An independent statement of the text cell rules, written from the package documentation and the README's "The
// CSV's text cells" and sharing no code with Clean, NeedsGuard, capText or cell. The fuzz targets, the payload
// corpus test and the oracle encoder of FuzzWriterUnchanged check the encoder against it, so that a mistake in
// one of those functions cannot hide behind a test built from the same function. It is exported to the external
// tests (fuzz_test.go, csvfile_test.go) from this internal test file.

import (
	"strconv"
	"unicode"
)

// formulaStarts are the characters that make a spreadsheet read a cell as a formula when they come first after
// spaces and invisible characters (OWASP's CSV injection list, and the full-width forms Excel accepts as well).
var formulaStarts = map[rune]bool{
	'=': true, '+': true, '-': true, '@': true,
	'＝': true, '＋': true, '－': true, '＠': true,
}

// StartsLikeFormula reports whether a spreadsheet could read s as a formula: its first character is a tab, CR or
// LF, or its first character that is neither white space nor an invisible format character (Unicode categories
// White_Space and Cf) is one of formulaStarts. A cell the encoder guarded starts with an apostrophe, so this is
// false for it.
func StartsLikeFormula(s string) bool {
	rs := []rune(s)
	if len(rs) > 0 && (rs[0] == '\t' || rs[0] == '\r' || rs[0] == '\n') {
		return true
	}
	for _, r := range rs {
		if unicode.In(r, unicode.White_Space, unicode.Cf) {
			continue
		}
		return formulaStarts[r]
	}
	return false
}

// HasControl reports whether s holds a character a cleaned cell must not: a control character (unicode.IsControl:
// C0, DEL and C1) other than tab and LF, or the non-characters U+FFFE and U+FFFF.
func HasControl(s string) bool {
	for _, r := range s {
		if r != '\t' && r != '\n' && unicode.IsControl(r) || r == 0xfffe || r == 0xffff {
			return true
		}
	}
	return false
}

// ReferenceClean is Clean as documented, on runes: each invalid byte is U+FFFD (Go's string to []rune conversion
// does exactly that), NUL is dropped, CRLF and a lone CR become LF, other control characters and U+FFFE, U+FFFF
// become U+FFFD.
func ReferenceClean(s string) []rune {
	in := []rune(s)
	out := make([]rune, 0, len(in))
	for i := 0; i < len(in); i++ {
		switch r := in[i]; {
		case r == 0:
		case r == '\r':
			out = append(out, '\n')
			if i+1 < len(in) && in[i+1] == '\n' {
				i++
			}
		case r == '\t' || r == '\n':
			out = append(out, r)
		case unicode.IsControl(r) || r == 0xfffe || r == 0xffff:
			out = append(out, '\ufffd')
		default:
			out = append(out, r)
		}
	}
	return out
}

// units is how many UTF-16 code units r takes: two outside the Basic Multilingual Plane.
func units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// ReferenceCell is a text cell as documented: cleaned; guarded with an apostrophe when guard is set and the cleaned
// text starts like a formula; capped at MaxCell UTF-16 units, apostrophe included, by keeping the longest start
// that leaves room for the marker "…[truncated N characters]" (room reserved for N up to the number of characters
// of the cleaned text) and ending with that marker, N being the characters cut. cut reports a cap.
func ReferenceCell(s string, guard bool) (out string, cut bool) {
	rs := ReferenceClean(s)
	g := guard && StartsLikeFormula(string(rs))
	limit := MaxCell
	if g {
		limit--
	}
	total := 0
	for _, r := range rs {
		total += units(r)
	}
	if total > limit {
		mark := func(n int) []rune { return []rune("…[truncated " + strconv.Itoa(n) + " characters]") }
		room := limit - len(mark(len(rs))) // the marker is ASCII but for the ellipsis: one unit per rune
		kept, used := 0, 0
		for kept < len(rs) && used+units(rs[kept]) <= room {
			used += units(rs[kept])
			kept++
		}
		rs = append(rs[:kept:kept], mark(len(rs)-kept)...)
		cut = true
	}
	out = string(rs)
	if g {
		out = "'" + out
	}
	return out, cut
}

// ReferenceText is Text as documented: ReferenceCell with the guard on.
func ReferenceText(s string) string {
	out, _ := ReferenceCell(s, true)
	return out
}
