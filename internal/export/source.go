package export

import (
	"context"
	"fmt"
)

// What a file is made with besides the ledger: the account map, read by each attempt.

// loaded returns the runner an attempt makes its file with: this one, or, when the format reads an input at every
// attempt (Format.Load: an import layout's account map in the export folder), a copy whose format holds what was
// just read, and the source for the summary.
func (r *Runner) loaded(ctx context.Context) (*Runner, error) {
	if r.Format.Load == nil {
		return r, nil
	}
	f, src, err := r.Format.Load(ctx)
	if err != nil {
		return nil, stepError("prepare", ClassDriveTransient, err)
	}
	if f.NewEncoder == nil || f.Extension != r.Format.Extension {
		return nil, &Error{Step: "prepare", Class: ClassValidation, Err: fmt.Errorf("%w: the loaded format makes %q files, not %q", ErrPermanent, f.Extension, r.Format.Extension)}
	}
	c := *r
	c.Format = f
	c.source = src
	return &c, nil
}

// windowOf fills the summary's window from the batch: [the cutoff of the day before, the cutoff), in the zone.
func (r *Runner) windowOf(s *Summary, b Batch) {
	const layout = "2006-01-02 15:04"
	if !b.Since.IsZero() {
		s.WindowFrom = b.Since.In(r.Location).Format(layout)
	}
	s.WindowTo = b.Cutoff.In(r.Location).Format(layout)
	s.TimeZone = r.Location.String()
	s.AccountMap = r.source
}
