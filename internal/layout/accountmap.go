package layout

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// AccountMap maps ledger accounts (Medici account paths such as Assets:Cash) to what an accounting package's import
// wants: the account's code (Xero), its name (QuickBooks), its tax rate and one tracking category. The accountant
// owns it; an account with no row fails its journal, never a silent guess.
//
// It is read from a CSV file with a header row naming these columns, in any order (account is required, the
// others may be left out or empty):
//
//	account,code,name,tax_rate,tracking_name,tracking_option
//	Assets:Cash,1000,Cash on hand,Tax Exempt,,
type AccountMap struct {
	rows    map[string]MapRow
	version string
}

// MapRow is one row of the account map.
type MapRow struct {
	Account        string // the ledger account
	Code           string // the package's account code
	Name           string // the package's account name
	TaxRate        string // the tax rate's full name, as in the package's tax settings
	TrackingName   string // a tracking category's name
	TrackingOption string // the category's option
}

// mapColumns are the account map's columns.
var mapColumns = []string{"account", "code", "name", "tax_rate", "tracking_name", "tracking_option"}

// ErrUnmapped reports an account with no row in the account map.
var ErrUnmapped = errors.New("has no row in the account map")

// Row returns the account's row, or ok false.
func (m *AccountMap) Row(account string) (MapRow, bool) {
	if m == nil {
		return MapRow{}, false
	}
	r, ok := m.rows[account]
	return r, ok
}

// Len reports how many accounts the map holds.
func (m *AccountMap) Len() int {
	if m == nil {
		return 0
	}
	return len(m.rows)
}

// Version is the SHA-256 of the map's bytes, in hex: the summary records which map a file was written with.
func (m *AccountMap) Version() string {
	if m == nil {
		return ""
	}
	return m.version
}

// LoadAccountMap reads the account map from a CSV file.
func LoadAccountMap(path string) (*AccountMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read account map: %w", err)
	}
	m, err := ParseAccountMap(b)
	if err != nil {
		return nil, fmt.Errorf("account map %s: %w", path, err)
	}
	return m, nil
}

// ParseAccountMap reads an account map from CSV bytes (a UTF-8 byte order mark is allowed). It refuses a missing
// or unknown column, a row without an account, an account listed twice, and a map with no rows.
func ParseAccountMap(b []byte) (*AccountMap, error) {
	sum := sha256.Sum256(b)
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("no header row: %w", err)
	}
	idx := make([]int, len(mapColumns))
	for i := range idx {
		idx[i] = -1
	}
	for k, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		i := indexOf(mapColumns, h)
		if i < 0 {
			return nil, fmt.Errorf("unknown column %q (known: %s)", h, strings.Join(mapColumns, ", "))
		}
		if idx[i] >= 0 {
			return nil, fmt.Errorf("column %q twice", h)
		}
		idx[i] = k
	}
	if idx[0] < 0 {
		return nil, errors.New("no account column")
	}
	m := &AccountMap{rows: map[string]MapRow{}, version: hex.EncodeToString(sum[:])}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		get := func(i int) string {
			if idx[i] < 0 || idx[i] >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[idx[i]])
		}
		row := MapRow{Account: get(0), Code: get(1), Name: get(2), TaxRate: get(3), TrackingName: get(4), TrackingOption: get(5)}
		if row.Account == "" {
			if strings.Join(rec, "") == "" {
				continue // a blank line
			}
			return nil, fmt.Errorf("line %d: no account", line)
		}
		if _, dup := m.rows[row.Account]; dup {
			return nil, fmt.Errorf("line %d: account %q is mapped twice", line, row.Account)
		}
		m.rows[row.Account] = row
	}
	if len(m.rows) == 0 {
		return nil, errors.New("no rows")
	}
	return m, nil
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
