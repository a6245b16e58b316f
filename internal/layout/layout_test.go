package layout_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
)

var bkk = time.FixedZone("ICT", 7*3600)

// rent is one balanced journal of two lines: a debit to rent expense and a credit to cash, the second with its own
// memo.
func rent() ledger.Journal {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC) // 10:04:05 in Bangkok
	return ledger.Journal{
		ID: "6b0ac2406b0c05b000000001", Book: "main", Memo: "ค่าเช่า, November", PostedAt: at, LineCount: 2,
		Lines: []ledger.Line{
			{ID: "l1", Account: "6100", PostedAt: at, Debit: 1500025},
			{ID: "l2", Account: "1000", PostedAt: at, Credit: 1500025, Memo: "=paid in cash"},
		},
	}
}

func csvOf(t *testing.T, lay layout.Layout, js ...ledger.Journal) string {
	t.Helper()
	var b bytes.Buffer
	w := csvfile.NewWriter(&b, csvfile.Options{Location: bkk, Layout: lay})
	for _, j := range js {
		if err := w.WriteJournal("2026-11-28", "e1", j); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(b.String(), csvfile.BOM)
}

// TestPresets pins each preset's header and one journal's rows byte for byte. A change to a preset's columns,
// headers, date format, sign convention or blank-zero rule fails here; so does a preset with no test.
func TestPresets(t *testing.T) {
	want := map[string]string{
		// Xero: the daily summary journal, one signed amount per account code, narrated with the date and the
		// detail file; codes and tax rates from the account map; no formula guard (an import evaluates no formula).
		"xero-manual-journal": "*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,TrackingOption1\r\n" +
			"\"Daily summary 28/11/2026, detail in ledger-export_2026-11-28.csv\",28/11/2026,6100,610,Tax Exempt,15000.25,,\r\n" +
			"\"Daily summary 28/11/2026, detail in ledger-export_2026-11-28.csv\",28/11/2026,1000,100,Tax Exempt,-15000.25,,\r\n",
		// QuickBooks Online: a debit or a credit, the other empty; the journal's reference (posting date and the end
		// of its id) as the journal number; account names from the map; Name from meta.customer; no formula guard.
		"quickbooks-journal-entry": "Journal No,Journal Date,Account Name,Debits,Credits,Description,Name\r\n" +
			"20261128-05b000000001,28/11/2026,Rent,15000.25,,\"ค่าเช่า, November\",\r\n" +
			"20261128-05b000000001,28/11/2026,Cash,,15000.25,=paid in cash,\r\n",
	}
	for _, name := range layout.PresetNames() {
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("preset %s has no pinned output", name)
			}
			// The presets read codes and names from an account map, and QuickBooks' Name from meta.customer.
			spec := `{"preset":"` + name + `","accountMapCSV":"account,code,name,tax_rate\n6100,610,Rent,Tax Exempt\n1000,100,Cash,Tax Exempt\n"}`
			lay, err := layout.Parse(spec, []string{"customer"})
			if err != nil {
				t.Fatalf("Parse(%s) = %v", name, err)
			}
			if got := csvOf(t, lay, rent()); got != w {
				t.Errorf("%s wrote\n%s\nwant\n%s", name, got, w)
			}
			if layout.Presets[name].Source == "" {
				t.Errorf("preset %s names no source template", name)
			}
		})
	}
}

// TestDefaultIsTodaysFile: LAYOUT=default, set explicitly, writes the default file byte for byte: the header and
// rows below are written out by hand from internal/csvfile/README.md (the fixed columns, void_reason and
// original_journal after voided, then meta.<field>; posted_at in RFC 3339 with the zone's offset; 0.00 written out;
// voided as true/false; the formula guard's apostrophe), not taken from the writer. A voided line carries its
// journal's void reason, and a Medici reversal its original journal's id. The default layout is written twice: as
// Parse returns it (the CSV writer's fast path) and as a copy of its columns that is not marked default (the
// generic path every other layout and the XLSX writer's columns take). Fails if the default layout's columns,
// headers, date format or zero rule differ from the documented file in any byte, on either path, or if the void
// columns are missing, misplaced, or read the line's fields without the journal's fallback.
func TestDefaultIsTodaysFile(t *testing.T) {
	meta := []string{"qty", "inv"}
	lay, err := layout.Parse("default", meta)
	if err != nil {
		t.Fatal(err)
	}
	j := rent()
	j.Lines[0].Meta = []ledger.Value{{Text: "3", Numeric: true}, {Text: "INV-7"}}
	j.Voided, j.VoidReason = true, "ซ้ำ, duplicate" // Medici marks the journal and its lines; the lines here rely on the journal's
	j.Lines[1].VoidReason = "line's own"
	rev := rent()
	rev.ID, rev.OriginalJournal, rev.Memo = "6b0ac2406b0c05b000000002", j.ID, "ซ้ำ, duplicate"
	rev.Lines = rev.Lines[:1]
	rev.Lines[0].ID, rev.Lines[0].Debit, rev.Lines[0].Credit = "r1", 0, 1500025
	want := "batch_date,entry_id,journal_id,line_id,posted_at,book,account,debit,credit,memo,voided,void_reason,original_journal,meta.qty,meta.inv\r\n" +
		"2026-11-28,e1,6b0ac2406b0c05b000000001,l1,2026-11-28T10:04:05+07:00,main,6100,15000.25,0.00,\"ค่าเช่า, November\",true,\"ซ้ำ, duplicate\",,3,INV-7\r\n" +
		"2026-11-28,e1,6b0ac2406b0c05b000000001,l2,2026-11-28T10:04:05+07:00,main,1000,0.00,15000.25,'=paid in cash,true,line's own,,,\r\n" +
		"2026-11-28,e1,6b0ac2406b0c05b000000002,r1,2026-11-28T10:04:05+07:00,main,6100,0.00,15000.25,\"ซ้ำ, duplicate\",false,,6b0ac2406b0c05b000000001,,\r\n"
	generic := layout.Layout{Name: "custom", Columns: lay.Columns, DateFormat: lay.DateFormat, BlankZero: lay.BlankZero}
	if generic.IsDefault() {
		t.Fatal("a copy of the default layout's columns is marked default: it would not take the generic path")
	}
	for _, c := range []struct {
		name string
		lay  layout.Layout
	}{{"default (fast path)", lay}, {"its columns (generic path)", generic}} {
		if got := csvWithMeta(t, c.lay, meta, j, rev); got != want {
			t.Errorf("LAYOUT=default, %s, wrote\n%s\nwant the documented file\n%s", c.name, got, want)
		}
	}
	if h := strings.Join(lay.Header(), ","); h != strings.Join(csvfile.Header(meta), ",") {
		t.Errorf("default header %s, want %s", h, strings.Join(csvfile.Header(meta), ","))
	}
}

// csvWithMeta writes journals as function/wire.go does: the meta columns both as the CSV writer's Meta and in the
// layout.
func csvWithMeta(t *testing.T, lay layout.Layout, meta []string, js ...ledger.Journal) string {
	t.Helper()
	var b bytes.Buffer
	w := csvfile.NewWriter(&b, csvfile.Options{Location: bkk, Layout: lay, Meta: meta})
	for _, j := range js {
		if err := w.WriteJournal("2026-11-28", "e1", j); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(b.String(), csvfile.BOM)
}

// TestCustomLayout: a JSON layout with renamed headers, a meta column, a constant, the journal number, voided and
// an RFC 3339-free date format. Fails if a field is rendered from the wrong source.
func TestCustomLayout(t *testing.T) {
	spec := `{"columns":[{"header":"Ref","field":"journal_no"},{"header":"When","field":"posted_at"},` +
		`{"header":"Acct","field":"account"},{"header":"Net","field":"amount"},{"header":"Inv","field":"meta.inv"},` +
		`{"header":"Rate","field":"const","value":"7%"},{"header":"Void","field":"voided"},{"header":"Book","field":"book"}],` +
		`"dateFormat":"2006-01-02 15:04"}`
	lay, err := layout.Parse(spec, []string{"qty", "inv"})
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	j := rent()
	j.Lines[0].Meta = []ledger.Value{{Text: "3", Numeric: true}, {Text: "INV-7"}}
	j2 := rent()
	j2.Voided = true
	got := csvOf(t, lay, j, j2)
	want := "Ref,When,Acct,Net,Inv,Rate,Void,Book\r\n" +
		"20261128-000001,2026-11-28 10:04,6100,15000.25,INV-7,7%,false,main\r\n" +
		"20261128-000001,2026-11-28 10:04,1000,-15000.25,,7%,false,main\r\n" +
		"20261128-000002,2026-11-28 10:04,6100,15000.25,,7%,true,main\r\n" +
		"20261128-000002,2026-11-28 10:04,1000,-15000.25,,7%,true,main\r\n"
	if got != want {
		t.Errorf("custom layout wrote\n%s\nwant\n%s", got, want)
	}
}

// TestBadLayoutsAreRefused: each problem is named, all at once. Fails if a bad layout is accepted.
func TestBadLayoutsAreRefused(t *testing.T) {
	tests := []struct{ spec, want string }{
		{`{"columns":[{"header":"A","field":"acount"}]}`, `column 1 ("A"): unknown field "acount"`},
		{`{"columns":[{"header":"Ref","field":"journal_id"},{"header":"REF","field":"line_id"}]}`, `column 2 ("REF"): duplicate header "REF"`},
		{`{"columns":[{"header":"","field":"line_id"}]}`, "column 1 has no header"},
		{`{"columns":[{"header":"a\nb","field":"line_id"}]}`, "control character"},
		{`{"columns":[{"header":"D","field":"posted_at"}],"dateFormat":"15:04"}`, `date format "15:04" loses the date`},
		{`{"columns":[{"header":"D","field":"posted_at"}],"dateFormat":"02/01"}`, `loses the date`},
		{`{"columns":[{"header":"D","field":"posted_at"}],"dateFormat":"Jan 2006"}`, `loses the date`},
		{`{"columns":[{"header":"D","field":"posted_at"}],"dateFormat":"dd/mm/yyyy"}`, `loses the date`},
		{`{"columns":[{"header":"M","field":"meta.inv"}]}`, `meta field "inv" is not in META_COLUMNS`},
		{`{"columns":[{"header":"M","field":"memo","value":"x"}]}`, "only a const column has a value"},
		{`{"columns":[]}`, "has no columns"},
		{`{"columns":[{"header":"A","field":"memo"}],"sort":"x"}`, "is not a layout object"},
		{`{"columns":[{"header":"A","field":"memo"}]} {}`, "text after the layout object"},
		{`sage-50`, `"sage-50" is not default, a preset (quickbooks-journal-entry, xero-manual-journal)`},
	}
	for _, tt := range tests {
		_, err := layout.Parse(tt.spec, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", tt.spec, err, tt.want)
		}
	}
	// Every problem of one layout is reported, not only the first.
	_, err := layout.Parse(`{"columns":[{"header":"A","field":"x"},{"header":"A","field":"memo"}],"dateFormat":"15"}`, nil)
	if err == nil || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("a layout with three problems = %v, want all three", err)
	}
}

// TestExcelDateFormat: the layout's Go date format becomes the XLSX number format of posted_at. Fails if 01 (the
// month) and 04 (the minute) are confused, a 4-digit year is read as smaller elements, a month or day name gets
// another code (January as mmm, Monday as ddd), 03, _2 or pm are not translated, or a letter without a code is
// not escaped as literal text.
func TestExcelDateFormat(t *testing.T) {
	tests := map[string]string{
		"":                    "yyyy-mm-dd hh:mm:ss",
		"02/01/2006":          "dd/mm/yyyy",
		"2006-01-02 15:04:05": "yyyy-mm-dd hh:mm:ss",
		"2 Jan 06":            "d mmm yy",
		"01/02/2006 3:04 PM":  "mm/dd/yyyy h:mm AM/PM",
		// Month and day names, the 12-hour clock with a leading zero, the space-padded day, lower-case pm.
		"Monday, 2 January 2006 03:04:05 pm": "dddd, d mmmm yyyy hh:mm:ss am/pm",
		"Mon _2 Jan 15:04":                   "ddd d mmm hh:mm",
		// Letters with no Excel code stay literal text.
		"2006-01-02T15:04": `yyyy-mm-dd\Thh:mm`,
	}
	for in, want := range tests {
		if got := (layout.Layout{DateFormat: in}).ExcelDateFormat(); got != want {
			t.Errorf("ExcelDateFormat(%q) = %q, want %q", in, got, want)
		}
	}
}
