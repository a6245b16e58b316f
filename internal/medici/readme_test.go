package medici_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/medici"
)

// TestREADMEListsEveryIndex keeps the createIndex commands of internal/medici/README.md true to the queries.
func TestREADMEListsEveryIndex(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	for _, ix := range medici.Indexes(collections) {
		var keys []string
		for _, k := range ix.Keys {
			keys = append(keys, fmt.Sprintf("%s: %v", k.Key, k.Value))
		}
		cmd := fmt.Sprintf("db.%s.createIndex({ %s })", ix.Collection, strings.Join(keys, ", "))
		if !strings.Contains(string(b), cmd) {
			t.Errorf("README lacks %s", cmd)
		}
	}
}
