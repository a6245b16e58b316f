package layout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Parse reads the LAYOUT variable: "default" (or empty), a preset's name (see Presets), or a custom layout as a
// JSON object, for example
//
//	{"columns":[{"header":"Date","field":"posted_at"},{"header":"Ref","field":"journal_no"},
//	 {"header":"Account","field":"account"},{"header":"Amount","field":"amount"},
//	 {"header":"Tax","field":"const","value":"Tax Exempt"}],"dateFormat":"02/01/2006","blankZero":true}
//
// meta is the configured meta fields (META_COLUMNS): the default layout writes them all, and a custom layout's
// meta columns must be among them. The error says what is wrong, without the variable's name (the caller adds it).
func Parse(spec string, meta []string) (Layout, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "" || spec == "default":
		return Default(meta), nil
	case strings.HasPrefix(spec, "{"):
		var l Layout
		d := json.NewDecoder(strings.NewReader(spec))
		d.DisallowUnknownFields()
		if err := d.Decode(&l); err != nil {
			return Layout{}, fmt.Errorf("is not a layout object: %w", err)
		}
		if d.More() {
			return Layout{}, errors.New("has text after the layout object")
		}
		l.Name = "custom"
		if l.Preset != "" {
			p, ok := Presets[l.Preset]
			if !ok {
				return Layout{}, fmt.Errorf("preset %q is not one of %s", l.Preset, strings.Join(PresetNames(), ", "))
			}
			l = p.Layout.with(l)
		}
		if err := l.loadMap(); err != nil {
			return Layout{}, err
		}
		return l.compile(meta)
	}
	p, ok := Presets[spec]
	if !ok {
		return Layout{}, fmt.Errorf("%q is not default, a preset (%s) or a JSON layout object", spec, strings.Join(PresetNames(), ", "))
	}
	l := p.Layout
	l.Name = spec
	l.Columns = slices.Clone(l.Columns)
	return l.compile(meta)
}

// with returns the preset p with the keys the JSON layout o sets put over it.
func (p Layout) with(o Layout) Layout {
	l := p
	l.Name = o.Preset
	l.Preset = o.Preset
	l.Columns = slices.Clone(p.Columns)
	if o.Columns != nil {
		l.Columns = o.Columns
	}
	if o.DateFormat != "" {
		l.DateFormat = o.DateFormat
	}
	l.BlankZero = l.BlankZero || o.BlankZero
	for _, s := range []struct {
		dst *string
		src string
	}{
		{&l.AccountMap, o.AccountMap}, {&l.AccountMapCSV, o.AccountMapCSV}, {&l.AccountMapSheet, o.AccountMapSheet}, {&l.Mode, o.Mode},
		{&l.DetailFile, o.DetailFile}, {&l.NameField, o.NameField}, {&l.Voids, o.Voids},
	} {
		if s.src != "" {
			*s.dst = s.src
		}
	}
	if o.MaxLines != 0 {
		l.MaxLines = o.MaxLines
	}
	if o.FormulaGuard != nil {
		l.FormulaGuard = o.FormulaGuard
	}
	return l
}

// loadMap reads the account map the layout names, from its file or its text.
func (l *Layout) loadMap() error {
	switch {
	case l.AccountMap != "" && l.AccountMapCSV != "":
		return errors.New("gives both accountMap and accountMapCSV: give one")
	case l.AccountMap != "":
		m, err := LoadAccountMap(l.AccountMap)
		if err != nil {
			return err
		}
		l.accounts = m
	case l.AccountMapCSV != "":
		m, err := ParseAccountMap([]byte(l.AccountMapCSV))
		if err != nil {
			return fmt.Errorf("accountMapCSV: %w", err)
		}
		l.accounts = m
	}
	return nil
}

// JournalNo is a short journal reference that imports with a length limit accept: the batch date without dashes
// and the journal's position among the date's exported journals, 20261128-000001. It is a pure function of the
// batch, since the entries are always read in the same order.
const JournalNo Field = "journal_no"

// compile checks the layout and resolves its columns: every field known, meta fields configured, headers present,
// printable and distinct, and a date format that keeps the date.
func (l Layout) compile(meta []string) (Layout, error) {
	if len(l.Columns) == 0 {
		return Layout{}, errors.New("has no columns")
	}
	var errs []error
	seen := map[string]bool{}
	for i := range l.Columns {
		c := &l.Columns[i]
		name := fmt.Sprintf("column %d (%q)", i+1, c.Header)
		switch {
		case strings.TrimSpace(c.Header) == "":
			errs = append(errs, fmt.Errorf("column %d has no header", i+1))
		case !utf8.ValidString(c.Header) || strings.ContainsFunc(c.Header, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			errs = append(errs, fmt.Errorf("%s: the header holds a control character", name))
		case seen[strings.ToLower(c.Header)]:
			errs = append(errs, fmt.Errorf("%s: duplicate header %q", name, c.Header))
		}
		seen[strings.ToLower(c.Header)] = true
		if c.Value != "" && c.Field != Const {
			errs = append(errs, fmt.Errorf("%s: only a const column has a value", name))
		}
		if k, ok := kindOf(c.Field); ok {
			c.kind = k
		} else {
			m, ok := strings.CutPrefix(string(c.Field), MetaPrefix)
			k := slices.Index(meta, m)
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s: unknown field %q (known: %s, meta.<field>, const)", name, c.Field, strings.Join(fieldNames(), ", ")))
			case k < 0:
				errs = append(errs, fmt.Errorf("%s: meta field %q is not in META_COLUMNS", name, m))
			}
			c.kind, c.meta = KindMeta, k
		}
	}
	switch l.Mode {
	case "", "detail", "summary":
	default:
		errs = append(errs, fmt.Errorf("mode %q is not detail or summary", l.Mode))
	}
	switch l.Voids {
	case "", "keep", "net":
	default:
		errs = append(errs, fmt.Errorf("voids %q is not keep or net", l.Voids))
	}
	if l.MaxLines < 0 {
		errs = append(errs, fmt.Errorf("maxLines %d is negative", l.MaxLines))
	}
	if l.AccountMapSheet != "" && (l.AccountMap != "" || l.AccountMapCSV != "") {
		errs = append(errs, errors.New("gives accountMapSheet with accountMap or accountMapCSV: give one"))
	}
	if l.AccountMapSheet != "" && !l.usesMap() {
		errs = append(errs, errors.New("gives accountMapSheet but no column reads the account map"))
	}
	if l.Summary() && !l.usesMap() {
		errs = append(errs, errors.New("a summary journal groups lines by the account map: add an account_code or account_name column and a map"))
	}
	for i := range l.Columns {
		c := &l.Columns[i]
		if c.Field != Name {
			continue
		}
		k := slices.Index(meta, l.NameField)
		if l.NameField == "" || k < 0 {
			errs = append(errs, fmt.Errorf("column %d (%q): the name column reads meta field %q (nameField), which is not in META_COLUMNS", i+1, c.Header, l.NameField))
		}
		c.meta = k
	}
	if l.DateFormat != "" {
		if err := checkDateFormat(l.DateFormat); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Layout{}, err
	}
	return l, nil
}

// kindOf is how a field other than a meta one is rendered; ok is false for a meta or unknown field.
func kindOf(f Field) (k Kind, ok bool) {
	switch f {
	case BatchDate, EntryID, JournalID, LineID, Book, Account, Memo, JournalNo, AccountCode, AccountName, TaxRate,
		TrackingName, TrackingOption, Narration, JournalRef, Name, VoidReason, OriginalJournal:
		return KindText, true
	case Debit, Credit, Amount:
		return KindMoney, true
	case PostedAt:
		return KindTime, true
	case Voided:
		return KindBool, true
	case Const:
		return KindConst, true
	}
	return 0, false
}

func fieldNames() []string {
	var s []string
	for _, f := range append(slices.Clone(defaultFields), Amount, JournalNo, AccountCode, AccountName, TaxRate, TrackingName,
		TrackingOption, Narration, JournalRef, Name) {
		s = append(s, string(f))
	}
	return s
}

// checkDateFormat refuses a date format that loses the date: each of a few dates, written with it and read back,
// must give the same year, month and day. It catches a missing year, month or day, a time-only format, and a
// format with no layout element at all.
func checkDateFormat(f string) error {
	for _, d := range []time.Time{
		time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC),
		time.Date(2031, 3, 5, 23, 59, 59, 0, time.UTC),
		time.Date(2004, 12, 9, 0, 0, 0, 0, time.UTC),
	} {
		got, err := time.Parse(f, d.Format(f))
		if err != nil || got.Year() != d.Year() || got.Month() != d.Month() || got.Day() != d.Day() {
			return fmt.Errorf("date format %q loses the date: %s is written %q (use a Go layout such as 02/01/2006)", f, d.Format(time.DateOnly), d.Format(f))
		}
	}
	return nil
}

// FormatTime appends t, already in the configured zone, as the layout writes posted_at as text.
func (l Layout) FormatTime(b []byte, t time.Time) []byte {
	if l.DateFormat == "" {
		return t.AppendFormat(b, time.RFC3339)
	}
	return t.AppendFormat(b, l.DateFormat)
}

// ExcelDateFormat is the number format of posted_at cells in an XLSX file: the layout's date format in Excel's
// codes, or yyyy-mm-dd hh:mm:ss. Go layout elements without an Excel code are kept as literal text.
func (l Layout) ExcelDateFormat() string {
	if l.DateFormat == "" {
		return "yyyy-mm-dd hh:mm:ss"
	}
	// Longest elements first, so that 2006 is not read as 2 and 006.
	codes := []struct{ goElem, excel string }{
		{"January", "mmmm"}, {"Monday", "dddd"}, {"2006", "yyyy"}, {"Jan", "mmm"}, {"Mon", "ddd"},
		{"01", "mm"}, {"02", "dd"}, {"_2", "d"}, {"06", "yy"}, {"15", "hh"}, {"03", "hh"}, {"04", "mm"},
		{"05", "ss"}, {"PM", "AM/PM"}, {"pm", "am/pm"}, {"1", "m"}, {"2", "d"}, {"3", "h"}, {"4", "m"}, {"5", "s"},
	}
	var b bytes.Buffer
	f := l.DateFormat
	for f != "" {
		matched := false
		for _, c := range codes {
			if strings.HasPrefix(f, c.goElem) {
				b.WriteString(c.excel)
				f = f[len(c.goElem):]
				matched = true
				break
			}
		}
		if !matched {
			r, n := utf8.DecodeRuneInString(f)
			switch {
			case strings.ContainsRune(`/-:., `, r):
				b.WriteRune(r)
			default:
				b.WriteString(`\`)
				b.WriteRune(r)
			}
			f = f[n:]
		}
	}
	return b.String()
}
