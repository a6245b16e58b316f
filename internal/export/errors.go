package export

import (
	"context"
	"errors"
	"fmt"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// Class names a kind of failure, for the answer's status, the lock record and the error metric.
type Class string

// The failure classes.
const (
	ClassDriveTransient Class = "drive_transient"
	ClassDrivePermanent Class = "drive_permanent"
	ClassMongo          Class = "mongo"
	ClassFirestore      Class = "firestore"
	ClassValidation     Class = "validation"
	ClassTimeout        Class = "timeout"
	ClassLeaseLost      Class = "lease_lost"
	// ClassMismatch: what the run read or marked differs from its claim. A retry usually fixes it (the app
	// changed an entry meanwhile); one that repeats on every attempt makes the date stuck (Stuck.Failing).
	ClassMismatch Class = "mismatch"
	// ClassEarlierDate: an earlier date is unfinished and could not be finished first, so the run's own date
	// waits (a retry, once the earlier date is done, exports it).
	ClassEarlierDate Class = "earlier_date"
	// ClassAccountMap: the import layout's account map in the export folder is missing or cannot be read as a
	// map. The accountant fixes the sheet; the next attempt (a retry, or the next day's healing) reads it again,
	// so no operator has to clear anything.
	ClassAccountMap Class = "account_map"
)

// Sentinel errors that adapters wrap and callers test with errors.Is.
var (
	// ErrPermanent marks a failure no retry can fix without a change: a missing folder, a lost permission, a full
	// quota. Adapters wrap it.
	ErrPermanent = errors.New("permanent failure")
	// ErrLeaseLost reports that another attempt took the date over; this attempt must stop writing.
	ErrLeaseLost = errors.New("lease lost to a newer attempt")
	// ErrInvalid reports a request that can never succeed as asked, such as a date in the future.
	ErrInvalid = errors.New("invalid request")
	// ErrMismatch reports that the entries a run read or marked differ from those it claimed: the run stops
	// before finishing anything, and a retry starts again from the claim.
	ErrMismatch = errors.New("claimed and exported entries differ")
	// ErrEarlierUnfinished reports that an earlier date is unfinished and could not be finished first: the
	// run's own date is not exported, so that no entry of the earlier date's window lands in a later file.
	ErrEarlierUnfinished = errors.New("an earlier date is unfinished")
	// ErrAccountMap reports an account map the accountant must fix (missing, duplicated, or not a map): the
	// attempt writes nothing and fails with ClassAccountMap.
	ErrAccountMap = errors.New("account map")
)

// Error is a failed step of a run, with its class.
type Error struct {
	Step  string // lock, claim, stream, upload, finalize, mark, log, finish
	Class Class
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Step, e.Err) }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether a retry is pointless until something changes.
func (e *Error) Permanent() bool {
	return e.Class == ClassDrivePermanent || e.Class == ClassValidation
}

// stepError wraps err as a failed step, choosing the class from the error itself before the step's default.
func stepError(step string, class Class, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		class = ClassTimeout
	case errors.Is(err, ErrLeaseLost):
		class = ClassLeaseLost
	case errors.Is(err, ErrMismatch):
		class = ClassMismatch
	case errors.Is(err, ErrAccountMap):
		class = ClassAccountMap
	case errors.Is(err, ledger.ErrUnwritable):
		// The layout refuses the day's file (more lines than the package imports, say): no retry fixes it, and
		// retrying it as an outage would stop the healing of every later date.
		class = ClassValidation
	case errors.Is(err, ErrPermanent) && class == ClassDriveTransient:
		class = ClassDrivePermanent
	}
	return &Error{Step: step, Class: class, Err: err}
}
