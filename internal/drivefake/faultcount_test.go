package drivefake_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

// TestFaultsServedTriggerAndClear checks what the fault harness relies on to prove that a fault happened: each
// fault counts the requests it affected, Trigger runs before the answer, and ClearFaults stops further matches.
// Not counting a match, counting a fault that did not match, or calling Trigger after answering fails it.
func TestFaultsServedTriggerAndClear(t *testing.T) {
	fake := newFake(t, drivefake.Options{})
	answered := 0 // requests answered before the trigger ran
	triggered := 0
	fake.AddFault(drivefake.Fault{Op: drivefake.OpList, Status: http.StatusInternalServerError, Times: 2, Trigger: func() {
		triggered++
		answered = len(fake.Requests())
	}})
	fake.AddFault(drivefake.Fault{Op: drivefake.OpDelete, Status: http.StatusForbidden, Times: -1})
	fake.AddFault(drivefake.Fault{Op: drivefake.OpGet, Status: http.StatusForbidden, Reason: "insufficientFilePermissions", Times: -1})
	svc := newService(t, fake)
	ctx := context.Background()

	list := func() error { _, err := svc.Files.List().Context(ctx).Do(); return err }
	for i := range 3 {
		err := list()
		if (i < 2) != (err != nil) {
			t.Fatalf("list %d: error %v, want one only for the first two", i+1, err)
		}
	}
	if triggered != 2 || answered != 1 {
		t.Errorf("trigger ran %d times, the last with %d requests answered, want 2 and 1 (before its own answer)", triggered, answered)
	}
	if _, err := svc.Files.Get("nope").Context(ctx).Do(); apiError(t, err).Code != http.StatusForbidden {
		t.Fatalf("get with a 403 fault answered %v", err)
	}
	if got, want := fake.FaultsServed(), []int{2, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("FaultsServed = %v, want %v", got, want)
	}

	fake.ClearFaults()
	if _, err := svc.Files.Get("nope").Context(ctx).Do(); apiError(t, err).Code != http.StatusNotFound {
		t.Errorf("get after ClearFaults answered %v, want the fake's own 404", err)
	}
	if err := list(); err != nil {
		t.Errorf("list after ClearFaults: %v", err)
	}
	if got, want := fake.FaultsServed(), []int{2, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("FaultsServed after ClearFaults = %v, want %v (counts kept)", got, want)
	}
}
