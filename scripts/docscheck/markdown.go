package docscheck

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Slug returns the anchor GitHub gives a heading's text: lower case, every
// character that is not a letter, a digit, a mark, a space, a hyphen or an
// underscore removed, and each space turned into a hyphen (github-slugger's
// rule, which GitHub's Markdown renderer follows). Inline markup is removed
// first: a link keeps its text, code and emphasis keep what they mark.
func Slug(heading string) string {
	heading = mdLink.ReplaceAllString(heading, "$1")
	var sb strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			sb.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

var (
	atxHeading = regexp.MustCompile(`^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	htmlAnchor = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	mdLink     = regexp.MustCompile(`!?\[([^\]]*)\]\(([^)\s]*)(?:\s+"[^"]*")?\)`)
	codeSpan   = regexp.MustCompile("`+[^`]*`+")
)

// Line is one line of a Markdown file with where it is.
type Line struct {
	No    int    // 1-based line number
	Text  string // the line
	Fence bool   // inside a fenced code block (the fence lines included)
}

// Lines splits a Markdown file and marks the lines of fenced code blocks.
func Lines(md string) []Line {
	var out []Line
	var fence string // the fence that opened the current block
	for i, text := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(text, " \t")
		marker := ""
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			marker = trimmed[:3]
		}
		switch {
		case fence == "" && marker != "":
			fence = marker
			out = append(out, Line{No: i + 1, Text: text, Fence: true})
		case fence != "":
			out = append(out, Line{No: i + 1, Text: text, Fence: true})
			if marker == fence {
				fence = ""
			}
		default:
			out = append(out, Line{No: i + 1, Text: text})
		}
	}
	return out
}

// Anchors returns every anchor a Markdown file offers: one per heading by
// GitHub's rules (a repeated slug gets -1, -2, ...), and every HTML
// <a id> or <a name>.
func Anchors(md string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, l := range Lines(md) {
		if l.Fence {
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(l.Text, -1) {
			anchors[m[1]] = true
		}
		m := atxHeading.FindStringSubmatch(l.Text)
		if m == nil {
			continue
		}
		slug := Slug(m[1])
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	return anchors
}

// Link is a Markdown link or image of a file: its target and its line.
type Link struct {
	Line   int
	Target string
}

// Links returns the inline links and images outside code blocks and code
// spans.
func Links(md string) []Link {
	var out []Link
	for _, l := range Lines(md) {
		if l.Fence {
			continue
		}
		text := codeSpan.ReplaceAllString(l.Text, "")
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			out = append(out, Link{Line: l.No, Target: m[2]})
		}
	}
	return out
}

// makeCommand finds `make [options] [VAR=value ...] target` in shell text.
var makeCommand = regexp.MustCompile(`(?:^|[\s;&|($])make((?:\s+(?:-[fC]\s+\S+|-\S+|[A-Za-z_][A-Za-z0-9_]*=\S*))*)\s+([a-z][a-z0-9_.-]*)`)

// MakeTargets returns the targets of the `make` commands a Markdown file
// names in code: in code blocks and in code spans.
func MakeTargets(md string) []Link {
	var out []Link
	for _, l := range Lines(md) {
		var code []string
		if l.Fence {
			code = []string{l.Text}
		} else {
			for _, span := range codeSpan.FindAllString(l.Text, -1) {
				code = append(code, strings.Trim(span, "`"))
			}
		}
		for _, c := range code {
			for _, m := range makeCommand.FindAllStringSubmatch(c, -1) {
				out = append(out, Link{Line: l.No, Target: m[2]})
			}
		}
	}
	return out
}

var (
	ruleLine    = regexp.MustCompile(`^([^\s:=#][^:=#]*?)[ \t]*::?(?:[^=]|$)`)
	includeLine = regexp.MustCompile(`^-?include[ \t]+(.+?)[ \t]*$`)
)

// Rules returns the explicit targets a makefile defines and the files it
// includes (as written).
func Rules(makefile string) (targets, includes []string) {
	for _, line := range strings.Split(makefile, "\n") {
		if m := includeLine.FindStringSubmatch(line); m != nil {
			includes = append(includes, strings.Fields(m[1])...)
			continue
		}
		m := ruleLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, t := range strings.Fields(m[1]) {
			if !strings.HasPrefix(t, ".") && !strings.Contains(t, "%") && !strings.Contains(t, "$") {
				targets = append(targets, t)
			}
		}
	}
	return targets, includes
}
