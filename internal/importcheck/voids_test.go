package importcheck_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/importcheck"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

// records reads a CSV file back with encoding/csv and returns its rows as maps from header name to cell.
func records(t *testing.T, file []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("read the file back: %v", err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// rat reads a decimal amount ("" is zero).
func rat(t *testing.T, s string) *big.Rat {
	t.Helper()
	if s == "" {
		return new(big.Rat)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("amount %q", s)
	}
	return r
}

// sum adds decimal amounts.
func sum(t *testing.T, ss ...string) string {
	t.Helper()
	total := new(big.Rat)
	for _, s := range ss {
		total.Add(total, rat(t, s))
	}
	return total.FloatString(2)
}

// demoIDs are the ids of the demo's voided journals and of their reversals (journals naming _original_journal).
func demoIDs(d demo.Data) (voided, reversals []string) {
	voided = voidedIDs(d)
	for _, j := range d.Journals {
		var id primitive.ObjectID
		rev := false
		for _, e := range j.(bson.D) {
			switch e.Key {
			case "_id":
				id = e.Value.(primitive.ObjectID)
			case "_original_journal":
				rev = true
			}
		}
		if rev {
			reversals = append(reversals, id.Hex())
		}
	}
	return voided, reversals
}

// checkVoidTotals checks the summary's void figures against each other: live, voided and reversals add up to the
// totals, and each reversal swaps its voided journal's debits and credits.
func checkVoidTotals(t *testing.T, s *export.Summary) {
	t.Helper()
	v := s.Voids
	if v == nil || v.Voided != 3 || v.Reversals != 3 {
		t.Fatalf("summary voids = %+v, want 3 voided journals and 3 reversals", v)
	}
	if got := sum(t, v.LiveDebit, v.VoidedDebit, v.ReversalDebit); got != rat(t, s.DebitTotal).FloatString(2) {
		t.Errorf("live + voided + reversal debits = %s, want the debit total %s", got, s.DebitTotal)
	}
	if got := sum(t, v.LiveCredit, v.VoidedCredit, v.ReversalCredit); got != rat(t, s.CreditTotal).FloatString(2) {
		t.Errorf("live + voided + reversal credits = %s, want the credit total %s", got, s.CreditTotal)
	}
	if v.VoidedDebit != v.ReversalCredit || v.VoidedCredit != v.ReversalDebit || v.VoidedDebit == "0.00" {
		t.Errorf("voided %s/%s, reversals %s/%s: a reversal must swap its journal's debits and credits", v.VoidedDebit, v.VoidedCredit, v.ReversalDebit, v.ReversalCredit)
	}
}

// TestDemoVoidsInEveryLayout exports the demo day with voids made the Medici way (what make run seeds) through the
// real export.Runner in the default CSV, the default XLSX and both presets. The default file keeps every voided
// journal and its reversal, marked (voided true with the reason; the reversal's original_journal naming it), and
// its lines add up to the summary's totals; the presets leave the three pairs out together, list all six in the
// summary and count them as exported (as CSV and as XLSX), and their lines add up to the totals less the left-out
// ones. In every format the summary's live, voided and reversal amounts add up to its totals. It fails if the
// default file drops or does not mark a void, a preset posts a voided pair or leaves it out unlisted, the summary
// lumps the voids in with the rest, or the figures do not reconcile.
func TestDemoVoidsInEveryLayout(t *testing.T) {
	d := demoData(true)
	voided, reversals := demoIDs(d)
	if len(voided) != 3 || len(reversals) != 3 {
		t.Fatalf("demo: %d voided journals and %d reversals, want 3 and 3", len(voided), len(reversals))
	}
	t.Run("default csv", func(t *testing.T) {
		file, rep, err := runExport(t, d, csvFormat(layout.Layout{}))
		if err != nil {
			t.Fatal(err)
		}
		s := rep.Summary
		checkVoidTotals(t, s)
		if s.EntriesLeftOut != 0 || len(s.LeftOut) != 0 || s.Voids.LeftOutDebit != "0.00" {
			t.Errorf("the default file left out %d entries %v", s.EntriesLeftOut, s.LeftOut)
		}
		var debit, credit, vDebit, rDebit []string
		marked, reversing := 0, 0
		for _, r := range records(t, file) {
			debit, credit = append(debit, r["debit"]), append(credit, r["credit"])
			switch {
			case slices.Contains(voided, r["journal_id"]):
				marked++
				vDebit = append(vDebit, r["debit"])
				if r["voided"] != "true" || r["void_reason"] != demo.VoidReason || r["original_journal"] != "" {
					t.Errorf("voided journal's row = %v, want voided true with the reason", r)
				}
			case slices.Contains(reversals, r["journal_id"]):
				reversing++
				rDebit = append(rDebit, r["debit"])
				if r["voided"] != "false" || !slices.Contains(voided, r["original_journal"]) {
					t.Errorf("reversal's row = %v, want original_journal naming a voided journal", r)
				}
			default:
				if r["voided"] != "false" || r["void_reason"] != "" || r["original_journal"] != "" {
					t.Errorf("live row = %v, want no void marks", r)
				}
			}
		}
		if marked != 7 || reversing != 7 {
			t.Errorf("the file holds %d voided lines and %d reversal lines, want 7 and 7", marked, reversing)
		}
		if got := sum(t, debit...); got != s.DebitTotal || sum(t, credit...) != s.CreditTotal {
			t.Errorf("the file's lines add up to %s/%s, the summary says %s/%s", got, sum(t, credit...), s.DebitTotal, s.CreditTotal)
		}
		if sum(t, vDebit...) != s.Voids.VoidedDebit || sum(t, rDebit...) != s.Voids.ReversalDebit {
			t.Errorf("the file's voided/reversal debits %s/%s, the summary says %s/%s", sum(t, vDebit...), sum(t, rDebit...), s.Voids.VoidedDebit, s.Voids.ReversalDebit)
		}
	})
	t.Run("default xlsx", func(t *testing.T) {
		file, rep, err := runExport(t, d, xlsxfile.Format(xlsxfile.Options{Layout: layout.Default(meta), Location: bench.Zone}))
		if err != nil {
			t.Fatal(err)
		}
		checkVoidTotals(t, rep.Summary)
		reasons, originals := 0, 0
		for _, r := range records(t, sheetCSV(t, file)) {
			if r["void_reason"] == demo.VoidReason && slices.Contains(voided, r["journal_id"]) {
				reasons++
			}
			if slices.Contains(voided, r["original_journal"]) && slices.Contains(reversals, r["journal_id"]) {
				originals++
			}
		}
		if reasons != 7 || originals != 7 {
			t.Errorf("the sheet marks %d voided lines with the reason and %d reversal lines with the original, want 7 and 7", reasons, originals)
		}
	})
	for _, tc := range []struct {
		name  string
		check func([]byte) []importcheck.Problem
	}{
		{"xero-manual-journal", xeroOrg.Check},
		{"quickbooks-journal-entry", qboOrg.Check},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file, rep, err := runExport(t, d, csvFormat(preset(t, tc.name, "")))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.check(file) {
				t.Errorf("%s", p)
			}
			s := rep.Summary
			checkVoidTotals(t, s)
			// The layout README's figures come from this log.
			js, _ := json.Marshal(struct {
				Voids          *export.VoidTotals `json:"voids"`
				EntriesLeftOut int64              `json:"entriesLeftOut"`
				LeftOut        []export.LeftOut   `json:"leftOut"`
			}{s.Voids, s.EntriesLeftOut, s.LeftOut[:min(len(s.LeftOut), 2)]})
			t.Logf("%s summary: debitTotal %s, %s", tc.name, s.DebitTotal, js)
			if s.EntriesLeftOut != 6 || len(s.LeftOut) != 6 {
				t.Fatalf("summary left out %d entries, listed %v; want the 3 pairs", s.EntriesLeftOut, s.LeftOut)
			}
			var ids []string
			for _, o := range s.LeftOut {
				ids = append(ids, o.JournalID)
				if o.Reason == "" || o.EntryID == "" {
					t.Errorf("left out %+v without its entry or why", o)
				}
			}
			slices.Sort(ids)
			want := slices.Sorted(slices.Values(append(slices.Clone(voided), reversals...)))
			if !slices.Equal(ids, want) {
				t.Errorf("left out journals %v, want the voided ones and their reversals %v", ids, want)
			}
			if s.EntriesExported != int64(d.Valid) {
				t.Errorf("entries exported = %d, want all %d valid ones, the left-out pairs included", s.EntriesExported, d.Valid)
			}
			if got := sum(t, s.Voids.VoidedDebit, s.Voids.ReversalDebit); got != s.Voids.LeftOutDebit {
				t.Errorf("left-out debit %s, want the voided and reversal debits %s (every pair is in the file)", s.Voids.LeftOutDebit, got)
			}
			// The same as a workbook: the XLSX writer hands over the same left-out journals.
			_, xrep, err := runExport(t, d, xlsxfile.Format(xlsxfile.Options{Layout: preset(t, tc.name, ""), Location: bench.Zone}))
			if err != nil {
				t.Fatal(err)
			}
			if x := xrep.Summary; x.EntriesLeftOut != 6 || x.Voids == nil || *x.Voids != *s.Voids {
				t.Errorf("as XLSX: %d left out, voids %+v; want those of the CSV, %+v", x.EntriesLeftOut, x.Voids, s.Voids)
			}
			if tc.name == "quickbooks-journal-entry" {
				var debit []string
				for _, r := range records(t, file) {
					debit = append(debit, r["Debits"])
				}
				if got, want := sum(t, debit...), sum(t, s.DebitTotal, "-"+s.Voids.LeftOutDebit); got != want {
					t.Errorf("the file's debits add up to %s, want the total less the left-out journals, %s", got, want)
				}
			}
		})
	}
}

// writeDay writes one date's file as the export's encoder does, from demo documents: the queue entries given, read
// and assembled by medici.Memory with the export's mapper, each journal checked and written in queue order.
func writeDay(t *testing.T, date string, queue, journals, lines []any, f export.Format) []byte {
	t.Helper()
	m := memoryQueue(t, queue, journals, lines)
	var b bytes.Buffer
	enc := f.NewEncoder(&b, date)
	err := m.Read(context.Background(), export.Batch{Date: date}, func(page []export.Entry) error {
		for _, e := range page {
			err := e.Err
			if err == nil {
				err = e.Journal.Check()
			}
			if err == nil {
				err = enc.WriteJournal(date, e.ID, e.Journal)
			}
			if err != nil && !errors.Is(err, ledger.ErrRejected) {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = enc.Close()
	}
	if err != nil {
		t.Fatalf("write %s: %v", date, err)
	}
	return b.Bytes()
}

// movements adds up each account's movement in an import file, debit positive, from its bytes alone: Xero's
// *AccountCode and *Amount, or QuickBooks' Account Name, Debits and Credits.
func movements(t *testing.T, file []byte) map[string]*big.Rat {
	t.Helper()
	out := map[string]*big.Rat{}
	for _, r := range records(t, file) {
		acct, amt := r["*AccountCode"], rat(t, r["*Amount"])
		if acct == "" {
			acct, amt = r["Account Name"], new(big.Rat).Sub(rat(t, r["Debits"]), rat(t, r["Credits"]))
		}
		if out[acct] == nil {
			out[acct] = new(big.Rat)
		}
		out[acct].Add(out[acct], amt)
	}
	return out
}

// plus adds the movements of files, leaving out accounts that net to zero.
func plus(ms ...map[string]*big.Rat) map[string]string {
	total := map[string]*big.Rat{}
	for _, m := range ms {
		for k, v := range m {
			if total[k] == nil {
				total[k] = new(big.Rat)
			}
			total[k].Add(total[k], v)
		}
	}
	out := map[string]string{}
	for k, v := range total {
		if v.Sign() != 0 {
			out[k] = v.FloatString(2)
		}
	}
	return out
}

// split is a demo day with one journal voided the Medici way, cut into the views the void policy's rows need.
type split struct {
	journals, lines []any // the ledger after the void
	live            []any // the journals as they were before the void (the voided one live)
	liveLines       []any
	before          []any // the day's queue without the reversal's entry
	reversal        []any // the reversal's queue entry alone
	all             []any // the whole queue
}

func splitDemo(t *testing.T) split {
	t.Helper()
	d := demo.Generate(demo.Options{Journals: 24, Seed: 11, From: bench.Cutoff.Add(-24 * time.Hour), To: bench.Cutoff.Add(-time.Minute), MediciVoids: true})
	voided, reversals := demoIDs(d)
	if len(voided) != 1 || len(reversals) != 1 {
		t.Fatalf("demo of 24 journals: %d voided, %d reversals, want 1 and 1", len(voided), len(reversals))
	}
	s := split{journals: d.Journals, lines: d.Transactions, all: d.Queue}
	for _, q := range d.Queue {
		if ref, _ := field(q, "entryId").(primitive.ObjectID); ref.Hex() == reversals[0] {
			s.reversal = append(s.reversal, q)
		} else {
			s.before = append(s.before, q)
		}
	}
	unvoid := func(docs []any, key string) []any {
		var out []any
		for _, doc := range docs {
			id, _ := field(doc, key).(primitive.ObjectID)
			if id.Hex() != voided[0] {
				out = append(out, doc)
				continue
			}
			var c bson.D
			for _, e := range doc.(bson.D) {
				switch e.Key {
				case "void_reason":
					continue
				case "voided":
					e.Value = false
				}
				c = append(c, e)
			}
			out = append(out, c)
		}
		return out
	}
	s.live, s.liveLines = unvoid(d.Journals, "_id"), unvoid(d.Transactions, "_journal")
	return s
}

func field(doc any, key string) any {
	for _, e := range doc.(bson.D) {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// TestVoidPolicyFilesImport walks the rows of the void policy (internal/layout/README.md) with each preset on
// files written by the export's encoder from demo documents (the mapper reading void_reason and
// _original_journal), checks every file against the package's rules, and adds the files' movements up as the
// package would. The day with the pair in it, pair left out, is the reference: the voided journal and its
// reversal net to zero, so whatever dates they fall on, once both are exported the package must hold exactly the
// reference's movements. It fails if a file breaks the package's rules, if a voided journal whose reversal comes
// in a later file is left out (the reversal would then reverse nothing) or a lone reversal is dropped (the
// journal exported live earlier would stay), or if a date re-exported after the void writes other lines.
func TestVoidPolicyFilesImport(t *testing.T) {
	s := splitDemo(t)
	next := bench.Cutoff.Add(24 * time.Hour).In(bench.Zone).Format(time.DateOnly)
	for _, tc := range []struct {
		name  string
		check func([]byte) []importcheck.Problem
	}{
		{"xero-manual-journal", xeroOrg.Check},
		{"quickbooks-journal-entry", qboOrg.Check},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := csvFormat(preset(t, tc.name, ""))
			write := func(date string, queue, journals, lines []any) []byte {
				b := writeDay(t, date, queue, journals, lines, f)
				for _, p := range tc.check(b) {
					t.Errorf("%s file: %s", date, p)
				}
				return b
			}
			// Row 1: the pair in one file, left out together. The reference.
			ref := write(bench.Date, s.all, s.journals, s.lines)
			want := plus(movements(t, ref))
			// Row 2: the void came after the day's cutoff (so did its reversal): the day's file posts the journal
			// as it stood, and the next day's file posts the reversal.
			day1 := write(bench.Date, s.before, s.journals, s.lines)
			day2 := write(next, s.reversal, s.journals, s.lines)
			if got := plus(movements(t, day1), movements(t, day2)); !mapsEqual(got, want) {
				t.Errorf("voided journal, reversal the next day: the package holds %v after both files, want %v", got, want)
			}
			if len(plus(movements(t, day2))) == 0 {
				t.Errorf("the next day's file posts nothing: the reversal was dropped")
			}
			// Row 3: the journal was exported live on its day; the next day's file reverses it.
			live := write(bench.Date, s.before, s.live, s.liveLines)
			if got := plus(movements(t, live), movements(t, day2)); !mapsEqual(got, want) {
				t.Errorf("journal exported live, reversal the next day: the package holds %v, want %v", got, want)
			}
			// Row 4: a date re-exported after the void writes the lines it wrote before (the voided journal's
			// lines come last: the importer holds a voided journal to the end, looking for its reversal).
			if a, b := sortedLines(live), sortedLines(day1); a != b {
				t.Errorf("the day's file changed with the void:\n%s\nwas\n%s", day1, live)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// sortedLines is a file's lines in sorted order.
func sortedLines(file []byte) string {
	lines := strings.Split(string(file), "\r\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
