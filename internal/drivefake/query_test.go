package drivefake

import (
	"slices"
	"testing"
	"time"
)

func TestParseQuery(t *testing.T) {
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	files := []*fileRec{
		{ID: "a", Name: "ledger-2026-11-28.csv", MimeType: "text/csv", Parents: []string{"F"}, AppProperties: map[string]string{"exportDate": "2026-11-28"}, Created: day},
		{ID: "b", Name: "Ledger Summary", MimeType: "text/plain", Parents: []string{"G"}, AppProperties: map[string]string{"note": `it's \ odd`}, Trashed: true, Created: day.Add(time.Hour)},
		{ID: "c", Name: "it's", MimeType: FolderMimeType, Properties: map[string]string{"k": "v"}, Created: day.Add(2 * time.Hour)},
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"", []string{"a", "b", "c"}},
		{"name = 'ledger-2026-11-28.csv'", []string{"a"}},
		{"name != 'ledger-2026-11-28.csv'", []string{"b", "c"}},
		{"name = 'it\\'s'", []string{"c"}},
		{"name contains 'ledger'", []string{"a", "b"}},
		{"name contains 'LEDG sum'", []string{"b"}},
		{"name contains 'csv'", []string{"a"}},
		{"name contains 'edger'", nil},
		{"mimeType = 'text/csv'", []string{"a"}},
		{"mimeType contains 'text/'", []string{"a", "b"}},
		{"mimeType != 'application/vnd.google-apps.folder'", []string{"a", "b"}},
		{"'F' in parents", []string{"a"}},
		{"trashed = false", []string{"a", "c"}},
		{"trashed != false", []string{"b"}},
		{"trashed = TRUE", []string{"b"}},
		{"appProperties has { key='exportDate' and value='2026-11-28' }", []string{"a"}},
		{"appProperties has {value='2026-11-28' and key='exportDate'}", []string{"a"}},
		{`appProperties has { key='note' and value='it\'s \\ odd' }`, []string{"b"}},
		{"appProperties has { key='exportDate' and value='2026-11-27' }", nil},
		{"properties has { key='k' and value='v' }", []string{"c"}},
		{"appProperties has { key='k' and value='v' }", nil},
		{"createdTime > '2026-11-28T00:00:00Z'", []string{"b", "c"}},
		{"createdTime <= '2026-11-28T01:00:00.000Z'", []string{"a", "b"}},
		{"modifiedTime = '2026-11-28T00:00:00Z'", nil},
		{"'F' in parents or 'G' in parents and trashed = false", []string{"a"}},
		{"('F' in parents or 'G' in parents) and trashed = true", []string{"b"}},
		{"not trashed = true and not 'F' in parents", []string{"c"}},
		{"not (name contains 'ledger' or trashed = true)", []string{"c"}},
		{"NOT name contains 'ledger' AND trashed = false", []string{"c"}},
		{"appProperties has { key='exportDate' and value='2026-11-28' } and trashed = false and 'F' in parents", []string{"a"}},
	}
	for _, tt := range tests {
		m, err := parseQuery(tt.q)
		if err != nil {
			t.Errorf("parseQuery(%q) error = %v", tt.q, err)
			continue
		}
		var got []string
		for _, f := range files {
			if m(f) {
				got = append(got, f.ID)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("parseQuery(%q) matches %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	for _, q := range []string{
		"name = 'unterminated",
		"name = 'bad \\n escape'",
		"name = \"double\"",
		"name == 'x'",
		"name 'x'",
		"name = x",
		"name < 'x'",
		"trashed = 'false'",
		"trashed = maybe",
		"trashed contains true",
		"fullText contains 'x'",
		"starred = true",
		"'x' in owners",
		"'x' parents",
		"(name = 'x'",
		"name = 'x')",
		"name = 'x' and",
		"and name = 'x'",
		"name = 'x' name = 'y'",
		"not",
		"appProperties has { key='k' }",
		"appProperties has { key='k' or value='v' }",
		"appProperties has { key='k' and key='v' }",
		"appProperties has key='k'",
		"appProperties = 'x'",
		"createdTime > 'yesterday'",
		"name = 'x' !",
		"name = 'x' # comment",
	} {
		if _, err := parseQuery(q); err == nil {
			t.Errorf("parseQuery(%q) error = nil, want a syntax error", q)
		}
	}
}

func TestNameContains(t *testing.T) {
	tests := []struct {
		name, value string
		want        bool
	}{
		{"HelloWorld", "Hello", true},
		{"HelloWorld", "World", false}, // prefix matching only, as documented
		{"Hello World", "world", true},
		{"ledger-2026-11-28.csv", "2026", true},
		{"ledger-2026-11-28.csv", "-", false},
		{"-draft", "-", true},
	}
	for _, tt := range tests {
		if got := nameContains(tt.name, tt.value); got != tt.want {
			t.Errorf("nameContains(%q, %q) = %v, want %v", tt.name, tt.value, got, tt.want)
		}
	}
}
