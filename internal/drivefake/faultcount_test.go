package drivefake_test

import (
	"context"
	"fmt"
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

// TestLoseAcknowledgesWithoutStoring checks the Lose fault: the chunk is answered 308 with the Range it would have
// made, nothing is stored, and the client's next chunk meets the fake's own 400 Content-Range mismatch, while a
// status query tells the truth. Storing the lost chunk, or answering it with an error, fails it.
func TestLoseAcknowledgesWithoutStoring(t *testing.T) {
	fake := newFake(t, drivefake.Options{Faults: []drivefake.Fault{{Op: drivefake.OpChunk, Chunk: 1, Lose: true}}})
	loc := initiate(t, fake, "")
	body := payload(3 * chunkSize)
	code, hdr, _ := put(t, fake.Client(), loc, rng(0, chunkSize-1, "*"), body[:chunkSize], nil)
	if code != http.StatusPermanentRedirect || hdr.Get("Range") != fmt.Sprintf("bytes=0-%d", chunkSize-1) {
		t.Fatalf("lost chunk answered %d Range %q, want 308 bytes=0-%d", code, hdr.Get("Range"), chunkSize-1)
	}
	code, _, _ = put(t, fake.Client(), loc, rng(chunkSize, 2*chunkSize-1, "*"), body[chunkSize:2*chunkSize], nil)
	if code != http.StatusBadRequest {
		t.Errorf("the chunk after a lost one answered %d, want 400 (Content-Range mismatch)", code)
	}
	code, hdr, _ = put(t, fake.Client(), loc, "bytes */*", nil, nil)
	if code != http.StatusPermanentRedirect || hdr.Get("Range") != "" {
		t.Errorf("status query after a lost chunk answered %d Range %q, want 308 with no Range (nothing stored)", code, hdr.Get("Range"))
	}
	if s := fake.Sessions(); len(s) != 1 || s[0].Received != 0 {
		t.Errorf("sessions %+v, want one with nothing received", s)
	}
	if got := fake.FaultsServed(); got[0] != 1 {
		t.Errorf("FaultsServed = %v, want [1]", got)
	}
}
