package trigger_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/trigger"
)

func request(body, schedule string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	if schedule != "" {
		r.Header.Set(trigger.ScheduleTimeHeader, schedule)
	}
	return r
}

func TestParse(t *testing.T) {
	at := time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)
	tests := []struct {
		name, body, schedule string
		want                 export.Request
	}{
		{"empty body, no header: now", "", "", export.Request{}},
		{"whitespace body", " \r\n\t", "", export.Request{}},
		{"date", `{"date":"2026-11-28"}`, "", export.Request{Date: "2026-11-28"}},
		{"dry run", `{"date":"2026-11-28","dryRun":true}`, "", export.Request{Date: "2026-11-28", DryRun: true}},
		{"clear failure", `{"date":"2026-11-28","clearFailure":true}`, "", export.Request{Date: "2026-11-28", ClearFailure: true}},
		{"scheduler header", "", "2026-11-28T11:00:00Z", export.Request{At: at}},
		{"body date wins over the header", `{"date":"2026-11-27"}`, "2026-11-28T11:00:00Z", export.Request{Date: "2026-11-27"}},
		{"dry run with the header", `{"dryRun":true}`, "2026-11-28T18:00:00+07:00", export.Request{DryRun: true, At: at}},
		{"oldest date", `{"date":"2000-01-01"}`, "", export.Request{Date: "2000-01-01"}},
		{"newest date", `{"date":"2099-12-31"}`, "", export.Request{Date: "2099-12-31"}},
		{"body of exactly MaxBody bytes", `{"date":"2026-11-28"}` + strings.Repeat(" ", trigger.MaxBody-len(`{"date":"2026-11-28"}`)), "", export.Request{Date: "2026-11-28"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := trigger.Parse(request(tt.body, tt.schedule))
			if err != nil {
				t.Fatalf("Parse(%.60q, %q) error = %v, want nil", tt.body, tt.schedule, err)
			}
			if got.Date != tt.want.Date || got.DryRun != tt.want.DryRun || got.ClearFailure != tt.want.ClearFailure || !got.At.Equal(tt.want.At) {
				t.Errorf("Parse(%.60q, %q) = %+v, want %+v", tt.body, tt.schedule, got, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, body, schedule string
		status               int
		msg                  string
	}{
		{"body over MaxBody", `{"date":"2026-11-28"}` + strings.Repeat(" ", trigger.MaxBody), "", http.StatusRequestEntityTooLarge, "larger than 4096"},
		{"unknown field", `{"date":"2026-11-28","force":true}`, "", http.StatusBadRequest, `unknown field "force"`},
		{"long unknown field", `{"` + strings.Repeat("x", 3000) + `":1}`, "", http.StatusBadRequest, `unknown field "xxx`},
		{"two objects", `{"date":"2026-11-28"}{}`, "", http.StatusBadRequest, "one JSON object"},
		{"not JSON", `date=2026-11-28`, "", http.StatusBadRequest, "must be JSON"},
		{"array", `["2026-11-28"]`, "", http.StatusBadRequest, "must be JSON"},
		{"date of wrong type", `{"date":20261128}`, "", http.StatusBadRequest, "must be JSON"},
		{"dryRun of wrong type", `{"dryRun":"yes"}`, "", http.StatusBadRequest, "must be JSON"},
		{"date not a calendar date", `{"date":"2026-02-30"}`, "", http.StatusBadRequest, "not a calendar date"},
		{"date in another shape", `{"date":"28/11/2026"}`, "", http.StatusBadRequest, "not YYYY-MM-DD"},
		{"date with a time", `{"date":"2026-11-28T00:00:00Z"}`, "", http.StatusBadRequest, "not YYYY-MM-DD"},
		{"date too far back", `{"date":"1999-12-31"}`, "", http.StatusBadRequest, "not between 2000-01-01 and 2099-12-31"},
		{"date too far ahead", `{"date":"2100-01-01"}`, "", http.StatusBadRequest, "not between 2000-01-01 and 2099-12-31"},
		{"date with Unicode digits", `{"date":"２０２６-11-28"}`, "", http.StatusBadRequest, "not YYYY-MM-DD"},
		{"clearFailure without a date", `{"clearFailure":true}`, "", http.StatusBadRequest, "explicit date"},
		{"header not a time", "", "tomorrow", http.StatusBadRequest, "not an RFC 3339 time"},
		{"header far ahead", "", "9999-12-31T23:59:59Z", http.StatusBadRequest, "not between the years"},
		{"header too long", "", "2026-11-28T11:00:00.000000000" + strings.Repeat("0", 100) + "Z", http.StatusBadRequest, "longer than 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := trigger.Parse(request(tt.body, tt.schedule))
			var te *trigger.Error
			if !errors.As(err, &te) {
				t.Fatalf("Parse(%.60q, %q) = %+v, %v; want a *trigger.Error", tt.body, tt.schedule, got, err)
			}
			if te.Status != tt.status || !strings.Contains(te.Msg, tt.msg) {
				t.Errorf("Parse(%.60q, %q) error = %d %q, want %d mentioning %q", tt.body, tt.schedule, te.Status, te.Msg, tt.status, tt.msg)
			}
			checkEcho(t, te.Msg, tt.schedule)
		})
	}
}

func TestParseNilBody(t *testing.T) {
	r := &http.Request{Method: http.MethodPost, Header: http.Header{}}
	if got, err := trigger.Parse(r); err != nil || got != (export.Request{}) {
		t.Errorf("Parse(request without a body) = %+v, %v; want the zero request, nil", got, err)
	}
}

func TestCheckDateClipsEcho(t *testing.T) {
	long := strings.Repeat("9", 4000)
	err := trigger.CheckDate(long)
	if err == nil {
		t.Fatal("CheckDate(4000 digits) = nil, want an error")
	}
	if echo := strings.TrimSuffix(checkEcho(t, err.Error(), ""), "..."); echo != long[:40] {
		t.Errorf("CheckDate(4000 digits) error = %.120q quotes %q, want the first 40 bytes", err, echo)
	}
}
