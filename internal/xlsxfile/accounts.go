package xlsxfile

import (
	"slices"
	"strings"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// MaxAccounts is how many accounts the summary's totals per account list by name; the lines of any further
// account are added into one "other accounts" row, so that memory stays bounded whatever the ledger holds.
const MaxAccounts = 10000

// accountSum is one account's movement over the day: live debits, credits and their net (debit − credit), and
// apart from them the voided debits and credits. Every sum is exact (ledger.Sum, never a float).
type accountSum struct {
	debit, credit, net    ledger.Sum
	voidDebit, voidCredit ledger.Sum
}

// live adds a line that moves the account.
func (s *accountSum) live(l ledger.Line) {
	s.debit, s.credit = s.debit.Add(l.Debit), s.credit.Add(l.Credit)
	s.net = s.net.Add(l.Debit).Add(-l.Credit)
}

// voided adds a line that is voided, or that reverses a voided journal of the same file.
func (s *accountSum) voided(l ledger.Line) {
	s.voidDebit, s.voidCredit = s.voidDebit.Add(l.Debit), s.voidCredit.Add(l.Credit)
}

// accountTotals adds up the exported entries' journals per account, for the summary sheet: the movement a daily
// summary journal would post, with the voided amounts apart. A line of a voided journal (the journal or the line
// marked voided) goes into the voided columns. So does a reversal (a journal with _original_journal) whose voided
// journal is in the same file: the two net to zero, and an import leaves both out. A reversal of a journal voided
// in an earlier file moves today's balances, so it is live. Reversals wait until the summary, when every voided
// journal of the file is known; they are as rare as voids.
type accountTotals struct {
	byName    map[string]*accountSum
	other     accountSum // the accounts past MaxAccounts
	hasOther  bool
	total     accountSum
	voidedIDs map[string]bool
	reversals []ledger.Journal
}

func newAccountTotals() accountTotals {
	return accountTotals{byName: map[string]*accountSum{}, voidedIDs: map[string]bool{}}
}

// add adds one exported entry's journal.
func (t *accountTotals) add(j ledger.Journal) {
	voided := j.Voided
	for _, l := range j.Lines {
		voided = voided || l.Voided
	}
	switch {
	case voided:
		t.voidedIDs[j.ID] = true
		for _, l := range j.Lines {
			if l.Voided || j.Voided {
				t.sum(l.Account).voided(l)
				t.total.voided(l)
			} else {
				t.sum(l.Account).live(l)
				t.total.live(l)
			}
		}
	case original(j) != "":
		t.reversals = append(t.reversals, ledger.Journal{ID: j.ID, OriginalJournal: original(j), Lines: j.Lines})
	default:
		t.live(j)
	}
}

func (t *accountTotals) live(j ledger.Journal) {
	for _, l := range j.Lines {
		t.sum(l.Account).live(l)
		t.total.live(l)
	}
}

// finish puts each held reversal in the voided columns when its voided journal is in the file, else in the live
// ones. Call it once, before rows.
func (t *accountTotals) finish() {
	for _, r := range t.reversals {
		if !t.voidedIDs[r.OriginalJournal] {
			t.live(r)
			continue
		}
		for _, l := range r.Lines {
			t.sum(l.Account).voided(l)
			t.total.voided(l)
		}
	}
	t.reversals = nil
}

// sum returns the account's sums, or the other accounts' once MaxAccounts accounts are listed.
func (t *accountTotals) sum(account string) *accountSum {
	if s, ok := t.byName[account]; ok {
		return s
	}
	if len(t.byName) >= MaxAccounts {
		t.hasOther = true
		return &t.other
	}
	s := &accountSum{}
	t.byName[account] = s
	return s
}

// names lists the accounts by name, in byte order (the same order on every attempt).
func (t *accountTotals) names() []string {
	names := make([]string, 0, len(t.byName))
	for n := range t.byName {
		names = append(names, n)
	}
	slices.SortFunc(names, strings.Compare)
	return names
}

// original is the id of the journal j reverses (Medici's _original_journal on the journal or its lines), or "".
func original(j ledger.Journal) string {
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
