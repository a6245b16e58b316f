package main

import (
	"os"
	"regexp"
	"testing"

	"github.com/siamledger/ledger-export/internal/bench"
)

// The benchmarks must run with the memory limit the function is deployed with, or their peak RSS says nothing
// about production: a changed default of terraform's go_memory_limit fails here until bench.DeployedMemoryLimit follows.
func TestDeployedMemoryLimit(t *testing.T) {
	b, err := os.ReadFile("../../../../terraform/variables.tf")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)variable "go_memory_limit" \{.*?default\s*=\s*"([^"]*)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal(`terraform/variables.tf has no default for variable "go_memory_limit"`)
	}
	if got := string(m[1]); got != bench.DeployedMemoryLimit {
		t.Errorf("terraform deploys GOMEMLIMIT=%s, the benchmarks use %s", got, bench.DeployedMemoryLimit)
	}
}
