package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// trial sets up fresh data, plays the fault's scenario, and checks the invariants and the proof of the fault.
func (h *Harness) trial(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	n := 1
	switch {
	case f.Operator:
		n = 2
	case f.Heal:
		n = 3
	case f.edge != "":
		n = f.edge.days()
	}
	w, err := h.newWorld(ctx, f, n, rnd)
	if err != nil {
		return trialResult{}, err
	}
	defer w.close()
	switch {
	case f.edge != "":
		return w.playEdge(ctx, f, rnd)
	case f.Operator:
		return w.operator(ctx, f, rnd)
	case f.Heal:
		return w.heal(ctx, f, rnd)
	}
	return w.single(ctx, f, rnd)
}

// single plays one date's schedule with the fault on its first attempt.
func (w *world) single(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	var t trialResult
	s := &schedule{w: w, day: w.days[0], f: f, rnd: rnd}
	_, err := s.play(ctx, len(retryWaits))
	t.attempts = s.attempts
	if err != nil {
		return t, err
	}
	newerFinished := true
	if f.Stop != "" {
		newerFinished = w.thaw(ctx, s, &t)
	}
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	if f.tamper != nil {
		if err := f.tamper(ctx, w); err != nil {
			return t, fmt.Errorf("tamper with the world: %w", err)
		}
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	if f.Permanent {
		t.ok = w.checkBlocked(snap, w.days[0], false, s.starts, &t)
	} else {
		t.ok = w.checkExported(snap, w.days, &t)
	}
	// Path 4 tests a newer attempt finishing the date while the old one is frozen: a trial in which the thawed
	// attempt finished it instead tested nothing of that, however exact its end state.
	t.ok = t.ok && newerFinished
	t.proven = w.prove(s, &t)
	if t.ok && len(s.codes) == 1 && s.codes[0] == http.StatusOK {
		t.baseline = w.baseline(snap, s)
	}
	return t, nil
}

// baseline measures a clean first attempt.
func (w *world) baseline(snap *snapshot, s *schedule) Baseline {
	b := Baseline{Run: s.measured}
	for _, f := range snap.byDate[s.day.date] {
		b.Bytes = int64(len(f.Content))
	}
	for _, r := range snap.requests {
		if r.Op == drivefake.OpChunk {
			b.Chunks++
		}
	}
	return b
}

// thaw ends issue 10's path 4: the first instance froze at its stop point while the scheduler's later attempts,
// on other instances, finished the date. It checks that the instance is stopped and the date done by a newer
// generation than the frozen attempt's first one, thaws it, and waits for the old attempt to finish whatever it
// still does. It reports whether a newer attempt finished the date while the old one was frozen.
func (w *world) thaw(ctx context.Context, s *schedule, t *trialResult) bool {
	s.stopSeen = s.first.stopped()
	rec, found, err := w.lock(ctx, s.day.date)
	finished := err == nil && found && rec.State == export.StateDone && rec.Generation > 1
	if !finished {
		t.fail("date %s is not done by a newer attempt while the old attempt is frozen: %s at generation %d (%v)",
			s.day.date, stateOf(rec, found), rec.Generation, err)
	}
	s.first.thaw()
	s.thawed = s.first.waitIdle(ctx, 35*w.h.opts.Minute+time.Minute)
	return finished
}

// operator plays issue 10's path 1 over two dates. The blocked date's first attempt uploads the whole file and
// dies before recording it; a later attempt meets a permanent Drive error while adopting or trashing it. Then the
// cause is fixed, the next date runs its schedule, and an operator clears the failure.
func (w *world) operator(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	var t trialResult
	blocked, next := w.days[0], w.days[1]

	s := &schedule{w: w, day: blocked, f: f, rnd: rnd}
	_, err := s.play(ctx, len(retryWaits))
	t.attempts += s.attempts
	if err != nil || !w.waitIdle(ctx, &t) {
		return t, err
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	okBlocked := w.checkBlocked(snap, blocked, true, s.starts, &t)
	t.proven = w.prove(s, &t)

	// The sharing is fixed; the next day's schedule runs. It must not take the blocked date's entries.
	w.fake.ClearFaults()
	s2 := &schedule{w: w, day: next, rnd: rnd}
	_, err = s2.play(ctx, len(retryWaits))
	t.attempts += s2.attempts
	if err != nil || !w.waitIdle(ctx, &t) {
		return t, err
	}
	if snap, err = w.read(ctx); err != nil {
		return t, err
	}
	okNext := w.checkExported(snap, []day{next}, &t)
	for _, id := range sortedKeys(blocked.valid) {
		if len(snap.filesOf[id]) > 0 && snap.status[id] == "queued" {
			okNext = false
			t.fail("after the next day: entry %s of blocked date %s is queued while live file %s holds it", id, blocked.date, snap.filesOf[id][0])
		}
	}

	// The operator clears the failure, as the runbook says, and repeats the call until it answers 200 (at most
	// three times, five scaled minutes apart).
	cleared := false
	for i := range 3 {
		if i > 0 {
			time.Sleep(5 * w.h.opts.Minute)
		}
		inst, err := w.instance(ctx)
		if err != nil {
			return t, err
		}
		t.attempts++
		if w.post(ctx, inst, request{body: map[string]any{"date": blocked.date, "clearFailure": true}, operator: true}) == http.StatusOK {
			cleared = true
			break
		}
	}
	if !cleared {
		t.fail("clearing the failure of %s never answered 200", blocked.date)
	}
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	if snap, err = w.read(ctx); err != nil {
		return t, err
	}
	okFinal := w.checkExported(snap, w.days, &t)
	t.ok = okBlocked && okNext && cleared && okFinal
	return t, nil
}

// heal plays issue 10's healing: MongoDB goes down at the first date's second chunk and stays down through every
// scheduled attempt of the first two dates; then it comes back, and the third date's single attempt must finish
// all three, each into its own file.
func (w *world) heal(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	var t trialResult
	var failedDays []*schedule
	for _, d := range w.days[:2] {
		s := &schedule{w: w, day: d, f: Fault{Name: f.Name}, rnd: rnd}
		done, err := s.play(ctx, len(retryWaits))
		t.attempts += s.attempts
		if err != nil {
			return t, err
		}
		if done {
			t.fail("fault never fired: an attempt for %s answered 200 during the outage (answers %v)", d.date, s.codes)
		}
		failedDays = append(failedDays, s)
	}
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	// The first day's schedule carries the outage's proof (its trigger chunk and the cut).
	proven := w.prove(failedDays[0], &t)
	before := len(t.problems)
	w.h.mgProxy.Restore()

	last := &schedule{w: w, day: w.days[2], rnd: rnd}
	done, err := last.play(ctx, 1)
	t.attempts += last.attempts
	if err != nil {
		return t, err
	}
	if !done {
		t.fail("day three's single attempt answered %v, want 200", last.codes)
	}
	if !w.waitIdle(ctx, &t) {
		return t, nil
	}
	snap, err := w.read(ctx)
	if err != nil {
		return t, err
	}
	t.ok = w.checkExported(snap, w.days, &t) && done && len(t.problems) == before
	t.proven = proven && !strings.Contains(strings.Join(t.problems, "\n"), "fault never fired")
	return t, nil
}
