package function_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/export"
)

// TestScheduledRunHealsAMissedDayAndReportsStuckWork: the export of 2026-11-28 is done; every attempt for
// 2026-11-29 failed before taking its lock (a Firestore outage, say). The trigger of 2026-11-30 finishes
// 2026-11-29 first, in its own file, says so in its answer, and reports the one entry no claim can take; /health
// turns unhealthy and names it, so an operator fixes it.
func TestScheduledRunHealsAMissedDayAndReportsStuckWork(t *testing.T) {
	e := newEnv(t, nil)
	days := []time.Time{cutoff, cutoff.AddDate(0, 0, 1), cutoff.AddDate(0, 0, 2)}
	for i, c := range days {
		e.seed(demo.Generate(demo.Options{Journals: 3 + i, Seed: uint64(40 + i), From: c.Add(-20 * time.Hour), To: c.Add(-time.Hour)}))
	}
	if code, a, _ := e.trigger(e.h, `{"date":"2026-11-28"}`); code != http.StatusOK || a.Outcome != "exported" {
		t.Fatalf("2026-11-28 = %d %+v", code, a)
	}
	if _, err := e.db.Collection("exportqueues").InsertOne(t.Context(), bson.D{{Key: "_id", Value: "no-date"}, {Key: "entryId", Value: "x"},
		{Key: "exportPath", Value: "scheduled"}, {Key: "status", Value: "queued"}, {Key: "createdAt", Value: "2026-11-29"}}); err != nil {
		t.Fatal(err)
	}

	e.clock.Set(days[2].Add(5 * time.Second))
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(""))
	req.Header.Set("X-CloudScheduler-ScheduleTime", days[2].UTC().Format(time.RFC3339))
	rec := httptest.NewRecorder()
	e.handler().ServeHTTP(rec, req)
	var a struct {
		Outcome string          `json:"outcome"`
		Date    string          `json:"date"`
		Healed  []export.Healed `json:"healed"`
		Stuck   *export.Stuck   `json:"stuck"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %q: %v", rec.Body.String(), err)
	}
	if rec.Code != http.StatusOK || a.Date != "2026-11-30" || a.Outcome != "exported" {
		t.Fatalf("2026-11-30 = %d %s", rec.Code, rec.Body.String())
	}
	if len(a.Healed) != 1 || a.Healed[0] != (export.Healed{Date: "2026-11-29", Outcome: export.OutcomeExported}) {
		t.Errorf("healed = %+v, want 2026-11-29 exported", a.Healed)
	}
	if a.Stuck == nil || a.Stuck.Unclaimable != 1 {
		t.Errorf("stuck = %+v, want one unclaimable entry", a.Stuck)
	}
	byDate := map[string]int{}
	for _, f := range e.fake.LiveFiles(folder) {
		byDate[f.AppProperties["exportDate"]]++
	}
	if byDate["2026-11-28"] != 1 || byDate["2026-11-29"] != 1 || byDate["2026-11-30"] != 1 || len(byDate) != 3 {
		t.Errorf("live files by date = %v, want one for each of the three dates", byDate)
	}

	code, h := e.get("/health")
	if code != http.StatusServiceUnavailable || h.Healthy == nil || *h.Healthy || !strings.Contains(h.Error, "can never be claimed") {
		t.Errorf("GET /health = %d %+v, want 503 naming the unclaimable entry", code, h)
	}
	if _, err := e.db.Collection("exportqueues").UpdateByID(t.Context(), "no-date", bson.D{{Key: "$set", Value: bson.D{{Key: "createdAt", Value: days[2].Add(time.Hour)}}}}); err != nil {
		t.Fatal(err)
	}
	if code, h := e.get("/health"); code != http.StatusOK || h.Healthy == nil || !*h.Healthy {
		t.Errorf("GET /health after the fix = %d %+v, want 200 healthy", code, h)
	}
}
