// Package mapsheet reads an import layout's account map from the export folder at the start of every attempt
// and binds it to the layout for that attempt's file: the accountant edits the map where the files are, and the
// next attempt uses the edit, with the map's version in the summary.
package mapsheet

import (
	"context"
	"errors"
	"fmt"

	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/layout"
)

// Reader reads a sheet from the export folder; *drive.Store implements it.
type Reader interface {
	ReadSheet(ctx context.Context, name string) (drive.Sheet, error)
}

// Loader is export.Format.Load for a layout whose account map lives in the export folder.
type Loader struct {
	Reader Reader
	Layout layout.Layout                     // the configured layout; its SheetName is the map's name
	Build  func(layout.Layout) export.Format // the file format for a layout bound to a map
}

// Load reads the map and returns the format that writes with it, and the map's source for the summary. A map
// that is missing or is not a valid map wraps export.ErrAccountMap, with what to fix.
func (l Loader) Load(ctx context.Context) (export.Format, *export.Source, error) {
	name := l.Layout.SheetName()
	if name == "" {
		return export.Format{}, nil, fmt.Errorf("the layout reads no account map from the export folder")
	}
	sh, err := l.Reader.ReadSheet(ctx, name)
	if errors.Is(err, export.ErrAccountMap) {
		return export.Format{}, nil, err // it says what the accountant must fix, from "account map: " on
	}
	if err != nil {
		return export.Format{}, nil, fmt.Errorf("read the account map: %w", err)
	}
	m, err := layout.ParseAccountMap(sh.Content)
	if err != nil {
		return export.Format{}, nil, fmt.Errorf("%w: %s (%s, id %s, Drive version %d) is not a valid account map: %v",
			export.ErrAccountMap, sh.Name, sh.Kind(), sh.ID, sh.Version, err)
	}
	src := &export.Source{Name: sh.Name, FileID: sh.ID, Kind: sh.Kind(), Version: sh.Version, Modified: sh.Modified,
		SHA256: m.Version(), Rows: m.Len()}
	return l.Build(l.Layout.WithAccounts(m)), src, nil
}
