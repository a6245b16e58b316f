package faults

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// xlsxRows reads the cells of the first worksheet of an .xlsx file as text, row by row. It is hand-written on
// archive/zip and encoding/xml rather than a spreadsheet library because the harness only needs the cell texts
// back (shared strings, inline strings and plain values) to find entry and line ids, and a dependency for that
// would ship in the module for the sake of a test tool.
func xlsxRows(content []byte) ([][]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil, err
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	var shared []string
	if f := files["xl/sharedStrings.xml"]; f != nil {
		var sst struct {
			SI []xlsxText `xml:"si"`
		}
		if err := readXML(f, &sst); err != nil {
			return nil, fmt.Errorf("shared strings: %w", err)
		}
		for _, si := range sst.SI {
			shared = append(shared, si.text())
		}
	}
	sheet := files["xl/worksheets/sheet1.xml"]
	if sheet == nil {
		return nil, fmt.Errorf("no xl/worksheets/sheet1.xml")
	}
	var ws struct {
		Rows []struct {
			Cells []struct {
				Ref    string   `xml:"r,attr"`
				Type   string   `xml:"t,attr"`
				Value  string   `xml:"v"`
				Inline xlsxText `xml:"is"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := readXML(sheet, &ws); err != nil {
		return nil, fmt.Errorf("sheet1: %w", err)
	}
	rows := make([][]string, 0, len(ws.Rows))
	for _, r := range ws.Rows {
		var row []string
		for _, c := range r.Cells {
			col := len(row)
			if c.Ref != "" {
				if col, err = column(c.Ref); err != nil {
					return nil, err
				}
			}
			for len(row) <= col {
				row = append(row, "")
			}
			switch c.Type {
			case "s":
				i, err := strconv.Atoi(c.Value)
				if err != nil || i < 0 || i >= len(shared) {
					return nil, fmt.Errorf("cell %s: shared string %q out of range", c.Ref, c.Value)
				}
				row[col] = shared[i]
			case "inlineStr":
				row[col] = c.Inline.text()
			default:
				row[col] = c.Value
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// xlsxText is a string item: plain <t>, or rich text runs <r><t>.
type xlsxText struct {
	T    string `xml:"t"`
	Runs []struct {
		T string `xml:"t"`
	} `xml:"r"`
}

func (x xlsxText) text() string {
	if len(x.Runs) == 0 {
		return x.T
	}
	var b strings.Builder
	b.WriteString(x.T)
	for _, r := range x.Runs {
		b.WriteString(r.T)
	}
	return b.String()
}

// column turns a cell reference such as "AB12" into its 0-based column.
func column(ref string) (int, error) {
	n := 0
	i := 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		n = n*26 + int(ref[i]-'A'+1)
	}
	if i == 0 {
		return 0, fmt.Errorf("cell reference %q has no column", ref)
	}
	return n - 1, nil
}

func readXML(f *zip.File, v any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, 1<<30)).Decode(v)
}
