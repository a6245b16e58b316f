package trigger_test

import (
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/trigger"
)

// TestReexportRequest reads the re-export body the operator's commands send, with the reason at the documented
// limit of 500 characters (Thai letters, three bytes each, count as one) and refusals just beyond it.
// Bugs caught: a reason counted in bytes, not trimmed, accepted empty, over 500 characters or with a control
// character; reason or retryFailed accepted without reexport; a re-export without a date, as a dry run or mixed
// with clearFailure.
func TestReexportRequest(t *testing.T) {
	thai500 := strings.Repeat("ก", export.MaxReasonLength)
	ok := []struct {
		name, body, reason string
		retry              bool
	}{
		{"plain", `{"date":"2026-11-28","reexport":true,"reason":"  VAT line of J-1 fixed  "}`, "VAT line of J-1 fixed", false},
		{"retry failed", `{"date":"2026-11-28","reexport":true,"reason":"journals fixed","retryFailed":true}`, "journals fixed", true},
		{"500 Thai letters", `{"date":"2026-11-28","reexport":true,"reason":"` + thai500 + `"}`, thai500, false},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			req, err := trigger.Parse(request(tt.body, ""))
			if err != nil || req.Reexport == nil || req.Reexport.Reason != tt.reason || req.Reexport.RetryFailed != tt.retry || req.Date != "2026-11-28" {
				t.Fatalf("Parse = %+v (%+v), %v; want a re-export with reason %.20q, retryFailed %v", req, req.Reexport, err, tt.reason, tt.retry)
			}
			if req.Reexport.By != "" {
				t.Errorf("By = %q from the body; only the handler sets it, from the token", req.Reexport.By)
			}
		})
	}
	bad := []struct{ name, body, want string }{
		{"no reason", `{"date":"2026-11-28","reexport":true}`, "reexport needs a reason"},
		{"blank reason", `{"date":"2026-11-28","reexport":true,"reason":" \t "}`, "a re-export needs a reason"},
		{"501 characters", `{"date":"2026-11-28","reexport":true,"reason":"` + thai500 + `x"}`, "the reason holds 501 characters, more than 500"},
		{"control character", `{"date":"2026-11-28","reexport":true,"reason":"fixed\u0000 J-1"}`, "the reason holds a control character"},
		{"newline inside", `{"date":"2026-11-28","reexport":true,"reason":"fixed\nJ-1"}`, "the reason holds a control character"},
		{"no date", `{"reexport":true,"reason":"x"}`, "reexport needs an explicit date"},
		{"dry run", `{"date":"2026-11-28","reexport":true,"reason":"x","dryRun":true}`, "reexport cannot be a dry run"},
		{"with clearFailure", `{"date":"2026-11-28","reexport":true,"reason":"x","clearFailure":true}`, "reexport and clearFailure are separate"},
		{"reason alone", `{"date":"2026-11-28","reason":"x"}`, "reason and retryFailed go with"},
		{"retryFailed alone", `{"date":"2026-11-28","retryFailed":true}`, "reason and retryFailed go with"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := trigger.Parse(request(tt.body, ""))
			te, ok := err.(*trigger.Error)
			if !ok || te.Status != 400 || !strings.HasPrefix(te.Msg, tt.want) {
				t.Fatalf("Parse = %v, want a 400 starting %q", err, tt.want)
			}
			checkEcho(t, te.Msg, "")
		})
	}
}
