package faults

import (
	"strings"
	"testing"
)

// TestCheckLines checks the line check on snapshots: an entry written with one of its journal's lines missing,
// with a line of another journal, or with a wrong amount fails; an entry written exactly as its journal passes.
// A check that compares only which entries a file holds (the harness before issue 18) or only the line count
// fails it.
func TestCheckLines(t *testing.T) {
	journal := []line{{id: "l1", debit: 10700}, {id: "l2", credit: 10000}, {id: "l3", credit: 700}}
	for _, c := range []struct {
		name string
		file []line
		want string // "" for a pass
	}{
		{"exact", []line{journal[2], journal[0], journal[1]}, ""},
		{"a line missing", journal[:2], "2 lines where journal j1 has 3"},
		{"a line too many", append(journal[:3:3], line{id: "l9"}), "4 lines where journal j1 has 3"},
		{"a foreign line", []line{journal[0], journal[1], {id: "l9", credit: 700}}, "line l9"},
		{"a wrong amount", []line{journal[0], journal[1], {id: "l3", credit: 70}}, "line l3 at 0/70"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &snapshot{
				fileLines: map[string]map[string][]line{"f1": {"e1": c.file}},
				journalOf: map[string]string{"e1": "j1"},
				dbLines:   map[string][]line{"j1": journal},
			}
			var tr trialResult
			ok := checkLines(s, &tr)
			got := strings.Join(tr.problems, "\n")
			switch {
			case c.want == "" && (!ok || got != ""):
				t.Errorf("exact entry failed: %s", got)
			case c.want != "" && (ok || !strings.Contains(got, c.want)):
				t.Errorf("ok %v, problems %q, want a problem with %q", ok, got, c.want)
			}
		})
	}
}
