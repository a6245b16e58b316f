// Command local runs a real export on this machine with no cloud account: it starts an embedded FerretDB (kept in
// .local/ferretdb and seeded with a day of demo data for each new batch date), Google's Firestore emulator (its
// documents saved to .local/firestore between runs), and the project's fake Drive (files kept in .local/drive).
// Then it serves the function on loopback, triggers it the way Cloud Scheduler does, prints the answer and the path
// of the CSV, and stops everything it started. A second run for the same date shows the idempotent answer.
//
//	go run ./function/cmd/local [-dir .local] [-date YYYY-MM-DD] [-journals 300]
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	drivev3 "google.golang.org/api/drive/v3"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/function"
	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/testenv"
	"github.com/siamledger/ledger-export/internal/trigger"
)

const (
	project  = "demo-ledger-export"
	database = "ledger"
	folder   = "local-exports"
)

func main() {
	dir := flag.String("dir", ".local", "folder for the local data")
	date := flag.String("date", "", "batch date to export (default: the latest whose cutoff has passed)")
	journals := flag.Int("journals", 300, "demo journals to seed for a new batch date")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dir, *date, *journals); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir, date string, journals int) error {
	if p := profile(os.Getenv("LAYOUT"), os.Getenv("OUTPUT_FORMAT")); p != "" {
		// Another kind of file gets its own ledger, Firestore and Drive: the default run's date, done there, would
		// otherwise answer already_done with the default file.
		dir = filepath.Join(dir, p)
		fmt.Fprintf(os.Stderr, "local: LAYOUT/OUTPUT_FORMAT set: data in %s\n", dir)
	}
	for _, sub := range []string{"ferretdb", "drive", "firestore", "exports"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("make %s: %w", sub, err)
		}
	}

	mg, err := testenv.StartMongo(filepath.Join(dir, "ferretdb"), nil)
	if err != nil {
		return err
	}
	defer mg.Stop()

	fsDir := filepath.Join(dir, "firestore")
	imported, _ := filepath.Glob(filepath.Join(fsDir, "*", "*.overall_export_metadata"))
	emuOpts := testenv.EmulatorOptions{}
	if len(imported) > 0 {
		emuOpts.ImportData = imported[0]
	}
	emu, err := testenv.StartFirestore(ctx, emuOpts)
	if err != nil {
		return err
	}
	defer emu.Stop()
	defer saveFirestore(emu, fsDir)
	os.Setenv("FIRESTORE_EMULATOR_HOST", emu.Host)

	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{folder}, Dir: filepath.Join(dir, "drive")})
	if err != nil {
		return fmt.Errorf("start fake drive: %w", err)
	}
	defer fake.Close()
	if err := shareDemoMap(ctx, fake); err != nil {
		return err
	}

	env := map[string]string{
		"MONGODB_URI":       mg.URI,
		"MONGODB_DATABASE":  database,
		"DRIVE_FOLDER_ID":   folder,
		"DRIVE_ENDPOINT":    fake.URL(),
		"FIRESTORE_PROJECT": project,
		"META_COLUMNS":      "invoiceNo,customer",
	}
	getenv := func(k string) string {
		if v, ok := os.LookupEnv(k); ok && k != "MONGODB_URI" && k != "DRIVE_ENDPOINT" {
			return v
		}
		return env[k]
	}
	h := function.New(getenv, function.Options{})
	if err := h.Err(); err != nil {
		return err
	}
	defer h.Close()

	// The batch date Cloud Scheduler's 18:00 trigger would name, and its scheduled time.
	schedule, batch, err := scheduleFor(date)
	if err != nil {
		return err
	}
	if err := seed(ctx, mg.URI, schedule, journals); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(os.Stderr, "local: function on %s, fake Drive on %s, Firestore emulator on %s\n", url, fake.URL(), emu.Host)
	fmt.Fprintf(os.Stderr, "local: triggering batch %s as Cloud Scheduler does (%s: %s)\n", batch, trigger.ScheduleTimeHeader, schedule.Format(time.RFC3339))

	body, status, err := call(ctx, url, schedule)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "local: HTTP %d\n", status)
	fmt.Println(string(body))
	if status != http.StatusOK {
		return fmt.Errorf("the export answered %d", status)
	}
	return saveFile(fake, body, filepath.Join(dir, "exports"))
}

// scheduleFor returns the scheduled time of the 18:00 Bangkok trigger for date, or of the latest one passed.
func scheduleFor(date string) (time.Time, string, error) {
	bkk, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		return time.Time{}, "", fmt.Errorf("load zone: %w", err)
	}
	r := export.Runner{Location: bkk, CutoffHour: 18}
	if date == "" {
		date = r.DateAt(time.Now())
	}
	at, err := r.Cutoff(date)
	if err != nil {
		return time.Time{}, "", err
	}
	return at, date, nil
}

// seed adds a day of demo data before the cutoff unless that day already has queue entries.
func seed(ctx context.Context, uri string, cutoff time.Time, journals int) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return fmt.Errorf("connect for seeding: %w", err)
	}
	defer c.Disconnect(context.WithoutCancel(ctx))
	db := c.Database(database)
	from := cutoff.Add(-24 * time.Hour)
	n, err := db.Collection("exportqueues").CountDocuments(ctx, bson.D{{Key: "createdAt", Value: bson.D{{Key: "$gte", Value: from}, {Key: "$lt", Value: cutoff}}}})
	if err != nil {
		return fmt.Errorf("count queue: %w", err)
	}
	if n > 0 {
		return nil
	}
	d := demo.Generate(demo.Options{Journals: journals, Seed: uint64(cutoff.Unix()), From: from.Add(time.Hour), To: cutoff.Add(-time.Minute), Broken: true, MediciVoids: true})
	fmt.Fprintf(os.Stderr, "local: seeding %d queue entries (%d of them broken on purpose) for the day before %s\n", d.Valid+d.Invalid, d.Invalid, cutoff.Format(time.RFC3339))
	return demo.Seed(ctx, db, demo.Collections{Queue: "exportqueues", Journals: "medici_journals", Transactions: "medici_transactions"}, d)
}

// profile names the data folder of a run whose file is not the default CSV: the format and the preset's name
// (a JSON layout by its hash), or "" for the default.
func profile(lay, format string) string {
	if (lay == "" || lay == "default") && (format == "" || format == "csv") {
		return ""
	}
	if format == "" {
		format = "csv"
	}
	name := lay
	if _, ok := layout.Presets[lay]; !ok && lay != "" && lay != "default" {
		sum := sha256.Sum256([]byte(lay))
		name = "layout-" + hex.EncodeToString(sum[:4])
	}
	if name == "" {
		name = "default"
	}
	return format + "-" + name
}

// shareDemoMap puts the demo's account map in the fake Drive folder as the accountant keeps it, a Google Sheet
// named account-map, unless the folder already has one (edits to it are then kept between runs). The import
// presets (LAYOUT=xero-manual-journal, quickbooks-journal-entry) read it at every run.
func shareDemoMap(ctx context.Context, fake *drivefake.Server) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	svc, err := drivev3.NewService(ctx, option.WithEndpoint(fake.URL()+"/drive/v3/"), option.WithHTTPClient(fake.Client()), option.WithoutAuthentication())
	if err != nil {
		return fmt.Errorf("drive client for the demo map: %w", err)
	}
	q := fmt.Sprintf("'%s' in parents and trashed = false and name = '%s'", folder, layout.DefaultSheet)
	l, err := svc.Files.List().Q(q).Fields("files(id)").Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("look for the account map: %w", err)
	}
	if len(l.Files) > 0 {
		return nil
	}
	f, err := svc.Files.Create(&drivev3.File{Name: layout.DefaultSheet, MimeType: drive.SpreadsheetMimeType, Parents: []string{folder}}).
		Media(bytes.NewReader(demo.AccountMap)).Fields("id").Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("share the demo account map: %w", err)
	}
	fmt.Fprintf(os.Stderr, "local: the demo account map (%s) is the Google Sheet %q (id %s) in the fake Drive folder\n", demo.AccountMapPath, layout.DefaultSheet, f.Id)
	return nil
}

// call sends what Cloud Scheduler sends: a POST with its headers and the job's body.
func call(ctx context.Context, url string, schedule time.Time) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte("{}")))
	if err != nil {
		return nil, 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Google-Cloud-Scheduler")
	req.Header.Set("X-CloudScheduler", "true")
	req.Header.Set("X-CloudScheduler-JobName", "ledger-export-daily")
	req.Header.Set(trigger.ScheduleTimeHeader, schedule.UTC().Format(time.RFC3339))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("call the function: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, fmt.Errorf("read the answer: %w", err)
	}
	return body, resp.StatusCode, nil
}

// saveFile copies the file the answer names (the CSV, or the XLSX workbook) out of the fake Drive, so it can be
// opened.
func saveFile(fake *drivefake.Server, body []byte, dir string) error {
	var a struct {
		Summary *export.Summary `json:"summary"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.Summary == nil || a.Summary.FileID == "" {
		return errors.New("the answer names no file")
	}
	f, ok := fake.File(a.Summary.FileID)
	if !ok {
		return fmt.Errorf("the fake Drive has no file %s", a.Summary.FileID)
	}
	path := filepath.Join(dir, f.Name)
	if err := os.WriteFile(path, f.Content, 0o644); err != nil {
		return fmt.Errorf("save the file: %w", err)
	}
	abs, _ := filepath.Abs(path)
	kind := "CSV"
	if strings.EqualFold(filepath.Ext(f.Name), ".xlsx") {
		kind = "XLSX workbook"
	}
	fmt.Fprintf(os.Stderr, "local: %d rows, %d bytes, sha256 %s\nlocal: %s saved at %s\n", a.Summary.Rows, len(f.Content), a.Summary.SHA256, kind, abs)
	return nil
}

// saveFirestore replaces the saved Firestore documents with the emulator's current ones.
func saveFirestore(emu *testenv.Emulator, dir string) {
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "firestore-new-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "local: save firestore:", err)
		return
	}
	if err := emu.Export(context.Background(), project, tmp); err != nil {
		fmt.Fprintln(os.Stderr, "local: save firestore:", err)
		os.RemoveAll(tmp)
		return
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		fmt.Fprintln(os.Stderr, "local: save firestore:", err)
	}
}
