package faults

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// edge names a class of issue 18: the boundary with operators and the app. Each is played by its own scenario.
type edge string

// The classes of issue 18, by the defect of its section "Reproduced defects" each one reproduces.
const (
	// edgeReexportStalled (defect 1): two attempts fail on a Drive 503, leaving the entries exporting at
	// generation 2; then the operator's re-export through the function.
	edgeReexportStalled edge = "reexport-stalled"
	// edgeReexportDone (defect 1, the command's contract): a done date re-exported through the function: the
	// same Drive file gets a new revision, the earlier one kept.
	edgeReexportDone edge = "reexport-done"
	// edgeReexportRetryFailed: the same, after the app fixed the journal of a failed entry, with retryFailed: the
	// fixed entry joins the file and the entries still broken fail again.
	edgeReexportRetryFailed edge = "reexport-retry-failed"
	// edgeReexportInterrupted: the same, with the first re-export killed mid-upload and then repeated.
	edgeReexportInterrupted edge = "reexport-interrupted"
	// edgeRequeue (defect 2): while the first attempt is stopped at Fault.Stop, the app sets a failed entry back
	// to queued (after fixing its journal) and deletes an exporting entry; then the attempt goes on.
	edgeRequeue edge = "app-requeue"
	// edgeHealDrive (defect 3): an earlier date is unfinished with its entries queued; healing it meets a Drive
	// 503 on the later date's first attempt.
	edgeHealDrive edge = "heal-drive"
	// edgeHealBusy (defect 3): an earlier date's attempt holds its lease (frozen after the lock, entries still
	// queued) while the later date's first attempt runs.
	edgeHealBusy edge = "heal-busy"
	// edgeJournalTwice (defect 4): the app queues one journal at 17:59:59 and again at 18:00:01.
	edgeJournalTwice edge = "journal-twice"
	// edgeThawReexport (defect 5, trashOthers): a re-export stopped after its claim is thawed while a second
	// re-export, whose instance's clock runs a lease ahead, has taken the date over and is stopped after its claim.
	edgeThawReexport edge = "thaw-reexport"
	// edgeThawAdopt (defect 5, abandon): an attempt stopped after its upload, before recording it, is thawed while
	// a newer attempt, whose instance's clock runs a lease ahead, adopts its file and is stopped after the adoption.
	edgeThawAdopt edge = "thaw-adopt"
	// edgeThawAdoptFence: the same on the real clock: the old attempt is frozen past its lease, and the deadline
	// fence (5 % before the lease ends) must stop it before it can trash anything.
	edgeThawAdoptFence edge = "thaw-adopt-fence"
)

// days is how many batch dates the class's trial seeds.
func (e edge) days() int {
	switch e {
	case edgeRequeue, edgeHealDrive, edgeHealBusy, edgeJournalTwice:
		return 2
	}
	return 1
}

// operatorEmail is the caller of the operator's commands: the email claim of operatorToken.
const operatorEmail = "operator@faults.example"

// operatorToken is the OIDC token the operator's requests carry. Its signature is not real: in production Cloud
// Run's IAM check verifies the token before the request reaches the function, which reads the caller's email from
// its claims.
var operatorToken = func() string {
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{
		"iss": "https://accounts.google.com", "aud": "ledger-export", "email": operatorEmail, "email_verified": true,
		"sub": "1000", "iat": time.Now().Unix(), "exp": time.Now().Add(24 * time.Hour).Unix(),
	})
	return enc([]byte(`{"alg":"RS256","typ":"JWT","kid":"faults"}`)) + "." + enc(claims) + "." + enc([]byte("not-a-signature"))
}()

// reexportReason is the reason the operator gives.
const reexportReason = "faults harness: re-export requested by the operator"

// playEdge plays the fault's class of issue 18.
func (w *world) playEdge(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	switch f.edge {
	case edgeReexportStalled:
		return w.reexportStalled(ctx, f, rnd)
	case edgeReexportDone:
		return w.reexportDone(ctx, f, rnd, false, false)
	case edgeReexportRetryFailed:
		return w.reexportDone(ctx, f, rnd, true, false)
	case edgeReexportInterrupted:
		return w.reexportDone(ctx, f, rnd, false, true)
	case edgeRequeue:
		return w.appRequeue(ctx, f, rnd)
	case edgeHealDrive, edgeHealBusy:
		return w.healEarlier(ctx, f, rnd)
	case edgeJournalTwice:
		return w.journalTwice(ctx, f, rnd)
	case edgeThawReexport:
		return w.thawReexport(ctx, f, rnd)
	case edgeThawAdopt:
		return w.thawAdopt(ctx, f, rnd, true)
	case edgeThawAdoptFence:
		return w.thawAdopt(ctx, f, rnd, false)
	}
	return trialResult{}, fmt.Errorf("unknown class %q", f.edge)
}

// command sends an operator's command (body) to an instance and repeats it until it answers 200: at most three
// times, five scaled minutes apart, as the runbook says. It returns the last answer.
func (w *world) command(ctx context.Context, t *trialResult, body map[string]any) (int, error) {
	code := 0
	for i := range 3 {
		if i > 0 {
			time.Sleep(5 * w.h.opts.Minute)
		}
		inst, err := w.instance(ctx)
		if err != nil {
			return 0, err
		}
		t.attempts++
		if code = w.post(ctx, inst, request{body: body, operator: true}); code == http.StatusOK {
			return code, nil
		}
	}
	return code, nil
}

// reexportBody is the operator's re-export of date.
func reexportBody(date string) map[string]any {
	return map[string]any{"date": date, "reexport": true, "reason": reexportReason}
}

// background sends r to inst and delivers the answer on the returned channel.
func (w *world) background(ctx context.Context, inst *instance, r request) <-chan int {
	answered := make(chan int, 1)
	go func() { answered <- w.post(ctx, inst, r) }()
	return answered
}

// waitStopped waits until inst has left its stop mark for point and is stopped, and reports whether it did; it
// gives up when the request answered first (the point was never reached) or after the lease and a minute.
func (w *world) waitStopped(ctx context.Context, inst *instance, point string, answered <-chan int) (bool, int) {
	deadline := time.Now().Add(35*w.h.opts.Minute + time.Minute)
	for time.Now().Before(deadline) {
		if hasMark(inst.marks(), "stop", point) && inst.stopped() {
			return true, 0
		}
		select {
		case code := <-answered:
			return false, code
		case <-ctx.Done():
			return false, 0
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false, 0
}

// stoppedInstance starts an instance (with env added) that stops itself at point, sends it r in the background,
// and waits until it is stopped there. It fails the trial with "fault never fired" when the request answered first.
func (w *world) stoppedInstance(ctx context.Context, t *trialResult, point string, r request, env ...string) (*instance, <-chan int, bool, error) {
	inst, err := w.newInstance(ctx, "", point, env...)
	if err != nil {
		return nil, nil, false, err
	}
	inst.frozen.Store(true) // no other request goes to it
	answered := w.background(ctx, inst, r)
	stopped, code := w.waitStopped(ctx, inst, point, answered)
	if !stopped {
		t.fail("fault never fired: the attempt did not stop at %s (answered %d; marks %q)", point, code, inst.marks())
	}
	return inst, answered, stopped, nil
}

// awaitAnswer waits for a thawed instance's answer, for at most the lease and a minute.
func (w *world) awaitAnswer(ctx context.Context, answered <-chan int) int {
	select {
	case code := <-answered:
		return code
	case <-ctx.Done():
	case <-time.After(35*w.h.opts.Minute + time.Minute):
	}
	return 0
}

// reexportStalled reproduces defect 1: two attempts fail on a Drive 503 (every chunk 2 of the date's uploads), so
// the entries stay exporting at generation 2; then the operator re-exports the date through the function. The
// date must end exported exactly once at a generation above 2, with nothing left exporting.
func (w *world) reexportStalled(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	var t trialResult
	d := w.days[0]
	s := &schedule{w: w, day: d, f: Fault{Name: f.Name}, rnd: rnd}
	done, err := s.play(ctx, 2)
	t.attempts += s.attempts
	if err != nil || !w.waitIdle(ctx, &t) {
		return t, err
	}
	before, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	rec := before.locks[d.date]
	exporting := countStatus(before, d.valid, "exporting")
	proven := w.prove(s, &t)
	if done || rec.Generation != 2 || exporting == 0 {
		proven = false
		t.fail("fault never fired: after two attempts (answers %v) the lock is %s at generation %d with %d entries exporting, want failed at 2 with entries exporting",
			s.codes, rec.State, rec.Generation, exporting)
	}

	w.fake.ClearFaults()
	code, err := w.command(ctx, &t, reexportBody(d.date))
	if err != nil || !w.waitIdle(ctx, &t) {
		return t, err
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	ok := w.checkExported(snap, w.days, &t)
	if code != http.StatusOK {
		ok = false
		t.fail("the operator's re-export of %s answered %d, want 200", d.date, code)
	}
	if g := snap.locks[d.date].Generation; g <= rec.Generation {
		ok = false
		t.fail("date %s: generation %d after the re-export, want above %d (it never restarts)", d.date, g, rec.Generation)
	}
	t.ok, t.proven = ok, proven
	return t, nil
}

// reexportDone re-exports a done date through the function: the same Drive file gets a new revision (the earlier
// one kept forever), every entry is in it exactly once, the generation rises, and the lock records who asked and why.
// With retryFailed, the app first fixes the journal of a failed entry (its debit stored as a string) and the
// command asks for the failed entries too: the fixed entry must be in the new revision, completed with the file,
// and the entries still broken failed again.
//
// With interrupted, the first re-export is killed (SIGKILL) once Drive has confirmed its first chunk: the file must
// still hold its earlier content whole (the earlier revision intact), and the re-export repeated once the killed
// one's lease has expired must finish the date as above.
func (w *world) reexportDone(ctx context.Context, f Fault, rnd *rand.Rand, retryFailed, interrupted bool) (trialResult, error) {
	var t trialResult
	d := w.days[0]
	s := &schedule{w: w, day: d, f: Fault{Name: f.Name}, rnd: rnd}
	done, err := s.play(ctx, len(retryWaits))
	t.attempts += s.attempts
	if err != nil || !w.waitIdle(ctx, &t) {
		return t, err
	}
	first, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	okFirst := done && w.checkExported(first, w.days, &t)
	files := first.byDate[d.date]
	if !okFirst || len(files) != 1 {
		t.fail("the date was not exported exactly once before the re-export (answers %v)", s.codes)
		return t, nil
	}
	fileID, gen, oldMD5 := files[0].ID, first.locks[d.date].Generation, files[0].MD5
	revsBefore, err := w.revisions(ctx, fileID)
	if err != nil {
		t.fail("list the revisions of %s before the re-export: %v", fileID, err)
	}

	body := reexportBody(d.date)
	fixed := ""
	if retryFailed {
		q := docMap(d.data.Queue[d.data.Valid+2]) // the line whose debit is a string
		if err := w.fixJournal(ctx, q["entryId"]); err != nil {
			return t, err
		}
		fixed = idString(q["_id"])
		body["retryFailed"] = true
	}
	interruptProven := true
	if interrupted {
		var err error
		if interruptProven, err = w.interruptReexport(ctx, &t, fileID, body); err != nil {
			return t, err
		}
	}
	code, err := w.command(ctx, &t, body)
	if err != nil || !w.waitIdle(ctx, &t) {
		return t, err
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	ok := code == http.StatusOK
	if !ok {
		t.fail("the operator's re-export of %s answered %d, want 200", d.date, code)
	}
	if fixed != "" {
		delete(d.broken, fixed)
		d.valid[fixed] = true
	}
	ok = w.checkExported(snap, w.days, &t) && ok
	ok = w.checkReexported(ctx, snap, d.date, fileID, gen, len(revsBefore), oldMD5, &t) && ok
	if c := correctionOf(snap.locks[d.date]); retryFailed && c != nil && !c.RetryFailed {
		ok = false
		t.fail("date %s: the correction does not record retryFailed", d.date)
	}
	revs, _ := w.revisions(ctx, fileID)
	t.proven = code == http.StatusOK && len(revs) > len(revsBefore) && interruptProven
	if !t.proven {
		t.fail("fault never fired: the re-export answered %d and file %s has %d revisions (%d before)", code, fileID, len(revs), len(revsBefore))
	}
	t.ok = ok
	return t, nil
}

// interruptReexport sends the re-export to an instance that kills itself once Drive has confirmed the first chunk
// of its upload, then checks that the date's file still holds its earlier content whole, and waits until the killed
// attempt's lease has expired. It reports whether the kill was proven (the crash mark and death by SIGKILL).
func (w *world) interruptReexport(ctx context.Context, t *trialResult, fileID string, body map[string]any) (bool, error) {
	before, _ := w.fake.File(fileID)
	inst, err := w.newInstance(ctx, export.PointChunk+":1", "")
	if err != nil {
		return false, err
	}
	inst.frozen.Store(true) // it dies; no other request goes to it
	t.attempts++
	code := w.post(ctx, inst, request{body: body, operator: true})
	if code == 0 { // no answer: the process is dying
		select {
		case <-inst.done:
		case <-time.After(time.Minute):
		}
	}
	proven := hasMark(inst.marks(), "crash", export.PointChunk) && inst.killedBySIGKILL()
	if !proven {
		t.fail("fault never fired: the re-export was not killed after its first chunk (answered %d, marks %q)", code, inst.marks())
	}
	after, found := w.fake.File(fileID)
	if !found || after.Trashed || after.MD5 != before.MD5 {
		t.fail("file %s after the interrupted re-export: found %v, trashed %v, md5 %s, want the earlier content %s intact",
			fileID, found, after.Trashed, after.MD5, before.MD5)
	}
	if proven {
		time.Sleep(36 * w.h.opts.Minute) // the killed attempt's lease expires
	}
	return proven, nil
}

// checkReexported checks a re-exported date: its one live file is still fileID, which has a revision more than
// the revsBefore it had, every earlier revision kept forever, and one of them holds the content the file had before
// (oldMD5), downloadable for audit; the generation is above gen; the lock's summary records the correction with the
// operator's email and reason.
func (w *world) checkReexported(ctx context.Context, s *snapshot, date, fileID string, gen int64, revsBefore int, oldMD5 string, t *trialResult) bool {
	before := len(t.problems)
	if files := s.byDate[date]; len(files) != 1 || files[0].ID != fileID {
		var ids []string
		for _, f := range files {
			ids = append(ids, f.ID)
		}
		t.fail("date %s: live files %v after the re-export, want only the same file %s", date, ids, fileID)
	}
	revs, err := w.revisions(ctx, fileID)
	switch {
	case err != nil:
		t.fail("list the revisions of %s: %v", fileID, err)
	case len(revs) <= revsBefore:
		t.fail("file %s has %d revisions after the re-export, %d before: want a new revision", fileID, len(revs), revsBefore)
	default:
		kept := ""
		for _, r := range revs[:len(revs)-1] {
			if !r.KeepForever {
				t.fail("file %s: earlier revision %s is not kept forever", fileID, r.ID)
			}
			if r.MD5 == oldMD5 {
				kept = r.ID
			}
		}
		if kept == "" {
			t.fail("file %s: no earlier revision holds the content before the re-export (md5 %s)", fileID, oldMD5)
		} else if b, err := w.revisionContent(ctx, fileID, kept); err != nil {
			t.fail("file %s: download revision %s: %v", fileID, kept, err)
		} else if sum := md5.Sum(b); hex.EncodeToString(sum[:]) != oldMD5 {
			t.fail("file %s: revision %s downloads %d bytes with md5 %x, want %s", fileID, kept, len(b), sum, oldMD5)
		}
	}
	rec := s.locks[date]
	if rec.Generation <= gen {
		t.fail("date %s: generation %d after the re-export, want above %d", date, rec.Generation, gen)
	}
	switch c := correctionOf(rec); {
	case c == nil:
		t.fail("date %s: the lock's summary records no correction after the re-export", date)
	case c.By != operatorEmail || c.Reason != reexportReason || c.Previous.Generation != gen:
		t.fail("date %s: correction by %q for %q of generation %d, want %q, %q, %d", date, c.By, c.Reason, c.Previous.Generation, operatorEmail, reexportReason, gen)
	}
	return len(t.problems) == before
}

func correctionOf(rec export.Record) *export.Correction {
	if rec.Summary == nil {
		return nil
	}
	return rec.Summary.Correction
}

// revision is one entry of Drive's revisions.list.
type revision struct {
	ID          string `json:"id"`
	KeepForever bool   `json:"keepForever"`
	MD5         string `json:"md5Checksum"`
}

// revisions lists a file's revisions from the fake Drive, oldest first, through Drive's own API
// (GET files/ID/revisions).
func (w *world) revisions(ctx context.Context, fileID string) ([]revision, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// Drive lists only kind, id, mimeType and modifiedTime of each revision unless asked for more.
	u := w.fake.URL() + "/drive/v3/files/" + fileID + "/revisions?fields=" + url.QueryEscape("revisions(id,keepForever,md5Checksum,modifiedTime)")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := w.fake.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("revisions of %s: %s: %s", fileID, resp.Status, strings.TrimSpace(string(b)))
	}
	var list struct {
		Revisions []revision `json:"revisions"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("revisions of %s: %w", fileID, err)
	}
	return list.Revisions, nil
}

// revisionContent downloads one revision's content through Drive's API (GET files/ID/revisions/REV?alt=media).
func (w *world) revisionContent(ctx context.Context, fileID, revID string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.fake.URL()+"/drive/v3/files/"+fileID+"/revisions/"+revID+"?alt=media", nil)
	if err != nil {
		return nil, err
	}
	resp, err := w.fake.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("revision %s of %s: %s: %s", revID, fileID, resp.Status, strings.TrimSpace(string(b)))
	}
	return b, nil
}

func countStatus(s *snapshot, ids map[string]bool, status string) int {
	n := 0
	for id := range ids {
		if s.status[id] == status {
			n++
		}
	}
	return n
}

// appRequeue reproduces defect 2. The first date's first attempt stops at f.Stop, after the failed marks and
// before the final count of the marks. While it is stopped the app does what its README allowed: it fixes the
// journal of a failed entry (the debit stored as a string) and sets the entry back to queued, and it deletes an
// exporting entry. Then the attempt goes on, the schedule plays out, and the next date's schedule runs. The first
// date must end done with no stall; the re-queued entry must be in the next date's file once, listed there as a
// late arrival of the first date; the deleted entry in no file but the first date's own (its file may have held
// it before it was deleted) and nothing else lost.
func (w *world) appRequeue(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	var t trialResult
	x, y := w.days[0], w.days[1]
	s := &schedule{w: w, day: x, f: Fault{Name: f.Name}, rnd: rnd}
	t.attempts++
	s.starts = append(s.starts, time.Now())
	inst, answered, stopped, err := w.stoppedInstance(ctx, &t, f.Stop, request{scheduled: x.cutoff})
	if err != nil {
		return t, err
	}
	s.first = inst

	// The app's edits, while the attempt is stopped.
	// Stopped after the claim, nothing is failed yet and nothing is read: the app only deletes an entry, which
	// must then be in no file.
	beforeRead := f.Stop == export.PointClaimed
	requeued := docMap(x.data.Queue[x.data.Valid+2]) // the line whose debit is a string
	deleted := docMap(x.data.Queue[x.data.Valid-1])  // the last valid entry
	requeuedID, deletedID := idString(requeued["_id"]), idString(deleted["_id"])
	if beforeRead {
		requeued, requeuedID = nil, ""
	}
	editsInWindow := false
	if stopped {
		editsInWindow, err = w.requeueAndDelete(ctx, &t, requeued, deleted)
		if err != nil {
			return t, err
		}
		inst.thaw()
	}
	code := w.awaitAnswer(ctx, answered)
	s.codes = append(s.codes, code)
	done := code == http.StatusOK
	if !done {
		if done, err = s.playFrom(ctx, 1, len(retryWaits)); err != nil {
			return t, err
		}
	}
	t.attempts += s.attempts
	if !done {
		t.fail("date %s: no attempt answered 200 after the app's edits (answers %v): the date stalls", x.date, s.codes)
	}
	s2 := &schedule{w: w, day: y, rnd: rnd}
	if _, err := s2.play(ctx, len(retryWaits)); err != nil {
		return t, err
	}
	t.attempts += s2.attempts
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}

	// The bookkeeping of the edits: the re-queued entry is now a valid late arrival of x; the deleted one is gone.
	delete(w.days[0].valid, deletedID)
	if !beforeRead {
		delete(w.days[0].broken, requeuedID)
		w.alsoValid[requeuedID] = true
		w.late[requeuedID] = true
		w.alsoValid[deletedID] = true
	}
	ok := w.checkExported(snap, w.days, &t)
	if !beforeRead {
		ok = w.checkLate(snap, requeuedID, x.date, y.date, &t) && ok
	}
	ok = w.checkDeleted(snap, deletedID, x.date, !beforeRead, &t) && ok
	t.ok = ok && done
	t.proven = stopped && editsInWindow
	return t, nil
}

// requeueAndDelete makes the app's edits of appRequeue and reports whether each met the entry in the state the
// defect needs (the re-queued one failed, the deleted one exporting). With requeued nil, it only deletes.
func (w *world) requeueAndDelete(ctx context.Context, t *trialResult, requeued, deleted map[string]any) (bool, error) {
	q := w.db.Collection("exportqueues")
	var before struct {
		Status string `bson:"status"`
	}
	if requeued == nil {
		before.Status = "failed" // nothing to re-queue
	} else if err := q.FindOne(ctx, bson.D{{Key: "_id", Value: requeued["_id"]}}).Decode(&before); err != nil {
		return false, fmt.Errorf("read the entry to re-queue: %w", err)
	}
	var del struct {
		Status string `bson:"status"`
	}
	if err := q.FindOne(ctx, bson.D{{Key: "_id", Value: deleted["_id"]}}).Decode(&del); err != nil {
		return false, fmt.Errorf("read the entry to delete: %w", err)
	}
	requeuedN := int64(1)
	if requeued != nil {
		if err := w.fixJournal(ctx, requeued["entryId"]); err != nil {
			return false, err
		}
		res, err := q.UpdateOne(ctx, bson.D{{Key: "_id", Value: requeued["_id"]}, {Key: "status", Value: "failed"}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "queued"}, {Key: "updatedAt", Value: time.Now()}}}})
		if err != nil {
			return false, fmt.Errorf("re-queue: %w", err)
		}
		requeuedN = res.ModifiedCount
	}
	dres, err := q.DeleteOne(ctx, bson.D{{Key: "_id", Value: deleted["_id"]}, {Key: "status", Value: "exporting"}})
	if err != nil {
		return false, fmt.Errorf("delete: %w", err)
	}
	if requeuedN != 1 || dres.DeletedCount != 1 {
		var after struct {
			Status string `bson:"status"`
		}
		_ = q.FindOne(ctx, bson.D{{Key: "_id", Value: deleted["_id"]}}).Decode(&after)
		t.fail("fault never fired: at the stop the entry to re-queue was %s and the one to delete %s (want failed and exporting); re-queued %d, deleted %d (then %q)",
			before.Status, del.Status, requeuedN, dres.DeletedCount, after.Status)
		return false, nil
	}
	return true, nil
}

// fixJournal does what the app does to the journal whose debit is stored as a string: it stores the debit as a
// number.
func (w *world) fixJournal(ctx context.Context, journal any) error {
	res, err := w.db.Collection("medici_transactions").UpdateMany(ctx,
		bson.D{{Key: "_journal", Value: journal}, {Key: "debit", Value: bson.D{{Key: "$type", Value: "string"}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "debit", Value: 50.0}}}})
	if err != nil {
		return fmt.Errorf("fix the journal: %w", err)
	}
	if res.ModifiedCount != 1 {
		return fmt.Errorf("fix the journal %v: %d lines changed, want 1", journal, res.ModifiedCount)
	}
	return nil
}

// checkLate checks a late arrival: the entry whose createdAt is in own's window is in exactly one live file, of
// date in, completed with it, and in's lock summary lists it as late with date own.
func (w *world) checkLate(s *snapshot, id, own, in string, t *trialResult) bool {
	files := s.filesOf[id]
	if len(files) != 1 || !slices.ContainsFunc(s.byDate[in], func(f drivefake.File) bool { return f.ID == files[0] }) {
		t.fail("late arrival %s of %s: in live files %v, want once in the file of %s", id, own, files, in)
		return false
	}
	if s.status[id] != "completed" || s.fileOf[id] != files[0] {
		t.fail("late arrival %s of %s: %s with file %q, want completed with %s", id, own, s.status[id], s.fileOf[id], files[0])
		return false
	}
	rec := s.locks[in]
	if rec.Summary == nil || !slices.ContainsFunc(rec.Summary.Late, func(l export.LateEntry) bool { return l.EntryID == id && l.Date == own }) {
		var late []export.LateEntry
		if rec.Summary != nil {
			late = rec.Summary.Late
		}
		t.fail("late arrival %s: the summary of %s lists late %+v, want it with date %s", id, in, late, own)
		return false
	}
	return true
}

// checkDeleted checks an entry the app deleted while the date held it: gone from the queue, and in no live file,
// or, with mayBeInOwn (deleted once the file was made), in at most one of its own date's.
func (w *world) checkDeleted(s *snapshot, id, own string, mayBeInOwn bool, t *trialResult) bool {
	files := s.filesOf[id]
	mine := mayBeInOwn && len(files) == 1 && slices.ContainsFunc(s.byDate[own], func(f drivefake.File) bool { return f.ID == files[0] })
	if st, present := s.status[id]; present || (len(files) > 0 && !mine) {
		t.fail("deleted entry %s of %s: in the queue %v (%s), in live files %v", id, own, present, st, files)
		return false
	}
	return true
}

// healEarlier reproduces defect 3. The earlier date's first attempt stops after taking its lock, before its claim,
// so its entries stay queued: for heal-drive it is killed there (SIGKILL), its lease left to expire, and the later
// date's first attempt meets a Drive 503 on every chunk 2 while it heals the earlier date; for heal-busy it is
// frozen there (SIGSTOP) and holds its lease while the later date's first attempt runs, then it is thawed. That
// first attempt of the later date must not export its own date (it answers non-200 and leaves no file of it), and
// in the end each date's entries are in its own file.
func (w *world) healEarlier(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	var t trialResult
	x, y := w.days[0], w.days[1]
	var (
		proven   bool
		frozen   *instance
		answered <-chan int
	)
	if f.edge == edgeHealBusy {
		inst, ans, stopped, err := w.stoppedInstance(ctx, &t, export.PointLocked, request{scheduled: x.cutoff})
		if err != nil {
			return t, err
		}
		t.attempts++
		frozen, answered, proven = inst, ans, stopped
	} else {
		sx := &schedule{w: w, day: x, f: Fault{Name: f.Name, Crash: export.PointLocked}, rnd: rnd}
		if _, err := sx.play(ctx, 1); err != nil {
			return t, err
		}
		t.attempts += sx.attempts
		time.Sleep(36 * w.h.opts.Minute) // the killed attempt's lease expires
		proven = w.prove(sx, &t)
		w.addDriveFaults(f.DriveAfterFirst)
	}

	sy := &schedule{w: w, day: y, rnd: rnd}
	if _, err := sy.play(ctx, 1); err != nil {
		return t, err
	}
	t.attempts += sy.attempts
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	mid, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	ok := true
	if sy.codes[0] == http.StatusOK || len(mid.byDate[y.date]) > 0 {
		ok = false
		t.fail("date %s was exported (answer %d, %d live files) while the earlier date %s was unfinished (%s)",
			y.date, sy.codes[0], len(mid.byDate[y.date]), x.date, stateOf(mid.locks[x.date], true))
	}
	for _, id := range sortedKeys(x.valid) {
		if in := mid.filesOf[id]; len(in) > 0 {
			ok = false
			t.fail("entry %s of %s is in live file %s while %s is unfinished", id, x.date, in[0], x.date)
			break
		}
	}
	if f.edge == edgeHealBusy {
		frozen.thaw()
		if code := w.awaitAnswer(ctx, answered); code != http.StatusOK {
			t.fail("the thawed attempt of %s answered %d", x.date, code)
		}
	} else {
		proven = w.prove(&schedule{w: w, day: y}, &t) && proven // the Drive 503 served a request
		// ... and it was the earlier date's files.list, while healing.
		if !slices.ContainsFunc(w.fake.Requests(), func(r drivefake.RequestRecord) bool {
			return r.Fault && r.Op == drivefake.OpList && strings.Contains(r.Query, x.date)
		}) {
			proven = false
			t.fail("fault never fired: the Drive 503 met no files.list of %s", x.date)
		}
		w.fake.ClearFaults()
	}
	if done, err := sy.playFrom(ctx, 1, len(retryWaits)); err != nil || !done {
		if err != nil {
			return t, err
		}
		ok = false
		t.fail("date %s: no attempt answered 200 (answers %v)", y.date, sy.codes)
	}
	t.attempts += sy.attempts - 1
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	t.ok = w.checkExported(snap, w.days, &t) && ok
	t.proven = proven
	return t, nil
}

// journalTwice reproduces defect 4: the app queues one journal of the first date at 17:59:59 and its retry queues
// the same journal again at 18:00:01, in the next date's window. Both dates run their schedule. Exactly one file
// holds the journal (the first date's); the second entry fails with "journal already exported in <file> of
// <date>" and is in no file.
func (w *world) journalTwice(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	var t trialResult
	x, y := w.days[0], w.days[1]
	orig := docMap(x.data.Queue[0])
	q := w.db.Collection("exportqueues")
	if _, err := q.UpdateByID(ctx, orig["_id"], bson.D{{Key: "$set", Value: bson.D{{Key: "createdAt", Value: x.cutoff.Add(-time.Second)}}}}); err != nil {
		return t, fmt.Errorf("move the first entry to 17:59:59: %w", err)
	}
	again := primitive.NewObjectID()
	at := x.cutoff.Add(time.Second)
	if _, err := q.InsertOne(ctx, bson.D{{Key: "_id", Value: again}, {Key: "entryId", Value: orig["entryId"]}, {Key: "exportPath", Value: "scheduled"},
		{Key: "status", Value: "queued"}, {Key: "createdAt", Value: at}, {Key: "updatedAt", Value: at}}); err != nil {
		return t, fmt.Errorf("queue the journal again: %w", err)
	}
	for _, d := range w.days {
		s := &schedule{w: w, day: d, rnd: rnd}
		if _, err := s.play(ctx, len(retryWaits)); err != nil {
			return t, err
		}
		t.attempts += s.attempts
	}
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	ok := w.checkExported(snap, w.days, &t)
	id := again.Hex()
	want := "journal already exported in "
	fileName := ""
	if files := snap.byDate[x.date]; len(files) == 1 {
		fileName = files[0].Name
	}
	reason := snap.errorOf[id]
	if snap.status[id] != "failed" || !strings.Contains(reason, want) || !strings.Contains(reason, x.date) || (fileName != "" && !strings.Contains(reason, fileName)) ||
		len(snap.filesOf[id]) > 0 {
		ok = false
		t.fail("the journal queued again at 18:00:01 (entry %s of %s): %s %q in files %v, want failed with %q%s of %s and in no file",
			id, y.date, snap.status[id], reason, snap.filesOf[id], want, fileName, x.date)
	}
	t.ok = ok
	// The proof: the second date's run claimed the second entry (it is no longer queued).
	t.proven = snap.status[id] != "queued" && snap.status[id] != ""
	if !t.proven {
		t.fail("fault never fired: the journal's second entry is %q, never claimed", snap.status[id])
	}
	return t, nil
}

// skewEnv sets an instance's clock a lease and a minute ahead (see cmd/exportserver): it sees the leases of
// attempts on other instances expired while their deadlines, which run on the real clock, have not passed.
func (w *world) skewEnv() string {
	return "LEDGER_EXPORT_CLOCK_SKEW=" + (36 * w.h.opts.Minute).String()
}

// thawReexport reproduces the first half of defect 5 (trashOthers). The date is exported by its schedule. The
// operator's re-export stops after its claim; a second re-export, on an instance whose clock runs a lease ahead,
// takes the date over and stops after its own claim. The first re-export is thawed now, while the second is under
// way: it lost its lease but is still within its own deadline, so the deadline fence does not stop it, and it must
// not trash the date's file. Then the second goes on. The date must end done with the same file live, a new
// revision of it, every entry once.
func (w *world) thawReexport(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	var t trialResult
	d := w.days[0]
	s := &schedule{w: w, day: d, f: Fault{Name: f.Name}, rnd: rnd}
	done, err := s.play(ctx, len(retryWaits))
	t.attempts += s.attempts
	if err != nil || !w.waitIdle(ctx, &t) {
		return t, err
	}
	first, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	files := first.byDate[d.date]
	if !done || len(files) != 1 || first.locks[d.date].State != export.StateDone {
		t.fail("date %s not done with one file before the re-exports (answers %v, %d files)", d.date, s.codes, len(files))
		return t, nil
	}
	fileID, gen, oldMD5 := files[0].ID, first.locks[d.date].Generation, files[0].MD5
	revsBefore, _ := w.revisions(ctx, fileID)

	body := request{body: reexportBody(d.date), operator: true}
	r1, answered1, stopped1, err := w.stoppedInstance(ctx, &t, export.PointClaimed, body)
	if err != nil {
		return t, err
	}
	r2, answered2, stopped2, err := w.stoppedInstance(ctx, &t, export.PointClaimed, body, w.skewEnv())
	if err != nil {
		return t, err
	}
	t.attempts += 2
	seen := stopped1 && r1.stopped()
	r1.thaw()
	finished1 := r1.waitIdle(ctx, 35*w.h.opts.Minute+time.Minute)
	code1 := w.awaitAnswer(ctx, answered1)
	if stopped2 {
		r2.thaw()
	}
	code := w.awaitAnswer(ctx, answered2)
	if code != http.StatusOK {
		if code, err = w.command(ctx, &t, reexportBody(d.date)); err != nil {
			return t, err
		}
	}
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	ok := code == http.StatusOK
	if !ok {
		t.fail("the second re-export of %s answered %d, want 200 (the first answered %d)", d.date, code, code1)
	}
	ok = w.checkExported(snap, w.days, &t) && ok
	ok = w.checkReexported(ctx, snap, d.date, fileID, gen, len(revsBefore), oldMD5, &t) && ok
	t.ok = ok
	t.proven = seen && stopped2 && finished1
	if !t.proven {
		t.fail("fault never fired: first re-export stopped %v (then finished %v), second stopped %v", seen, finished1, stopped2)
	}
	return t, nil
}

// thawAdopt reproduces the second half of defect 5 (abandon). The first attempt uploads the whole file and
// freezes before recording it. The next attempt takes over, adopts that file and stops right after the adoption
// (its own after-upload point). The old attempt is thawed now and must not trash the file the newer attempt is
// adopting. Then the newer attempt goes on. The date must end done with its one file live (not in the trash),
// holding every entry once. With skew, the newer attempt's clock runs a lease ahead, so the old attempt is still
// within its own deadline when thawed and reaches abandon; without, the old attempt waits out its lease on the
// real clock and the deadline fence (5 % before the lease ends) must stop it first.
func (w *world) thawAdopt(ctx context.Context, f Fault, rnd *rand.Rand, skew bool) (trialResult, error) {
	var t trialResult
	d := w.days[0]
	old, oldAnswered, oldStopped, err := w.stoppedInstance(ctx, &t, export.PointUploaded, request{scheduled: d.cutoff})
	if err != nil {
		return t, err
	}
	t.attempts++
	var extra []string
	if skew {
		extra = append(extra, w.skewEnv())
	} else {
		time.Sleep(36 * w.h.opts.Minute) // the frozen attempt's lease expires
	}
	adopter, answered, stopped, err := w.stoppedInstance(ctx, &t, export.PointUploaded, request{scheduled: d.cutoff}, extra...)
	if err != nil {
		return t, err
	}
	t.attempts++
	made := 0 // files of the date in Drive, trashed or not, while the newer attempt is stopped
	for _, f := range w.fake.Files() {
		if f.AppProperties["exportDate"] == d.date {
			made++
		}
	}
	seenStopped := old.stopped()
	old.thaw()
	// The old attempt's caller may have given up (the scheduler's 30-minute deadline): what counts is that the
	// thawed process finished its request.
	finished := old.waitIdle(ctx, 35*w.h.opts.Minute+time.Minute)
	oldCode := w.awaitAnswer(ctx, oldAnswered)
	if stopped {
		adopter.thaw()
	}
	code := w.awaitAnswer(ctx, answered)
	s := &schedule{w: w, day: d, rnd: rnd, codes: []int{oldCode, code}}
	done := code == http.StatusOK
	if !done {
		if done, err = s.playFrom(ctx, 2, len(retryWaits)); err != nil {
			return t, err
		}
		t.attempts += s.attempts
	}
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	t.ok = w.checkExported(snap, w.days, &t) && done
	if !done {
		t.fail("date %s: no attempt answered 200 (answers %v)", d.date, s.codes)
	}
	if rec := snap.locks[d.date]; rec.File != nil {
		if f, found := w.fake.File(rec.File.ID); !found || f.Trashed {
			t.ok = false
			t.fail("date %s is %s with file %s, which is in the trash (found %v)", d.date, rec.State, rec.File.ID, found)
		}
	}
	t.proven = oldStopped && stopped && seenStopped && made == 1 && finished
	if !t.proven {
		t.fail("fault never fired: the old attempt stopped %v when it was to be thawed, then finished %v; %d files of the date while the newer attempt was stopped, want 1 (the one it adopts)",
			seenStopped, finished, made)
	}
	return t, nil
}
