// Package medici is the MongoDB side of the export: the app's export queue and the Medici double-entry ledger
// (medici_journals, medici_transactions). It claims a batch with one updateMany, reads it in _id order with keyset
// pages and batched $in lookups (no query per entry), and marks outcomes with one updateMany each.
//
// The queries are written for real MongoDB and its indexes (see Indexes); they avoid transactions, $lookup and
// aggregation so that the embedded FerretDB used by the tests serves them too.
package medici

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

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

// New returns a Store on db.
func New(db *mongo.Database, c Collections, o Options) *Store {
	return &Store{
		queue: db.Collection(c.Queue), journals: db.Collection(c.Journals),
		transactions: db.Collection(c.Transactions), logs: db.Collection(c.ExportLogs),
		batchSize: o.BatchSize, callTimeout: o.CallTimeout, mapper: o.Mapper,
	}
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
		{c.Queue, bson.D{{Key: "batchDate", Value: 1}, {Key: "status", Value: 1}, {Key: "_id", Value: 1}}, "read a batch in _id order, mark it, count its failures"},
		{c.Transactions, bson.D{{Key: "_journal", Value: 1}}, "lines of a page of journals ($in)"},
		{c.ExportLogs, bson.D{{Key: "action", Value: 1}, {Key: "batchDate", Value: 1}}, "one export log per date"},
	}
}

func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.callTimeout)
}

func claimable(b export.Batch) bson.D {
	return bson.D{{Key: "exportPath", Value: PathScheduled}, {Key: "status", Value: StatusQueued}, {Key: "createdAt", Value: bson.D{{Key: "$lt", Value: b.Cutoff}}}}
}

func claimed(date string) bson.D {
	return bson.D{{Key: "batchDate", Value: date}, {Key: "status", Value: StatusExporting}}
}

// Claim moves the queued entries before the cutoff, and those an earlier attempt claimed, to this generation.
func (s *Store) Claim(ctx context.Context, b export.Batch, now time.Time) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	filter := bson.D{{Key: "$or", Value: bson.A{claimable(b), claimed(b.Date)}}}
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: StatusExporting}, {Key: "batchDate", Value: b.Date},
		{Key: "exportGeneration", Value: b.Generation}, {Key: "claimedAt", Value: now},
	}}}
	res, err := s.queue.UpdateMany(ctx, filter, update)
	if err != nil {
		return 0, fmt.Errorf("claim batch %s: %w", b.Date, err)
	}
	return res.MatchedCount, nil
}

// Read pages through the batch by _id: one query for a page of queue entries, one for their journals and one for
// the journals' lines, so three round trips per page and none per entry. The queue query asks for one entry more
// than a page, so that the last page is known without a query that finds nothing; each query's batch size is one
// document more than it can receive, so the server sees the end of the results within the first batch and closes
// the cursor without a getMore round trip. Each page is a new slice that fn may keep.
func (s *Store) Read(ctx context.Context, b export.Batch, fn func([]export.Entry) error) error {
	filter := claimed(b.Date)
	if b.Preview {
		filter = bson.D{{Key: "$or", Value: bson.A{claimable(b), claimed(b.Date)}}}
	}
	var after any
	for {
		page, last, more, err := s.page(ctx, filter, after)
		if err != nil {
			return fmt.Errorf("read batch %s: %w", b.Date, err)
		}
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		if !more {
			return nil
		}
		after = last
	}
}

// page reads the page after the _id after (from the start when nil), and reports whether more entries follow.
func (s *Store) page(ctx context.Context, filter bson.D, after any) (entries []export.Entry, last any, more bool, err error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	f := filter
	if after != nil {
		f = bson.D{{Key: "$and", Value: bson.A{filter, bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}}}}}
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(s.batchSize) + 1).
		SetBatchSize(int32(s.batchSize) + 2).SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "entryId", Value: 1}})
	a := newAssembler(s.mapper, s.batchSize)
	// Documents are mapped straight from the cursor's batch, never copied out: the mapped values own their bytes.
	err = each(ctx, s.queue, f, opts, func(raw bson.Raw) {
		if len(a.entries) == s.batchSize {
			more = true // the entry after the page: the next page starts with it
			return
		}
		a.entry(raw)
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("find queue page: %w", err)
	}
	if len(a.entries) == 0 {
		return nil, nil, false, nil
	}
	if len(a.ids) > 0 {
		in := bson.D{{Key: "$in", Value: a.ids}}
		err = each(ctx, s.journals, bson.D{{Key: "_id", Value: in}}, options.Find().SetBatchSize(int32(len(a.ids))+1), a.journal)
		if err != nil {
			return nil, nil, false, fmt.Errorf("find journals: %w", err)
		}
		err = each(ctx, s.transactions, bson.D{{Key: "_journal", Value: in}}, options.Find().SetBatchSize(int32(8*len(a.ids))+1), a.line)
		if err != nil {
			return nil, nil, false, fmt.Errorf("find transactions: %w", err)
		}
	}
	return a.finish(), a.last, more, nil
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
	entries  []export.Entry
	ids      []primitive.ObjectID // the journals to look up, in entry order
	last     any                  // the last queue entry's _id, where the next page starts
	byID     map[string]int       // journal id to its index in journals
	journals []lookedUp
}

type lookedUp struct {
	journal ledger.Journal
	err     error
}

func newAssembler(m Mapper, size int) *assembler {
	return &assembler{mapper: m, entries: make([]export.Entry, 0, size), ids: make([]primitive.ObjectID, 0, size)}
}

// entry adds a queue entry; only its _id and entryId are read.
func (a *assembler) entry(raw bson.Raw) {
	id, _ := raw.LookupErr("_id")
	ref, _ := raw.LookupErr("entryId")
	e := export.Entry{ID: idString(id)}
	if jid, err := objectID(ref); err != nil {
		e.Err = fmt.Errorf("%w: entryId %v", ledger.ErrMalformed, err)
	} else {
		e.JournalID = jid.Hex()
		a.ids = append(a.ids, jid)
	}
	a.entries = append(a.entries, e)
	// The next page's filter outlives the cursor's buffer, so the last _id is copied out.
	a.last = bson.RawValue{Type: id.Type, Value: slices.Clone(id.Value)}
}

// journal adds a journal document. One without a usable _id is dropped: its entries read as not found.
func (a *assembler) journal(raw bson.Raw) {
	j, err := a.mapper.Journal(raw)
	if j.ID == "" {
		return
	}
	if a.byID == nil {
		a.byID = make(map[string]int, cap(a.ids))
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
	i, ok := a.byID[jid]
	if !ok || a.journals[i].err != nil {
		return
	}
	lu := &a.journals[i]
	if err != nil {
		lu.err = err
		return
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
		if e.Err != nil {
			continue
		}
		k, ok := a.byID[e.JournalID]
		switch {
		case !ok:
			e.Err = ledger.ErrNotFound
		case a.journals[k].err != nil:
			e.Err = a.journals[k].err
		default:
			e.Journal = a.journals[k].journal
		}
	}
	return a.entries
}

// MarkFailed marks the failed entries with one update command: one statement per distinct reason, each an
// updateMany over the entries that failed with it.
func (s *Store) MarkFailed(ctx context.Context, b export.Batch, failures []export.Failure, now time.Time) error {
	if len(failures) == 0 {
		return nil
	}
	byReason := map[string][]any{}
	var order []string
	for _, f := range failures {
		if _, ok := byReason[f.Reason]; !ok {
			order = append(order, f.Reason)
		}
		byReason[f.Reason] = append(byReason[f.Reason], rawID(f.EntryID))
	}
	models := make([]mongo.WriteModel, 0, len(order))
	for _, reason := range order {
		filter := append(claimed(b.Date), bson.E{Key: "_id", Value: bson.D{{Key: "$in", Value: byReason[reason]}}})
		update := bson.D{{Key: "$set", Value: bson.D{
			{Key: "status", Value: StatusFailed}, {Key: "error", Value: reason}, {Key: "failedAt", Value: now},
		}}}
		models = append(models, mongo.NewUpdateManyModel().SetFilter(filter).SetUpdate(update))
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	if _, err := s.queue.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return fmt.Errorf("mark %d entries failed: %w", len(failures), err)
	}
	return nil
}

// MarkExported marks every entry still exporting for the date as completed in the file.
func (s *Store) MarkExported(ctx context.Context, b export.Batch, f export.File, now time.Time) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: StatusCompleted},
		{Key: "metadata.fileId", Value: f.ID},
		{Key: "metadata.webViewLink", Value: f.WebViewLink},
		{Key: "exportedAt", Value: now},
	}}}
	res, err := s.queue.UpdateMany(ctx, claimed(b.Date), update)
	if err != nil {
		return 0, fmt.Errorf("mark batch %s exported: %w", b.Date, err)
	}
	return res.ModifiedCount, nil
}

// Release returns the date's claimed entries to the queue, as if never claimed.
func (s *Store) Release(ctx context.Context, b export.Batch) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "status", Value: StatusQueued}}},
		{Key: "$unset", Value: bson.D{{Key: "batchDate", Value: ""}, {Key: "exportGeneration", Value: ""}, {Key: "claimedAt", Value: ""}}},
	}
	res, err := s.queue.UpdateMany(ctx, claimed(b.Date), update)
	if err != nil {
		return 0, fmt.Errorf("release batch %s: %w", b.Date, err)
	}
	return res.ModifiedCount, nil
}

// CountFailed counts the date's failed entries.
func (s *Store) CountFailed(ctx context.Context, date string) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	n, err := s.queue.CountDocuments(ctx, bson.D{{Key: "batchDate", Value: date}, {Key: "status", Value: StatusFailed}})
	if err != nil {
		return 0, fmt.Errorf("count failed entries of %s: %w", date, err)
	}
	return n, nil
}

// LogExport upserts the app's export log for the date: one document per date, however many attempts it took.
func (s *Store) LogExport(ctx context.Context, sum export.Summary, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	filter := bson.D{{Key: "action", Value: ActionGenerated}, {Key: "batchDate", Value: sum.Date}}
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "fileId", Value: sum.FileID}, {Key: "fileName", Value: sum.FileName},
			{Key: "webViewLink", Value: sum.WebViewLink}, {Key: "sha256", Value: sum.SHA256},
			{Key: "rows", Value: sum.Rows}, {Key: "entriesExported", Value: sum.EntriesExported},
			{Key: "entriesFailed", Value: sum.EntriesFailed}, {Key: "debitTotal", Value: sum.DebitTotal},
			{Key: "creditTotal", Value: sum.CreditTotal}, {Key: "attempt", Value: sum.Attempt},
			{Key: "updatedAt", Value: now},
		}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "createdAt", Value: now}}},
	}
	if _, err := s.logs.UpdateOne(ctx, filter, update, options.Update().SetUpsert(true)); err != nil {
		return fmt.Errorf("write export log %s: %w", sum.Date, err)
	}
	return nil
}

// idString renders an _id for the CSV and the failure list: an ObjectId as hex, anything else as text.
func idString(v bson.RawValue) string {
	if oid, ok := v.ObjectIDOK(); ok {
		return oid.Hex()
	}
	if s, ok := v.StringValueOK(); ok {
		return s
	}
	return v.String()
}

// rawID turns an entry id back into the _id value to match: ObjectId hex back to an ObjectId.
func rawID(id string) any {
	if oid, err := primitive.ObjectIDFromHex(id); err == nil {
		return oid
	}
	return id
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
