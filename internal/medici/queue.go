// Package medici is the MongoDB side of the export: the app's export queue and the Medici double-entry ledger
// (medici_journals, medici_transactions). It claims a batch with one update command (claim.go holds the claim's
// rule), reads it in _id order with keyset pages and batched $in lookups (no query per entry), and marks outcomes
// with one updateMany each.
//
// The queries are written for real MongoDB and its indexes (see Indexes); they avoid transactions, $lookup and
// aggregation so that the embedded FerretDB used by the tests serves them too.
package medici

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readconcern"
	"go.mongodb.org/mongo-driver/mongo/readpref"
	"go.mongodb.org/mongo-driver/mongo/writeconcern"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// Queue statuses and the export path this function serves.
const (
	StatusQueued    = "queued"
	StatusExporting = "exporting"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	PathScheduled   = "scheduled"
	ActionGenerated = "csv_generated"
)

// Collections names the collections the adapter uses.
type Collections struct {
	Queue, Journals, Transactions, ExportLogs string
}

// Store is a MongoDB-backed export.Queue.
type Store struct {
	queue, journals, transactions, logs *mongo.Collection

	batchSize   int
	callTimeout time.Duration
	mapper      Mapper
}

var _ export.Queue = (*Store)(nil)

// Options shape a Store.
type Options struct {
	BatchSize   int           // queue entries per page and ids per $in, at most 1000
	CallTimeout time.Duration // deadline of each query
	Mapper      Mapper        // how documents become journals
}

// New returns a Store on db. Whatever the connection string says, every query reads from the primary with a
// majority read concern and every update waits for a majority write concern: a read from a lagging secondary
// could miss a claim or a mark, and a write a failover rolls back could undo one.
func New(db *mongo.Database, c Collections, o Options) *Store {
	opts := Concerns()
	return &Store{
		queue: db.Collection(c.Queue, opts), journals: db.Collection(c.Journals, opts),
		transactions: db.Collection(c.Transactions, opts), logs: db.Collection(c.ExportLogs, opts),
		batchSize: o.BatchSize, callTimeout: o.CallTimeout, mapper: o.Mapper,
	}
}

// Concerns are the collection options of every collection the export uses: primary reads, majority read and
// write concerns (with journaling).
func Concerns() *options.CollectionOptions {
	return options.Collection().SetReadPreference(readpref.Primary()).
		SetReadConcern(readconcern.Majority()).SetWriteConcern(writeconcern.Majority())
}

// Index is one index operators should create, as a createIndex command for mongosh.
type Index struct {
	Collection string
	Keys       bson.D
	Why        string
}

// Indexes lists the indexes the queries use.
func Indexes(c Collections) []Index {
	return []Index{
		{c.Queue, bson.D{{Key: "status", Value: 1}, {Key: "exportPath", Value: 1}, {Key: "createdAt", Value: 1}}, "claim: queued scheduled entries before the cutoff"},
		{c.Queue, bson.D{{Key: "batchDate", Value: 1}, {Key: "status", Value: 1}, {Key: "exportGeneration", Value: 1}, {Key: "_id", Value: 1}}, "read a batch in _id order, mark it, count it"},
		{c.Queue, bson.D{{Key: "batchDate", Value: 1}, {Key: "status", Value: 1}, {Key: "exportGeneration", Value: 1}, {Key: "entryId", Value: 1}}, "find journals queued twice in a batch"},
		{c.Queue, bson.D{{Key: "status", Value: 1}, {Key: "batchDate", Value: 1}}, "list the dates with entries exporting (healing)"},
		{c.Queue, bson.D{{Key: "entryId", Value: 1}, {Key: "status", Value: 1}, {Key: "batchDate", Value: 1}}, "a page's journals already exported for another date"},
		{c.Transactions, bson.D{{Key: "_journal", Value: 1}}, "lines of a page of journals ($in)"},
		{c.ExportLogs, bson.D{{Key: "action", Value: 1}, {Key: "batchDate", Value: 1}, {Key: "generation", Value: 1}}, "one export log per export (date and generation)"},
	}
}

func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.callTimeout)
}

// live are the statuses of a batch's entries that a file has not taken yet.
var live = bson.A{StatusExporting, StatusFailed}

// batchWhere selects the date's entries whose status and exportGeneration match the conditions given (a value,
// or an operator document such as {$in: [...]}). Every filter of a batch is made here, so each leads with the keys
// of the batch index (batchDate, status, exportGeneration) and none can forget the generation fence.
func batchWhere(date string, status, generation any) bson.D {
	return bson.D{{Key: "batchDate", Value: date}, {Key: "status", Value: status}, {Key: "exportGeneration", Value: generation}}
}

// oneOf is the condition {$in: values}.
func oneOf(values bson.A) bson.D { return bson.D{{Key: "$in", Value: values}} }

// notGeneration is the condition {$not: {op: generation}}, which an entry without a generation (claimed before
// generations were stamped) also meets.
func notGeneration(op string, generation int64) bson.D {
	return bson.D{{Key: "$not", Value: bson.D{{Key: op, Value: generation}}}}
}

// batch selects the date's entries stamped with the generation, exporting or failed.
func batch(date string, generation int64) bson.D { return batchWhere(date, oneOf(live), generation) }

// exporting selects the date's entries stamped with the generation and not marked yet.
func exporting(date string, generation int64) bson.D {
	return batchWhere(date, StatusExporting, generation)
}

// Claim stamps the batch with its generation in one update command of ordered statements (2, 3 or 4 of them):
//
//  1. with RetryFailed, the date's failed entries of an older generation become exporting, their error cleared;
//  2. the date's exporting and failed entries of an older generation are taken over, keeping their status (a
//     failure an earlier attempt marked stays failed, so every attempt reports the same failures);
//  3. with Reexport, the date's completed entries of an older generation become exporting;
//  4. the queued entries created before the cutoff and in none of the held windows become exporting (none when
//     the held windows cover everything before the cutoff).
//
// Each statement stamps what it takes with the generation, so a later statement, which takes only older
// generations, cannot match it again. Entries of a newer generation are not matched, so the claim of an attempt
// that lost its lease takes nothing from the newer one. (An entry claimed before generations were stamped has
// none, and counts as older.)
func (s *Store) Claim(ctx context.Context, b export.Batch, now time.Time) error {
	rule, err := newClaimRule(b)
	if err != nil {
		return fmt.Errorf("claim batch %s: %w", b.Date, err)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	older := func(status any) bson.D { return batchWhere(b.Date, status, notGeneration("$gte", b.Generation)) }
	stamp := bson.D{{Key: "batchDate", Value: b.Date}, {Key: "exportGeneration", Value: b.Generation}, {Key: "claimedAt", Value: now}}
	exportingNow := append(bson.D{{Key: "status", Value: StatusExporting}}, stamp...)
	var models []mongo.WriteModel
	if b.RetryFailed {
		models = append(models, mongo.NewUpdateManyModel().SetFilter(older(StatusFailed)).SetUpdate(bson.D{
			{Key: "$set", Value: exportingNow},
			{Key: "$unset", Value: bson.D{{Key: "error", Value: ""}, {Key: "failedAt", Value: ""}}},
		}))
	}
	models = append(models, mongo.NewUpdateManyModel().SetFilter(older(oneOf(live))).SetUpdate(bson.D{{Key: "$set", Value: stamp}}))
	if b.Reexport {
		models = append(models, mongo.NewUpdateManyModel().SetFilter(older(StatusCompleted)).SetUpdate(bson.D{{Key: "$set", Value: exportingNow}}))
	}
	if q := claimable(rule.spans); q != nil {
		models = append(models, mongo.NewUpdateManyModel().SetFilter(q).SetUpdate(bson.D{{Key: "$set", Value: exportingNow}}))
	}
	if _, err := s.queue.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(true)); err != nil {
		return fmt.Errorf("claim batch %s: %w", b.Date, err)
	}
	return nil
}

// Read pages through the batch by _id: one query for the queue entries of QueuePages pages, then for each page
// one for its journals, one for the journals' lines and one for the queue entries that hold its journals for
// another date (see exportedElsewhere), so 3.2 round trips per 1,000 entries and none per entry, plus one
// aggregation per batch that finds journals queued twice. Every entry comes with its createdAt. The queue query asks for one entry more than
// its pages, so that the last query is known without one that finds nothing; each query's batch size is one
// document more than it can receive, so the server sees the end of the results within the first batch and closes
// the cursor without a getMore round trip. Each page is a new slice that fn may keep.
//
// The three queries of a page go out together, and the next queue query goes out as soon as the
// pages of the one before are on their way, so up to ReadAhead pages are looked up at once and their documents
// are mapped on every core; fn still receives the pages one at a time, in _id order (see readPages).
//
// The pages continue across BSON types in MongoDB's sort order (see laterTypes), and every _id must sort strictly
// after the one before: a read that would return an entry twice, or go backwards, fails instead.
func (s *Store) Read(ctx context.Context, b export.Batch, fn func([]export.Entry) error) error {
	rules := &readRules{date: b.Date}
	filter := batch(b.Date, b.Generation)
	if b.Preview {
		// What a claim would take, without stamping: the claim's rule decides each entry's status (see claim.go).
		rule, err := newClaimRule(b)
		if err != nil {
			return fmt.Errorf("read batch %s: %w", b.Date, err)
		}
		statuses := live
		if b.Reexport {
			statuses = bson.A{StatusExporting, StatusFailed, StatusCompleted}
		}
		branches := bson.A{bson.D{{Key: "batchDate", Value: b.Date}, {Key: "status", Value: oneOf(statuses)}}}
		if q := claimable(rule.spans); q != nil {
			branches = append(bson.A{q}, branches...)
		}
		filter = bson.D{{Key: "$or", Value: branches}}
		rules.claim = rule
	}
	dups, err := s.duplicates(ctx, filter)
	if err != nil {
		return fmt.Errorf("read batch %s: %w", b.Date, err)
	}
	rules.dups = dups
	src := &storeSource{s: s, filter: filter, date: b.Date}
	return readPages(ctx, src, s.mapper, s.batchSize, rules, fn, func(_ int, err error) error {
		return fmt.Errorf("read batch %s: %w", b.Date, err)
	})
}

// duplicates finds the journals that more than one entry of the batch names, with the entry that exports each
// (the first by _id): one aggregation grouped by entryId, and, only when some journal is queued twice, one find
// of those journals' entries in _id order. The result is keyed by the journal's hex id.
func (s *Store) duplicates(ctx context.Context, filter bson.D) (map[string]bson.RawValue, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	// Groups of more than one entry, and every group of a string reference: the same journal named once as an
	// ObjectId and once as its hex string forms two groups of one, which only the find below joins. (Mongoose
	// casts references to ObjectIds, so string references are rare.)
	cur, err := s.queue.Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: filter}},
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$entryId"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
		bson.D{{Key: "$match", Value: bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "n", Value: bson.D{{Key: "$gt", Value: 1}}}},
			bson.D{{Key: "_id", Value: bson.D{{Key: "$type", Value: "string"}}}},
		}}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("find journals queued twice: %w", err)
	}
	var refs bson.A
	for cur.Next(ctx) {
		jid, err := objectID(cur.Current.Lookup("_id"))
		if err != nil {
			continue // entries with no usable entryId fail on their own
		}
		refs = append(refs, jid, jid.Hex())
	}
	err = cur.Err()
	_ = cur.Close(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fmt.Errorf("find journals queued twice: %w", err)
	}
	if len(refs) == 0 {
		return nil, nil
	}
	type seen struct {
		first bson.RawValue
		n     int
	}
	byJournal := map[string]*seen{}
	f := bson.D{{Key: "$and", Value: bson.A{filter, bson.D{{Key: "entryId", Value: bson.D{{Key: "$in", Value: refs}}}}}}}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "entryId", Value: 1}})
	err = each(ctx, s.queue, f, opts, func(raw bson.Raw) {
		jid, err := objectID(raw.Lookup("entryId"))
		if err != nil {
			return
		}
		id := raw.Lookup("_id")
		j := byJournal[jid.Hex()]
		if j == nil {
			j = &seen{}
			byJournal[jid.Hex()] = j
		}
		j.n++
		if j.n == 1 || compareValues(id, j.first) < 0 {
			j.first = bson.RawValue{Type: id.Type, Value: slices.Clone(id.Value)}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("find the entries of journals queued twice: %w", err)
	}
	dups := map[string]bson.RawValue{}
	for jid, j := range byJournal {
		if j.n > 1 {
			dups[jid] = j.first
		}
	}
	return dups, nil
}

// storeSource is the source of a Store's read: the batch's queue entries, by keyset pages, and their journals and
// lines by $in.
type storeSource struct {
	s      *Store
	filter bson.D
	date   string
}

// queue finds the entries of QueuePages pages after the _id after (from the start when nil) and reports whether
// more entries follow.
func (q *storeSource) queue(ctx context.Context, first int, after *bson.RawValue, fn func(int, bson.Raw)) (more bool, err error) {
	ctx, cancel := q.s.call(ctx)
	defer cancel()
	f := q.filter
	if after != nil {
		f = bson.D{{Key: "$and", Value: bson.A{q.filter, bson.D{{Key: "$or", Value: continuation(*after)}}}}}
	}
	size := q.s.batchSize
	want := QueuePages * size
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(want) + 1).
		SetBatchSize(int32(want) + 2).SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "entryId", Value: 1}, {Key: "status", Value: 1}, {Key: "error", Value: 1},
		{Key: "createdAt", Value: 1}, {Key: "exportPath", Value: 1}, {Key: "batchDate", Value: 1}, {Key: "exportGeneration", Value: 1},
		{Key: "metadata.batchDate", Value: 1}, {Key: "metadata.fileName", Value: 1}})
	// Documents are mapped straight from the cursor's batch, never copied out: the mapped values own their bytes.
	n := 0
	err = each(ctx, q.s.queue, f, opts, func(raw bson.Raw) {
		if n == want {
			more = true // the entry after the last page: the next query starts with it
			return
		}
		fn(first+n/size, raw)
		n++
	})
	if err != nil {
		return false, fmt.Errorf("find queue entries: %w", err)
	}
	return more, nil
}

// continuation is the $or that selects the _ids after the given one, in MongoDB's sort order: the greater values
// of its bracket, and every value of a later bracket. After a NaN, which sorts before every other number but
// matches no range ({$gt: NaN} matches nothing, as MongoDB's jstests/core/nan.js shows), the rest of the numbers
// are {$gte: -Infinity}.
func continuation(after bson.RawValue) bson.A {
	gt := bson.D{{Key: "$gt", Value: after}}
	if isNaN(after) {
		gt = bson.D{{Key: "$gte", Value: math.Inf(-1)}}
	}
	next := bson.A{bson.D{{Key: "_id", Value: gt}}}
	if later := laterTypes(after.Type); len(later) > 0 {
		next = append(next, bson.D{{Key: "_id", Value: bson.D{{Key: "$type", Value: later}}}})
	}
	return next
}

// journals finds the journals of a page by _id $in.
func (q *storeSource) journals(ctx context.Context, _ int, ids []primitive.ObjectID, fn func(bson.Raw)) error {
	ctx, cancel := q.s.call(ctx)
	defer cancel()
	in := bson.D{{Key: "$in", Value: ids}}
	if err := each(ctx, q.s.journals, bson.D{{Key: "_id", Value: in}}, options.Find().SetBatchSize(int32(len(ids))+1), fn); err != nil {
		return fmt.Errorf("find journals: %w", err)
	}
	return nil
}

// lines finds the lines of a page's journals by _journal $in.
func (q *storeSource) lines(ctx context.Context, _ int, ids []primitive.ObjectID, fn func(bson.Raw)) error {
	ctx, cancel := q.s.call(ctx)
	defer cancel()
	in := bson.D{{Key: "$in", Value: ids}}
	if err := each(ctx, q.s.transactions, bson.D{{Key: "_journal", Value: in}}, options.Find().SetBatchSize(int32(8*len(ids))+1), fn); err != nil {
		return fmt.Errorf("find transactions: %w", err)
	}
	return nil
}

// exported finds the queue entries that hold one of a page's journals for another file (see exportedIn), by
// entryId $in, naming each journal both as an ObjectId and as its hex string.
func (q *storeSource) exported(ctx context.Context, _ int, ids []primitive.ObjectID, fn func(bson.Raw)) error {
	ctx, cancel := q.s.call(ctx)
	defer cancel()
	refs := make(bson.A, 0, 2*len(ids))
	for _, id := range ids {
		refs = append(refs, id, id.Hex())
	}
	opts := options.Find().SetBatchSize(int32(len(ids)) + 1).SetProjection(bson.D{{Key: "entryId", Value: 1}, {Key: "status", Value: 1},
		{Key: "batchDate", Value: 1}, {Key: "metadata.fileName", Value: 1}, {Key: "metadata.fileId", Value: 1}})
	if err := each(ctx, q.s.queue, exportedIn(q.date, refs), opts, fn); err != nil {
		return fmt.Errorf("find journals exported for another date: %w", err)
	}
	return nil
}

// each calls fn with every document a find returns, in order. The document is valid only during the call.
func each(ctx context.Context, c *mongo.Collection, filter bson.D, opts *options.FindOptions, fn func(bson.Raw)) error {
	cur, err := c.Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		fn(cur.Current)
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read results: %w", err)
	}
	return nil
}

// assembler builds one page of entries from raw documents: the queue entries in _id order, then their journals,
// then the journals' lines, each in any order. Store and Memory share it, so both map documents the same way.
type assembler struct {
	mapper   Mapper
	rules    *readRules
	entries  []export.Entry
	relook   []bool               // per entry: marked failed by an earlier attempt, and its journal looked up
	seen     int                  // queue documents given, the batch's or not
	ids      []primitive.ObjectID // the journals to look up, in entry order
	last     bson.RawValue        // the last queue entry's _id, where the next page starts
	err      error                // an entry out of _id order: the read is wrong and must stop
	byID     map[string]int       // journal id to its index in journals
	journals []lookedUp
	// elsewhere are the page's journals already exported for another date (see exportedElsewhere).
	elsewhere map[string]elsewhere
}

// readRules are what a read knows of its batch beyond the documents: the date, the journals queued twice, and,
// when the documents are not the claimed batch itself, the claim's rule to apply to each.
type readRules struct {
	date string
	dups map[string]bson.RawValue // journals queued more than once, with the entry that exports each
	// claim, when set, decides which queue documents the batch holds and with which status (a dry run, or
	// Memory's documents as they were before its claim); nil takes every document as the batch's.
	claim *claimRule
}

type lookedUp struct {
	journal ledger.Journal
	err     error
}

// ErrDuplicate is the reason of an entry whose journal an earlier entry of the batch already exports.
var ErrDuplicate = errors.New("journal queued twice")

// ErrExportedElsewhere is the reason of an entry whose journal another date's file already holds (or an earlier
// date's export is about to write): a journal is exported once across dates.
var ErrExportedElsewhere = errors.New("journal already exported")

func newAssembler(m Mapper, size int, rules *readRules) *assembler {
	return &assembler{mapper: m, rules: rules, entries: make([]export.Entry, 0, size), ids: make([]primitive.ObjectID, 0, size)}
}

// entry adds a queue entry; only its _id, entryId, status, error and createdAt are read (and, with a claim rule,
// what the rule reads).
func (a *assembler) entry(raw bson.Raw) {
	a.seen++
	id, _ := raw.LookupErr("_id")
	if a.last.Type != 0 && compareValues(id, a.last) <= 0 {
		if a.err == nil {
			a.err = fmt.Errorf("queue entry %s does not sort after %s: the read would skip or repeat entries", idString(id), idString(a.last))
		}
		return
	}
	// The next page's filter and the marks outlive the cursor's buffer, so the _id is copied out.
	key := bson.RawValue{Type: id.Type, Value: slices.Clone(id.Value)}
	a.last = key
	st, _ := raw.Lookup("status").StringValueOK()
	if a.rules != nil && a.rules.claim != nil {
		var ok bool
		if st, ok = a.rules.claim.take(raw); !ok {
			return // not the batch's: the claim leaves it where it is
		}
	}
	ref, _ := raw.LookupErr("entryId")
	e := export.Entry{ID: idString(id), Key: key}
	if at, ok := raw.Lookup("createdAt").DateTimeOK(); ok {
		e.CreatedAt = time.UnixMilli(at).UTC()
	}
	jid, jerr := objectID(ref)
	if jerr == nil {
		e.JournalID = jid.Hex()
	}
	var dups map[string]bson.RawValue
	if a.rules != nil {
		dups = a.rules.dups
	}
	switch first, dup := dups[e.JournalID]; {
	case jerr != nil:
		e.Err = fmt.Errorf("%w: entryId %v", ledger.ErrMalformed, jerr)
	case dup && !first.Equal(key):
		e.Err = fmt.Errorf("%w: duplicate of entry %s", ErrDuplicate, idString(first))
	case a.rules != nil && exportedBefore(raw, a.rules.date):
		// The entry itself was completed in another date's file, then set back to queued (by the app, by hand):
		// no other entry shows that file, so the journal-once lookup cannot see it.
		file, _ := raw.Lookup("metadata", "fileName").StringValueOK()
		d, _ := raw.Lookup("metadata", "batchDate").StringValueOK()
		e.Err = fmt.Errorf("%w in %s of %s", ErrExportedElsewhere, file, d)
	default:
		a.ids = append(a.ids, jid)
	}
	// An entry an earlier attempt marked failed keeps its recorded reason. Its journal is looked up as that
	// attempt looked it up (above), so that the file lists the failure with the same journal as read: the XLSX
	// summary shows its date, memo, accounts and amounts, and a resumed attempt must write the same bytes.
	relook := false
	if st == StatusFailed {
		reason, _ := raw.Lookup("error").StringValueOK()
		if reason == "" {
			reason = "marked failed"
		}
		relook = e.Err == nil
		e.Err, e.Marked = errors.New(reason), true
	}
	a.entries = append(a.entries, e)
	a.relook = append(a.relook, relook)
}

// journal adds a journal document. One without a usable _id is dropped: its entries read as not found.
func (a *assembler) journal(raw bson.Raw) {
	j, err := a.mapper.Journal(raw)
	if j.ID == "" {
		return
	}
	if a.byID == nil {
		a.byID = make(map[string]int, len(a.ids))
		a.journals = make([]lookedUp, 0, len(a.ids))
	}
	if i, ok := a.byID[j.ID]; ok {
		a.journals[i] = lookedUp{journal: j, err: err} // the last of duplicates wins
		return
	}
	a.byID[j.ID] = len(a.journals)
	a.journals = append(a.journals, lookedUp{journal: j, err: err})
}

// line adds a line to its journal; a line of no journal on the page is dropped, and a malformed line fails its
// journal.
func (a *assembler) line(raw bson.Raw) {
	jid, line, err := a.mapper.Line(raw)
	a.join(jid, line, err)
}

// join adds a line, mapped with its journal's id and the mapper's error, as line does; the journals must all be in.
// A failed journal keeps its well-formed lines too, whatever order the lines come in, so that its failure can be
// listed with the accounts and amounts that were read (the same on every attempt).
func (a *assembler) join(jid string, line ledger.Line, err error) {
	i, ok := a.byID[jid]
	if !ok {
		return
	}
	lu := &a.journals[i]
	if err != nil {
		if lu.err == nil {
			lu.err = err
		}
		return
	}
	// Medici copies the journal's memo and book into every line: the line keeps the journal's copy, so that a page
	// of mapped lines holds each text once (the values are equal, so nothing written changes).
	if line.Memo == lu.journal.Memo {
		line.Memo = lu.journal.Memo
	}
	if line.Book == lu.journal.Book {
		line.Book = lu.journal.Book
	}
	if lu.journal.Lines == nil && lu.journal.LineCount > 0 {
		// Room for the lines the journal lists, up to a bound: the count comes from the document.
		lu.journal.Lines = make([]ledger.Line, 0, min(lu.journal.LineCount, 16))
	}
	lu.journal.Lines = append(lu.journal.Lines, line)
}

// finish joins the entries with their journals.
func (a *assembler) finish() []export.Entry {
	for i := range a.journals {
		sortLines(a.journals[i].journal.Lines)
	}
	for i := range a.entries {
		e := &a.entries[i]
		if e.Err != nil && !a.relook[i] {
			continue
		}
		k, ok := a.byID[e.JournalID]
		at, exported := a.elsewhere[e.JournalID]
		if e.Marked {
			// Its recorded reason stays; its journal as read goes with it when the first attempt had it too.
			if ok && !exported {
				e.Journal = a.journals[k].journal
			}
			continue
		}
		switch {
		case exported:
			date := at.date
			if date == "" {
				date = "an unknown date"
			}
			e.Err = fmt.Errorf("%w in %s of %s", ErrExportedElsewhere, at.file, date)
		case !ok:
			e.Err = ledger.ErrNotFound
		case a.journals[k].err != nil:
			// The journal as far as it was read goes with the error, for a summary that lists the failure.
			e.Err, e.Journal = a.journals[k].err, a.journals[k].journal
		default:
			e.Journal = a.journals[k].journal
		}
	}
	return a.entries
}

// MarkFailed marks the failed entries with one update command: one statement per distinct reason, each an
// updateMany over the entries (addressed by their own _id) that failed with it and are still exporting under the
// batch's generation. Fewer entries marked than given is an error: another writer changed them.
func (s *Store) MarkFailed(ctx context.Context, b export.Batch, failures []export.Failure, now time.Time) error {
	if len(failures) == 0 {
		return nil
	}
	byReason := map[string][]any{}
	var order []string
	for _, f := range failures {
		if f.Key == nil {
			return fmt.Errorf("mark entry %s failed: the entry has no stored _id", f.EntryID)
		}
		if _, ok := byReason[f.Reason]; !ok {
			order = append(order, f.Reason)
		}
		byReason[f.Reason] = append(byReason[f.Reason], f.Key)
	}
	models := make([]mongo.WriteModel, 0, len(order))
	for _, reason := range order {
		filter := append(exporting(b.Date, b.Generation), bson.E{Key: "_id", Value: bson.D{{Key: "$in", Value: byReason[reason]}}})
		update := bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: StatusFailed}, {Key: "error", Value: reason}, {Key: "failedAt", Value: now},
		}}}
		models = append(models, mongo.NewUpdateManyModel().SetFilter(filter).SetUpdate(update))
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	res, err := s.queue.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	if err != nil {
		return fmt.Errorf("mark %d entries failed: %w", len(failures), err)
	}
	if res.MatchedCount != int64(len(failures)) {
		return fmt.Errorf("mark %d entries failed: %d matched; the others are no longer exporting under generation %d", len(failures), res.MatchedCount, b.Generation)
	}
	return nil
}

// MarkExported marks the entries still exporting under the batch's generation as completed in the file.
func (s *Store) MarkExported(ctx context.Context, b export.Batch, f export.File, now time.Time) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: StatusCompleted},
		{Key: "metadata.fileId", Value: f.ID},
		{Key: "metadata.fileName", Value: f.Name},
		{Key: "metadata.batchDate", Value: b.Date},
		{Key: "metadata.webViewLink", Value: f.WebViewLink},
		{Key: "exportedAt", Value: now},
	}}}
	res, err := s.queue.UpdateMany(ctx, exporting(b.Date, b.Generation), update)
	if err != nil {
		return 0, fmt.Errorf("mark batch %s exported: %w", b.Date, err)
	}
	return res.ModifiedCount, nil
}

// Release returns the date's exporting entries of the batch's generation or older to the queue, as if never
// claimed. Entries a newer generation stamped are not touched.
func (s *Store) Release(ctx context.Context, b export.Batch) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	filter := batchWhere(b.Date, StatusExporting, notGeneration("$gt", b.Generation))
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "status", Value: StatusQueued}}},
		{Key: "$unset", Value: bson.D{{Key: "batchDate", Value: ""}, {Key: "exportGeneration", Value: ""}, {Key: "claimedAt", Value: ""}}},
	}
	res, err := s.queue.UpdateMany(ctx, filter, update)
	if err != nil {
		return 0, fmt.Errorf("release batch %s: %w", b.Date, err)
	}
	return res.ModifiedCount, nil
}

// Count counts the date's entries stamped with the generation, by status: one aggregation.
func (s *Store) Count(ctx context.Context, date string, generation int64) (export.Counts, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	cur, err := s.queue.Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: batchWhere(date, oneOf(bson.A{StatusExporting, StatusFailed, StatusCompleted}), generation)}},
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$status"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	})
	if err != nil {
		return export.Counts{}, fmt.Errorf("count batch %s: %w", date, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	var c export.Counts
	for cur.Next(ctx) {
		st, _ := cur.Current.Lookup("_id").StringValueOK()
		n, ok := cur.Current.Lookup("n").AsInt64OK()
		if !ok {
			return export.Counts{}, fmt.Errorf("count batch %s: count of %q is not a number", date, st)
		}
		switch st {
		case StatusExporting:
			c.Exporting = n
		case StatusFailed:
			c.Failed = n
		case StatusCompleted:
			c.Completed = n
		}
	}
	if err := cur.Err(); err != nil {
		return export.Counts{}, fmt.Errorf("count batch %s: %w", date, err)
	}
	return c, nil
}

// IDs lists the ids of the batch's entries with one plain cursor (no keyset, no page), for naming entries a
// read missed. Only a run whose read and claim differ calls it.
func (s *Store) IDs(ctx context.Context, date string, generation int64, fn func(id string) error) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	cur, err := s.queue.Find(ctx, batch(date, generation), options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(1000))
	if err != nil {
		return fmt.Errorf("list the entries of %s: %w", date, err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		if err := fn(idString(cur.Current.Lookup("_id"))); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("list the entries of %s: %w", date, err)
	}
	return nil
}

// Pending lists the dates that have entries exporting, oldest first: one aggregation grouped by batchDate.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	cur, err := s.queue.Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: bson.D{{Key: "status", Value: StatusExporting}}}},
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$batchDate"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("list dates with entries exporting: %w", err)
	}
	defer cur.Close(context.WithoutCancel(ctx))
	var out []string
	for cur.Next(ctx) {
		if d, ok := cur.Current.Lookup("_id").StringValueOK(); ok {
			out = append(out, d)
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("list dates with entries exporting: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// Unclaimable counts the queued scheduled entries that no claim can take: without createdAt, or with one that is
// not a date (a string, say), since the claim compares createdAt with the cutoff as a date.
func (s *Store) Unclaimable(ctx context.Context) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	n, err := s.queue.CountDocuments(ctx, bson.D{
		{Key: "status", Value: StatusQueued}, {Key: "exportPath", Value: PathScheduled},
		{Key: "createdAt", Value: bson.D{{Key: "$not", Value: bson.D{{Key: "$type", Value: "date"}}}}},
	})
	if err != nil {
		return 0, fmt.Errorf("count unclaimable entries: %w", err)
	}
	return n, nil
}

// LogExport upserts the app's export log of one export: one document per date and generation, so that a retry of
// the same attempt (the same generation) replaces its own log and a re-export, which always has a newer
// generation, adds one beside the earlier ones.
func (s *Store) LogExport(ctx context.Context, sum export.Summary, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	filter := bson.D{{Key: "action", Value: ActionGenerated}, {Key: "batchDate", Value: sum.Date}, {Key: "generation", Value: sum.Generation}}
	set := bson.D{
		{Key: "fileId", Value: sum.FileID}, {Key: "fileName", Value: sum.FileName},
		{Key: "webViewLink", Value: sum.WebViewLink}, {Key: "sha256", Value: sum.SHA256},
		{Key: "rows", Value: sum.Rows}, {Key: "entriesExported", Value: sum.EntriesExported},
		{Key: "entriesFailed", Value: sum.EntriesFailed}, {Key: "entriesLate", Value: sum.EntriesLate},
		{Key: "debitTotal", Value: sum.DebitTotal}, {Key: "creditTotal", Value: sum.CreditTotal},
		{Key: "attempt", Value: sum.Attempt}, {Key: "updatedAt", Value: now},
		{Key: "windowFrom", Value: sum.WindowFrom}, {Key: "windowTo", Value: sum.WindowTo}, {Key: "timeZone", Value: sum.TimeZone},
	}
	update := bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "createdAt", Value: now}}}}
	if m := sum.AccountMap; m != nil {
		// Which account map the file was made with, for the app's own audit of the accountant's imports.
		set = append(set, bson.E{Key: "accountMap", Value: bson.D{{Key: "name", Value: m.Name}, {Key: "fileId", Value: m.FileID},
			{Key: "version", Value: m.Version}, {Key: "sha256", Value: m.SHA256}}})
	}
	if c := sum.Correction; c != nil {
		p := c.Previous
		set = append(set, bson.E{Key: "correction", Value: bson.D{
			{Key: "by", Value: c.By}, {Key: "reason", Value: c.Reason}, {Key: "at", Value: c.At}, {Key: "retryFailed", Value: c.RetryFailed},
			{Key: "previous", Value: bson.D{
				{Key: "rows", Value: p.Rows}, {Key: "entriesExported", Value: p.EntriesExported}, {Key: "entriesFailed", Value: p.EntriesFailed},
				{Key: "debitTotal", Value: p.DebitTotal}, {Key: "creditTotal", Value: p.CreditTotal}, {Key: "sha256", Value: p.SHA256},
				{Key: "revisionId", Value: p.RevisionID}, {Key: "generation", Value: p.Generation},
			}},
			{Key: "new", Value: bson.D{
				{Key: "rows", Value: sum.Rows}, {Key: "entriesExported", Value: sum.EntriesExported}, {Key: "entriesFailed", Value: sum.EntriesFailed},
				{Key: "debitTotal", Value: sum.DebitTotal}, {Key: "creditTotal", Value: sum.CreditTotal}, {Key: "sha256", Value: sum.SHA256},
				{Key: "generation", Value: sum.Generation},
			}},
		}})
	} else {
		// A retry of the same generation that is no correction leaves none behind.
		update = append(update, bson.E{Key: "$unset", Value: bson.D{{Key: "correction", Value: ""}}})
	}
	update = append(bson.D{{Key: "$set", Value: set}}, update...)
	if _, err := s.logs.UpdateOne(ctx, filter, update, options.Update().SetUpsert(true)); err != nil {
		return fmt.Errorf("write export log %s (generation %d): %w", sum.Date, sum.Generation, err)
	}
	return nil
}

// idString renders an _id for the file and the failure list: an ObjectId as hex, a string as itself, a number
// as its decimal digits, a UUID in its usual form, anything else as extended JSON.
func idString(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeObjectID:
		return v.ObjectID().Hex()
	case bson.TypeString:
		return v.StringValue()
	case bson.TypeInt32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case bson.TypeInt64:
		return strconv.FormatInt(v.Int64(), 10)
	case bson.TypeDouble:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	case bson.TypeBinary:
		if sub, b := v.Binary(); (sub == 4 || sub == 3) && len(b) == 16 {
			h := hex.EncodeToString(b)
			return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		}
	}
	return v.String()
}

func objectID(v bson.RawValue) (primitive.ObjectID, error) {
	if oid, ok := v.ObjectIDOK(); ok {
		return oid, nil
	}
	if s, ok := v.StringValueOK(); ok {
		oid, err := primitive.ObjectIDFromHex(s)
		if err != nil {
			return primitive.NilObjectID, fmt.Errorf("%q is not an ObjectId", s)
		}
		return oid, nil
	}
	if v.Type == 0 {
		return primitive.NilObjectID, errors.New("is missing")
	}
	return primitive.NilObjectID, fmt.Errorf("has type %s, want ObjectId", v.Type)
}
