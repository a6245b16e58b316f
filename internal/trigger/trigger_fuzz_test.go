package trigger_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/trigger"
)

// FuzzParse sends any body and schedule header through an httptest request. Parse never panics; it refuses with a
// *trigger.Error of status 400 or 413, whose message never echoes the whole input, or it returns a request that
// honours every limit: a body within MaxBody that is one JSON object with only known fields, and a valid date.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"date":"2026-11-28","dryRun":false}`), "")
	f.Add([]byte(`{"dryRun":true}`), "2026-11-28T11:00:00Z")
	f.Add([]byte(`{"date":"2026-11-28","clearFailure":true}`), "")
	f.Add([]byte(`{"date":"2026-11-28","reexport":true,"reason":"VAT line fixed","retryFailed":true}`), "")
	f.Add([]byte(`{"date":"2026-11-28","reexport":true,"reason":"a\u0007b"}`), "")
	f.Add([]byte(`{"date":"2026-11-28","retryFailed":true}`), "")
	f.Add([]byte(`{"Date":"2026-11-28","DRYRUN":true}`), "")
	f.Add([]byte(`{"date":"2026-11-28","x":1}`), "")
	f.Add([]byte(`{"date":"2026-02-30"}`), "")
	f.Add([]byte(`{"date":"2026-11-28"} {}`), "")
	f.Add([]byte(`{"date":"2026-11-28","date":"9999-01-01"}`), "")
	f.Add([]byte(""), "2026-11-28T18:00:00+07:00")
	f.Add([]byte(""), "9999-12-31T23:59:59Z")
	f.Add([]byte("\xef\xbb\xbf{}"), "")
	f.Add(bytes.Repeat([]byte(" "), trigger.MaxBody+1), "")
	// The edges of the years 2000 to 2099, in UTC, and values just over the echo limits.
	for _, h := range []string{"1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z", "2000-01-01T06:59:59+07:00",
		"2099-12-31T23:59:59Z", "2100-01-01T06:59:59+07:00", "2100-01-01T00:00:00Z", strings.Repeat("ก", 20)} {
		f.Add([]byte(""), h)
	}
	f.Add([]byte(`{"date":"`+strings.Repeat("9", 41)+`"}`), "")
	f.Add([]byte(`{"`+strings.Repeat("k", 200)+`":1}`), "")
	f.Fuzz(func(t *testing.T, body []byte, schedule string) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if schedule != "" {
			// Header values travel as bytes; the map keeps any of them, as a server would hand them over. The key
			// must be canonical, or Header.Get never finds it (it was not, and the header was never fuzzed).
			r.Header[http.CanonicalHeaderKey(trigger.ScheduleTimeHeader)] = []string{schedule}
		}
		got, err := trigger.Parse(r)
		if len(bytes.TrimSpace(body)) == 0 && schedule != "" && len(schedule) <= 64 {
			// Without a body, a schedule time of 2000 to 2099 (in UTC) must be accepted.
			if at, perr := time.Parse(time.RFC3339, schedule); perr == nil && at.UTC().Year() >= 2000 && at.UTC().Year() <= 2099 && err != nil {
				t.Fatalf("Parse refused the schedule time %q: %v", schedule, err)
			}
		}
		if err != nil {
			var te *trigger.Error
			if !errors.As(err, &te) {
				t.Fatalf("Parse error = %T %v, want *trigger.Error", err, err)
			}
			if te.Status != http.StatusBadRequest && te.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("Parse status = %d, want 400 or 413", te.Status)
			}
			checkEcho(t, te.Msg, schedule)
			return
		}
		if len(body) > trigger.MaxBody {
			t.Fatalf("Parse accepted a body of %d bytes, more than MaxBody", len(body))
		}
		if got.Date != "" {
			if err := trigger.CheckDate(got.Date); err != nil {
				t.Fatalf("Parse returned the date %q that CheckDate refuses: %v", got.Date, err)
			}
			if d, err := time.Parse(time.DateOnly, got.Date); err != nil || d.Format(time.DateOnly) != got.Date {
				t.Fatalf("Parse returned the date %q, not a canonical calendar date", got.Date)
			}
		}
		if y := got.At.UTC().Year(); !got.At.IsZero() && (y < 2000 || y > 2099) {
			t.Fatalf("Parse returned the schedule time %v, outside the years 2000 to 2099", got.At)
		}
		if got.ClearFailure && got.Date == "" {
			t.Fatalf("Parse returned clearFailure without a date")
		}
		if x := got.Reexport; x != nil {
			// A re-export names its date, is no dry run, and carries a checked reason and no caller.
			if got.Date == "" || got.DryRun || got.ClearFailure || x.By != "" {
				t.Fatalf("Parse returned the re-export %+v of %+v", x, got)
			}
			if r, err := export.CheckReason(x.Reason); err != nil || r != x.Reason {
				t.Fatalf("Parse returned the reason %q that CheckReason gives as %q, %v", x.Reason, r, err)
			}
		}
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 {
			// An accepted body is one JSON object whose keys all name known fields (matched without case, as
			// encoding/json does).
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(trimmed, &fields); err != nil {
				t.Fatalf("Parse accepted %q, which is not one JSON object: %v", body, err)
			}
			for k := range fields {
				switch strings.ToLower(k) {
				case "date", "dryrun", "clearfailure", "reexport", "reason", "retryfailed":
				default:
					t.Fatalf("Parse accepted %q with the unknown field %q", body, k)
				}
			}
		}
	})
}

// FuzzCheckDate checks that CheckDate accepts exactly the canonical YYYY-MM-DD dates of 2000 to 2099.
func FuzzCheckDate(f *testing.F) {
	for _, s := range []string{"2026-11-28", "2026-02-29", "2024-02-29", "1999-12-31", "2100-01-01", "0000-00-00",
		"2026-1-28", "２０２６-11-28", "2026-11-28\n", " 2026-11-28", "", "2000-01-01", "2099-12-31", strings.Repeat("ก", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := trigger.CheckDate(s)
		d, perr := time.Parse(time.DateOnly, s)
		want := perr == nil && d.Format(time.DateOnly) == s && d.Year() >= 2000 && d.Year() <= 2099
		if (err == nil) != want {
			t.Fatalf("CheckDate(%q) = %v, want accepted %v", s, err, want)
		}
		if err != nil {
			checkEcho(t, err.Error(), "")
		}
	})
}
