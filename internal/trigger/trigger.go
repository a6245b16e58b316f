// Package trigger turns an HTTP call — from Cloud Scheduler, gcloud functions call or curl — into an export
// request, and refuses anything else with a clear message.
package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

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

type body struct {
	Date         string `json:"date"`
	DryRun       bool   `json:"dryRun"`
	ClearFailure bool   `json:"clearFailure"`
}

// Parse reads a POST that asks for an export: an optional JSON body {"date":"YYYY-MM-DD","dryRun":false,
// "clearFailure":false} with no other fields, else the Cloud Scheduler header, else now.
func Parse(r *http.Request) (export.Request, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
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
			return export.Request{}, bad("body must be JSON like {\"date\":\"2026-11-28\",\"dryRun\":false}: %v", err)
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
	}
	if req.Date == "" {
		if h := r.Header.Get(ScheduleTimeHeader); h != "" {
			t, err := time.Parse(time.RFC3339, h)
			if err != nil {
				return export.Request{}, bad("%s %q is not an RFC 3339 time", ScheduleTimeHeader, h)
			}
			req.At = t
		}
	}
	return req, nil
}

// CheckDate accepts a real calendar date written YYYY-MM-DD.
func CheckDate(d string) error {
	if !dateShape.MatchString(d) {
		return bad("date %q is not YYYY-MM-DD", d)
	}
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		return bad("date %q is not a calendar date", d)
	}
	return nil
}
