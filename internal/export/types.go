// Package export runs one daily export: lock the date, claim the queued entries, read their journals, encode the
// CSV, stream it into Drive, mark the entries and record the result. It owns the small interfaces behind which
// Firestore (Locker), MongoDB (Queue) and Drive (Drive) sit, and imports none of them.
//
// The run never sleeps or retries on timers of its own. A failure a retry can fix leaves the date's lock in a state
// from which the next attempt continues, and the caller answers so that Cloud Scheduler's bounded retry takes over.
package export

import (
	"context"
	"io"
	"time"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// State is the phase a date's lock document is in.
type State string

// The states of a date's lock. Failed keeps the phase it failed in (Record.Phase), so the next attempt continues
// from there.
const (
	StateRunning  State = "running"  // locked; the file is not complete in Drive yet
	StateUploaded State = "uploaded" // the file is complete in Drive; the entries are not all marked yet
	StateDone     State = "done"     // entries marked, log written: nothing is left to do for the date
	StateFailed   State = "failed"   // the last attempt failed; Phase tells where, Permanent whether to retry
)

// Record is the content of a date's lock document.
type Record struct {
	Date           string    `json:"date"`
	State          State     `json:"state"`
	Phase          State     `json:"phase,omitempty"`
	Generation     int64     `json:"generation"`
	Attempts       int64     `json:"attempts"`
	LeaseExpiresAt time.Time `json:"leaseExpiresAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	File           *File     `json:"file,omitempty"`
	Summary        *Summary  `json:"summary,omitempty"`
	// Upload is the resumable session of an attempt that has not finished its upload. Its URI lets anyone holding
	// it write to the session, so it is never shown in answers or logs.
	Upload      *UploadSession `json:"-"`
	Fingerprint string         `json:"-"`
	Error       string         `json:"error,omitempty"`
	ErrorClass  Class          `json:"errorClass,omitempty"`
	Permanent   bool           `json:"permanent,omitempty"`
	// Correction is the re-export in progress (see Request.Reexport): who asked, why, and what the file held
	// before. Done moves it into Audit with the new content's figures.
	Correction *Correction `json:"correction,omitempty"`
	// Audit lists the date's finished re-exports, oldest first.
	Audit []Audit `json:"audit,omitempty"`
	// Repeats counts the attempts in a row that failed with ErrorClass (kept across takeovers).
	Repeats int64 `json:"repeats,omitempty"`
}

// Lease is the right to work on a date, held until it expires. Every write through the Locker is fenced by
// Generation: a holder whose lease was taken over can no longer change the record.
type Lease struct {
	Date       string
	Generation int64
	Attempt    int64
	ExpiresAt  time.Time
}

// LockOutcome says what Acquire found.
type LockOutcome string

// The outcomes of Acquire.
const (
	LockAcquired    LockOutcome = "acquired"     // a new lock: the first attempt for the date
	LockTakeover    LockOutcome = "takeover"     // an expired or failed attempt's lock, taken over with generation + 1
	LockAlreadyDone LockOutcome = "already_done" // the date is done; Record holds its summary
	LockBusy        LockOutcome = "busy"         // another attempt holds a live lease
	LockBlocked     LockOutcome = "blocked"      // a permanent failure under the same configuration; nothing to retry
)

// AcquireOptions shape Acquire.
type AcquireOptions struct {
	TTL time.Duration // the lease length
	// Fingerprint identifies the configuration. A date whose last attempt failed permanently stays blocked while
	// the fingerprint is unchanged.
	Fingerprint string
	// ClearFailure lets an operator retry a date blocked by a permanent failure without changing the configuration.
	ClearFailure bool
	// Reexport, when set, takes a done date over again (generation + 1, keeping its file) and records the
	// request as the date's pending correction; on a date that is not done it acts like a normal trigger and
	// still records the request.
	Reexport *Reexport
}

// Acquisition is the result of Acquire: the outcome, the lease when one was granted, and the record as found.
type Acquisition struct {
	Outcome LockOutcome
	Lease   Lease
	Record  Record
	// Correction is the re-export the lease was granted for: a new one (AcquireOptions.Reexport) or the
	// interrupted one a takeover continues. Nil for an ordinary export.
	Correction *Correction
}

// Locker keeps one lock document per batch date. internal/lease implements it on Firestore.
type Locker interface {
	// Acquire creates the date's lock if absent, or takes over an expired or failed one.
	Acquire(ctx context.Context, date string, now time.Time, o AcquireOptions) (Acquisition, error)
	// Progress records how far the upload got, so that a takeover can resume it.
	Progress(ctx context.Context, l Lease, u UploadSession, now time.Time) error
	// Uploaded records that the file is complete in Drive, with the summary so far.
	Uploaded(ctx context.Context, l Lease, f File, s Summary, now time.Time) error
	// Done records the final summary and ends the date.
	Done(ctx context.Context, l Lease, s Summary, now time.Time) error
	// Fail records a failed attempt and releases the lease, keeping the phase reached.
	Fail(ctx context.Context, l Lease, f Failed, now time.Time) error
	// Get returns the date's record; found is false when there is none.
	Get(ctx context.Context, date string) (rec Record, found bool, err error)
	// Latest returns the record of the most recent date, or of the most recent done date when done is true.
	Latest(ctx context.Context, done bool) (rec Record, found bool, err error)
	// Range returns the records of the dates from through to (YYYY-MM-DD, both included), oldest first.
	Range(ctx context.Context, from, to string) ([]Record, error)
}

// Failed describes a failed attempt for the lock record.
type Failed struct {
	Class       Class
	Permanent   bool
	Message     string
	Fingerprint string
}

// Batch selects the queue entries of one batch date.
type Batch struct {
	Date       string    // YYYY-MM-DD
	Cutoff     time.Time // entries queued before this instant belong to the date
	Generation int64     // the lease generation that claims them
	// Preview reads what a claim would take, without a claim: the entries still queued before the cutoff and
	// those already claimed for the date. Dry runs use it.
	Preview bool
	// Since opens the date's own window [Since, Cutoff): the cutoff of the day before. A queued entry created
	// before Since is a late arrival: it became visible after its own date was done, so it goes into this file
	// and the summary lists it as late, with its own date. Zero means no window (every entry is the date's own).
	Since time.Time
	// Held are the windows of earlier dates that are not done (blocked, failing, or past the backfill window):
	// their queued entries wait for their own date, and no claim of this date takes them.
	Held []Window
	// Reexport claims the date's completed entries again (a deliberate re-export; see Request.Reexport), besides
	// the entries the claim always takes.
	Reexport bool
	// RetryFailed, with Reexport, also claims the date's failed entries again as exporting: the read checks
	// their journals anew, and those that still fail are marked failed again.
	RetryFailed bool
}

// Window is the span of createdAt instants [From, To) whose entries belong to one batch date.
type Window struct {
	Date     string
	From, To time.Time
}

// Entry is one queue entry with its journal, or the reason it cannot be exported.
type Entry struct {
	ID        string // the queue entry's _id as text, for the file and the failure list
	JournalID string
	Journal   ledger.Journal
	Err       error // non-nil: the entry is failed with this reason and not written
	// Marked says the entry is already marked failed (by an earlier attempt): Err is its recorded reason.
	Marked bool
	// Key is the entry's _id as the queue stores it, with its own type: marks address the entry by it.
	Key any
	// CreatedAt is when the app queued the entry (the queue document's createdAt). An entry created before the
	// batch's Since is a late arrival.
	CreatedAt time.Time
}

// Failure is an entry that could not be exported, with a readable reason.
type Failure struct {
	EntryID   string `json:"entryId"`
	JournalID string `json:"journalId,omitempty"`
	Reason    string `json:"reason"`
	Key       any    `json:"-"` // the entry's _id as stored (Entry.Key)
}

// Counts are a date's entries stamped with one generation, by status.
type Counts struct {
	Exporting int64 `json:"exporting"`
	Failed    int64 `json:"failed"`
	Completed int64 `json:"completed"`
}

// Stuck is work the export cannot finish by itself: an operator must act on each kind (see the runbook).
type Stuck struct {
	// Unclaimable counts queued entries that no claim can ever take: no createdAt, or one that is not a date.
	Unclaimable int64 `json:"unclaimable"`
	// Blocked lists the dates blocked by a permanent failure.
	Blocked []string `json:"blocked,omitempty"`
	// Abandoned lists the dates older than the backfill window that are still unfinished.
	Abandoned []string `json:"abandoned,omitempty"`
	// Failing lists the dates whose failure repeats on every attempt (the same mismatch FailingAfter times in a
	// row): retrying them as if they were an outage would only stop the healing of the dates after them.
	Failing []string `json:"failing,omitempty"`
}

// Empty reports whether nothing is stuck.
func (s Stuck) Empty() bool {
	return s.Unclaimable == 0 && len(s.Blocked) == 0 && len(s.Abandoned) == 0 && len(s.Failing) == 0
}

// Queue is the export queue and the Medici ledger. internal/medici implements it on MongoDB.
//
// Every write is fenced by the batch's generation: an entry stamped with a newer generation than the writer's is
// never changed, so an attempt that lost its lease (frozen, then thawed) changes nothing a newer one owns.
type Queue interface {
	// Claim stamps the date's entries with b.Generation, in one update: the queued entries before the cutoff
	// (except those in b.Held windows) become exporting, and the entries an older generation claimed for the date
	// (exporting or failed) are taken over, keeping their status. With b.Reexport the date's completed entries
	// become exporting again, and with b.RetryFailed its failed ones too.
	Claim(ctx context.Context, b Batch, now time.Time) error
	// Count counts the date's entries stamped with generation, by status.
	Count(ctx context.Context, date string, generation int64) (Counts, error)
	// Read calls fn with the batch's entries (exporting or failed, stamped with b.Generation) a page at a time,
	// in strictly increasing _id order as MongoDB sorts across BSON types. An entry already marked failed comes
	// with its recorded reason and Marked set. An entry whose journal an earlier entry of the batch already
	// names fails as a duplicate of that entry.
	Read(ctx context.Context, b Batch, fn func([]Entry) error) error
	// MarkFailed marks entries still exporting under b.Generation failed, with their reasons, addressing each
	// by its Key. It fails when fewer entries than given were marked.
	MarkFailed(ctx context.Context, b Batch, failures []Failure, now time.Time) error
	// MarkExported marks the entries still exporting under b.Generation completed in f, and returns how many it
	// changed. It is idempotent. The caller proves beforehand that those entries are the ones in the file.
	MarkExported(ctx context.Context, b Batch, f File, now time.Time) (int64, error)
	// Release returns the date's exporting entries stamped with b.Generation or older to the queue, after a
	// failure that left nothing of the date live in Drive, or after the date is done (leftovers of a stale
	// attempt's claim, which no file holds).
	Release(ctx context.Context, b Batch) (int64, error)
	// LogExport writes or replaces the app's export log for the date.
	LogExport(ctx context.Context, s Summary, now time.Time) error
	// IDs calls fn with the id (as Entry.ID renders it) of every entry of the date stamped with generation,
	// exporting or failed: an enumeration independent of Read's paging, to name the entries a read missed.
	IDs(ctx context.Context, date string, generation int64, fn func(id string) error) error
	// Pending lists the dates that have entries exporting, oldest first.
	Pending(ctx context.Context) ([]string, error)
	// Unclaimable counts the queued entries no claim can take: no createdAt, or one that is not a date.
	Unclaimable(ctx context.Context) (int64, error)
}

// File is a CSV file stored in Drive.
type File struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	WebViewLink string            `json:"webViewLink,omitempty"`
	Properties  map[string]string `json:"appProperties,omitempty"`
	MD5         string            `json:"md5,omitempty"` // Drive's md5Checksum of the content
	// Generation is the lease generation whose claim the file holds: the entries stamped with it are the file's.
	Generation int64 `json:"generation,omitempty"`
	// KeptRevision, after a re-export, is the Drive revision holding the content the upload replaced, kept
	// forever (keepForever).
	KeptRevision string `json:"keptRevision,omitempty"`
}

// UploadProgress is what Drive has confirmed of a resumable upload.
type UploadProgress struct {
	SessionURI string
	Offset     int64 // bytes Drive holds
}

// UploadSession is an unfinished resumable upload as the lock records it: where to continue, and the SHA-256
// state of the bytes Drive holds, to check that regenerated bytes are the same before continuing.
type UploadSession struct {
	URI        string
	Offset     int64
	HashState  []byte // crypto/sha256 state after Offset bytes (encoding.BinaryMarshaler)
	Generation int64
}

// SessionStatus is Drive's answer about a session: Offset bytes held, or the complete file, or gone (expired).
type SessionStatus struct {
	Offset   int64
	Complete *File
	Gone     bool
}

// NewFile describes a file to upload.
type NewFile struct {
	Name       string
	Date       string
	Generation int64
	// Replace, when set, is the id of the date's recorded file: the upload becomes a new revision of it (a
	// re-export), after the revision holding the previous content is marked keepForever. ReplaceMD5 is that
	// content's MD5 (File.MD5), to find its revision; empty means the head revision.
	Replace    string
	ReplaceMD5 string
}

// Drive stores the CSV. internal/drive implements it on Drive v3.
type Drive interface {
	// Find lists the live (not trashed) files made for the date in the export folder.
	Find(ctx context.Context, date string) ([]File, error)
	// Upload streams body into a new file and returns it once Drive holds all of it. progress hears the session
	// and each confirmed offset.
	Upload(ctx context.Context, f NewFile, body io.Reader, progress func(UploadProgress)) (File, error)
	// Status asks how much of an earlier attempt's session Drive holds.
	Status(ctx context.Context, s UploadSession) (SessionStatus, error)
	// Resume continues a session with body, which starts at s.Offset.
	Resume(ctx context.Context, s UploadSession, body io.Reader, progress func(UploadProgress)) (File, error)
	// Finalize sets the properties known only once the content is complete (row count, SHA-256) and the
	// description Drive's details pane shows (the summary, see Describe).
	Finalize(ctx context.Context, id string, props map[string]string, description string) error
	// Trash moves a file to Drive's trash, where it stays recoverable for 30 days.
	Trash(ctx context.Context, id string) error
}

// Summary is what one export did: the JSON answer, the lock's record and the app's log.
type Summary struct {
	Date            string    `json:"date"`
	Rows            int64     `json:"rows"`
	Journals        int64     `json:"journals"`
	EntriesClaimed  int64     `json:"entriesClaimed"`
	EntriesExported int64     `json:"entriesExported"`
	EntriesFailed   int64     `json:"entriesFailed"`
	DebitTotal      string    `json:"debitTotal"`
	CreditTotal     string    `json:"creditTotal"`
	FileID          string    `json:"fileId,omitempty"`
	FileName        string    `json:"fileName"`
	WebViewLink     string    `json:"webViewLink,omitempty"`
	SHA256          string    `json:"sha256"`
	Bytes           int64     `json:"bytes"`
	Failures        []Failure `json:"failures,omitempty"` // the first MaxListedFailures failures of this attempt
	Generation      int64     `json:"generation"`
	Attempt         int64     `json:"attempt"`
	Resumed         bool      `json:"resumed,omitempty"` // the upload continued an earlier attempt's session
	DurationMS      int64     `json:"durationMs"`
	FinishedAt      time.Time `json:"finishedAt,omitzero"`
	DryRun          bool      `json:"dryRun,omitempty"`
	// EntriesLate counts the late arrivals in the file: entries created in an earlier date's window that became
	// visible after that date was done. Late lists the first MaxListedFailures of them, each with its own date.
	EntriesLate int64       `json:"entriesLate,omitempty"`
	Late        []LateEntry `json:"late,omitempty"`
	// Correction is set when the file is a deliberate re-export of a date that was done: who asked, why, and
	// what the file held before.
	Correction *Correction `json:"correction,omitempty"`
	// Voids adds up the exported journals Medici voided and the reversals its void() committed, apart from the
	// rest; nil when the file's decision holds neither. See VoidTotals for how they reconcile with the totals.
	Voids *VoidTotals `json:"voids,omitempty"`
	// EntriesLeftOut counts the entries whose journal the layout left out of the file on purpose: an import layout
	// leaves a voided journal and its reversal out together when both are in the date's file (they net to zero).
	// They are exported (in the file's decision, marked completed with it) and counted in EntriesExported, Journals
	// and the totals; LeftOut lists the first MaxListedFailures of them, each with why.
	EntriesLeftOut int64     `json:"entriesLeftOut,omitempty"`
	LeftOut        []LeftOut `json:"leftOut,omitempty"`
	// WindowFrom and WindowTo are the date's window [from, to) of queue times, in TimeZone: the cutoff of the
	// day before and the date's cutoff.
	WindowFrom string `json:"windowFrom,omitempty"`
	WindowTo   string `json:"windowTo,omitempty"`
	TimeZone   string `json:"timeZone,omitempty"`
	// AccountMap is the account map the file was made with (an import layout's), as read by the attempt.
	AccountMap *Source `json:"accountMap,omitempty"`
}

// VoidTotals are the debits and credits of the voids among a date's exported journals. A journal marked voided
// (on the journal or a line) counts as voided, also when it is itself a reversal; a journal carrying
// _original_journal and not voided counts as a reversal; every other exported journal is live. So
//
//	debitTotal = liveDebit + voidedDebit + reversalDebit (and the same for credits),
//
// and the lines the file holds add up to debitTotal − leftOutDebit (a summary journal nets them further).
type VoidTotals struct {
	LiveDebit      string `json:"liveDebit"`
	LiveCredit     string `json:"liveCredit"`
	Voided         int64  `json:"voided"` // voided journals
	VoidedDebit    string `json:"voidedDebit"`
	VoidedCredit   string `json:"voidedCredit"`
	Reversals      int64  `json:"reversals"` // reversal journals
	ReversalDebit  string `json:"reversalDebit"`
	ReversalCredit string `json:"reversalCredit"`
	LeftOutDebit   string `json:"leftOutDebit"` // the journals of Summary.LeftOut, all of them
	LeftOutCredit  string `json:"leftOutCredit"`
}

// LeftOut is an exported journal that the file leaves out on purpose, and why.
type LeftOut struct {
	EntryID   string `json:"entryId"`
	JournalID string `json:"journalId"`
	Reason    string `json:"reason"`
	Debit     string `json:"debit"`
	Credit    string `json:"credit"`
}

// LateEntry is a late arrival: an entry written in a later date's file, with the date its createdAt belongs to.
type LateEntry struct {
	EntryID   string `json:"entryId"`
	JournalID string `json:"journalId,omitempty"`
	Date      string `json:"date"` // the batch date of the entry's createdAt
}

// Correction records a re-export: the request and the file's content before it.
type Correction struct {
	By          string    `json:"by"` // the caller's email, from the verified OIDC token
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
	RetryFailed bool      `json:"retryFailed,omitempty"`
	// Previous is the summary of the content the new revision replaces.
	Previous PreviousFile `json:"previous"`
}

// PreviousFile is what a re-exported file held before: its rows, entries, totals and SHA-256, and the Drive
// revision that keeps that content (marked keepRevisionForever).
type PreviousFile struct {
	Rows            int64  `json:"rows"`
	EntriesExported int64  `json:"entriesExported"`
	EntriesFailed   int64  `json:"entriesFailed"`
	DebitTotal      string `json:"debitTotal"`
	CreditTotal     string `json:"creditTotal"`
	SHA256          string `json:"sha256"`
	RevisionID      string `json:"revisionId,omitempty"`
	Generation      int64  `json:"generation"`
}

// MaxListedFailures bounds how many failures a summary lists; the count covers them all.
const MaxListedFailures = 20
