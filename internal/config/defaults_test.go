package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/config"
)

// TestFromEnvMatchesEveryDocumentedDefault checks config.Variables, which the README's table is checked against,
// against what FromEnv does: FromEnv reads every listed variable, and for each one with a default, the Config of
// the minimal environment equals the Config of the minimal environment with the variable set to its listed
// default. A default changed in FromEnv but not in Variables (or the other way round), or a listed variable
// FromEnv never reads, fails here.
func TestFromEnvMatchesEveryDocumentedDefault(t *testing.T) {
	load := func(m map[string]string) (config.Config, map[string]bool) {
		t.Helper()
		read := map[string]bool{}
		c, err := config.FromEnv(func(k string) string { read[k] = true; return m[k] })
		if err != nil {
			t.Fatalf("FromEnv(%v): %v", m, err)
		}
		if c.Location == nil {
			t.Fatalf("FromEnv(%v) has no Location", m)
		}
		c.Location = nil // compared through TimeZone; a loaded zone is a fresh pointer each time
		return c, read
	}
	base, read := load(minimal())
	checked := 0
	for _, v := range config.Variables {
		if !read[v.Name] {
			t.Errorf("config.Variables lists %s, but FromEnv never reads it", v.Name)
		}
		m := minimal()
		switch {
		case strings.HasPrefix(v.Default, "(required"):
			continue
		case strings.HasPrefix(v.Default, "$"): // the value of another variable
			from := strings.TrimPrefix(v.Default, "$")
			delete(m, v.Name)
			m[from] = base.FirestoreProject
			if c, _ := load(m); !reflect.DeepEqual(c, base) {
				t.Errorf("%s unset and %s=%q gives %+v, want %+v", v.Name, from, base.FirestoreProject, c, base)
			}
		default:
			if _, set := m[v.Name]; set {
				t.Fatalf("the minimal environment sets %s, so its default cannot be checked", v.Name)
			}
			m[v.Name] = v.Default
			if c, _ := load(m); !reflect.DeepEqual(c, base) {
				t.Errorf("%s=%q (its listed default) gives\n%+v\nunset gives\n%+v", v.Name, v.Default, c, base)
			}
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("checked the defaults of %d variables, want every optional one (at least 20)", checked)
	}
}

// TestFromEnvBounds checks each documented bound at its edge: the bound itself is accepted and one step beyond
// is refused, naming the variable.
func TestFromEnvBounds(t *testing.T) {
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"LEASE_DURATION", "1s", true}, {"LEASE_DURATION", "999ms", false},
		{"CHUNK_SIZE", "262144", true}, {"CHUNK_SIZE", "0", false}, {"CHUNK_SIZE", "262145", false},
		{"CHUNK_SIZE", "268435456", true}, {"CHUNK_SIZE", "268697600", false},
		{"BATCH_SIZE", "1", true}, {"BATCH_SIZE", "0", false}, {"BATCH_SIZE", "1000", true}, {"BATCH_SIZE", "1001", false},
		{"HEALTH_WINDOW", "1h", true}, {"HEALTH_WINDOW", "59m59s", false},
		{"BACKFILL_WINDOW", "24h", true}, {"BACKFILL_WINDOW", "23h59m59s", false}, {"BACKFILL_WINDOW", "1h", false},
		{"CALL_TIMEOUT", "1s", true}, {"CALL_TIMEOUT", "999ms", false},
		{"MONGODB_DATABASE", "ledger", true}, {"MONGODB_DATABASE", "led.ger", false}, {"MONGODB_DATABASE", "a/b", false},
		{"NOTIFY_WEBHOOK_URL", "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=k&token=t", true},
		{"NOTIFY_WEBHOOK_URL", "http://127.0.0.1:8089/hook", true},
		{"NOTIFY_WEBHOOK_URL", "http://hooks.example.com/x", false}, {"NOTIFY_WEBHOOK_URL", "https://", false},
	}
	for _, tt := range tests {
		m := minimal()
		m[tt.name] = tt.value
		_, err := config.FromEnv(env(m))
		if tt.ok && err != nil {
			t.Errorf("%s=%s: %v, want it accepted", tt.name, tt.value, err)
		}
		if !tt.ok && (err == nil || !strings.Contains(err.Error(), tt.name)) {
			t.Errorf("%s=%s: error %v, want a refusal naming %s", tt.name, tt.value, err, tt.name)
		}
	}
}

// TestTelemetryAuto: TELEMETRY=auto (the default) is gcp on Cloud Run, where K_SERVICE is set, and none elsewhere.
func TestTelemetryAuto(t *testing.T) {
	for kService, want := range map[string]string{"": "none", "ledger-export": "gcp"} {
		m := minimal()
		m["K_SERVICE"] = kService
		c, err := config.FromEnv(env(m))
		if err != nil || c.Telemetry != want {
			t.Errorf("TELEMETRY unset, K_SERVICE=%q: %q, %v; want %q", kService, c.Telemetry, err, want)
		}
	}
}
