package trigger_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/trigger"
)

// The limits of a refusal's echo, as the package documentation and the README's threat model state them: a
// refusal quotes at most 40 bytes of a refused value and 100 bytes of a JSON error.
const (
	maxEchoValue     = 40
	maxEchoJSONError = 100
)

// jsonRefusal starts the refusal of a body encoding/json cannot decode; the JSON error follows it.
const jsonRefusal = `body must be JSON like {"date":"2026-11-28","dryRun":false}: `

// quotedValue matches a refusal that quotes a value: the date or the schedule header, as a Go quoted string.
var quotedValue = regexp.MustCompile(`^(date|` + trigger.ScheduleTimeHeader + `) ("(?:[^"\\]|\\.)*") `)

// fixedRefusals are the refusals that quote nothing of the input.
var fixedRefusals = []string{
	"body is larger than ", "body must hold one JSON object and nothing after it", "clearFailure needs an explicit date",
	"reason and retryFailed go with", "reexport needs an explicit date", "reexport cannot be a dry run",
	"reexport and clearFailure are separate commands", "reexport needs a reason", "a re-export needs a reason",
	"the reason holds",
}

// checkEcho fails t unless msg quotes at most the documented bytes of the input. value, when not empty, is the
// refused value the request carried in the header: a quoted echo of it must be its start. It returns the echo.
func checkEcho(t *testing.T, msg, header string) string {
	t.Helper()
	if rest, ok := strings.CutPrefix(msg, jsonRefusal); ok {
		if n := len(strings.TrimSuffix(rest, "...")); n > maxEchoJSONError {
			t.Fatalf("refusal %.160q quotes %d bytes of a JSON error, more than %d", msg, n, maxEchoJSONError)
		}
		return rest
	}
	if m := quotedValue.FindStringSubmatch(msg); m != nil {
		v, err := strconv.Unquote(m[2])
		if err != nil {
			t.Fatalf("refusal %q: cannot unquote %s: %v", msg, m[2], err)
		}
		cut := strings.TrimSuffix(v, "...")
		if len(cut) > maxEchoValue {
			t.Fatalf("refusal %.160q quotes %d bytes of the value, more than %d", msg, len(cut), maxEchoValue)
		}
		if m[1] == trigger.ScheduleTimeHeader && header != "" {
			if !strings.HasPrefix(header, cut) {
				t.Fatalf("refusal %q quotes %q, which is not the start of the header %q", msg, cut, header)
			}
			if cut != v && utf8.ValidString(header) && len(cut) < maxEchoValue-3 { // cut at a character boundary: at most 3 bytes short
				t.Fatalf("refusal %q cut the header to %d bytes, want %d to %d", msg, len(cut), maxEchoValue-3, maxEchoValue)
			}
		}
		return v
	}
	for _, f := range fixedRefusals {
		if strings.HasPrefix(msg, f) {
			return ""
		}
	}
	t.Fatalf("refusal %.160q has no known form: the echo limits cannot be checked", msg)
	return ""
}

// TestEchoLimits sends values just beyond the documented limits and checks the exact number of bytes quoted: 40 of a
// value, 100 of a JSON error.
func TestEchoLimits(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name, body, header string
		echo               int // bytes of the quoted value or JSON error, "..." not counted
	}{
		{"date of 41 bytes", `{"date":"` + long[:41] + `"}`, "", maxEchoValue},
		{"date of 40 bytes", `{"date":"` + long[:40] + `"}`, "", maxEchoValue},
		{"header of 41 bytes", "", long[:41], maxEchoValue},
		{"header of 70 bytes", "", long[:70], maxEchoValue},
		{"header of 41 bytes, a Thai letter across byte 40", "", long[:38] + "ก" + "x", 38},
		{"header of 50 continuation bytes: no character boundary to cut at", "", strings.Repeat("\x80", 50), 0},
		{"JSON error quoting a long key", `{"` + long + `":1}`, "", maxEchoJSONError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := trigger.Parse(request(tt.body, tt.header))
			te, ok := err.(*trigger.Error)
			if !ok {
				t.Fatalf("Parse = %v, want a *trigger.Error", err)
			}
			echo := strings.TrimSuffix(checkEcho(t, te.Msg, tt.header), "...")
			if len(echo) != tt.echo {
				t.Errorf("refusal %q quotes %d bytes, want %d", te.Msg, len(echo), tt.echo)
			}
		})
	}
}

// TestScheduleHeaderLength: the schedule header is read when it is at most 64 bytes, and refused for its length
// beyond, even when it is a valid time.
func TestScheduleHeaderLength(t *testing.T) {
	at64 := "2026-11-28T11:00:00." + strings.Repeat("0", 64-21) + "Z"
	if _, err := trigger.Parse(request("", at64)); err != nil || len(at64) != 64 {
		t.Errorf("Parse(header of %d bytes %q) = %v, want it read", len(at64), at64, err)
	}
	at65 := "2026-11-28T11:00:00." + strings.Repeat("0", 65-21) + "Z"
	_, err := trigger.Parse(request("", at65))
	if te, ok := err.(*trigger.Error); !ok || !strings.Contains(te.Msg, "longer than 64 bytes") {
		t.Errorf("Parse(header of %d bytes) = %v, want a refusal for its length", len(at65), err)
	}
}
