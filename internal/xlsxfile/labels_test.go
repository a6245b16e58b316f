package xlsxfile

import (
	"reflect"
	"strings"
	"testing"
)

// TestLabelsComplete: every Summary label is set in both languages, differs between them, and takes the same
// number of values (%s). Fails if a label added in English is missing in Thai (the Thai summary would show an
// empty cell) or if a translation drops or adds a %s (the sheet would show %!s(MISSING) or lose a count).
func TestLabelsComplete(t *testing.T) {
	if len(summaryLabels) != 2 {
		t.Fatalf("summaryLabels has %d languages, want th and en", len(summaryLabels))
	}
	en, th := reflect.ValueOf(summaryLabels[English]), reflect.ValueOf(summaryLabels[Thai])
	for i := range en.NumField() {
		name := en.Type().Field(i).Name
		e, h := en.Field(i).String(), th.Field(i).String()
		if e == "" || h == "" || e == h {
			t.Errorf("label %s: en %q, th %q; want both set and different", name, e, h)
		}
		if strings.Count(e, "%s") != strings.Count(h, "%s") {
			t.Errorf("label %s: en %q and th %q take different numbers of values", name, e, h)
		}
	}
	if got := labelsFor("fr"); got != summaryLabels[English] {
		t.Errorf("labelsFor(fr) is not English")
	}
}
