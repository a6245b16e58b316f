package csvfile_test

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/csvfile/csvtest"
	"github.com/siamledger/ledger-export/internal/ledger"
)

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"thai memo unchanged", "ค่าเช่าสำนักงาน", "ค่าเช่าสำนักงาน"},
		{"emoji and combining marks unchanged", "👍🏽 e\u0301 กิ๊ก", "👍🏽 e\u0301 กิ๊ก"},
		{"formula", `=HYPERLINK("http://x")`, `'=HYPERLINK("http://x")`},
		{"phone number kept as text", "+66812345678", "'+66812345678"},
		{"minus in a memo", "-refund", "'-refund"},
		{"at sign", "@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"leading tab", "\t=1", "'\t=1"},
		{"leading tab before text", "\tnote", "'\tnote"},
		{"leading CR becomes LF", "\r=1", "'\n=1"},
		{"leading LF", "\nx", "'\nx"},
		{"leading spaces then formula", "  =1+1", "'  =1+1"},
		{"NBSP then formula", "\u00a0=1+1", "'\u00a0=1+1"},
		{"ideographic space then formula", "\u3000-1", "'\u3000-1"},
		{"zero-width space then formula", "\u200b=1", "'\u200b=1"},
		{"bidi override then formula", "\u202e=1+1", "'\u202e=1+1"},
		{"bidi override kept elsewhere", "invoice\u202egpj.exe", "invoice\u202egpj.exe"},
		{"full-width equals", "＝1+1", "'＝1+1"},
		{"full-width plus", "＋1", "'＋1"},
		{"full-width minus", "－1", "'－1"},
		{"full-width at", "＠SUM(1)", "'＠SUM(1)"},
		{"dde", `=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`},
		{"leading quote is text already", `'=1+1`, `'=1+1`},
		{"leading double quote is text already", `"=1+1`, `"=1+1`},
		{"NUL dropped, then guarded", "\x00=1+1", "'=1+1"},
		{"NUL inside dropped", "a\x00b", "ab"},
		{"control character replaced", "\x1b[31mred", "\ufffd[31mred"},
		{"DEL and C1 replaced", "a\x7fb\u0085c", "a\ufffdb\ufffdc"},
		{"first and last C1 replaced", "\u0080a\u009fb", "\ufffda\ufffdb"},
		{"invalid UTF-8 replaced per byte", "a\xff\xfeb", "a\ufffd\ufffdb"},
		{"invalid UTF-8 before formula is not a trigger", "\xff=1", "\ufffd=1"},
		{"non-character replaced", "x\uffffy", "x\ufffdy"},
		{"CRLF inside becomes LF", "a\r\nb\rc", "a\nb\nc"},
		{"inner equals untouched", "a=b", "a=b"},
		{"plain number untouched", "1E5", "1E5"},
		{"spaces only", "   ", "   "},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := csvfile.Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNeedsGuard(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"=1", true}, {"+1", true}, {"-1", true}, {"@a", true}, {"\t", true}, {"\r", true}, {"\n", true},
		{" \t =1", true}, {"\ufeff=1", true}, {"\u2066-1", true}, {"﹦1", false}, {"−1", false},
		{"'=1", false}, {"a=1", false}, {" ", false}, {"", false}, {"1-1", false}, {"\ufffd=1", false},
	}
	for _, tt := range tests {
		if got := csvfile.NeedsGuard(tt.in); got != tt.want {
			t.Errorf("NeedsGuard(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// cutMarker matches the marker a cut cell ends with.
var cutMarker = regexp.MustCompile(`…\[truncated ([0-9]+) characters\]$`)

// checkCut checks that got is in cut to fit limit UTF-16 units: a prefix of in, then a marker counting exactly the
// characters left out, and no more than a marker's worth of room left unused.
func checkCut(t *testing.T, in, got string, limit int) {
	t.Helper()
	units := len(utf16.Encode([]rune(got)))
	m := cutMarker.FindStringSubmatchIndex(got)
	if m == nil {
		t.Fatalf("cut cell ...%q has no truncation marker", got[max(0, len(got)-40):])
	}
	kept := got[:m[0]]
	n, _ := strconv.Atoi(got[m[2]:m[3]])
	if !strings.HasPrefix(in, kept) || utf8.RuneCountInString(kept)+n != utf8.RuneCountInString(in) {
		t.Errorf("cut cell keeps %d characters and says %d were cut; the input has %d", utf8.RuneCountInString(kept), n, utf8.RuneCountInString(in))
	}
	if units > limit || units < limit-8 {
		t.Errorf("cut cell has %d UTF-16 units, want between %d and %d", units, limit-8, limit)
	}
}

func TestTextCap(t *testing.T) {
	units := func(s string) int { return len(utf16.Encode([]rune(s))) }
	tests := []struct {
		name string
		in   string
		cut  bool
	}{
		{"at the limit unchanged", strings.Repeat("a", csvfile.MaxCell), false},
		{"one over is cut", strings.Repeat("a", csvfile.MaxCell+1), true},
		{"far over", strings.Repeat("x", 100000), true},
		{"thai counts one unit each", strings.Repeat("ก", 33000), true},
		{"thai at the limit unchanged", strings.Repeat("ก", csvfile.MaxCell), false},
		{"emoji count two units each", strings.Repeat("😀", 16384), true},
		{"emoji at the limit unchanged", strings.Repeat("😀", 16383) + "a", false},
		{"guarded one under the limit fits", "=" + strings.Repeat("a", csvfile.MaxCell-2), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := csvfile.Text(tt.in)
			if !tt.cut {
				if strings.TrimPrefix(got, "'") != tt.in {
					t.Errorf("Text(%.10q... %d units) changed a cell that fits", tt.in, units(tt.in))
				}
			} else {
				checkCut(t, tt.in, got, csvfile.MaxCell)
			}
			if units(got) > csvfile.MaxCell {
				t.Errorf("Text(%.10q...) has %d UTF-16 units, more than MaxCell", tt.in, units(got))
			}
			if again := csvfile.Text(got); again != got {
				t.Errorf("Text(Text(%.10q...)) changed the cell again", tt.in)
			}
		})
	}
	// A guarded cell at the limit is cut to leave room for the apostrophe.
	in := "=" + strings.Repeat("a", csvfile.MaxCell-1)
	got := csvfile.Text(in)
	if !strings.HasPrefix(got, "'=") {
		t.Fatalf("Text(=aaa... %d units) = %.10q..., want the guard", units(in), got)
	}
	checkCut(t, in, got[1:], csvfile.MaxCell-1)
}

func sampleJournal() ledger.Journal {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	return ledger.Journal{
		ID: "j1", Book: "main", Memo: "ค่าเช่า, \"office\"\r\nline two", PostedAt: at, LineCount: 2,
		Lines: []ledger.Line{
			{ID: "l1", Account: "Expenses:Rent", PostedAt: at, Debit: 1500000, Meta: []ledger.Value{{Text: "INV-1"}, {Text: "-5", Numeric: true}}},
			{ID: "l2", Account: "=Assets:Cash", PostedAt: at, Credit: 1500000, Memo: "-cash", Voided: true},
		},
	}
}

func TestWriterBytes(t *testing.T) {
	var buf bytes.Buffer
	bkk, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		t.Fatalf("LoadLocation: %v", err)
	}
	w := csvfile.NewWriter(&buf, csvfile.Options{Meta: []string{"invoice", "qty"}, Location: bkk})
	if err := w.WriteJournal("2026-11-28", "q1", sampleJournal()); err != nil {
		t.Fatalf("WriteJournal: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	want := "\ufeffbatch_date,entry_id,journal_id,line_id,posted_at,book,account,debit,credit,memo,voided,void_reason,original_journal,meta.invoice,meta.qty\r\n" +
		"2026-11-28,q1,j1,l1,2026-11-28T10:04:05+07:00,main,Expenses:Rent,15000.00,0.00,\"ค่าเช่า, \"\"office\"\"\nline two\",false,,,INV-1,-5\r\n" +
		"2026-11-28,q1,j1,l2,2026-11-28T10:04:05+07:00,main,'=Assets:Cash,0.00,15000.00,'-cash,true,,,,\r\n"
	if got := buf.String(); got != want {
		t.Errorf("CSV =\n%q\nwant\n%q", got, want)
	}
	if w.Rows() != 2 {
		t.Errorf("Rows() = %d, want 2", w.Rows())
	}
	// Every output must read back with encoding/csv, one record per line plus the header.
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), csvfile.BOM))).ReadAll()
	if err != nil {
		t.Fatalf("csv.ReadAll: %v", err)
	}
	if len(recs) != 3 || recs[1][9] != "ค่าเช่า, \"office\"\nline two" {
		t.Errorf("read back %d records, memo %q; want 3 records and the memo intact", len(recs), recs[1][9])
	}
}

func TestWriterPlain(t *testing.T) {
	var buf bytes.Buffer
	w := csvfile.NewWriter(&buf, csvfile.Options{Plain: true})
	if err := w.WriteJournal("2026-11-28", "q1", sampleJournal()); err != nil {
		t.Fatalf("WriteJournal: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !strings.Contains(buf.String(), ",=Assets:Cash,") {
		t.Errorf("Plain output %q lacks the untouched account =Assets:Cash", buf.String())
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, bytes.ErrTooLarge
	}
	f.n--
	return len(p), nil
}

func TestWriterReportsWriteErrors(t *testing.T) {
	w := csvfile.NewWriter(&failWriter{n: 1}, csvfile.Options{})
	for range 2000 {
		_ = w.WriteJournal("2026-11-28", "q1", sampleJournal())
	}
	if err := w.Close(); err == nil {
		t.Errorf("Close() = nil after the underlying writer failed, want an error")
	}
}

// write writes the journals with opts and reads the file back with encoding/csv, strictly.
func write(t *testing.T, opts csvfile.Options, js ...ledger.Journal) (string, [][]string, *csvfile.Writer) {
	t.Helper()
	var buf bytes.Buffer
	w := csvfile.NewWriter(&buf, opts)
	for _, j := range js {
		if err := w.WriteJournal("2026-11-28", "q1", j); err != nil {
			t.Fatalf("WriteJournal: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	data, ok := strings.CutPrefix(buf.String(), csvfile.BOM)
	if !ok {
		t.Fatalf("output %.20q does not start with the byte order mark", buf.String())
	}
	r := csv.NewReader(strings.NewReader(data))
	r.FieldsPerRecord = len(csvfile.Header(opts.Meta))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("csv.ReadAll(%.200q): %v", data, err)
	}
	return buf.String(), recs, w
}

func TestWriterQuotesSeparatorsAndEdgeSpaces(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	for _, memo := range []string{"a\tb", "a;b", "a,b", "lead", " lead", "trail ", "a\"b", "x\ny"} {
		j := ledger.Journal{ID: "j", PostedAt: at, Lines: []ledger.Line{{ID: "l", Account: "A", Memo: memo, PostedAt: at}}}
		out, recs, _ := write(t, csvfile.Options{}, j)
		quoted := strings.Contains(out, `,"`+strings.ReplaceAll(memo, `"`, `""`)+`",`)
		wantQuoted := memo != "lead"
		if quoted != wantQuoted {
			t.Errorf("memo %q quoted = %v, want %v in %q", memo, quoted, wantQuoted, out)
		}
		if got := recs[1][9]; got != memo {
			t.Errorf("memo %q read back as %q", memo, got)
		}
	}
}

func TestWriterNumericMeta(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	tests := []struct{ in, want string }{
		{"-3", "-3"}, {"0.07", "0.07"}, {"1E+3", "1E+3"}, {"-1.5E-7", "-1.5E-7"},
		{"=1+1", "'=1+1"}, {"-1+1", "'-1+1"}, {"1,5", "1,5"}, {"NaN", "NaN"}, {"", ""},
		// Every digit, a fraction of several digits, and the documented bounds: 400 digits before and after the
		// point, 4 in the exponent; one more is text (guarded when it starts with a minus).
		{"-9.99", "-9.99"}, {"-1.25", "-1.25"}, {"-0123456789", "-0123456789"},
		{"-" + strings.Repeat("9", 400), "-" + strings.Repeat("9", 400)},
		{"-" + strings.Repeat("9", 401), "'-" + strings.Repeat("9", 401)},
		{"-1." + strings.Repeat("9", 400), "-1." + strings.Repeat("9", 400)},
		{"-1." + strings.Repeat("9", 401), "'-1." + strings.Repeat("9", 401)},
		{"-1e9999", "-1e9999"}, {"-1e99999", "'-1e99999"}, {"-1e", "'-1e"}, {"-1e+", "'-1e+"}, {"-1.", "'-1."}, {"-.5", "'-.5"},
	}
	for _, tt := range tests {
		j := ledger.Journal{ID: "j", PostedAt: at, Lines: []ledger.Line{{ID: "l", PostedAt: at, Meta: []ledger.Value{{Text: tt.in, Numeric: true}}}}}
		_, recs, _ := write(t, csvfile.Options{Meta: []string{"qty"}}, j)
		if got := recs[1][13]; got != tt.want {
			t.Errorf("numeric meta %q written as %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWriterManyMetaColumns: each meta column has its own cell cache, also beyond the fixed columns' count, and
// the last control character of C1 (U+009F) is cleaned on the writer's fast path too. There are more meta columns
// (16) than fixed ones (13), so a cache slot computed as len(columns)-k instead of len(columns)+k goes below zero.
func TestWriterManyMetaColumns(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	var meta []string
	var vals []ledger.Value
	for i := range 16 {
		meta = append(meta, "m"+strconv.Itoa(i))
		vals = append(vals, ledger.Value{Text: "v" + strconv.Itoa(i) + "\u009f"})
	}
	j := ledger.Journal{ID: "j", PostedAt: at, Lines: []ledger.Line{
		{ID: "l1", Memo: "a\u009fb", PostedAt: at, Meta: vals},
		{ID: "l2", Memo: "a\u009fb", PostedAt: at, Meta: vals},
	}}
	_, recs, _ := write(t, csvfile.Options{Meta: meta}, j)
	for r := 1; r <= 2; r++ {
		if got := recs[r][9]; got != "a\ufffdb" {
			t.Errorf("row %d memo = %q, want a\ufffdb", r, got)
		}
		for k := range vals {
			if got, want := recs[r][13+k], "v"+strconv.Itoa(k)+"\ufffd"; got != want {
				t.Errorf("row %d meta %d = %q, want %q", r, k, got, want)
			}
		}
	}
}

func TestWriterCleansAndCapsInPlainMode(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	long := strings.Repeat("ข", csvfile.MaxCell+10)
	j := ledger.Journal{ID: "j", PostedAt: at, Lines: []ledger.Line{
		{ID: "l1", Account: "=A", Memo: "bad\xff\x00byte", PostedAt: at},
		{ID: "l2", Account: "B", Memo: long, PostedAt: at, Meta: []ledger.Value{{Text: long}}},
	}}
	_, recs, w := write(t, csvfile.Options{Plain: true, Meta: []string{"note"}}, j)
	if recs[1][6] != "=A" || recs[1][9] != "bad\ufffdbyte" {
		t.Errorf("plain row = account %q memo %q, want =A and bad\ufffdbyte", recs[1][6], recs[1][9])
	}
	checkCut(t, long, recs[2][9], csvfile.MaxCell)
	if w.Truncated() != 2 {
		t.Errorf("Truncated() = %d, want 2 (memo and meta)", w.Truncated())
	}
}

// TestPayloadCorpus writes every payload of testdata/payloads.txt through a memo, an account, void_reason,
// original_journal and a meta column
// and reads the file back: one row per line, each cell the documented cell of its payload (reference_test.go) and
// never a formula trigger.
func TestPayloadCorpus(t *testing.T) {
	ps, err := csvtest.Load("testdata/payloads.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 150 {
		t.Fatalf("testdata/payloads.txt has %d payloads, want at least 150", len(ps))
	}
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	var js []ledger.Journal
	for i, p := range ps {
		js = append(js, ledger.Journal{ID: strconv.Itoa(i), PostedAt: at, Lines: []ledger.Line{
			{ID: "l", Account: p.Value, Memo: p.Value, PostedAt: at, Debit: -12345, Meta: []ledger.Value{{Text: p.Value}},
				VoidReason: p.Value, OriginalJournal: p.Value},
		}})
	}
	_, recs, _ := write(t, csvfile.Options{Meta: []string{"ref"}}, js...)
	if len(recs) != 1+len(ps) {
		t.Fatalf("read back %d records, want %d", len(recs), 1+len(ps))
	}
	for i, p := range ps {
		want := csvfile.ReferenceText(p.Value) // the documented rules, not Text's own functions
		for _, col := range []int{6, 9, 11, 12, 13} {
			got := recs[1+i][col]
			if got != want {
				t.Errorf("payload line %d column %d = %.60q, want %.60q", p.Line, col, got, want)
			}
			if csvfile.StartsLikeFormula(got) {
				t.Errorf("payload line %d column %d = %.60q still starts like a formula", p.Line, col, got)
			}
		}
		if csvtest.Verbatim[p.Class] && want != p.Value {
			t.Errorf("payload line %d (%s): Text changed %q to %q", p.Line, p.Class, p.Value, want)
		}
		if recs[1+i][7] != "-123.45" {
			t.Errorf("payload line %d debit = %q, want -123.45", p.Line, recs[1+i][7])
		}
	}
}
