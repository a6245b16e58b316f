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
// the journals' lines. Each asks for one document more than it can receive, so the server sees the end of the
// results within the first batch and closes the cursor without a getMore round trip.
func (s *Store) Read(ctx context.Context, b export.Batch, fn func([]export.Entry) error) error {
	filter := claimed(b.Date)
	if b.Preview {
		filter = bson.D{{Key: "$or", Value: bson.A{claimable(b), claimed(b.Date)}}}
	}
	var after any
	for {
		page, last, err := s.page(ctx, filter, after)
		if err != nil {
			return fmt.Errorf("read batch %s: %w", b.Date, err)
		}
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(page) < s.batchSize {
			return nil
		}
		after = last
	}
}

// queueDoc is the part of a queue entry the export reads.
type queueDoc struct {
	ID      bson.RawValue `bson:"_id"`
	EntryID bson.RawValue `bson:"entryId"`
}

func (s *Store) page(ctx context.Context, filter bson.D, after any) ([]export.Entry, any, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	f := filter
	if after != nil {
		f = bson.D{{Key: "$and", Value: bson.A{filter, bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}}}}}
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(s.batchSize)).
		SetBatchSize(int32(s.batchSize) + 1).SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "entryId", Value: 1}})
	cur, err := s.queue.Find(ctx, f, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("find queue page: %w", err)
	}
	var docs []queueDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, nil, fmt.Errorf("decode queue page: %w", err)
	}
	if len(docs) == 0 {
		return nil, nil, nil
	}

	entries := make([]export.Entry, len(docs))
	var ids []primitive.ObjectID
	for i, d := range docs {
		entries[i].ID = idString(d.ID)
		jid, err := objectID(d.EntryID)
		if err != nil {
			entries[i].Err = fmt.Errorf("%w: entryId %v", ledger.ErrMalformed, err)
			continue
		}
		entries[i].JournalID = jid.Hex()
		ids = append(ids, jid)
	}
	journals, err := s.lookup(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	for i := range entries {
		e := &entries[i]
		if e.Err != nil {
			continue
		}
		j, ok := journals[e.JournalID]
		switch {
		case !ok:
			e.Err = ledger.ErrNotFound
		case j.err != nil:
			e.Err = j.err
		default:
			e.Journal = j.journal
		}
	}
	last := docs[len(docs)-1].ID
	return entries, last, nil
}

type lookedUp struct {
	journal ledger.Journal
	err     error
}

// lookup reads the journals and all their lines with one $in query each.
func (s *Store) lookup(ctx context.Context, ids []primitive.ObjectID) (map[string]lookedUp, error) {
	out := make(map[string]lookedUp, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	in := bson.D{{Key: "$in", Value: ids}}
	cur, err := s.journals.Find(ctx, bson.D{{Key: "_id", Value: in}}, options.Find().SetBatchSize(int32(len(ids))+1))
	if err != nil {
		return nil, fmt.Errorf("find journals: %w", err)
	}
	var raws []bson.Raw
	if err := cur.All(ctx, &raws); err != nil {
		return nil, fmt.Errorf("decode journals: %w", err)
	}
	for _, raw := range raws {
		j, err := s.mapper.Journal(raw)
		if j.ID == "" {
			continue // no usable _id: the entry will read as not found
		}
		out[j.ID] = lookedUp{journal: j, err: err}
	}

	cur, err = s.transactions.Find(ctx, bson.D{{Key: "_journal", Value: in}}, options.Find().SetBatchSize(int32(8*len(ids))+1))
	if err != nil {
		return nil, fmt.Errorf("find transactions: %w", err)
	}
	raws = raws[:0]
	if err := cur.All(ctx, &raws); err != nil {
		return nil, fmt.Errorf("decode transactions: %w", err)
	}
	for _, raw := range raws {
		jid, line, err := s.mapper.Line(raw)
		lu, ok := out[jid]
		if !ok || lu.err != nil {
			continue
		}
		if err != nil {
			lu.err = err
		} else {
			lu.journal.Lines = append(lu.journal.Lines, line)
		}
		out[jid] = lu
	}
	for id, lu := range out {
		sortLines(lu.journal.Lines)
		out[id] = lu
	}
	return out, nil
}

// MarkFailed marks the failed entries, one updateMany per distinct reason.
func (s *Store) MarkFailed(ctx context.Context, b export.Batch, failures []export.Failure, now time.Time) error {
	byReason := map[string][]any{}
	var order []string
	for _, f := range failures {
		if _, ok := byReason[f.Reason]; !ok {
			order = append(order, f.Reason)
		}
		byReason[f.Reason] = append(byReason[f.Reason], rawID(f.EntryID))
	}
	for _, reason := range order {
		if err := s.markFailed(ctx, b, byReason[reason], reason, now); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) markFailed(ctx context.Context, b export.Batch, ids []any, reason string, now time.Time) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	filter := append(claimed(b.Date), bson.E{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}})
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: StatusFailed}, {Key: "error", Value: reason}, {Key: "failedAt", Value: now},
	}}}
	if _, err := s.queue.UpdateMany(ctx, filter, update); err != nil {
		return fmt.Errorf("mark %d entries failed: %w", len(ids), err)
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
