package scripts_test

import (
	"strings"
	"testing"
)

// make reexport sends the date, reexport, the reason exactly as typed (quotes, a backslash, a $ that make and the
// shell must leave alone, an apostrophe, Thai) and retryFailed with RETRY_FAILED=1, through the caller's identity
// token. Bugs caught: a reason expanded by make or the shell ($HOME), JSON broken by a quote or backslash, the
// flag dropped.
func TestReexportSendsTheReasonAsTyped(t *testing.T) {
	reason := `VAT "J-1" $HOME it's \ fixed ภาษี`
	r := run(t, deployment(map[string]string{"FAKE_BODY": `{"outcome":"exported"}`, "FAKE_STATUS": "200"}),
		"make", "reexport", "DATE=2026-11-28", "REASON="+reason, "RETRY_FAILED=1")
	if r.exit != 0 {
		t.Fatalf("exit %d, stderr: %s", r.exit, r.stderr)
	}
	wantCalls(t, r, tokenCall, curlCall("1860", `{"date":"2026-11-28","reexport":true,"reason":"VAT \"J-1\" $HOME it's \\ fixed ภาษี","retryFailed":true}`))
	r = run(t, deployment(map[string]string{"FAKE_BODY": `{}`, "FAKE_STATUS": "200"}), "make", "reexport", "DATE=2026-11-28", "REASON=J-1 fixed")
	wantCalls(t, r, tokenCall, curlCall("1860", `{"date":"2026-11-28","reexport":true,"reason":"J-1 fixed"}`))
}

// make retry-failed is make reexport with retryFailed, and a standard reason when none is given.
// Bug caught: retry-failed sent without retryFailed, or refused for want of a reason.
func TestRetryFailed(t *testing.T) {
	r := run(t, deployment(map[string]string{"FAKE_BODY": `{}`, "FAKE_STATUS": "200"}), "make", "retry-failed", "DATE=2026-11-28")
	wantCalls(t, r, tokenCall, curlCall("1860", `{"date":"2026-11-28","reexport":true,"reason":"retry the failed entries: the app fixed their journals","retryFailed":true}`))
	r = run(t, deployment(map[string]string{"FAKE_BODY": `{}`, "FAKE_STATUS": "200"}), "make", "retry-failed", "DATE=2026-11-28", "REASON=J-3 and J-4 fixed")
	wantCalls(t, r, tokenCall, curlCall("1860", `{"date":"2026-11-28","reexport":true,"reason":"J-3 and J-4 fixed","retryFailed":true}`))
}

// A re-export without a reason, with a control character in it, or without a valid date, is refused before any
// call; a 409 (another attempt holds the lease) is printed and fails the command.
func TestReexportRefusalsAndBusy(t *testing.T) {
	for name, args := range map[string][]string{
		"no reason":     {"make", "reexport", "DATE=2026-11-28"},
		"blank reason":  {"make", "reexport", "DATE=2026-11-28", "REASON=   "},
		"tab in reason": {"make", "reexport", "DATE=2026-11-28", "REASON=a\tb"},
		"bad date":      {"make", "reexport", "DATE=2026-13-01", "REASON=x"},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, deployment(nil), args...)
			if r.exit == 0 || !strings.Contains(r.stderr, "gcloud.sh:") {
				t.Errorf("exit %d, stderr %q; want a refusal", r.exit, r.stderr)
			}
			wantCalls(t, r)
		})
	}
	busy := `{"outcome":"busy","date":"2026-11-28","retryAfterSeconds":1200}`
	r := run(t, deployment(map[string]string{"FAKE_BODY": busy, "FAKE_STATUS": "409"}), "make", "reexport", "DATE=2026-11-28", "REASON=x")
	if r.exit == 0 || !strings.Contains(r.stdout, busy+"\nHTTP 409\n") {
		t.Errorf("busy: exit %d, stdout %q; want the answer, HTTP 409 and a failure", r.exit, r.stdout)
	}
}
