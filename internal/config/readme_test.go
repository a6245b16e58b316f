package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/config"
)

// TestREADMEListsEveryVariable keeps the README's configuration table true to the code.
func TestREADMEListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	readme := string(b)
	for _, v := range config.Variables {
		if !strings.Contains(readme, "| `"+v.Name+"` |") {
			t.Errorf("README has no table row for %s", v.Name)
		}
		if d := v.Default; d != "" && !strings.HasPrefix(d, "(required") && !strings.HasPrefix(d, "$") &&
			!strings.Contains(readme, "| `"+v.Name+"` | `"+d+"` |") {
			t.Errorf("README does not give %s its default %q", v.Name, d)
		}
	}
}
