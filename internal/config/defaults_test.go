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
