// Package lease keeps one lock document per batch date in Firestore. The first attempt creates it with
// DocumentRef.Create, which fails with AlreadyExists for every later one; an expired or failed attempt's lock is
// taken over with a LastUpdateTime precondition that raises the generation, and every later write checks that
// generation under the same precondition, so an attempt that lost its lease cannot change the record. No write
// holds a transaction lock, so an attempt killed mid-write blocks no other.
package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/siamledger/ledger-export/internal/export"
)

// Retention is how long a lock document is kept: its expireAt field, which a Firestore TTL policy may act on, is
// the batch date plus Retention. The code never relies on the deletion, and requests for dates this old are
// refused long before (config BACKFILL_WINDOW).
const Retention = 400 * 24 * time.Hour

// Store is a Firestore-backed export.Locker.
type Store struct {
	client      *firestore.Client
	coll        *firestore.CollectionRef
	callTimeout time.Duration
	holder      string
}

var _ export.Locker = (*Store)(nil)

// New returns a Store on the collection. holder names this instance in the documents, for operators.
func New(client *firestore.Client, collection, holder string, callTimeout time.Duration) *Store {
	return &Store{client: client, coll: client.Collection(collection), callTimeout: callTimeout, holder: holder}
}

// doc is the stored form of a lock.
type doc struct {
	BatchDate      string         `firestore:"batchDate"`
	State          string         `firestore:"state"`
	Phase          string         `firestore:"phase,omitempty"`
	Generation     int64          `firestore:"generation"`
	Attempts       int64          `firestore:"attempts"`
	LeaseExpiresAt time.Time      `firestore:"leaseExpiresAt"`
	Holder         string         `firestore:"holder"`
	CreatedAt      time.Time      `firestore:"createdAt"`
	UpdatedAt      time.Time      `firestore:"updatedAt"`
	ExpireAt       time.Time      `firestore:"expireAt"`
	File           map[string]any `firestore:"file,omitempty"`
	Summary        map[string]any `firestore:"summary,omitempty"`
	Upload         *uploadDoc     `firestore:"upload,omitempty"`
	Error          string         `firestore:"error,omitempty"`
	ErrorClass     string         `firestore:"errorClass,omitempty"`
	Permanent      bool           `firestore:"permanent,omitempty"`
	Fingerprint    string         `firestore:"fingerprint,omitempty"`
	// Repeats counts the failures in a row of class RepeatClass; a takeover keeps both, so a failure that repeats
	// on every attempt can be told from an outage.
	Repeats     int64  `firestore:"repeats,omitempty"`
	RepeatClass string `firestore:"repeatClass,omitempty"`
}

// uploadDoc is an unfinished resumable upload: the session, the bytes Drive confirmed, and the SHA-256 state of
// those bytes.
type uploadDoc struct {
	SessionURI string    `firestore:"sessionUri"`
	Offset     int64     `firestore:"offset"`
	HashState  []byte    `firestore:"hashState"`
	Generation int64     `firestore:"generation"`
	UpdatedAt  time.Time `firestore:"updatedAt"`
}

func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.callTimeout)
}

// Acquire creates the date's lock, or takes over one whose lease expired or whose attempt failed. A date whose last
// attempt failed permanently under the same configuration fingerprint stays blocked unless o.ClearFailure is set.
func (s *Store) Acquire(ctx context.Context, date string, now time.Time, o export.AcquireOptions) (export.Acquisition, error) {
	ttl := o.TTL
	ctx, cancel := s.call(ctx)
	defer cancel()
	ref := s.coll.Doc(date)
	d := doc{
		BatchDate: date, State: string(export.StateRunning), Generation: 1, Attempts: 1,
		LeaseExpiresAt: now.Add(ttl), Holder: s.holder, CreatedAt: now, UpdatedAt: now, ExpireAt: expireAt(date, now),
	}
	_, err := ref.Create(ctx, d)
	if err == nil {
		rec, err := d.record()
		return export.Acquisition{Outcome: export.LockAcquired, Lease: leaseFor(d), Record: rec}, err
	}
	if status.Code(err) != codes.AlreadyExists {
		return export.Acquisition{}, fmt.Errorf("create lock %s: %w", date, err)
	}

	// Take over with an optimistic write: read, decide, and write only if nobody wrote in between (the
	// LastUpdateTime precondition). Unlike a transaction, it holds no lock, so an attempt killed between its read
	// and its write blocks nobody.
	var acq export.Acquisition
	err = s.optimistic(ctx, ref, func(snap *firestore.DocumentSnapshot) (*doc, error) {
		var cur doc
		if err := snap.DataTo(&cur); err != nil {
			return nil, fmt.Errorf("decode lock %s: %w", date, err)
		}
		rec, err := cur.record()
		if err != nil {
			return nil, err
		}
		switch {
		case cur.State == string(export.StateDone):
			acq = export.Acquisition{Outcome: export.LockAlreadyDone, Record: rec}
			return nil, nil
		case cur.State != string(export.StateFailed) && now.Before(cur.LeaseExpiresAt):
			acq = export.Acquisition{Outcome: export.LockBusy, Record: rec}
			return nil, nil
		case cur.State == string(export.StateFailed) && cur.Permanent && cur.Fingerprint == o.Fingerprint && !o.ClearFailure:
			acq = export.Acquisition{Outcome: export.LockBlocked, Record: rec}
			return nil, nil
		}
		// Expired or failed: take over, continuing from the phase reached.
		next := cur
		if next.State == string(export.StateFailed) {
			next.State = next.Phase
		}
		if next.State != string(export.StateUploaded) {
			next.State = string(export.StateRunning)
		}
		next.Phase, next.Error, next.ErrorClass, next.Permanent, next.Fingerprint = "", "", "", false, ""
		next.Generation++
		next.Attempts++
		next.LeaseExpiresAt = now.Add(ttl)
		next.Holder = s.holder
		next.UpdatedAt = now
		acq = export.Acquisition{Outcome: export.LockTakeover, Lease: leaseFor(next), Record: rec}
		return &next, nil
	})
	if err != nil {
		return export.Acquisition{}, fmt.Errorf("acquire lock %s: %w", date, err)
	}
	return acq, nil
}

// Progress records how far the upload got.
func (s *Store) Progress(ctx context.Context, l export.Lease, u export.UploadSession, now time.Time) error {
	return s.update(ctx, l, func(d *doc) {
		d.Upload = &uploadDoc{SessionURI: u.URI, Offset: u.Offset, HashState: u.HashState, Generation: u.Generation, UpdatedAt: now}
		d.UpdatedAt = now
	})
}

// Uploaded records the complete file and the summary so far.
func (s *Store) Uploaded(ctx context.Context, l export.Lease, f export.File, sum export.Summary, now time.Time) error {
	fm, err := toMap(f)
	if err != nil {
		return err
	}
	sm, err := toMap(sum)
	if err != nil {
		return err
	}
	return s.update(ctx, l, func(d *doc) {
		d.State, d.File, d.Summary, d.UpdatedAt, d.Upload = string(export.StateUploaded), fm, sm, now, nil
	})
}

// Done records the final summary; the date is finished.
func (s *Store) Done(ctx context.Context, l export.Lease, sum export.Summary, now time.Time) error {
	sm, err := toMap(sum)
	if err != nil {
		return err
	}
	return s.update(ctx, l, func(d *doc) {
		d.State, d.Summary, d.UpdatedAt, d.LeaseExpiresAt = string(export.StateDone), sm, now, now
		d.Repeats, d.RepeatClass = 0, ""
	})
}

// Fail records a failed attempt and releases its lease at once, so the next attempt need not wait for it.
func (s *Store) Fail(ctx context.Context, l export.Lease, f export.Failed, now time.Time) error {
	return s.update(ctx, l, func(d *doc) {
		if d.State != string(export.StateFailed) {
			d.Phase = d.State
		}
		d.State, d.ErrorClass, d.Permanent, d.Error = string(export.StateFailed), string(f.Class), f.Permanent, f.Message
		d.Fingerprint = f.Fingerprint
		if d.RepeatClass == string(f.Class) {
			d.Repeats++
		} else {
			d.Repeats, d.RepeatClass = 1, string(f.Class)
		}
		d.UpdatedAt, d.LeaseExpiresAt = now, now
	})
}

// optimistic reads the document, lets decide say what to write (nil: nothing), and writes it only if the document
// is unchanged since the read (a LastUpdateTime precondition). When another writer came first it reads again, a
// few times. No lock is held between the read and the write.
func (s *Store) optimistic(ctx context.Context, ref *firestore.DocumentRef, decide func(*firestore.DocumentSnapshot) (*doc, error)) error {
	for range 5 {
		snap, err := ref.Get(ctx)
		if err != nil {
			return fmt.Errorf("read lock: %w", err)
		}
		next, err := decide(snap)
		if err != nil || next == nil {
			return err
		}
		_, err = ref.Update(ctx, next.updates(), firestore.LastUpdateTime(snap.UpdateTime))
		if status.Code(err) == codes.FailedPrecondition {
			continue // someone wrote in between: decide again on what they wrote
		}
		if err != nil {
			return fmt.Errorf("write lock: %w", err)
		}
		return nil
	}
	return errors.New("write lock: the document kept changing under 5 attempts")
}

// updates lists every field of d for a whole-document Update; empty optional fields are deleted, as Set would
// omit them.
func (d doc) updates() []firestore.Update {
	opt := func(empty bool, v any) any {
		if empty {
			return firestore.Delete
		}
		return v
	}
	return []firestore.Update{
		{Path: "batchDate", Value: d.BatchDate},
		{Path: "state", Value: d.State},
		{Path: "phase", Value: opt(d.Phase == "", d.Phase)},
		{Path: "generation", Value: d.Generation},
		{Path: "attempts", Value: d.Attempts},
		{Path: "leaseExpiresAt", Value: d.LeaseExpiresAt},
		{Path: "holder", Value: d.Holder},
		{Path: "createdAt", Value: d.CreatedAt},
		{Path: "updatedAt", Value: d.UpdatedAt},
		{Path: "expireAt", Value: d.ExpireAt},
		{Path: "file", Value: opt(d.File == nil, d.File)},
		{Path: "summary", Value: opt(d.Summary == nil, d.Summary)},
		{Path: "upload", Value: opt(d.Upload == nil, d.Upload)},
		{Path: "error", Value: opt(d.Error == "", d.Error)},
		{Path: "errorClass", Value: opt(d.ErrorClass == "", d.ErrorClass)},
		{Path: "permanent", Value: opt(!d.Permanent, d.Permanent)},
		{Path: "fingerprint", Value: opt(d.Fingerprint == "", d.Fingerprint)},
		{Path: "repeats", Value: opt(d.Repeats == 0, d.Repeats)},
		{Path: "repeatClass", Value: opt(d.RepeatClass == "", d.RepeatClass)},
	}
}

// update changes the lock, only while it still belongs to l's generation.
func (s *Store) update(ctx context.Context, l export.Lease, change func(*doc)) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	ref := s.coll.Doc(l.Date)
	err := s.optimistic(ctx, ref, func(snap *firestore.DocumentSnapshot) (*doc, error) {
		var d doc
		if err := snap.DataTo(&d); err != nil {
			return nil, fmt.Errorf("decode lock: %w", err)
		}
		if d.Generation != l.Generation {
			return nil, fmt.Errorf("%w: generation %d, the lock is at %d", export.ErrLeaseLost, l.Generation, d.Generation)
		}
		if d.State == string(export.StateDone) {
			return nil, fmt.Errorf("%w: the date is already done", export.ErrLeaseLost)
		}
		change(&d)
		return &d, nil
	})
	if err != nil {
		return fmt.Errorf("update lock %s: %w", l.Date, err)
	}
	return nil
}

// Get returns the date's record.
func (s *Store) Get(ctx context.Context, date string) (export.Record, bool, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	snap, err := s.coll.Doc(date).Get(ctx)
	if status.Code(err) == codes.NotFound {
		return export.Record{}, false, nil
	}
	if err != nil {
		return export.Record{}, false, fmt.Errorf("get lock %s: %w", date, err)
	}
	return decode(snap)
}

// Latest returns the record of the newest batch date, or of the newest done one. The done query needs the
// composite index (state ascending, batchDate descending) that terraform/ creates.
func (s *Store) Latest(ctx context.Context, done bool) (export.Record, bool, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	q := s.coll.OrderBy("batchDate", firestore.Desc).Limit(1)
	if done {
		q = s.coll.Where("state", "==", string(export.StateDone)).OrderBy("batchDate", firestore.Desc).Limit(1)
	}
	it := q.Documents(ctx)
	defer it.Stop()
	snap, err := it.Next()
	if errors.Is(err, iterator.Done) {
		return export.Record{}, false, nil
	}
	if err != nil {
		return export.Record{}, false, fmt.Errorf("query latest lock: %w", err)
	}
	return decode(snap)
}

// Range returns the records of the dates from through to, oldest first: one query on batchDate, which
// Firestore's automatic single-field index serves.
func (s *Store) Range(ctx context.Context, from, to string) ([]export.Record, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	it := s.coll.Where("batchDate", ">=", from).Where("batchDate", "<=", to).OrderBy("batchDate", firestore.Asc).Documents(ctx)
	defer it.Stop()
	var out []export.Record
	for {
		snap, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("query locks %s to %s: %w", from, to, err)
		}
		rec, _, err := decode(snap)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
}

func decode(snap *firestore.DocumentSnapshot) (export.Record, bool, error) {
	var d doc
	if err := snap.DataTo(&d); err != nil {
		return export.Record{}, false, fmt.Errorf("decode lock %s: %w", snap.Ref.ID, err)
	}
	rec, err := d.record()
	return rec, err == nil, err
}

func (d doc) record() (export.Record, error) {
	r := export.Record{
		Date: d.BatchDate, State: export.State(d.State), Phase: export.State(d.Phase), Generation: d.Generation,
		Attempts: d.Attempts, LeaseExpiresAt: d.LeaseExpiresAt, UpdatedAt: d.UpdatedAt, Error: d.Error,
		ErrorClass: export.Class(d.ErrorClass), Permanent: d.Permanent, Fingerprint: d.Fingerprint,
		Repeats: d.Repeats,
	}
	if u := d.Upload; u != nil {
		r.Upload = &export.UploadSession{URI: u.SessionURI, Offset: u.Offset, HashState: u.HashState, Generation: u.Generation}
	}
	if d.File != nil {
		r.File = new(export.File)
		if err := fromMap(d.File, r.File); err != nil {
			return export.Record{}, err
		}
	}
	if d.Summary != nil {
		r.Summary = new(export.Summary)
		if err := fromMap(d.Summary, r.Summary); err != nil {
			return export.Record{}, err
		}
	}
	return r, nil
}

func leaseFor(d doc) export.Lease {
	return export.Lease{Date: d.BatchDate, Generation: d.Generation, Attempt: d.Attempts, ExpiresAt: d.LeaseExpiresAt}
}

func expireAt(date string, now time.Time) time.Time {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		t = now
	}
	return t.Add(Retention)
}

// toMap stores a value through its JSON form, so the record keeps the field names of the HTTP answer.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return m, nil
}

func fromMap(m map[string]any, v any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}
