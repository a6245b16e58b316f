package doctor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/doctor"
	"github.com/siamledger/ledger-export/internal/export"
)

// TestAccountMapCheck: with an import layout, the doctor reads the account map as every attempt does and says
// which version it found, or, when the accountant has not shared it yet, fails naming the sheet and its columns;
// a Drive outage is not blamed on the accountant; without a map layout the line is OK and says so. It fails if
// the preflight passed a deploy whose first export would fail on a missing map, or sent the accountant to fix a
// Drive outage.
func TestAccountMapCheck(t *testing.T) {
	s := newSetup(t)
	s.expect(doctor.CheckAccountMap, doctor.OK, "LAYOUT reads no account map")

	s.doctor.Config.AccountMapSheet = "account-map"
	var err error
	s.doctor.AccountMap = func(context.Context) (*export.Source, error) {
		if err != nil {
			return nil, err
		}
		return &export.Source{Name: "account-map", Kind: "Google Sheet", Version: 4, SHA256: "0123456789abcdef", Rows: 12}, nil
	}
	s.expect(doctor.CheckAccountMap, doctor.OK, "account-map (Google Sheet, Drive version 4, sha256 0123456789ab): 12 accounts mapped")

	err = fmt.Errorf("%w: no Google Sheet or CSV named \"account-map\" in the export folder", export.ErrAccountMap)
	s.expect(doctor.CheckAccountMap, doctor.Fail, `no Google Sheet or CSV named "account-map"`,
		`a Google Sheet (or a CSV) named "account-map"`, "account, code, name, tax_rate, tracking_name, tracking_option")

	err = errors.New("googleapi: Error 503: backendError")
	rep := s.expect(doctor.CheckAccountMap, doctor.Fail, "cannot be read", "retry")
	if r, _ := rep.Result(doctor.CheckAccountMap); r.Fix == "" || strings.Contains(r.Fix, "named") {
		t.Errorf("a Drive outage sends the accountant to fix the map: %s", r.Fix)
	}
}
