package tfcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tfDir is the Terraform configuration, relative to this package.
const tfDir = "../../terraform"

func load(t *testing.T) *Config {
	t.Helper()
	c, err := Load(tfDir)
	if err != nil {
		t.Fatalf("Load(%q): %v", tfDir, err)
	}
	return c
}

func find(t *testing.T, c *Config, typ string, labels ...string) []Block {
	t.Helper()
	bs, err := c.Find(typ, labels...)
	if err != nil {
		t.Fatalf("Find(%q, %q): %v", typ, labels, err)
	}
	return bs
}

func one(t *testing.T, c *Config, typ string, labels ...string) Block {
	t.Helper()
	bs := find(t, c, typ, labels...)
	if len(bs) != 1 {
		t.Fatalf("Find(%q, %q) found %d blocks, want 1", typ, labels, len(bs))
	}
	return bs[0]
}

// The whole configuration, comments and example values included, never names
// a public principal.
func TestNoPublicPrincipals(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(tfDir, "*.tf*"))
	if err != nil {
		t.Fatal(err)
	}
	public := regexp.MustCompile(`(?i)all(authenticated)?users`)
	checked := 0
	for _, p := range paths {
		if strings.HasSuffix(p, ".tfstate") || strings.Contains(p, ".tfstate.") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if m := public.Find(b); m != nil {
			t.Errorf("%s contains %q: the function must never be public", filepath.Base(p), m)
		}
	}
	if checked < 5 {
		t.Fatalf("checked %d Terraform files, want at least 5", checked)
	}
}

// Invoking is granted on the function's Cloud Run service only, to the
// scheduler's invoker account and to the listed operators.
func TestInvokerOnlyOnTheService(t *testing.T) {
	c := load(t)
	blocks, err := c.Blocks()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.Type != "resource" || len(b.Labels) < 2 {
			continue
		}
		role, _ := b.Attr("role")
		invoker := strings.Contains(role, "run.invoker") || strings.Contains(role, "cloudfunctions.invoker")
		if invoker && b.Labels[0] != "google_cloud_run_v2_service_iam_member" {
			t.Errorf("%s %s.%s grants %s: invoking may only be granted on the function's Cloud Run service", b.File, b.Labels[0], b.Labels[1], role)
		}
		if strings.HasSuffix(b.Labels[0], "_iam_binding") || strings.HasSuffix(b.Labels[0], "_iam_policy") {
			t.Errorf("%s %s.%s: authoritative IAM resources could drop grants made elsewhere; use _iam_member", b.File, b.Labels[0], b.Labels[1])
		}
	}
	members := find(t, c, "resource", "google_cloud_run_v2_service_iam_member")
	if len(members) == 0 {
		t.Fatal("no google_cloud_run_v2_service_iam_member: the scheduler's account cannot invoke the function")
	}
	for _, m := range members {
		name, _ := m.Attr("name")
		if !strings.Contains(name, "google_cloudfunctions2_function.") {
			t.Errorf("%s.%s name = %s, want the function's service (google_cloudfunctions2_function.<x>.name)", m.Labels[0], m.Labels[1], name)
		}
	}
	op := one(t, c, "variable", "operator_invoker_members")
	if v := op.Sub("validation"); len(v) == 0 || !strings.Contains(v[0].Body, "user|group|serviceAccount") {
		t.Errorf("variable operator_invoker_members must validate members as user:, group: or serviceAccount: only")
	}
}

// MONGODB_URI reaches the function from Secret Manager, never as a plain
// environment variable, and no secret value is managed by Terraform.
func TestMongoURIComesFromSecretManager(t *testing.T) {
	c := load(t)
	fn := one(t, c, "resource", "google_cloudfunctions2_function")
	sc := fn.Sub("service_config")
	if len(sc) != 1 {
		t.Fatalf("google_cloudfunctions2_function has %d service_config blocks, want 1", len(sc))
	}
	found := false
	for _, s := range sc[0].Sub("secret_environment_variables") {
		key, _ := s.Attr("key")
		secret, _ := s.Attr("secret")
		if key == `"MONGODB_URI"` {
			found = true
			if !strings.HasPrefix(secret, "google_secret_manager_secret.") {
				t.Errorf("MONGODB_URI secret = %s, want the google_secret_manager_secret this configuration creates", secret)
			}
		}
	}
	if !found {
		t.Error(`no secret_environment_variables block with key = "MONGODB_URI" in the function`)
	}

	plainKey := regexp.MustCompile(`(?m)^\s*"?MONGODB_URI"?\s*=`)
	for name, text := range c.Files {
		if plainKey.MatchString(StripComments(text)) {
			t.Errorf("%s sets MONGODB_URI as a plain value; it must only come from secret_environment_variables", name)
		}
	}
	if env, ok := sc[0].Attr("environment_variables"); !ok || strings.Contains(env, "MONGODB_URI") {
		t.Errorf("service_config.environment_variables = %q, want a map without MONGODB_URI", env)
	}
	for _, v := range find(t, c, "variable") {
		if strings.Contains(strings.ToLower(v.Labels[0]), "uri") && !strings.HasSuffix(v.Labels[0], "_secret_id") {
			t.Errorf("variable %q looks like it carries the URI itself; pass only a secret ID", v.Labels[0])
		}
	}
	if vs := find(t, c, "resource", "google_secret_manager_secret_version"); len(vs) > 0 {
		t.Error("google_secret_manager_secret_version would put the secret value in the state; add it with gcloud secrets versions add")
	}
	extra := one(t, c, "variable", "extra_environment_variables")
	if v := extra.Sub("validation"); len(v) == 0 || !strings.Contains(v[0].Body, "MONGODB_URI") {
		t.Error("variable extra_environment_variables must refuse a MONGODB_URI key")
	}
}

func variableDefault(t *testing.T, c *Config, name string) string {
	t.Helper()
	v := one(t, c, "variable", name)
	d, ok := v.Attr("default")
	if !ok {
		t.Fatalf("variable %q has no default", name)
	}
	return d
}

// Cloud Scheduler's retries are bounded: a validation caps retry_count at 5 at
// most, the default is within it, and the first wait is at least 5 minutes.
func TestSchedulerRetriesAreBounded(t *testing.T) {
	c := load(t)
	job := one(t, c, "resource", "google_cloud_scheduler_job")
	rc := job.Sub("retry_config")
	if len(rc) != 1 {
		t.Fatalf("google_cloud_scheduler_job has %d retry_config blocks, want 1", len(rc))
	}
	for attr, want := range map[string]string{
		"retry_count":          "var.retry_count",
		"min_backoff_duration": `"${var.retry_min_backoff_seconds}s"`,
		"max_backoff_duration": `"${var.retry_max_backoff_seconds}s"`,
		"max_doublings":        "var.retry_max_doublings",
	} {
		if got, _ := rc[0].Attr(attr); got != want {
			t.Errorf("retry_config.%s = %q, want %s", attr, got, want)
		}
	}

	v := one(t, c, "variable", "retry_count")
	vals := v.Sub("validation")
	if len(vals) == 0 {
		t.Fatal("variable retry_count has no validation block")
	}
	cond, _ := vals[0].Attr("condition")
	m := regexp.MustCompile(`var\.retry_count\s*<=\s*([0-9]+)`).FindStringSubmatch(cond)
	if m == nil {
		t.Fatalf("retry_count validation %q has no upper bound (var.retry_count <= N)", cond)
	}
	if max, _ := strconv.Atoi(m[1]); max > 5 {
		t.Errorf("retry_count validation allows up to %d retries, want at most 5 (Cloud Scheduler's limit)", max)
	}
	if !strings.Contains(cond, "var.retry_count >= 0") {
		t.Errorf("retry_count validation %q has no lower bound", cond)
	}
	if d, err := strconv.Atoi(variableDefault(t, c, "retry_count")); err != nil || d < 0 || d > 5 {
		t.Errorf("retry_count default = %q, want a number from 0 to 5", variableDefault(t, c, "retry_count"))
	}

	mb := one(t, c, "variable", "retry_min_backoff_seconds").Sub("validation")
	if len(mb) == 0 || !regexp.MustCompile(`var\.retry_min_backoff_seconds\s*>=\s*300\b`).MatchString(mb[0].Body) {
		t.Error("retry_min_backoff_seconds must be validated to be at least 300 (5 minutes)")
	}
	if d, _ := strconv.Atoi(variableDefault(t, c, "retry_min_backoff_seconds")); d < 300 {
		t.Errorf("retry_min_backoff_seconds default = %d, want at least 300", d)
	}
	if got, _ := rc[0].Attr("max_retry_duration"); got != `"0s"` {
		t.Errorf(`retry_config.max_retry_duration = %q, want "0s" so that retry_count alone bounds the retries`, got)
	}
}

// The schedule and its time zone are variables, validated, with the product's
// defaults, and the function's TIME_ZONE is the same variable.
func TestScheduleAndTimeZoneAreVariables(t *testing.T) {
	c := load(t)
	job := one(t, c, "resource", "google_cloud_scheduler_job")
	if got, _ := job.Attr("schedule"); got != "var.schedule" {
		t.Errorf("scheduler job schedule = %q, want var.schedule", got)
	}
	if got, _ := job.Attr("time_zone"); got != "var.time_zone" {
		t.Errorf("scheduler job time_zone = %q, want var.time_zone", got)
	}
	if d := variableDefault(t, c, "schedule"); d != `"0 18 * * *"` {
		t.Errorf(`variable schedule default = %s, want "0 18 * * *"`, d)
	}
	if d := variableDefault(t, c, "time_zone"); d != `"Asia/Bangkok"` {
		t.Errorf(`variable time_zone default = %s, want "Asia/Bangkok"`, d)
	}
	for _, name := range []string{"schedule", "time_zone"} {
		if len(one(t, c, "variable", name).Sub("validation")) == 0 {
			t.Errorf("variable %q has no validation block", name)
		}
	}
	if !regexp.MustCompile(`(?m)^\s*TIME_ZONE\s*=\s*var\.time_zone\s*$`).MatchString(StripComments(c.Files["main.tf"])) {
		t.Error("the function's TIME_ZONE must be var.time_zone, the scheduler's zone")
	}
}

// Cloud Scheduler calls the function with an OIDC token of the invoker
// account, for the function's URL, within its 30-minute attempt limit.
func TestSchedulerCallsWithOIDC(t *testing.T) {
	c := load(t)
	job := one(t, c, "resource", "google_cloud_scheduler_job")
	ht := job.Sub("http_target")
	if len(ht) != 1 {
		t.Fatalf("scheduler job has %d http_target blocks, want 1", len(ht))
	}
	uri, _ := ht[0].Attr("uri")
	oidc := ht[0].Sub("oidc_token")
	if len(oidc) != 1 {
		t.Fatal("http_target has no oidc_token block")
	}
	if aud, _ := oidc[0].Attr("audience"); aud != uri {
		t.Errorf("oidc_token.audience = %q, want the target URI %q", aud, uri)
	}
	if sa, _ := oidc[0].Attr("service_account_email"); sa != "google_service_account.invoker.email" {
		t.Errorf("oidc_token.service_account_email = %q, want google_service_account.invoker.email", sa)
	}
	if len(ht[0].Sub("oauth_token")) > 0 {
		t.Error("http_target must not use oauth_token (Cloud Run needs an OIDC ID token)")
	}
	if got, _ := ht[0].Attr("body"); got != `base64encode("{}")` {
		t.Errorf(`http_target.body = %q, want base64encode("{}")`, got)
	}
	v := one(t, c, "variable", "attempt_deadline_seconds").Sub("validation")
	if len(v) == 0 || !strings.Contains(v[0].Body, "var.attempt_deadline_seconds <= 1800") {
		t.Error("attempt_deadline_seconds must be validated to at most 1800 (Cloud Scheduler's limit)")
	}
}

// Only hashicorp/google is required, so the offline check can serve it.
func TestOnlyTheGoogleProvider(t *testing.T) {
	c := load(t)
	tf := one(t, c, "terraform")
	rp := tf.Sub("required_providers")
	if len(rp) != 1 {
		t.Fatalf("terraform block has %d required_providers blocks, want 1", len(rp))
	}
	var names []string
	for _, line := range strings.Split(Outer(rp[0].Body), "\n") {
		if m := regexp.MustCompile(`^\s*([a-z0-9_-]+)\s*=`).FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
		}
	}
	if !slices.Equal(names, []string{"google"}) {
		t.Errorf("required_providers = %v, want only google", names)
	}
	blocks, err := c.Blocks()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if (b.Type == "resource" || b.Type == "data") && len(b.Labels) > 0 && !strings.HasPrefix(b.Labels[0], "google_") {
			t.Errorf("%s %s %q is not from hashicorp/google", b.File, b.Type, b.Labels[0])
		}
		if b.Type == "provider" && len(b.Labels) > 0 && b.Labels[0] != "google" {
			t.Errorf("%s configures provider %q", b.File, b.Labels[0])
		}
	}
}

// The scanner itself, on the HCL shapes the configuration uses.
func TestParseBlocks(t *testing.T) {
	src := `# a comment with { a brace
resource "google_x" "a" {
  name = "x-${var.n}-{y}" // another }
  labels = { a = "b" }
  query = "f{a=\"b\"}[${var.w}]"
  text = <<-EOT
    "unbalanced { in a heredoc
  EOT
  inner {
    role = "roles/run.invoker"
  }
}
/* a } block comment */
variable "v" {
  default = 3
}
`
	bs, err := ParseBlocks(src)
	if err != nil {
		t.Fatalf("ParseBlocks: %v", err)
	}
	if len(bs) != 2 || bs[0].Type != "resource" || !slices.Equal(bs[0].Labels, []string{"google_x", "a"}) || bs[1].Type != "variable" {
		t.Fatalf("ParseBlocks found %+v, want resource google_x.a and variable v", bs)
	}
	if got, _ := bs[0].Attr("name"); got != `"x-${var.n}-{y}"` {
		t.Errorf(`Attr("name") = %q, want "x-${var.n}-{y}"`, got)
	}
	if _, ok := bs[0].Attr("role"); ok {
		t.Error(`Attr("role") found an attribute of a nested block`)
	}
	if in := bs[0].Sub("inner"); len(in) != 1 {
		t.Errorf(`Sub("inner") found %d blocks, want 1`, len(in))
	} else if got, _ := in[0].Attr("role"); got != `"roles/run.invoker"` {
		t.Errorf(`inner Attr("role") = %q, want "roles/run.invoker"`, got)
	}
	if subs := bs[0].Sub("labels"); len(subs) != 0 {
		t.Errorf("an object expression (labels = {...}) was read as a block")
	}
	if got, _ := bs[1].Attr("default"); got != "3" {
		t.Errorf(`variable Attr("default") = %q, want 3`, got)
	}
}
