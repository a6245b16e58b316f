package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// OpenDocument namespaces of the elements and attributes read here.
const (
	nsTable  = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
	nsOffice = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
	nsText   = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
)

// Cell is one cell of a flat OpenDocument spreadsheet as LibreOffice saved it.
type Cell struct {
	Formula string // table:formula; empty when the cell holds no formula
	Type    string // office:value-type: string, float, date, time, percentage, currency, boolean, or empty
	Value   string // office:value of a float, percentage or currency cell
	Date    string // office:date-value of a date cell
	Text    string // the shown text: the cell's paragraphs joined with LF
	Format  string // the number format, from readers that give it (openpyxl); empty from a .fods
}

// Empty reports whether the cell holds nothing.
func (c Cell) Empty() bool { return c.Formula == "" && c.Type == "" && c.Text == "" }

// maxRepeat bounds how many copies of a repeated, non-empty row or cell are expanded.
const maxRepeat = 100000

// readSheet reads the first table of a .fods document: its rows, each cut after its last non-empty cell.
// Repeated empty rows and cells (LibreOffice pads sheets with them) are not expanded beyond the last used one.
func readSheet(r io.Reader) ([][]Cell, error) {
	d := xml.NewDecoder(r)
	var (
		rows    [][]Cell
		inTable bool
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if !inTable {
				return nil, errors.New("no table:table element")
			}
			return nil, errors.New("table:table is not closed")
		}
		if err != nil {
			return nil, fmt.Errorf("read fods: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Space == nsTable && t.Name.Local == "table":
				if inTable {
					return nil, errors.New("nested table:table")
				}
				inTable = true
			case inTable && t.Name.Space == nsTable && t.Name.Local == "table-row":
				row, err := readRow(d)
				if err != nil {
					return nil, fmt.Errorf("row %d: %w", len(rows)+1, err)
				}
				n, err := repeat(t, "number-rows-repeated")
				if err != nil {
					return nil, fmt.Errorf("row %d: %w", len(rows)+1, err)
				}
				if len(row) == 0 {
					// Empty rows count only when a used row follows; keep them as placeholders, trimmed below.
					n = min(n, maxRepeat)
				}
				for range n {
					rows = append(rows, row)
				}
			}
		case xml.EndElement:
			if inTable && t.Name.Space == nsTable && t.Name.Local == "table" {
				for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
					rows = rows[:len(rows)-1]
				}
				return rows, nil
			}
		}
	}
}

// readRow reads the cells of a table:table-row up to its end element.
func readRow(d *xml.Decoder) ([]Cell, error) {
	var cells []Cell
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("read row: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != nsTable || (t.Name.Local != "table-cell" && t.Name.Local != "covered-table-cell") {
				if err := d.Skip(); err != nil {
					return nil, fmt.Errorf("skip %s: %w", t.Name.Local, err)
				}
				continue
			}
			c := Cell{}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == nsTable && a.Name.Local == "formula":
					c.Formula = a.Value
				case a.Name.Space == nsOffice && a.Name.Local == "value-type":
					c.Type = a.Value
				case a.Name.Space == nsOffice && a.Name.Local == "value":
					c.Value = a.Value
				case a.Name.Space == nsOffice && a.Name.Local == "date-value":
					c.Date = a.Value
				}
			}
			text, err := readCellText(d)
			if err != nil {
				return nil, err
			}
			c.Text = text
			n, err := repeat(t, "number-columns-repeated")
			if err != nil {
				return nil, err
			}
			if c.Empty() {
				n = min(n, maxRepeat)
			}
			for range n {
				cells = append(cells, c)
			}
		case xml.EndElement:
			for len(cells) > 0 && cells[len(cells)-1].Empty() {
				cells = cells[:len(cells)-1]
			}
			return cells, nil
		}
	}
}

// readCellText reads a cell's content up to its end element: its text:p paragraphs, joined with LF.
func readCellText(d *xml.Decoder) (string, error) {
	var paras []string
	for {
		tok, err := d.Token()
		if err != nil {
			return "", fmt.Errorf("read cell: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == nsText && t.Name.Local == "p" {
				var b strings.Builder
				if err := readInline(d, &b); err != nil {
					return "", err
				}
				paras = append(paras, b.String())
				continue
			}
			// Annotations and other cell children are not shown text.
			if err := d.Skip(); err != nil {
				return "", fmt.Errorf("skip %s: %w", t.Name.Local, err)
			}
		case xml.EndElement:
			return strings.Join(paras, "\n"), nil
		}
	}
}

// readInline appends the text of a paragraph or span to b up to its end element: character data, text:s (spaces),
// text:tab, text:line-break, and the text inside text:span and text:a.
func readInline(d *xml.Decoder, b *strings.Builder) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("read paragraph: %w", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if t.Name.Space != nsText {
				if err := d.Skip(); err != nil {
					return fmt.Errorf("skip %s: %w", t.Name.Local, err)
				}
				continue
			}
			switch t.Name.Local {
			case "s":
				n := 1
				for _, a := range t.Attr {
					if a.Name.Space == nsText && a.Name.Local == "c" {
						v, err := strconv.Atoi(a.Value)
						if err != nil || v < 1 || v > maxRepeat {
							return fmt.Errorf("text:s c=%q is not a count", a.Value)
						}
						n = v
					}
				}
				b.WriteString(strings.Repeat(" ", n))
				if err := d.Skip(); err != nil {
					return fmt.Errorf("skip text:s: %w", err)
				}
			case "tab":
				b.WriteByte('\t')
				if err := d.Skip(); err != nil {
					return fmt.Errorf("skip text:tab: %w", err)
				}
			case "line-break":
				b.WriteByte('\n')
				if err := d.Skip(); err != nil {
					return fmt.Errorf("skip text:line-break: %w", err)
				}
			default: // text:span, text:a and the like hold shown text
				if err := readInline(d, b); err != nil {
					return err
				}
			}
		case xml.EndElement:
			return nil
		}
	}
}

// repeat reads a table:number-*-repeated attribute; 1 when absent.
func repeat(t xml.StartElement, name string) (int, error) {
	for _, a := range t.Attr {
		if a.Name.Space == nsTable && a.Name.Local == name {
			n, err := strconv.Atoi(a.Value)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("table:%s=%q is not a count", name, a.Value)
			}
			return n, nil
		}
	}
	return 1, nil
}
