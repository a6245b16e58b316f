// Package trigger turns an HTTP call — from Cloud Scheduler, gcloud functions call or curl — into an export
// request, and refuses anything else with a clear message.
//
// Its limits: the body is at most MaxBody bytes and holds one JSON object with no fields but date, dryRun,
// clearFailure, reexport, reason and retryFailed; a re-export's reason is at most export.MaxReasonLength (500)
// characters with no control character; a
// date is a real calendar date written YYYY-MM-DD between 2000-01-01 and 2099-12-31; the Cloud Scheduler header is
// an RFC 3339 time of at most 64 bytes in the same years. A refusal quotes at most 40 bytes of a refused value and
// 100 bytes of a JSON error.
// Whether a date may run now (its cutoff has passed, and it lies within BACKFILL_WINDOW) is the export's check,
// against the clock.
package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/export"
)

// MaxBody caps the request body; a real request is under 100 bytes.
const MaxBody = 4 << 10

// ScheduleTimeHeader is the header Cloud Scheduler sets to the job's scheduled time. It stays the same across the
// retries of one scheduled run, so every retry names the same batch date.
const ScheduleTimeHeader = "X-CloudScheduler-ScheduleTime"

// Error is a request refused, with the status to answer.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func bad(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

var dateShape = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// The years a date or a schedule time may name, and the longest schedule time header read.
const (
	minYear   = 2000
	maxYear   = 2099
	maxHeader = 64
)

// clip shortens s to at most 40 bytes, cut at a character boundary, so that a refusal never echoes a whole hostile
// value.
func clip(s string) string { return clipN(s, 40) }

// clipN shortens s to at most n bytes, cut at a character boundary.
func clipN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

type body struct {
	Date         string  `json:"date"`
	DryRun       bool    `json:"dryRun"`
	ClearFailure bool    `json:"clearFailure"`
	Reexport     bool    `json:"reexport"`
	Reason       *string `json:"reason"`
	RetryFailed  bool    `json:"retryFailed"`
}

// Parse reads a POST that asks for an export: an optional JSON body {"date":"YYYY-MM-DD","dryRun":false,
// "clearFailure":false} with no other fields, else the Cloud Scheduler header, else now.
func Parse(r *http.Request) (export.Request, error) {
	rc := r.Body
	if rc == nil {
		rc = http.NoBody
	}
	data, err := io.ReadAll(io.LimitReader(rc, MaxBody+1))
	if err != nil {
		return export.Request{}, bad("read body: %v", err)
	}
	if len(data) > MaxBody {
		return export.Request{}, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("body is larger than %d bytes", MaxBody)}
	}
	var req export.Request
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var b body
		if err := dec.Decode(&b); err != nil {
			// encoding/json quotes the offending key or value in its message: keep the message, not the whole input.
			return export.Request{}, bad("body must be JSON like {\"date\":\"2026-11-28\",\"dryRun\":false}: %s", clipN(err.Error(), 100))
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return export.Request{}, bad("body must hold one JSON object and nothing after it")
		}
		if b.Date != "" {
			if err := CheckDate(b.Date); err != nil {
				return export.Request{}, err
			}
		}
		if b.ClearFailure && b.Date == "" {
			return export.Request{}, bad("clearFailure needs an explicit date")
		}
		req.Date, req.DryRun, req.ClearFailure = b.Date, b.DryRun, b.ClearFailure
		x, err := reexport(b)
		if err != nil {
			return export.Request{}, err
		}
		req.Reexport = x
	}
	if req.Date == "" {
		if h := r.Header.Get(ScheduleTimeHeader); h != "" {
			if len(h) > maxHeader {
				return export.Request{}, bad("%s %q is longer than %d bytes", ScheduleTimeHeader, clip(h), maxHeader)
			}
			t, err := time.Parse(time.RFC3339, h)
			if err != nil {
				return export.Request{}, bad("%s %q is not an RFC 3339 time", ScheduleTimeHeader, clip(h))
			}
			if y := t.UTC().Year(); y < minYear || y > maxYear {
				return export.Request{}, bad("%s %q is not between the years %d and %d", ScheduleTimeHeader, clip(h), minYear, maxYear)
			}
			req.At = t
		}
	}
	return req, nil
}

// CheckDate accepts a real calendar date written YYYY-MM-DD, between 2000-01-01 and 2099-12-31.
func CheckDate(d string) error {
	if !dateShape.MatchString(d) {
		return bad("date %q is not YYYY-MM-DD", clip(d))
	}
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return bad("date %q is not a calendar date", d)
	}
	if t.Year() < minYear || t.Year() > maxYear {
		return bad("date %q is not between %d-01-01 and %d-12-31", d, minYear, maxYear)
	}
	return nil
}

// reexport reads a re-export request: {"date":"D","reexport":true,"reason":"...","retryFailed":true}. The caller
// (Reexport.By) is the handler's to fill in, from the verified OIDC token.
func reexport(b body) (*export.Reexport, error) {
	if !b.Reexport {
		if b.Reason != nil || b.RetryFailed {
			return nil, bad("reason and retryFailed go with \"reexport\":true")
		}
		return nil, nil
	}
	switch {
	case b.Date == "":
		return nil, bad("reexport needs an explicit date")
	case b.DryRun:
		return nil, bad("reexport cannot be a dry run")
	case b.ClearFailure:
		return nil, bad("reexport and clearFailure are separate commands")
	case b.Reason == nil:
		return nil, bad("reexport needs a reason (what is corrected, and why)")
	}
	reason, err := export.CheckReason(*b.Reason)
	if err != nil {
		return nil, bad("%s", clipN(strings.TrimPrefix(err.Error(), export.ErrInvalid.Error()+": "), 100))
	}
	return &export.Reexport{Reason: reason, RetryFailed: b.RetryFailed}, nil
}
