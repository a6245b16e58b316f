package csvfile_test

import (
	"bytes"
	"encoding/csv"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/csvfile/csvtest"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// seeds are the payloads of testdata/payloads.txt short enough to mutate quickly; the long ones are covered by
// TestTextCap and TestPayloadCorpus.
func seeds(f *testing.F) []string {
	f.Helper()
	ps, err := csvtest.Load("testdata/payloads.txt")
	if err != nil {
		f.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		if len(p.Value) <= 256 {
			out = append(out, p.Value)
		}
	}
	return out
}

// FuzzText checks the text cell rules on any string against an independent statement of them (reference_test.go),
// never against Clean or NeedsGuard, which Text is built from: the result is valid UTF-8 with no control character
// (unicode.IsControl) but tab and LF, within MaxCell UTF-16 units, not starting like a formula by a hand-written
// trigger set, Text is idempotent, and it equals the reference cell exactly.
func FuzzText(f *testing.F) {
	for _, p := range seeds(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := csvfile.Text(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Text(%q) = %q is not valid UTF-8", s, out)
		}
		if csvfile.StartsLikeFormula(out) {
			t.Fatalf("Text(%q) = %q still starts like a formula", s, out)
		}
		if csvfile.HasControl(out) || strings.ContainsRune(out, '\r') {
			t.Fatalf("Text(%q) = %q holds a control character or CR", s, out)
		}
		if n := len(utf16.Encode([]rune(out))); n > csvfile.MaxCell {
			t.Fatalf("Text(%.20q...) has %d UTF-16 units, more than %d", s, n, csvfile.MaxCell)
		}
		if again := csvfile.Text(out); again != out {
			t.Fatalf("Text(Text(%q)) = %q, want %q", s, again, out)
		}
		if want := csvfile.ReferenceText(s); out != want {
			t.Fatalf("Text(%.80q) = %.80q, the documented rules give %.80q", s, out, want)
		}
		// Valid text with nothing to clean, short of the cap, passes unchanged but for the apostrophe.
		if utf8.ValidString(s) && !csvfile.HasControl(s) && !strings.ContainsAny(s, "\x00\r") && len(s) < csvfile.MaxCell-1 &&
			out != s && out != "'"+s {
			t.Fatalf("Text(%q) = %q changed clean text", s, out)
		}
	})
}

// FuzzWriter writes one journal line built from fuzzed text and amounts, reads the file back with encoding/csv,
// and checks that every cell round-trips (void_reason and original_journal included): text as Text (or its plain form), money as the formatted amount, which
// parses back to the same number of satang.
func FuzzWriter(f *testing.F) {
	f.Add("ค่าเช่า, \"office\"\r\nline two", "=Assets:Cash", "INV-1", "-5", int64(150000), int64(-1), false)
	f.Add("-refund", "@x", "\t=1", "1E+3", int64(0), int64(-9223372036854775808), true)
	f.Add("a;b\tc", " lead", "trail ", "=1+1", int64(99999999999999999), int64(1), false)
	f.Add("\u009f=1", "\u0080", "x\u009f", "-9.99", int64(1), int64(2), false)
	for i, p := range seeds(f) {
		f.Add(p, p, p, p, int64(-i), int64(i*12345), i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, memo, account, ref, qty string, debit, credit int64, plain bool) {
		at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
		j := ledger.Journal{ID: "j1", Book: "main", PostedAt: at, Lines: []ledger.Line{{
			ID: "l1", Account: account, Memo: memo, PostedAt: at,
			Debit: ledger.Amount(debit), Credit: ledger.Amount(credit),
			Meta:       []ledger.Value{{Text: ref}, {Text: qty, Numeric: true}},
			VoidReason: ref, OriginalJournal: account,
		}}}
		var buf bytes.Buffer
		w := csvfile.NewWriter(&buf, csvfile.Options{Meta: []string{"ref", "qty"}, Plain: plain})
		if err := w.WriteJournal("2026-11-28", "q1", j); err != nil {
			t.Fatalf("WriteJournal: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		data, ok := bytes.CutPrefix(buf.Bytes(), []byte(csvfile.BOM))
		if !ok {
			t.Fatalf("output does not start with the byte order mark")
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = 15
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("csv.ReadAll(%q): %v", data, err)
		}
		if len(recs) != 2 {
			t.Fatalf("read back %d records from %q, want 2", len(recs), data)
		}
		text := func(s string) string { // the documented cell, from the independent reference
			c, _ := csvfile.ReferenceCell(s, !plain)
			return c
		}
		row := recs[1]
		for _, c := range []struct {
			col  int
			want string
		}{{6, text(account)}, {9, text(memo)}, {11, text(ref)}, {12, text(account)}, {13, text(ref)}, {7, ledger.Amount(debit).String()}, {8, ledger.Amount(credit).String()}} {
			if row[c.col] != c.want {
				t.Errorf("column %d = %q, want %q", c.col, row[c.col], c.want)
			}
			if !plain && c.col != 7 && c.col != 8 && csvfile.StartsLikeFormula(row[c.col]) {
				t.Errorf("column %d = %q starts like a formula", c.col, row[c.col])
			}
		}
		for col, a := range map[int]int64{7: debit, 8: credit} {
			v, ok := new(big.Rat).SetString(row[col])
			if !ok || v.Cmp(big.NewRat(a, 100)) != 0 {
				t.Errorf("amount %d satang written as %q", a, row[col])
			}
		}
		if q := row[14]; !plain && csvfile.StartsLikeFormula(q) {
			if _, ok := new(big.Rat).SetString(q); !ok || strings.ContainsAny(q, "/xXpP_") {
				t.Errorf("numeric meta %q written as %q: a formula trigger that is not a plain number", qty, q)
			}
		}
	})
}
