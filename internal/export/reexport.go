package export

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// A re-export is an operator's deliberate export of a date again (make reexport, make retry-failed): the lock
// takes the date over under a new generation (it never restarts), the claim takes the date's completed entries
// again (and its failed ones with RetryFailed), the upload makes a new revision of the date's recorded file,
// keeping the earlier content as a revision kept forever, and Done adds the correction to the lock's audit trail.

// ErrReplaceGone says that the file a re-export would make a new revision of no longer exists in Drive (someone
// deleted it for good): the re-export then makes a new file for the date instead.
var ErrReplaceGone = errors.New("the date's recorded file no longer exists in Drive")

// MaxReasonLength is the most characters a re-export's reason may hold.
const MaxReasonLength = 500

// Reexport is an operator's request to export a date again.
type Reexport struct {
	By          string // the caller's email, from the OIDC token the platform verified
	Reason      string // why, in the operator's words (CheckReason)
	RetryFailed bool   // also claim the date's failed entries again, after the app fixed their journals
}

// Audit is one finished re-export of a date: the request, what the file held before and what it holds after.
type Audit struct {
	Correction
	After PreviousFile `json:"after"`
}

// CheckReason trims a re-export's reason and refuses one that is empty, longer than MaxReasonLength characters,
// or holds a control character.
func CheckReason(reason string) (string, error) {
	r := strings.TrimSpace(reason)
	switch n := len([]rune(r)); {
	case n == 0:
		return "", fmt.Errorf("%w: a re-export needs a reason (what is corrected, and why)", ErrInvalid)
	case n > MaxReasonLength:
		return "", fmt.Errorf("%w: the reason holds %d characters, more than %d", ErrInvalid, n, MaxReasonLength)
	}
	if i := strings.IndexFunc(r, unicode.IsControl); i >= 0 {
		return "", fmt.Errorf("%w: the reason holds a control character at byte %d", ErrInvalid, i)
	}
	return r, nil
}

// NewCorrection is the pending correction of a re-export request made at now, of a date whose done summary is
// prev (nil when the date was not done: nothing is replaced).
func NewCorrection(x Reexport, prev *Summary, generation int64, now time.Time) *Correction {
	c := &Correction{By: x.By, Reason: x.Reason, At: now.UTC(), RetryFailed: x.RetryFailed}
	if prev != nil {
		c.Previous = Figures(*prev)
		c.Previous.Generation = generation
	}
	return c
}

// Figures are the content figures of a summary, as a correction records them before and after.
func Figures(s Summary) PreviousFile {
	return PreviousFile{
		Rows: s.Rows, EntriesExported: s.EntriesExported, EntriesFailed: s.EntriesFailed,
		DebitTotal: s.DebitTotal, CreditTotal: s.CreditTotal, SHA256: s.SHA256, Generation: s.Generation,
	}
}

// reexportBatch sets the batch's re-export flags from the correction the lease was granted for: a takeover of an
// interrupted re-export continues it.
func reexportBatch(b Batch, c *Correction) Batch {
	if c != nil {
		b.Reexport, b.RetryFailed = true, c.RetryFailed
	}
	return b
}

// replacement is the recorded file a re-export's upload makes a new revision of, if any: the lock keeps the date's
// file when a re-export takes it over.
func (a *attempt) replacement() (id, md5 string) {
	if f := a.acq.Record.File; f != nil && a.acq.Correction != nil && !a.replaceGone {
		return f.ID, f.MD5
	}
	return "", ""
}

// correction is the summary's correction record once the new revision is uploaded.
func (a *attempt) correction(file File) *Correction {
	if a.acq.Correction == nil {
		return nil
	}
	c := *a.acq.Correction
	if file.KeptRevision != "" {
		c.Previous.RevisionID = file.KeptRevision
	}
	return &c
}

// checkReexport refuses a re-export request without an identifiable caller or a valid reason, or one that is a
// dry run or names no date.
func checkReexport(req Request) error {
	x := req.Reexport
	if x == nil {
		return nil
	}
	switch {
	case req.DryRun:
		return fmt.Errorf("%w: a re-export cannot be a dry run", ErrInvalid)
	case req.Date == "":
		return fmt.Errorf("%w: a re-export needs an explicit date", ErrInvalid)
	case strings.TrimSpace(x.By) == "":
		return fmt.Errorf("%w: a re-export needs an identifiable caller (the email of the verified OIDC token)", ErrInvalid)
	}
	_, err := CheckReason(x.Reason)
	return err
}
