package csvfile_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/ledger"
)

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"thai memo unchanged", "ค่าเช่าสำนักงาน", "ค่าเช่าสำนักงาน"},
		{"formula", `=HYPERLINK("http://x")`, `'=HYPERLINK("http://x")`},
		{"phone number kept as text", "+66812345678", "'+66812345678"},
		{"minus in a memo", "-refund", "'-refund"},
		{"at sign", "@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"leading tab", "\t=1", "'\t=1"},
		{"leading CR", "\r=1", "'\r=1"},
		{"leading spaces then formula", "  =1+1", "'  =1+1"},
		{"full-width equals", "＝1+1", "'＝1+1"},
		{"dde", `=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`},
		{"inner equals untouched", "a=b", "a=b"},
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
	want := "\ufeffbatch_date,entry_id,journal_id,line_id,posted_at,book,account,debit,credit,memo,voided,meta.invoice,meta.qty\r\n" +
		"2026-11-28,q1,j1,l1,2026-11-28T10:04:05+07:00,main,Expenses:Rent,15000.00,0.00,\"ค่าเช่า, \"\"office\"\"\r\nline two\",false,INV-1,-5\r\n" +
		"2026-11-28,q1,j1,l2,2026-11-28T10:04:05+07:00,main,'=Assets:Cash,0.00,15000.00,'-cash,true,,\r\n"
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
	for range 200 {
		_ = w.WriteJournal("2026-11-28", "q1", sampleJournal())
	}
	if err := w.Close(); err == nil {
		t.Errorf("Close() = nil after the underlying writer failed, want an error")
	}
}
