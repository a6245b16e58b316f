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
