package main

import (
	"reflect"
	"strings"
	"testing"
)

// sample is the shape of what LibreOffice 7.4 writes for a converted CSV, cut down.
const sample = `<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0">
 <office:body><office:spreadsheet><table:table table:name="t">
  <table:table-column table:number-columns-repeated="3"/>
  <table:table-row>
   <table:table-cell office:value-type="string" calcext:value-type="string"><text:p>a<text:s/>b<text:s text:c="2"/>c</text:p></table:table-cell>
   <table:table-cell table:formula="of:=1+1" office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell>
   <table:table-cell office:value-type="string"><text:p>line</text:p><text:p>two<text:tab/>x<text:line-break/>y</text:p></table:table-cell>
  </table:table-row>
  <table:table-row>
   <table:table-cell table:number-columns-repeated="2"/>
   <table:table-cell office:value-type="date" office:date-value="2026-11-28"><text:p><text:span>2026-11-28</text:span></text:p></table:table-cell>
   <table:table-cell table:number-columns-repeated="1021"/>
  </table:table-row>
  <table:table-row table:number-rows-repeated="2">
   <table:table-cell office:value-type="float" office:value="-0.5"><text:p>-0.5</text:p></table:table-cell>
  </table:table-row>
  <table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
 </table:table></office:spreadsheet></office:body></office:document>`

func TestReadSheet(t *testing.T) {
	rows, err := readSheet(strings.NewReader(sample))
	if err != nil {
		t.Fatalf("readSheet: %v", err)
	}
	want := [][]Cell{
		{
			{Type: "string", Text: "a b  c"},
			{Formula: "of:=1+1", Type: "float", Value: "2", Text: "2"},
			{Type: "string", Text: "line\ntwo\tx\ny"},
		},
		{{}, {}, {Type: "date", Date: "2026-11-28", Text: "2026-11-28"}},
		{{Type: "float", Value: "-0.5", Text: "-0.5"}},
		{{Type: "float", Value: "-0.5", Text: "-0.5"}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("readSheet(sample) =\n%+v\nwant\n%+v", rows, want)
	}
}

func TestReadSheetRejectsBrokenXML(t *testing.T) {
	for _, in := range []string{"", "<a>", sample[:len(sample)/2], strings.Replace(sample, `text:c="2"`, `text:c="x"`, 1)} {
		if rows, err := readSheet(strings.NewReader(in)); err == nil {
			t.Errorf("readSheet(%.40q...) = %d rows, nil; want an error", in, len(rows))
		}
	}
}
