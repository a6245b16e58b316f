package tfcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/scripts/docscheck"
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

// grant is one IAM membership the configuration makes: on what (the resource
// type), which role, and to whom (the member expression, with each.value over
// the operator list written as var.operator_invoker_members).
type grant struct{ on, role, member string }

// grants resolves every *_iam_member resource to its grants. A role must
// resolve to literal strings (through for_each and locals); a member must be
// one of the configuration's service accounts or each.value over
// var.operator_invoker_members. Anything else is an error of the test.
func grants(t *testing.T, c *Config) []grant {
	t.Helper()
	blocks, err := c.Blocks()
	if err != nil {
		t.Fatal(err)
	}
	var out []grant
	for _, b := range blocks {
		if b.Type != "resource" || len(b.Labels) < 2 {
			continue
		}
		name := b.File + " " + b.Labels[0] + "." + b.Labels[1]
		if strings.HasSuffix(b.Labels[0], "_iam_binding") || strings.HasSuffix(b.Labels[0], "_iam_policy") {
			t.Errorf("%s: authoritative IAM resources could drop grants made elsewhere; use _iam_member", name)
			continue
		}
		roleExpr, hasRole := b.Expr("role")
		if !strings.HasSuffix(b.Labels[0], "_iam_member") {
			if hasRole {
				t.Errorf("%s sets a role but is not an _iam_member resource; this test cannot check it", name)
			}
			continue
		}
		roles, err := c.Strings(b, roleExpr)
		if err != nil || len(roles) == 0 {
			t.Errorf("%s: role = %s cannot be resolved (%v); grant literal roles so that they can be checked", name, roleExpr, err)
			continue
		}
		memberExpr, _ := b.Expr("member")
		member := memberExpr
		switch memberExpr {
		case "google_service_account.runtime.member", "google_service_account.invoker.member":
		case "each.value":
			if fe, _ := b.Expr("for_each"); fe != "toset(var.operator_invoker_members)" {
				t.Errorf("%s: member = each.value over for_each = %s; only the operator list (toset(var.operator_invoker_members)) may be spread", name, fe)
				continue
			}
			member = "var.operator_invoker_members"
		default:
			t.Errorf("%s: member = %s; want google_service_account.runtime.member, google_service_account.invoker.member or each.value over var.operator_invoker_members", name, memberExpr)
			continue
		}
		for _, r := range roles {
			out = append(out, grant{on: b.Labels[0], role: r, member: member})
		}
	}
	return out
}

// Every IAM grant, with its role resolved (role = each.value included) and its
// member checked, is one of these, and each of these is made: invoking only
// on the function's Cloud Run service, to the scheduler's account and the
// operators; the operators may read the function (gcloud functions call);
// the runtime account gets what it uses and nothing else.
func TestInvokerOnlyOnTheService(t *testing.T) {
	c := load(t)
	const (
		runtime   = "google_service_account.runtime.member"
		invoker   = "google_service_account.invoker.member"
		operators = "var.operator_invoker_members"
	)
	want := []grant{
		{"google_cloud_run_v2_service_iam_member", "roles/run.invoker", invoker},
		{"google_cloud_run_v2_service_iam_member", "roles/run.invoker", operators},
		{"google_cloudfunctions2_function_iam_member", "roles/cloudfunctions.viewer", operators},
		{"google_project_iam_member", "roles/cloudtrace.agent", runtime},
		{"google_project_iam_member", "roles/datastore.user", runtime},
		{"google_project_iam_member", "roles/logging.logWriter", runtime},
		{"google_project_iam_member", "roles/monitoring.metricWriter", runtime},
		{"google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor", runtime},
		{"google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor", runtime}, // NOTIFY_WEBHOOK_URL's, when set
		{"google_service_account_iam_member", "roles/iam.serviceAccountTokenCreator", runtime},
	}
	got := grants(t, c)
	for _, g := range got {
		invokerRole := strings.Contains(g.role, "run.invoker") || strings.Contains(g.role, "cloudfunctions.invoker")
		if invokerRole && g.on != "google_cloud_run_v2_service_iam_member" {
			t.Errorf("%s grants %s to %s: invoking may only be granted on the function's Cloud Run service", g.on, g.role, g.member)
		}
	}
	cmp := func(a, b grant) int {
		return strings.Compare(a.on+" "+a.role+" "+a.member, b.on+" "+b.role+" "+b.member)
	}
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	if !slices.Equal(got, want) {
		t.Errorf("IAM grants:\n got %v\nwant %v", got, want)
	}

	for _, typ := range []string{"google_cloud_run_v2_service_iam_member", "google_cloudfunctions2_function_iam_member"} {
		for _, m := range find(t, c, "resource", typ) {
			attr := "name"
			if typ == "google_cloudfunctions2_function_iam_member" {
				attr = "cloud_function"
			}
			if name, _ := m.Attr(attr); name != "google_cloudfunctions2_function.export.name" {
				t.Errorf("%s.%s %s = %s, want the function's own (google_cloudfunctions2_function.export.name)", m.Labels[0], m.Labels[1], attr, name)
			}
		}
	}
	op := one(t, c, "variable", "operator_invoker_members")
	if v := op.Sub("validation"); len(v) == 0 || !strings.Contains(v[0].Body, "user|group|serviceAccount") {
		t.Errorf("variable operator_invoker_members must validate members as user:, group: or serviceAccount: only")
	}
}

// The resolver behind TestInvokerOnlyOnTheService, on the shapes it must
// follow and the ones it must refuse.
func TestStrings(t *testing.T) {
	src := `locals {
  roles = toset([
    "roles/a", # a comment
    "roles/b",
  ])
  one = "roles/c"
}
resource "r" "spread" {
  for_each = local.roles
  role     = each.value
}
resource "r" "lit" {
  role = local.one
}
resource "r" "var" {
  for_each = toset(var.members)
  role     = each.value
}
resource "r" "tpl" {
  role = "roles/${var.x}"
}
`
	c := &Config{Files: map[string]string{"x.tf": src}}
	for label, want := range map[string][]string{"spread": {"roles/a", "roles/b"}, "lit": {"roles/c"}, "var": nil, "tpl": nil} {
		b := one(t, c, "resource", "r", label)
		role, _ := b.Expr("role")
		got, err := c.Strings(b, role)
		if want == nil {
			if err == nil {
				t.Errorf("%s: Strings(%s) = %v, want an error", label, role, got)
			}
		} else if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: Strings(%s) = %v, %v; want %v", label, role, got, err, want)
		}
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

// attemptMinutes is Cloud Scheduler's schedule for a day whose attempts all
// fail at once: the wait starts at min, doubles doublings times, then grows
// linearly by the last doubled step, capped at max (the formula of
// local.retry_attempt_minutes in scheduler.tf).
func attemptMinutes(retries, min, max, doublings int) []int {
	starts := []int{0}
	total := 0
	for k := 0; k < retries; k++ {
		wait := min << k
		if k > doublings {
			wait = (min << doublings) * (k - doublings + 1)
		}
		if wait > max {
			wait = max
		}
		total += wait
		starts = append(starts, total/60)
	}
	return starts
}

// example.tfvars says how many attempts its retry settings make, and when.
// retry_count counts retries, so the attempts are one more.
func TestExampleRetryComment(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(tfDir, "example.tfvars"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	value := func(name string) int {
		m := regexp.MustCompile(`(?m)^` + name + `\s*=\s*([0-9]+)\s*$`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("example.tfvars sets no %s", name)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	retries := value("retry_count")
	want := attemptMinutes(retries, value("retry_min_backoff_seconds"), value("retry_max_backoff_seconds"), value("retry_max_doublings"))

	var comment strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") && (comment.Len() > 0 || strings.Contains(line, "Scheduler retries")) {
			comment.WriteString(strings.TrimPrefix(line, "#") + " ")
		} else if comment.Len() > 0 {
			break
		}
	}
	m := regexp.MustCompile(`(\d+) retries make (\d+) attempts in\s+all`).FindStringSubmatch(comment.String())
	if m == nil {
		t.Fatalf("the retry comment %q does not say \"N retries make M attempts in all\"", comment.String())
	}
	if n, _ := strconv.Atoi(m[1]); n != retries {
		t.Errorf("the comment says %d retries; retry_count = %d", n, retries)
	}
	if n, _ := strconv.Atoi(m[2]); n != retries+1 {
		t.Errorf("the comment says %d attempts; retry_count = %d makes %d", n, retries, retries+1)
	}
	var said []int
	for _, mm := range regexp.MustCompile(`\+(\d+)`).FindAllStringSubmatch(comment.String(), -1) {
		n, _ := strconv.Atoi(mm[1])
		said = append(said, n)
	}
	if !slices.Equal(said, want) {
		t.Errorf("the comment gives attempts at +%v minutes; the values make +%v", said, want)
	}
	if got := attemptMinutes(4, 300, 2400, 3); !slices.Equal(got, []int{0, 5, 15, 35, 75}) {
		t.Errorf("attemptMinutes(defaults) = %v, want the README's 0, 5, 15, 35, 75", got)
	}
}

// More than one request per instance needs at least one vCPU, which the
// default (CPU derived from 512Mi) is not: the variable refuses it. make
// tf-validate also plans both cases.
func TestConcurrencyNeedsOneCPU(t *testing.T) {
	c := load(t)
	found := false
	for _, v := range one(t, c, "variable", "max_instance_request_concurrency").Sub("validation") {
		cond, _ := v.Expr("condition")
		if strings.Contains(cond, "var.available_cpu") {
			found = true
			if !regexp.MustCompile(`var\.max_instance_request_concurrency\s*==\s*1\s*\|\|`).MatchString(cond) ||
				!regexp.MustCompile(`tonumber\(var\.available_cpu\)\s*>=\s*1\b`).MatchString(cond) {
				t.Errorf("concurrency validation %q: want concurrency == 1 || tonumber(var.available_cpu) >= 1", cond)
			}
		}
	}
	if !found {
		t.Error("no validation of max_instance_request_concurrency refers to var.available_cpu")
	}
	if d := variableDefault(t, c, "available_cpu"); d != "null" {
		t.Errorf("available_cpu default = %s; the validation's message assumes null (derived from memory)", d)
	}
}

// The no-success alert fires whether the log-based counter has no points in
// the window or only zero-valued ones, summed over every series.
func TestNoSuccessAlertIsRobustToZeros(t *testing.T) {
	c := load(t)
	p := one(t, c, "resource", "google_monitoring_alert_policy", "no_recent_success")
	var query string
	for _, cond := range p.Sub("conditions") {
		for _, q := range cond.Sub("condition_prometheus_query_language") {
			query, _ = q.Attr("query")
		}
	}
	want := `"absent_over_time(${local.exported_series}) or sum(sum_over_time(${local.exported_series})) < 1"`
	if query != want {
		t.Errorf("no_recent_success query = %s, want %s", query, want)
	}
	var series string
	for _, l := range find(t, c, "locals") {
		if e, ok := l.Expr("exported_series"); ok {
			series = e
		}
	}
	for _, part := range []string{`_finished{`, `outcome=\"exported\"`, `service_name=\"${var.function_name}\"`, `}[${var.health_window}]"`} {
		if !strings.Contains(series, part) {
			t.Errorf("local.exported_series = %s lacks %s", series, part)
		}
	}
}

// Each alert's documentation links to its own section of terraform/README.md
// (runbook_url#anchor), and the anchor exists.
func TestAlertsLinkTheirRunbook(t *testing.T) {
	c := load(t)
	readme, err := os.ReadFile(filepath.Join(tfDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := docscheck.Anchors(string(readme))
	if d := variableDefault(t, c, "runbook_url"); !strings.HasSuffix(d, `/terraform/README.md"`) {
		t.Errorf("runbook_url default = %s, want the address of terraform/README.md", d)
	}
	link := regexp.MustCompile(`\$\{var\.runbook_url\}#([a-z0-9-]+)`)
	seen := map[string]string{}
	policies := find(t, c, "resource", "google_monitoring_alert_policy")
	if len(policies) < 3 {
		t.Fatalf("found %d alert policies, want at least 3", len(policies))
	}
	for _, p := range policies {
		docs := p.Sub("documentation")
		if len(docs) != 1 {
			t.Errorf("alert %s has %d documentation blocks, want 1", p.Labels[1], len(docs))
			continue
		}
		content, _ := docs[0].Attr("content")
		m := link.FindAllStringSubmatch(content, -1)
		if len(m) != 1 {
			t.Errorf("alert %s documentation links %d runbook sections, want 1 (${var.runbook_url}#anchor): %s", p.Labels[1], len(m), content)
			continue
		}
		anchor := m[0][1]
		if !anchors[anchor] {
			t.Errorf("alert %s links #%s, which terraform/README.md does not have", p.Labels[1], anchor)
		}
		if other, dup := seen[anchor]; dup {
			t.Errorf("alerts %s and %s link the same section #%s; each needs its own", other, p.Labels[1], anchor)
		}
		seen[anchor] = p.Labels[1]
	}
}

// The runtime validation refuses every runtime that may not build go.mod's go
// directive (the rule scripts/gcfpack applies at make package).
func TestRuntimeValidationMatchesGoMod(t *testing.T) {
	c := load(t)
	goMod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go 1\.([0-9]+)(?:\.([0-9]+))?`).FindSubmatch(goMod)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	minor, _ := strconv.Atoi(string(m[1]))
	need := 100 + minor // goNNN is Go 1.(NNN-100)
	if len(m[2]) > 0 && string(m[2]) != "0" {
		need++ // the same minor's image may carry an older patch
	}
	v := one(t, c, "variable", "runtime").Sub("validation")
	if len(v) == 0 {
		t.Fatal("variable runtime has no validation")
	}
	cond, _ := v[0].Attr("condition")
	mm := regexp.MustCompile(`>=\s*([0-9]+)`).FindStringSubmatch(cond)
	if mm == nil {
		t.Fatalf("runtime validation %q has no lower bound", cond)
	}
	if got, _ := strconv.Atoi(mm[1]); got != need {
		t.Errorf("runtime validation allows go%d and later; go.mod (go 1.%d.%s) needs go%d and later", got, minor, m[2], need)
	}
	d := strings.Trim(variableDefault(t, c, "runtime"), `"`)
	if n, err := strconv.Atoi(strings.TrimPrefix(d, "go")); err != nil || n < need {
		t.Errorf("runtime default %s is below go%d", d, need)
	}
}
