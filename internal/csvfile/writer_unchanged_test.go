package csvfile

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/csvfile/csvtest"
	"github.com/siamledger/ledger-export/internal/ledger"
)

var meta = []string{"ref", "qty", "note"}

// fuzzJournal builds a journal of three lines from fuzzed parts.
func fuzzJournal(memo, account, ref, qty string, debit, credit int64, sec int64, voided bool) ledger.Journal {
	at := time.Unix(sec%(1<<40), 0)
	j := ledger.Journal{ID: "j" + ref, Book: account, Memo: memo, PostedAt: at, Voided: voided, Lines: []ledger.Line{
		{ID: "l1", Account: account, Memo: memo, PostedAt: at, Debit: ledger.Amount(debit), Credit: ledger.Amount(credit),
			Meta: []ledger.Value{{Text: ref}, {Text: qty, Numeric: true}, {Text: memo}}, OriginalJournal: ref},
		{ID: ref, Account: memo, Book: ref, PostedAt: at.Add(time.Hour), Credit: ledger.Amount(debit), Voided: !voided,
			Meta: []ledger.Value{{Text: qty}, {Text: ref, Numeric: true}}, VoidReason: qty},
		{ID: "l3", Account: qty, PostedAt: at, Debit: ledger.Amount(credit)},
	}}
	if voided {
		j.VoidReason = memo
	} else {
		j.OriginalJournal = account
	}
	return j
}

// both writes js with the encoder and with the encoder as it was, and returns both outputs.
func both(t *testing.T, opts Options, js ...ledger.Journal) (now, was []byte, truncated [2]int64) {
	t.Helper()
	var a, b bytes.Buffer
	w := NewWriter(&a, opts)
	o := newOrigWriter(&b, opts)
	for _, j := range js {
		if err := w.WriteJournal("2026-11-28", "q,1", j); err != nil {
			t.Fatalf("WriteJournal: %v", err)
		}
		if err := o.WriteJournal("2026-11-28", "q,1", j); err != nil {
			t.Fatalf("the original WriteJournal: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := o.close(); err != nil {
		t.Fatalf("the original Close: %v", err)
	}
	return a.Bytes(), b.Bytes(), [2]int64{w.Truncated(), o.truncated}
}

// FuzzWriterUnchanged: for any journal, the encoder writes exactly the bytes the encoder as it was wrote, with
// and without the formula guard, and counts the same cut cells. The oracle (writer_orig_test.go) makes its cells
// with ReferenceCell, not with the production cell(), so a change to the cell rules fails here too.
func FuzzWriterUnchanged(f *testing.F) {
	f.Add("ค่าเช่า, \"office\"\r\nline two", "=Assets:Cash", "INV-1", "-5", int64(150000), int64(-1), int64(1764300000), false)
	f.Add(" lead", "trail ", "a;b\tc", "1E+3", int64(0), int64(-9223372036854775808), int64(-1), true)
	f.Add("\u00a0=1", "\xff\x00x", "\u0085", "0012", int64(1), int64(2), int64(3), false)
	f.Add(strings.Repeat("ข", MaxCell+3), "＝1", "\uffff", "1.5e9999", int64(7), int64(8), int64(9), true)
	if ps, err := csvtest.Load("testdata/payloads.txt"); err == nil {
		for i, p := range ps {
			f.Add(p.Value, p.Value, p.Value, p.Value, int64(i), int64(-i), int64(i*3600), i%2 == 0)
		}
	}
	bkk, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, memo, account, ref, qty string, debit, credit, sec int64, voided bool) {
		j := fuzzJournal(memo, account, ref, qty, debit, credit, sec, voided)
		for _, plain := range []bool{false, true} {
			now, was, cut := both(t, Options{Meta: meta, Location: bkk, Plain: plain}, j, j)
			if !bytes.Equal(now, was) {
				t.Fatalf("plain %v: the encoder wrote\n%q\nthe original wrote\n%q", plain, now, was)
			}
			if cut[0] != cut[1] {
				t.Errorf("plain %v: Truncated() = %d, the original counted %d", plain, cut[0], cut[1])
			}
		}
	})
}

// TestMatchesEncodingCSV writes the payload corpus and reads it back with encoding/csv, and writes the same cells
// with encoding/csv itself: the records are equal, and so are the bytes of every row where the two quoting rules
// agree (encoding/csv does not quote semicolons, tabs or a trailing space).
func TestMatchesEncodingCSV(t *testing.T) {
	ps, err := csvtest.Load("testdata/payloads.txt")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	var js []ledger.Journal
	for i, p := range ps {
		js = append(js, fuzzJournal(p.Value, p.Value, p.Value, p.Value, int64(i*101), int64(-i), at.Unix()+int64(i), i%3 == 0))
	}
	opts := Options{Meta: meta, Location: time.UTC}
	var ours bytes.Buffer
	w := NewWriter(&ours, opts)
	for _, j := range js {
		if err := w.WriteJournal("2026-11-28", "q1", j); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(ours.Bytes(), []byte(BOM))))
	r.FieldsPerRecord = len(Header(meta))
	got, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the output back: %v", err)
	}
	lines := strings.SplitAfter(strings.TrimPrefix(ours.String(), BOM), "\r\n")
	want := [][]string{Header(meta)}
	row, compared := 0, 0
	for _, j := range js {
		for _, l := range j.Lines {
			memo, book := l.Memo, l.Book
			if memo == "" {
				memo = j.Memo
			}
			if book == "" {
				book = j.Book
			}
			rec := []string{ReferenceText("2026-11-28"), ReferenceText("q1"), ReferenceText(j.ID), ReferenceText(l.ID), l.PostedAt.UTC().Format(time.RFC3339),
				ReferenceText(book), ReferenceText(l.Account), l.Debit.String(), l.Credit.String(), ReferenceText(memo), map[bool]string{true: "true", false: "false"}[l.Voided || j.Voided],
				ReferenceText(refVoidReason(j, l)), ReferenceText(refOriginalJournal(j, l))}
			for k := range meta {
				var v ledger.Value
				if k < len(l.Meta) {
					v = l.Meta[k]
				}
				if v.Numeric && origNumber.MatchString(v.Text) {
					rec = append(rec, v.Text)
				} else {
					rec = append(rec, ReferenceText(v.Text))
				}
			}
			want = append(want, rec)
			row++
			var std bytes.Buffer
			cw := csv.NewWriter(&std)
			cw.UseCRLF = true
			if err := cw.Write(rec); err != nil {
				t.Fatal(err)
			}
			cw.Flush()
			if agree(rec) {
				compared++
				if std.String() != lines[row] {
					t.Errorf("row %d: ours %q, encoding/csv %q", row, lines[row], std.String())
				}
			}
		}
	}
	if compared < row/4 {
		t.Errorf("compared the bytes of %d rows of %d, want at least a quarter", compared, row)
	}
	if len(got) != len(want) {
		t.Fatalf("read back %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if strings.Join(got[i], "\x00") != strings.Join(want[i], "\x00") {
			t.Errorf("record %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// agree reports whether encoding/csv writes every cell of rec as the encoder does: it quotes no semicolon, tab or
// trailing space, and writes a line break inside a cell as CRLF.
func agree(rec []string) bool {
	for _, c := range rec {
		last, _ := utf8.DecodeLastRuneInString(c)
		if strings.ContainsAny(c, ";\t\n") || c == `\.` || unicode.IsSpace(last) {
			return false
		}
	}
	return true
}

// TestWriteJournalAllocatesNothing: once its row buffer has grown, the writer allocates nothing per row, guarded
// and quoted cells and meta included.
func TestWriteJournalAllocatesNothing(t *testing.T) {
	bkk, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(io.Discard, Options{Meta: meta, Location: bkk})
	j := fuzzJournal("=ค่ากาแฟ, \"ด่วน\"", "Assets:Cash", "INV-1", "0.07", 150000, 0, 1764300000, false)
	if err := w.WriteJournal("2026-11-28", "q1", j); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = w.WriteJournal("2026-11-28", "q1", j) }); n != 0 {
		t.Errorf("WriteJournal allocates %.1f times per journal of %d rows, want 0", n, len(j.Lines))
	}
}
