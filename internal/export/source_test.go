package export_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// TestFormatLoadIsReadByEveryAttempt: a format with Load (an import layout's account map in the export folder)
// makes the file with the format Load returns, read anew by each run, and the summary names the map's version and
// the date's window in its zone. A map the accountant must fix fails the run with ClassAccountMap, which is not
// permanent (a retry after the fix exports). It fails if the run kept the configured format (the map would never
// be read), read the map once per process (an edit would not be seen), lost the source from the summary, or
// blocked the date on a missing map.
func TestFormatLoadIsReadByEveryAttempt(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, bkk)
	r := runner(bkk)
	r.Now = func() time.Time { return time.Date(2026, 11, 29, 9, 0, 0, 0, bkk) }
	r.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	r.Queue = listQueue{entries: []export.Entry{{ID: "e1", JournalID: "j1", Journal: ledger.Journal{ID: "j1", PostedAt: at, LineCount: -1,
		Lines: []ledger.Line{{ID: "a", Account: "Cash", Debit: 100, PostedAt: at}, {ID: "b", Account: "Sales", Credit: 100, PostedAt: at}}}}}}
	var got strings.Builder
	version, loads := int64(0), 0
	var loadErr error
	configured := func(w io.Writer, _ string) export.Encoder {
		return &recorder{w: writerFunc(func(p []byte) { got.WriteString("configured ") })}
	}
	r.Format = export.Format{Extension: "rec", NewEncoder: configured, Load: func(context.Context) (export.Format, *export.Source, error) {
		loads++
		if loadErr != nil {
			return export.Format{}, nil, loadErr
		}
		v := version
		return export.Format{Extension: "rec", NewEncoder: func(w io.Writer, _ string) export.Encoder {
				return &recorder{w: io.MultiWriter(w, writerFunc(func(p []byte) { fmt.Fprintf(&got, "v%d %s", v, p) }))}
			}}, &export.Source{Name: "account-map", Kind: "Google Sheet", Version: v, SHA256: fmt.Sprintf("%064d", v)},
			nil
	}}
	for _, v := range []int64{7, 8} {
		version = v
		got.Reset()
		rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28", DryRun: true})
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
		if want := fmt.Sprintf("v%d journal 2026-11-28 e1 j1\nv%d close\n", v, v); got.String() != want {
			t.Errorf("the file was made as %q; want %q (the format Load returned)", got.String(), want)
		}
		s := rep.Summary
		if s.AccountMap == nil || s.AccountMap.Version != v || s.WindowFrom != "2026-11-27 18:00" || s.WindowTo != "2026-11-28 18:00" || s.TimeZone != "Asia/Bangkok" {
			t.Errorf("summary map %+v, window [%s, %s) %s; want version %d and [2026-11-27 18:00, 2026-11-28 18:00) Asia/Bangkok",
				s.AccountMap, s.WindowFrom, s.WindowTo, s.TimeZone, v)
		}
	}
	if loads != 2 {
		t.Errorf("Load ran %d times for 2 runs", loads)
	}
	loadErr = fmt.Errorf("%w: no Google Sheet or CSV named \"account-map\" in the export folder", export.ErrAccountMap)
	_, err := r.Run(t.Context(), export.Request{Date: "2026-11-28", DryRun: true})
	var e *export.Error
	if !errors.As(err, &e) || e.Class != export.ClassAccountMap || e.Permanent() || !strings.Contains(err.Error(), `named "account-map"`) {
		t.Errorf("Run with no map = %v; want a retryable account_map failure naming the map", err)
	}
}

// TestDescribe: the Drive description carries the window with its zone, the counts, the totals, the voids apart,
// the pairs left out, the map's version and each failure, and stays within its bound on a day of many failures with Thai reasons, cut on a
// character boundary, with the count of those left out. It fails if a field were left out, the bound ignored
// (Drive refuses an over-long description and the finalize would fail), or a cut split a Thai character.
func TestDescribe(t *testing.T) {
	s := export.Summary{Date: "2026-12-06", Generation: 2, WindowFrom: "2026-12-05 18:00", WindowTo: "2026-12-06 18:00", TimeZone: "Asia/Bangkok",
		EntriesExported: 296, EntriesFailed: 4, EntriesLate: 1, Rows: 788, DebitTotal: "2,805,476.35", CreditTotal: "2,805,476.35",
		AccountMap:     &export.Source{Name: "account-map", Kind: "Google Sheet", Version: 12, SHA256: "abcdef0123456789" + strings.Repeat("0", 48)},
		Failures:       []export.Failure{{EntryID: "e1", Reason: "account Expenses:Gifts has no row in the account map"}},
		Voids:          &export.VoidTotals{Voided: 3, VoidedDebit: "53,179.73", VoidedCredit: "53,179.73", Reversals: 3, ReversalDebit: "53,179.73", ReversalCredit: "53,179.73"},
		EntriesLeftOut: 6}
	d := export.Describe(s)
	for _, want := range []string{"ledger-export 2026-12-06, generation 2", "Window: [2026-12-05 18:00, 2026-12-06 18:00) Asia/Bangkok",
		"Entries: 296 exported, 4 failed, 1 late arrivals", "Rows: 788", "Totals: debit 2,805,476.35, credit 2,805,476.35",
		"Account map: account-map (Google Sheet, Drive version 12, sha256 abcdef012345)",
		"- e1: account Expenses:Gifts has no row in the account map", "… and 3 more",
		"Voids: 3 voided journals (debit 53,179.73, credit 53,179.73), 3 reversals (debit 53,179.73, credit 53,179.73), in the totals",
		"Left out on purpose: 6 entries (a voided journal and its reversal, which net to zero)"} {
		if !strings.Contains(d, want) {
			t.Errorf("description lacks %q:\n%s", want, d)
		}
	}
	s.Failures = nil
	for i := range 200 {
		s.Failures = append(s.Failures, export.Failure{EntryID: fmt.Sprintf("e%03d", i), Reason: "บัญชีไม่มีในผังบัญชี " + strings.Repeat("ก", 20)})
	}
	s.EntriesFailed = 250
	d = export.Describe(s)
	if len(d) > 4000 || !utf8.ValidString(d) || !strings.Contains(d, "- e000: ") || strings.Contains(d, "- e199: ") {
		t.Errorf("description of 250 failures: %d bytes, valid UTF-8 %v", len(d), utf8.ValidString(d))
	}
	if !strings.Contains(d, "more (see the run's summary)") {
		t.Errorf("a cut description does not say how many failures it left out:\n%s", d[len(d)-200:])
	}
}
