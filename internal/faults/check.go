package faults

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/firestore"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/lease"
)

const folder = "exports"

// snapshot is what Drive, MongoDB and Firestore hold once no attempt is in flight.
type snapshot struct {
	status, fileOf map[string]string           // queue _id (hex) → status, metadata.fileId
	errorOf        map[string]string           // queue _id (hex) → the failure reason it records
	byDate         map[string][]drivefake.File // live files by their exportDate
	entries        map[string]map[string]bool  // live file id → entry ids in it
	filesOf        map[string][]string         // entry id → live files holding it
	lines          map[string]int              // line id → rows with it over all live files
	locks          map[string]export.Record    // date → lock (absent when there is none)
	requests       []drivefake.RequestRecord
	// fileLines: live file id → entry id → the lines the file writes for it; journalOf: entry id → its journal
	// (hex), for every entry seeded or still queued; dbLines: journal (hex) → its lines in MongoDB.
	fileLines map[string]map[string][]line
	journalOf map[string]string
	dbLines   map[string][]line
}

// line is one line of a journal, in a file or in MongoDB: its id and its amounts in satang.
type line struct {
	id            string
	debit, credit int64
}

// read takes a snapshot of the world.
func (w *world) read(ctx context.Context) (*snapshot, error) {
	s := &snapshot{byDate: map[string][]drivefake.File{}, entries: map[string]map[string]bool{},
		filesOf: map[string][]string{}, lines: map[string]int{}, locks: map[string]export.Record{},
		fileLines: map[string]map[string][]line{}, journalOf: map[string]string{}}
	var err error
	if s.status, s.fileOf, s.errorOf, err = queueState(ctx, w.db, s.journalOf); err != nil {
		return nil, fmt.Errorf("read queue: %w", err)
	}
	for _, d := range w.days {
		for _, q := range d.data.Queue {
			doc := docMap(q)
			s.journalOf[idString(doc["_id"])] = idString(doc["entryId"])
		}
	}
	if s.dbLines, err = journalLines(ctx, w.db); err != nil {
		return nil, fmt.Errorf("read journal lines: %w", err)
	}
	for _, f := range w.fake.LiveFiles(folder) {
		date := f.AppProperties["exportDate"]
		s.byDate[date] = append(s.byDate[date], f)
		rows, err := readRows(w.h.opts.Format, f.Content)
		if err != nil {
			return nil, fmt.Errorf("file %s (%s): %w", f.ID, f.Name, err)
		}
		col := map[string]int{}
		for i, name := range rows[0] {
			col[name] = i
		}
		ent, hasEnt := col["entry_id"]
		lineCol, hasLine := col["line_id"]
		debit, hasDebit := col["debit"]
		credit, hasCredit := col["credit"]
		if !hasEnt || !hasLine || !hasDebit || !hasCredit {
			return nil, fmt.Errorf("file %s lacks one of the columns entry_id, line_id, debit, credit: header %q", f.ID, rows[0])
		}
		in := map[string]bool{}
		byEntry := map[string][]line{}
		for n, r := range rows[1:] {
			l := line{id: r[lineCol]}
			if l.debit, err = satang(r[debit]); err == nil {
				l.credit, err = satang(r[credit])
			}
			if err != nil {
				return nil, fmt.Errorf("file %s row %d: %w", f.ID, n+2, err)
			}
			s.lines[l.id]++
			in[r[ent]] = true
			byEntry[r[ent]] = append(byEntry[r[ent]], l)
		}
		s.entries[f.ID] = in
		s.fileLines[f.ID] = byEntry
		for id := range in {
			s.filesOf[id] = append(s.filesOf[id], f.ID)
		}
	}
	for _, d := range w.days {
		rec, found, err := w.lock(ctx, d.date)
		if err != nil {
			return nil, fmt.Errorf("read lock of %s: %w", d.date, err)
		}
		if found {
			s.locks[d.date] = rec
		}
	}
	s.requests = w.fake.Requests()
	return s, nil
}

// readRows reads a file's rows, header first.
func readRows(format string, content []byte) ([][]string, error) {
	var rows [][]string
	var err error
	switch format {
	case "xlsx":
		rows, err = xlsxRows(content)
	default:
		rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(content, []byte(csvfile.BOM)))).ReadAll()
	}
	if err != nil {
		return nil, fmt.Errorf("not %s: %w", format, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("empty %s file, not even a header", format)
	}
	return rows, nil
}

// checkExported checks that every given date is exported exactly once: its lock done, one live file, every
// valid entry in its own date's file once and marked completed with it, every broken entry failed and in no
// file, no line twice, and no entry in two live files. It reports whether all of it held.
func (w *world) checkExported(s *snapshot, days []day, t *trialResult) bool {
	before := len(t.problems)
	var g grouped
	for _, d := range days {
		rec, found := s.locks[d.date]
		if !found || rec.State != export.StateDone {
			t.fail("date %s: lock %s (%s), want done", d.date, stateOf(rec, found), rec.Error)
		}
		files := s.byDate[d.date]
		switch {
		case len(files) == 0:
			t.fail("date %s has no live file", d.date)
		case len(files) > 1:
			t.duplicates += len(files) - 1
			t.fail("date %s has %d live files", d.date, len(files))
		}
		own := map[string]bool{}
		for _, f := range files {
			own[f.ID] = true
		}
		for _, id := range sortedKeys(d.valid) {
			in := s.filesOf[id]
			switch {
			case len(in) == 0:
				t.lost++
				g.add(fmt.Sprintf("date %s: entries in no live file, status %s", d.date, s.status[id]), id)
			case len(in) > 1:
				t.duplicates += len(in) - 1
				g.add(fmt.Sprintf("date %s: entries in %d live files %v", d.date, len(in), in), id)
			case !own[in[0]]:
				g.add(fmt.Sprintf("date %s: entries in another date's file %s", d.date, in[0]), id)
			case s.status[id] != "completed" || s.fileOf[id] != in[0]:
				t.lost++
				g.add(fmt.Sprintf("date %s: entries in file %s but marked %s with %q", d.date, in[0], s.status[id], s.fileOf[id]), id)
			}
		}
		for _, id := range sortedKeys(d.broken) {
			if st := s.status[id]; st != "failed" || len(s.filesOf[id]) > 0 {
				g.add(fmt.Sprintf("date %s: broken entries %s in files %v, want failed and in none", d.date, st, s.filesOf[id]), id)
			}
		}
	}
	g.flush(t)
	w.checkShared(s, t)
	return len(t.problems) == before
}

// checkShared checks what must hold at every moment: no line twice over the live files, no entry in two live
// files, no entry the harness did not seed, and every entry in a file with exactly its journal's lines.
func (w *world) checkShared(s *snapshot, t *trialResult) {
	checkLines(s, t)
	var g grouped
	defer g.flush(t)
	for _, id := range sortedKeys(s.lines) {
		if n := s.lines[id]; n > 1 {
			t.duplicates += n - 1
			g.add(fmt.Sprintf("lines appearing %d times over the live files", n), id)
		}
	}
	known := maps.Clone(w.alsoValid)
	for _, d := range w.days {
		for id := range d.valid {
			known[id] = true
		}
	}
	for _, id := range sortedKeys(s.filesOf) {
		if !known[id] {
			g.add("entries that were never valid seeded entries, in live files", id)
		}
	}
	// A late arrival is an entry that became visible after its own date was done. A seeded entry was visible
	// before any run: a summary that lists it as late moved it out of its own date's file.
	for _, date := range sortedKeys(s.locks) {
		if sum := s.locks[date].Summary; sum != nil {
			for _, l := range sum.Late {
				if !w.late[l.EntryID] {
					g.add(fmt.Sprintf("entries the summary of %s lists as late (of %s) though they were queued before any run", date, l.Date), l.EntryID)
				}
			}
		}
	}
}

// checkBlocked checks a date that a permanent failure must have blocked: the lock failed and permanent, no Drive
// request after the failure was recorded, and no entry lost or doubled. An entry in a live file of the date must
// not be back in the queue, where the next day would claim it again; an entry in no live file must be back in the
// queue. Broken entries are failed or queued. starts are when the date's attempts began. With fileLive, the date must still have its one live file (the file
// an earlier attempt finished, which the permanent error kept the run from trashing); without, none.
func (w *world) checkBlocked(s *snapshot, d day, fileLive bool, starts []time.Time, t *trialResult) bool {
	before := len(t.problems)
	var g grouped
	rec, found := s.locks[d.date]
	if !found || rec.State != export.StateFailed || !rec.Permanent {
		t.fail("date %s: lock %s permanent=%v (%s), want blocked", d.date, stateOf(rec, found), rec.Permanent, rec.Error)
	}
	files := s.byDate[d.date]
	switch {
	case fileLive && len(files) != 1:
		t.fail("date %s: %d live files, want the one the earlier attempt finished", d.date, len(files))
	case !fileLive && len(files) != 0:
		t.duplicates += len(files)
		t.fail("a blocked date has %d live files", len(files))
	}
	for _, id := range sortedKeys(d.valid) {
		in, st := s.filesOf[id], s.status[id]
		switch {
		case len(in) > 0 && st == "queued":
			t.duplicates++
			g.add(fmt.Sprintf("date %s: entries back in the queue while live file %s holds them", d.date, in[0]), id)
		case len(in) == 0 && st != "queued":
			t.lost++
			g.add(fmt.Sprintf("date %s: entries in no live file and %s, want queued", d.date, st), id)
		}
	}
	for _, id := range sortedKeys(d.broken) {
		if st := s.status[id]; (st != "failed" && st != "queued") || len(s.filesOf[id]) > 0 {
			g.add(fmt.Sprintf("date %s: broken entries %s in files %v, want failed or queued and in none", d.date, st, s.filesOf[id]), id)
		}
	}
	g.flush(t)
	if found {
		// Once the permanent failure is recorded, later attempts must fail fast: no Drive request from an attempt
		// that began after it. (The failing attempt itself may still ask Drive whether a file is live.)
		var later time.Time
		for _, st := range starts {
			if st.After(rec.UpdatedAt) {
				later = st
				break
			}
		}
		var ops []string
		for _, r := range s.requests {
			if !later.IsZero() && !r.Time.Before(later) {
				ops = append(ops, fmt.Sprintf("%s %s", r.Op, r.Time.Sub(later).Round(time.Millisecond)))
			}
		}
		if len(ops) > 0 {
			t.fail("blocked attempts sent %d requests to Drive (op, time after the first of them began: %s)", len(ops), strings.Join(ops, ", "))
		}
	}
	w.checkShared(s, t)
	return len(t.problems) == before
}

// grouped collects ids under one message each, so that a trial reports "16 entries ..." once instead of 16 lines.
type grouped struct {
	order []string
	ids   map[string][]string
}

func (g *grouped) add(msg, id string) {
	if g.ids == nil {
		g.ids = map[string][]string{}
	}
	if _, ok := g.ids[msg]; !ok {
		g.order = append(g.order, msg)
	}
	g.ids[msg] = append(g.ids[msg], id)
}

// flush reports each message once with its count and first ids, and empties g.
func (g *grouped) flush(t *trialResult) {
	for _, msg := range g.order {
		ids := g.ids[msg]
		shown := strings.Join(ids[:min(3, len(ids))], ", ")
		if len(ids) > 3 {
			shown += ", …"
		}
		t.fail("%s: %d (%s)", msg, len(ids), shown)
	}
	*g = grouped{}
}

func stateOf(rec export.Record, found bool) string {
	if !found {
		return "absent"
	}
	return string(rec.State)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// prove checks that the schedule's fault happened, and reports whether it did. Each missing proof is a problem
// starting "fault never fired".
func (w *world) prove(s *schedule, t *trialResult) bool {
	before := len(t.problems)
	never := func(format string, args ...any) { t.fail("fault never fired: "+format, args...) }
	f := s.f
	if f.Crash != "" {
		point, _, _ := strings.Cut(f.Crash, ":")
		if !hasMark(s.first.marks(), "crash", point) || !s.first.killedBySIGKILL() {
			never("crash point %s not reached (marks %q, killed by SIGKILL: %v)", f.Crash, s.first.marks(), s.first.killedBySIGKILL())
		}
	}
	if f.Stop != "" && (!hasMark(s.first.marks(), "stop", f.Stop) || !s.stopSeen || !s.thawed) {
		never("stop point %s: marks %q, seen stopped %v, thawed and finished %v", f.Stop, s.first.marks(), s.stopSeen, s.thawed)
	}
	if f.RandomKill && !s.first.killedInFlight.Load() {
		t.missed, t.cleanRun = true, s.measured
		never("the random SIGKILL came after the first attempt had answered (%d in %s)", s.codes[0], s.measured)
	}
	served := w.fake.FaultsServed()
	for _, i := range w.proveFaults {
		if served[i] == 0 {
			df := w.faultAt(i)
			never("Drive fault %d (%s chunk %d, status %d %s, delay %s, drop %v) served no request", i, df.Op, df.Chunk, df.Status, df.Reason, df.Delay, df.Drop)
		}
	}
	if w.trigger >= 0 {
		w.mu.Lock()
		outages := append([]*Outage(nil), w.outages...)
		w.mu.Unlock()
		hit := false
		for _, o := range outages {
			r := o.Report()
			hit = hit || r.Cut+r.Refused > 0
		}
		if served[w.trigger] == 0 || !hit {
			never("no outage hit the run (its trigger chunk served %d requests; %d outages)", served[w.trigger], len(outages))
		}
	}
	if f.Duplicate || f.Burst > 0 {
		if !slices.Contains(append([]int{s.codes[0]}, s.others...), http.StatusConflict) {
			never("no trigger found another attempt holding the date (answers %v, %v)", s.codes, s.others)
		}
	}
	return len(t.problems) == before
}

// faultAt is the i-th fault registered with the fake Drive.
func (w *world) faultAt(i int) drivefake.Fault {
	w.mu.Lock()
	defer w.mu.Unlock()
	if i < len(w.registered) {
		return w.registered[i]
	}
	return drivefake.Fault{}
}

func hasMark(marks []string, what, point string) bool {
	for _, m := range marks {
		if f := strings.Fields(m); len(f) == 3 && f[0] == what && f[1] == point {
			return true
		}
	}
	return false
}

// queueState reads every queue entry's status, file id and failure reason, and adds each entry's journal to
// journalOf.
func queueState(ctx context.Context, db *mongo.Database, journalOf map[string]string) (status, fileOf, errorOf map[string]string, err error) {
	cur, err := db.Collection("exportqueues").Find(ctx, bson.D{})
	if err != nil {
		return nil, nil, nil, err
	}
	var docs []struct {
		ID       any    `bson:"_id"`
		Journal  any    `bson:"entryId"`
		Status   string `bson:"status"`
		Error    string `bson:"error"`
		Metadata struct {
			FileID string `bson:"fileId"`
		} `bson:"metadata"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, nil, nil, err
	}
	status, fileOf, errorOf = map[string]string{}, map[string]string{}, map[string]string{}
	for _, d := range docs {
		id := idString(d.ID)
		status[id] = d.Status
		fileOf[id] = d.Metadata.FileID
		errorOf[id] = d.Error
		journalOf[id] = idString(d.Journal)
	}
	return status, fileOf, errorOf, nil
}

// idString writes a queue _id as the CSV does: an ObjectId in hex, anything else as it prints.
func idString(v any) string {
	if oid, ok := v.(interface{ Hex() string }); ok {
		return oid.Hex()
	}
	return fmt.Sprint(v)
}

func (w *world) lock(ctx context.Context, date string) (export.Record, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := firestore.NewClient(ctx, w.project)
	if err != nil {
		return export.Record{}, false, err
	}
	defer c.Close()
	return lease.New(c, "ledger-export-runs", "harness", 30*time.Second).Get(ctx, date)
}

// journalLines reads every Medici transaction of the trial's database: journal (hex) → its lines.
func journalLines(ctx context.Context, db *mongo.Database) (map[string][]line, error) {
	cur, err := db.Collection("medici_transactions").Find(ctx, bson.D{})
	if err != nil {
		return nil, err
	}
	var docs []struct {
		ID      any `bson:"_id"`
		Journal any `bson:"_journal"`
		Debit   any `bson:"debit"`
		Credit  any `bson:"credit"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	out := map[string][]line{}
	for _, d := range docs {
		l := line{id: idString(d.ID)}
		var derr, cerr error
		l.debit, derr = satang(fmt.Sprint(d.Debit))
		l.credit, cerr = satang(fmt.Sprint(d.Credit))
		if derr != nil || cerr != nil {
			l.debit, l.credit = -1, -1 // a broken line: no file may hold it
		}
		j := idString(d.Journal)
		out[j] = append(out[j], l)
	}
	return out, nil
}

// satang reads an amount as a file or MongoDB writes it ("1234.5", "1234.50", "" for zero) in satang.
func satang(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	return int64(math.Round(f * 100)), nil
}

// checkLines checks every entry in a live file against its journal in MongoDB: the file holds each of the
// journal's lines once, no other line, and each with the journal's debit and credit. An entry written with a line
// missing (or one too many, or a wrong amount) fails the trial, even when each entry is in exactly one file.
func checkLines(s *snapshot, t *trialResult) bool {
	before := len(t.problems)
	var g grouped
	for _, fid := range sortedKeys(s.fileLines) {
		for _, id := range sortedKeys(s.fileLines[fid]) {
			got := s.fileLines[fid][id]
			j, known := s.journalOf[id]
			if !known {
				g.add(fmt.Sprintf("file %s: entries whose journal the harness cannot tell", fid), id)
				continue
			}
			want := map[string]line{}
			for _, l := range s.dbLines[j] {
				want[l.id] = l
			}
			if len(got) != len(want) {
				g.add(fmt.Sprintf("file %s: entries with %d lines where journal %s has %d in MongoDB", fid, len(got), j, len(want)), id)
				continue
			}
			for _, l := range got {
				if w, ok := want[l.id]; !ok || w != l {
					g.add(fmt.Sprintf("file %s: entries with line %s at %d/%d satang where journal %s has %v", fid, l.id, l.debit, l.credit, j, w), id)
					break
				}
			}
		}
	}
	g.flush(t)
	return len(t.problems) == before
}
