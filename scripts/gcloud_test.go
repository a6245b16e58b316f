// Tests of scripts/gcloud.sh, the operator commands behind make invoke, status
// and health. They run the script against a fake gcloud, curl and terraform
// on PATH, which record their arguments and answer as each test says.
package scripts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	url   = "https://ledger-export-abc123-as.a.run.app"
	token = "fake-identity-token"
)

// fakes writes gcloud, curl and terraform into a folder of their own. Each
// appends its arguments, one per line after a header line with its name, to
// $FAKE_LOG. gcloud prints a token; curl prints $FAKE_BODY and the status
// line its -w asks for, and with --fail-with-body exits 22 on a status of 400
// or more, as curl does; terraform prints $FAKE_TF_<output name>, or fails.
func fakes(t *testing.T) (bin, log string) {
	t.Helper()
	bin = t.TempDir()
	log = filepath.Join(t.TempDir(), "calls")
	scripts := map[string]string{
		"gcloud": `printf '%s\n' '== gcloud' "$@" >>"$FAKE_LOG"
[ "$1 $2" = "auth print-identity-token" ] && { echo ` + token + `; exit 0; }
echo "fake gcloud: unexpected call" >&2; exit 1
`,
		"curl": `printf '%s\n' '== curl' "$@" >>"$FAKE_LOG"
printf '%s\nHTTP %s\n' "$FAKE_BODY" "$FAKE_STATUS"
case " $* " in *" --fail-with-body "*) [ "$FAKE_STATUS" -ge 400 ] && { echo "curl: (22) The requested URL returned error: $FAKE_STATUS" >&2; exit 22; } ;; esac
exit 0
`,
		"terraform": `printf '%s\n' '== terraform' "$@" >>"$FAKE_LOG"
name=FAKE_TF_${!#}
[ -n "${!name:-}" ] || { echo "no output ${!#}" >&2; exit 1; }
printf '%s' "${!name}"
`,
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/usr/bin/env bash\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin, log
}

type result struct {
	stdout, stderr string
	exit           int
	calls          [][]string // each call: program name, then its arguments
}

// run runs scripts/gcloud.sh (or make, when args[0] is "make") with only the
// fakes and the system's own tools on PATH, and env added to a minimal
// environment.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	bin, log := fakes(t)
	var cmd *exec.Cmd
	if args[0] == "make" {
		cmd = exec.Command("make", append([]string{"-s", "-f", "deploy.mk"}, args[1:]...)...)
	} else {
		cmd = exec.Command("./gcloud.sh", args...)
	}
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + t.TempDir(), "FAKE_LOG=" + log,
		"TERRAFORM_DIR=" + t.TempDir()} // no .terraform folder there: no Terraform outputs unless a test makes one
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.exit = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if name, ok := strings.CutPrefix(line, "== "); ok {
			r.calls = append(r.calls, []string{name})
		} else if len(r.calls) > 0 {
			r.calls[len(r.calls)-1] = append(r.calls[len(r.calls)-1], line)
		}
	}
	return r
}

// deployment is the environment of a deployed function with the default
// 1800 s timeout.
func deployment(extra map[string]string) map[string]string {
	env := map[string]string{"GCP_PROJECT": "my-ledger-project", "FUNCTION_URL": url, "FUNCTION_TIMEOUT": "1800"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// curlCall is the exact command line of an invoke with this body and limit.
func curlCall(maxTime, body string) []string {
	return []string{"curl", "-sS", "--fail-with-body", "--max-time", maxTime, "-w", `\nHTTP %{http_code}\n`,
		"-X", "POST", "-H", "Content-Type: application/json", "--data", body,
		"-H", "Authorization: Bearer " + token, url}
}

func wantCalls(t *testing.T, r result, want ...[]string) {
	t.Helper()
	if !slices.EqualFunc(r.calls, want, slices.Equal[[]string]) {
		t.Errorf("calls:\n got %q\nwant %q\nstdout: %s\nstderr: %s", r.calls, want, r.stdout, r.stderr)
	}
}

var tokenCall = []string{"gcloud", "auth", "print-identity-token"}

// make invoke DATE=... DRY_RUN=1 prints the one command an invoker-only member
// needs, waiting the timeout plus a minute, and runs nothing.
func TestInvokeDryRunPrintsTheCommand(t *testing.T) {
	r := run(t, deployment(nil), "make", "invoke", "DATE=2026-11-28", "DRY_RUN=1")
	want := `+ curl -sS --fail-with-body --max-time 1860 -w '\nHTTP %{http_code}\n' -X POST -H 'Content-Type: application/json'` +
		` --data '{"date":"2026-11-28"}' -H "Authorization: Bearer $(gcloud auth print-identity-token)" "` + url + "\"\n"
	if r.exit != 0 || r.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", r.exit, r.stdout, want, r.stderr)
	}
	wantCalls(t, r)
}

// The call itself: an identity token from gcloud (no Cloud Functions API
// call), then curl with the exact arguments; the answer and status printed.
func TestInvokeExported(t *testing.T) {
	body := `{"outcome":"exported","date":"2026-11-28","summary":{"rows":788}}`
	r := run(t, deployment(map[string]string{"FAKE_BODY": body, "FAKE_STATUS": "200"}), "invoke", "2026-11-28")
	if r.exit != 0 || !strings.Contains(r.stdout, body+"\nHTTP 200\n") {
		t.Errorf("exit %d, stdout:\n%s\nwant the answer and HTTP 200, exit 0", r.exit, r.stdout)
	}
	wantCalls(t, r, tokenCall, curlCall("1860", `{"date":"2026-11-28"}`))
	if strings.Contains(r.stdout+r.stderr, token) {
		t.Error("the identity token was printed")
	}
}

// 409 and 500 answers are printed with their bodies and the status, and the
// command fails.
func TestInvokeFailuresPrintTheAnswer(t *testing.T) {
	for status, body := range map[string]string{
		"409": `{"outcome":"busy","date":"2026-11-28","retryAfterSeconds":1234}`,
		"500": `{"outcome":"failed","date":"2026-11-28","errorClass":"drive_permanent","error":"drive: folder not found"}`,
	} {
		t.Run(status, func(t *testing.T) {
			r := run(t, deployment(map[string]string{"FAKE_BODY": body, "FAKE_STATUS": status}), "make", "invoke", "DATE=2026-11-28")
			if !strings.Contains(r.stdout, body+"\nHTTP "+status+"\n") {
				t.Errorf("stdout:\n%s\nwant the body %s and HTTP %s", r.stdout, body, status)
			}
			if r.exit == 0 {
				t.Errorf("exit 0 for HTTP %s, want a failure", status)
			}
			wantCalls(t, r, tokenCall, curlCall("1860", `{"date":"2026-11-28"}`))
		})
	}
}

// The wait follows the function's timeout from Terraform's outputs, and the
// dry-run and clear-failure flags reach the body.
func TestInvokeTimeoutFromTerraform(t *testing.T) {
	tf := t.TempDir()
	if err := os.Mkdir(filepath.Join(tf, ".terraform"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TERRAFORM_DIR": tf, "FAKE_TF_function_timeout_seconds": "540", "FAKE_TF_project_id": "p",
		"FAKE_TF_function_url": url, "FAKE_BODY": "{}", "FAKE_STATUS": "200"}
	r := run(t, env, "make", "invoke", "DATE=2026-11-28", "EXPORT_DRY_RUN=1", "CLEAR_FAILURE=1")
	if r.exit != 0 {
		t.Fatalf("exit %d: %s; calls %q", r.exit, r.stderr, r.calls)
	}
	var calls [][]string
	for _, c := range r.calls {
		if c[0] != "terraform" {
			calls = append(calls, c)
		}
	}
	r.calls = calls
	wantCalls(t, r, tokenCall, curlCall("600", `{"date":"2026-11-28","dryRun":true,"clearFailure":true}`))
}

// Without a known timeout it waits for the largest one Terraform allows, and
// says so.
func TestInvokeUnknownTimeout(t *testing.T) {
	env := deployment(map[string]string{"FUNCTION_TIMEOUT": "", "FAKE_BODY": "{}", "FAKE_STATUS": "200"})
	r := run(t, env, "invoke", "2026-11-28")
	wantCalls(t, r, tokenCall, curlCall("1860", `{"date":"2026-11-28"}`))
	if !strings.Contains(r.stderr, "timeout is unknown") {
		t.Errorf("stderr %q does not say that the timeout is unknown", r.stderr)
	}
}

// A bad date or timeout is refused before anything is called.
func TestInvokeRefusesBadInput(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		date string
	}{
		"date":    {deployment(nil), "2026-13-01"},
		"timeout": {deployment(map[string]string{"FUNCTION_TIMEOUT": "30m"}), "2026-11-28"},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, c.env, "invoke", c.date)
			if r.exit != 2 {
				t.Errorf("exit %d, want 2; stderr %q", r.exit, r.stderr)
			}
			wantCalls(t, r)
		})
	}
}

// status and health use the same authenticated curl and print any answer.
func TestStatusAndHealth(t *testing.T) {
	body := `{"outcome":"stale","healthy":false}`
	r := run(t, deployment(map[string]string{"FAKE_BODY": body, "FAKE_STATUS": "503"}), "make", "health")
	if r.exit == 0 || !strings.Contains(r.stdout, body+"\nHTTP 503\n") {
		t.Errorf("health: exit %d, stdout %q; want the body, HTTP 503 and a failure", r.exit, r.stdout)
	}
	wantCalls(t, r, tokenCall, []string{"curl", "-sS", "--fail-with-body", "--max-time", "120", "-w", `\nHTTP %{http_code}\n`,
		"-H", "Authorization: Bearer " + token, url + "/health"})

	r = run(t, deployment(map[string]string{"FAKE_BODY": "{}", "FAKE_STATUS": "200"}), "status", "2026-11-28")
	wantCalls(t, r, tokenCall, []string{"curl", "-sS", "--fail-with-body", "--max-time", "120", "-w", `\nHTTP %{http_code}\n`,
		"-H", "Authorization: Bearer " + token, url + "?date=2026-11-28"})
}
