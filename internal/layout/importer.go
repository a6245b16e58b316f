package layout

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// Sink writes one journal's rows: maps[i] is the account map row of j.Lines[i] (empty rows when the layout has no
// map). The CSV and XLSX writers pass their own row writer.
type Sink func(batchDate, entryID string, j ledger.Journal, maps []MapRow) error

// Importer stands between the export and a writer for a layout that an accounting package imports. It looks each
// line's account up in the account map, leaves out a voided journal together with its reversal, enforces the
// package's line limit, and in summary mode adds the day's lines into one journal per posting date. Journals it
// cannot write are refused with ledger.Reject (the entry fails and is listed); a file the package would refuse as
// a whole fails with the reason instead of being written. Call Close before closing the writer.
type Importer struct {
	lay  *Layout
	loc  *time.Location
	sink Sink

	lines     int   // line rows sent to the sink
	entries   int64 // entries taken: written, added to a summary, held or left out
	voided    map[string]held
	reversals map[string]held
	order     []string // held journal ids, voided and reversals, in arrival order
	leftOut   []LeftOut
	voidSum   ledger.Totals

	sums  map[sumKey]*sumLine
	keys  []sumKey // in first-seen order
	batch string
}

// LeftOut is a journal the file leaves out on purpose: a voided journal and its reversal, which net to zero.
type LeftOut struct {
	EntryID, JournalID, Reason string
	Debit, Credit              ledger.Amount
}

type held struct {
	entryID, batchDate string
	j                  ledger.Journal
	maps               []MapRow
}

type sumKey struct {
	date                                        string // YYYY-MM-DD in the zone
	code, name, taxRate, trackName, trackOption string
}

type sumLine struct {
	account string // the first ledger account seen for the key
	amount  ledger.Amount
	row     MapRow
}

// NewImporter returns an Importer for l writing into sink; loc is the zone of posting dates.
func NewImporter(l *Layout, loc *time.Location, sink Sink) *Importer {
	if loc == nil {
		loc = time.UTC
	}
	return &Importer{lay: l, loc: loc, sink: sink, voided: map[string]held{}, reversals: map[string]held{}, sums: map[sumKey]*sumLine{}}
}

// WriteJournal maps j's accounts and writes it, holds it (a void), or adds it to the day's summary.
func (im *Importer) WriteJournal(batchDate, entryID string, j ledger.Journal) error {
	im.batch = batchDate
	maps, err := im.mapLines(j)
	if err != nil {
		return err
	}
	h := held{entryID: entryID, batchDate: batchDate, j: j, maps: maps}
	im.entries++
	if im.lay.NetsVoids() {
		if isVoided(j) {
			if r, ok := im.reversals[j.ID]; ok {
				im.pair(h, r)
				return nil
			}
			im.voided[j.ID] = h
			im.order = append(im.order, j.ID)
			return nil
		}
		if orig := originalOf(j); orig != "" {
			if v, ok := im.voided[orig]; ok {
				im.pair(v, h)
				return nil
			}
			im.reversals[orig] = h
			im.order = append(im.order, "r:"+orig)
			return nil
		}
	}
	return im.post(h)
}

// mapLines looks each line's account up in the map; an account with no row, or without the code or name the
// layout writes, refuses the journal.
func (im *Importer) mapLines(j ledger.Journal) ([]MapRow, error) {
	maps := make([]MapRow, len(j.Lines))
	if !im.lay.usesMap() {
		return maps, nil
	}
	for i, l := range j.Lines {
		r, ok := im.lay.accounts.Row(l.Account)
		if !ok {
			return nil, ledger.Reject(fmt.Sprintf("account %s %s", l.Account, ErrUnmapped))
		}
		for _, c := range im.lay.Columns {
			if c.Field == AccountCode && r.Code == "" {
				return nil, ledger.Reject(fmt.Sprintf("account %s has no code in the account map", l.Account))
			}
			if c.Field == AccountName && r.Name == "" {
				return nil, ledger.Reject(fmt.Sprintf("account %s has no name in the account map", l.Account))
			}
		}
		maps[i] = r
	}
	return maps, nil
}

// pair leaves a voided journal and its reversal out of the file together.
func (im *Importer) pair(v, r held) {
	delete(im.voided, v.j.ID)
	delete(im.reversals, v.j.ID)
	reason := v.j.VoidReason
	if reason == "" && len(v.j.Lines) > 0 {
		reason = v.j.Lines[0].VoidReason
	}
	for _, h := range []held{v, r} {
		im.voidSum = im.voidSum.Add(h.j)
		d, c := sumOf(h.j)
		why := "voided (" + reason + "), left out with its reversal " + r.j.ID
		if h.j.ID == r.j.ID {
			why = "reversal of voided journal " + v.j.ID + ", left out with it"
		}
		im.leftOut = append(im.leftOut, LeftOut{EntryID: h.entryID, JournalID: h.j.ID, Reason: why, Debit: d, Credit: c})
	}
}

// post writes a journal: into the day's summary, or to the sink within the line limit.
func (im *Importer) post(h held) error {
	if im.lay.Summary() {
		for i, l := range h.j.Lines {
			r := h.maps[i]
			k := sumKey{date: l.PostedAt.In(im.loc).Format(time.DateOnly), code: r.Code, name: r.Name, taxRate: r.TaxRate, trackName: r.TrackingName, trackOption: r.TrackingOption}
			s, ok := im.sums[k]
			if !ok {
				s = &sumLine{account: l.Account, row: r}
				im.sums[k] = s
				im.keys = append(im.keys, k)
			}
			var ok2 bool
			if s.amount, ok2 = addAmount(s.amount, l.Debit-l.Credit); !ok2 {
				return fmt.Errorf("%w: summary of %s on %s overflows", ledger.ErrUnwritable, r.Code+r.Name, k.date)
			}
		}
		return nil
	}
	if err := im.room(len(h.j.Lines)); err != nil {
		return err
	}
	im.lines += len(h.j.Lines)
	return im.sink(h.batchDate, h.entryID, h.j, h.maps)
}

// room fails when n more lines would pass the package's line limit.
func (im *Importer) room(n int) error {
	if im.lay.MaxLines > 0 && im.lines+n > im.lay.MaxLines {
		hint := ""
		if !im.lay.Summary() && im.lay.usesMap() {
			hint = `; the daily summary journal (mode "summary") posts one line per account instead`
		}
		return fmt.Errorf("%w: the file would hold more than %d lines, the most %s imports from one file%s", ledger.ErrUnwritable, im.lay.MaxLines, im.lay.Name, hint)
	}
	return nil
}

// Close posts the reversals whose voided journal is not in the file (they reverse a journal posted on an earlier
// date) and the voided journals whose reversal is not in the file (a later file reverses them), then writes the
// summary journals.
func (im *Importer) Close() error {
	for _, id := range im.order {
		if orig, ok := strings.CutPrefix(id, "r:"); ok {
			if r, ok := im.reversals[orig]; ok {
				if err := im.post(r); err != nil {
					return err
				}
			}
		}
	}
	for _, id := range im.order {
		// A voided journal whose reversal is not in the file is posted as the ledger held it before the void:
		// its reversal, in a later file, reverses it, as in the ledger's own history. Failing the file instead
		// would fail the date on every attempt, and leaving it out alone would make the reversal reverse nothing.
		if v, ok := im.voided[id]; ok {
			if err := im.post(v); err != nil {
				return err
			}
		}
	}
	if !im.lay.Summary() {
		return nil
	}
	byDate := map[string][]sumKey{}
	var dates []string
	for _, k := range im.keys {
		if im.sums[k].amount == 0 {
			continue
		}
		if _, ok := byDate[k.date]; !ok {
			dates = append(dates, k.date)
		}
		byDate[k.date] = append(byDate[k.date], k)
	}
	slices.SortFunc(dates, cmp.Compare)
	total := 0
	for _, d := range dates {
		total += len(byDate[d])
	}
	if err := im.room(total); err != nil {
		return fmt.Errorf("%w (summary journals of %d dates, %d lines)", err, len(dates), total)
	}
	for _, d := range dates {
		day, _ := time.ParseInLocation(time.DateOnly, d, im.loc)
		j := ledger.Journal{Memo: im.narration(day), PostedAt: day, LineCount: -1}
		var maps []MapRow
		for _, k := range byDate[d] {
			s := im.sums[k]
			l := ledger.Line{Account: s.account, Memo: s.account, PostedAt: day}
			if s.amount > 0 {
				l.Debit = s.amount
			} else {
				l.Credit = -s.amount
			}
			j.Lines = append(j.Lines, l)
			maps = append(maps, s.row)
		}
		im.lines += len(j.Lines)
		if err := im.sink(im.batch, "summary-"+d, j, maps); err != nil {
			return err
		}
	}
	return nil
}

// narration is a summary journal's narration: what it is, its date, and where its detail is.
func (im *Importer) narration(day time.Time) string {
	n := "Daily summary " + day.Format("02/01/2006")
	if f := im.lay.DetailFile; f != "" {
		n += ", detail in " + strings.ReplaceAll(f, "{date}", im.batch)
	}
	return n
}

// Entries reports how many entries the importer took (every WriteJournal that was not refused), whatever became
// of them: written, added to a summary journal, or left out as voided.
func (im *Importer) Entries() int64 { return im.entries }

// LeftOut lists the journals left out of the file on purpose, in the order they were paired.
func (im *Importer) LeftOut() []LeftOut { return im.leftOut }

// VoidedTotals are the debits and credits of the journals left out as voided with their reversals.
func (im *Importer) VoidedTotals() ledger.Totals { return im.voidSum }

func isVoided(j ledger.Journal) bool {
	if j.Voided {
		return true
	}
	for _, l := range j.Lines {
		if l.Voided {
			return true
		}
	}
	return false
}

func originalOf(j ledger.Journal) string {
	if j.OriginalJournal != "" {
		return j.OriginalJournal
	}
	for _, l := range j.Lines {
		if l.OriginalJournal != "" {
			return l.OriginalJournal
		}
	}
	return ""
}

func sumOf(j ledger.Journal) (debit, credit ledger.Amount) {
	for _, l := range j.Lines {
		debit += l.Debit
		credit += l.Credit
	}
	return debit, credit
}

// addAmount returns a+b, and false when the sum leaves int64.
func addAmount(a, b ledger.Amount) (ledger.Amount, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}
