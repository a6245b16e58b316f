package notify

import (
	"reflect"
	"strings"
	"testing"
)

// TestWordsComplete: every notice text is set in both languages, differs between them, and takes the same number
// of values (%s). Fails if a text added in English is missing in Thai (the Thai notice would lose a sentence) or
// a translation drops or adds a %s.
func TestWordsComplete(t *testing.T) {
	if len(noticeWords) != 2 {
		t.Fatalf("noticeWords has %d languages, want th and en", len(noticeWords))
	}
	en, th := reflect.ValueOf(noticeWords[English]), reflect.ValueOf(noticeWords[Thai])
	for i := range en.NumField() {
		name := en.Type().Field(i).Name
		e, h := en.Field(i).String(), th.Field(i).String()
		if e == "" || h == "" || e == h {
			t.Errorf("text %s: en %q, th %q; want both set and different", name, e, h)
		}
		if strings.Count(e, "%s") != strings.Count(h, "%s") {
			t.Errorf("text %s: en %q and th %q take different numbers of values", name, e, h)
		}
	}
	if got := wordsFor("fr"); got != noticeWords[English] {
		t.Errorf("wordsFor(fr) is not English")
	}
}
