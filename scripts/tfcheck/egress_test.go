package tfcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The address the docs tell users to put on Atlas's IP access list is the one the NAT sends from: the output
// nat_ip is the reserved google_compute_address, the NAT uses exactly that address (MANUAL_ONLY, nat_ips =
// its self link), and terraform/README.md tells users to allow `terraform output -raw nat_ip`.
//
// Bugs it catches: nat_ip_allocate_option AUTO_ONLY (the NAT would send from addresses Google picks, not the
// output one); the output pointing at another resource or attribute (the router, the address's self_link);
// the README telling users to allow another output, an address that does not exist, or 0.0.0.0/0.
func TestNATAddressIsWhatTheDocsAllow(t *testing.T) {
	c := load(t)
	out := one(t, c, "output", "nat_ip")
	v, _ := out.Expr("value")
	if !strings.Contains(v, "google_compute_address.nat[0].address") {
		t.Errorf("output nat_ip = %s, want google_compute_address.nat[0].address", v)
	}
	nat := one(t, c, "resource", "google_compute_router_nat", "nat")
	if a, _ := nat.Attr("nat_ip_allocate_option"); a != `"MANUAL_ONLY"` {
		t.Errorf("router NAT nat_ip_allocate_option = %s, want \"MANUAL_ONLY\" (only the reserved address)", a)
	}
	if a, _ := nat.Attr("nat_ips"); a != "google_compute_address.nat[*].self_link" {
		t.Errorf("router NAT nat_ips = %s, want google_compute_address.nat[*].self_link", a)
	}
	addr := one(t, c, "resource", "google_compute_address", "nat")
	if a, _ := addr.Attr("address_type"); a != `"EXTERNAL"` {
		t.Errorf("google_compute_address.nat address_type = %s, want \"EXTERNAL\"", a)
	}

	readme, err := os.ReadFile(filepath.Join(tfDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(readme)
	outputs := regexp.MustCompile("terraform(?: -chdir=terraform)? output -raw ([a-z_]+)").FindAllStringSubmatch(doc, -1)
	allow := false
	for _, m := range outputs {
		if len(find(t, c, "output", m[1])) == 0 {
			t.Errorf("README.md reads `terraform output -raw %s`, which terraform/ does not declare", m[1])
		}
		if m[1] == "nat_ip" {
			allow = true
		}
	}
	if !allow {
		t.Errorf("README.md never tells users to allow `terraform output -raw nat_ip` in Atlas")
	}
	for _, line := range strings.Split(doc, "\n") {
		if strings.Contains(line, "0.0.0.0/0") && !strings.Contains(strings.ToLower(line), "never") && !strings.Contains(strings.ToLower(line), "not ") {
			t.Errorf("README.md suggests 0.0.0.0/0: %s", line)
		}
	}
}

// The NAT only matters when every connection leaves through the VPC: the variables refuse nat_static_ip unless
// egress is direct-vpc or connector with vpc_egress_traffic = all-traffic; and the defaults create nothing (no
// egress, no NAT), so that a user who needs none of this sees no change.
//
// Bugs it catches: a validation that forgets all-traffic (Atlas would then see Google's changing addresses, not
// the NAT's); a default that turns egress on; a NAT counted on something other than nat_static_ip.
func TestEgressDefaultsAndNATNeedsAllTraffic(t *testing.T) {
	c := load(t)
	if d := variableDefault(t, c, "egress"); d != `"none"` {
		t.Errorf("egress default = %s, want \"none\"", d)
	}
	if d := variableDefault(t, c, "nat_static_ip"); d != "false" {
		t.Errorf("nat_static_ip default = %s, want false", d)
	}
	v := one(t, c, "variable", "nat_static_ip")
	cond := ""
	for _, val := range v.Sub("validation") {
		cond, _ = val.Expr("condition")
	}
	for _, want := range []string{`var.egress != "none"`, `var.vpc_egress_traffic == "all-traffic"`, `var.vpc_network != ""`} {
		if !strings.Contains(cond, want) {
			t.Errorf("nat_static_ip validation %s lacks %s", cond, want)
		}
	}
	for _, typ := range []string{"google_compute_address", "google_compute_router", "google_compute_router_nat"} {
		b := one(t, c, "resource", typ, "nat")
		if n, _ := b.Attr("count"); n != "local.nat" {
			t.Errorf("%s.nat count = %s, want local.nat", typ, n)
		}
	}
	for _, l := range find(t, c, "locals") {
		if e, ok := l.Expr("nat"); ok && e != "var.nat_static_ip ? 1 : 0" {
			t.Errorf("local.nat = %s, want var.nat_static_ip ? 1 : 0", e)
		}
	}
}

// The stuck-work alert fires on any kind of ledger_export.stuck above 0, per kind, and its documentation (and
// the runbook section it links) says what each kind the code records means and which command fixes it.
//
// Bugs it catches: a query on the wrong metric, or summed over kinds (one incident for all); a kind the code
// records (internal/telemetry or the lead's new "failing") that the alert's documentation does not explain.
func TestStuckAlertCoversEveryKind(t *testing.T) {
	c := load(t)
	p := one(t, c, "resource", "google_monitoring_alert_policy", "stuck_work")
	var query string
	for _, l := range find(t, c, "locals") {
		if e, ok := l.Expr("stuck_query"); ok {
			query = e
		}
	}
	for _, want := range []string{"workload_googleapis_com:ledger_export_stuck", "max by (kind)", "> 0"} {
		if !strings.Contains(query, want) {
			t.Errorf("local.stuck_query = %s lacks %s", query, want)
		}
	}
	docs := p.Sub("documentation")
	if len(docs) != 1 {
		t.Fatalf("stuck_work has %d documentation blocks, want 1", len(docs))
	}
	content := docs[0].Body
	src, err := os.ReadFile("../../internal/telemetry/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	kinds := regexp.MustCompile(`attribute\.String\(AttrKind, "([a-z_]+)"\)`).FindAllStringSubmatch(string(src), -1)
	if len(kinds) < 3 {
		t.Fatalf("found %d stuck kinds in internal/telemetry/metrics.go, want at least 3", len(kinds))
	}
	kinds = append(kinds, []string{"", "failing"}) // the lead's new kind; its section is written already
	readme, err := os.ReadFile(filepath.Join(tfDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	if i := strings.Index(section, "#### Alert: stuck work"); i >= 0 {
		section = section[i:]
		if j := strings.Index(section[1:], "\n#"); j >= 0 {
			section = section[:j+1]
		}
	} else {
		t.Fatalf("terraform/README.md has no section \"#### Alert: stuck work\"")
	}
	for _, k := range kinds {
		if !strings.Contains(content, "`"+k[1]+"`") {
			t.Errorf("stuck_work documentation does not explain kind %q", k[1])
		}
		if !strings.Contains(section, "`"+k[1]+"`") {
			t.Errorf("README section \"Alert: stuck work\" does not explain kind %q", k[1])
		}
	}
}
