// Command doctorlocal runs `make doctor` against the local stack of `make run`: the embedded FerretDB (kept in
// .local/ferretdb), Google's Firestore emulator and the project's fake Drive (.local/drive). It prepares the
// database as an operator would (the collections and the indexes of internal/medici/README.md, created when
// missing, and said so), serves the function on loopback, and calls GET /doctor?format=text the way make doctor
// does, printing the answer. Nothing is exported.
//
// Two things differ from a deployment, and the output names both: FerretDB is not a replica set, so the function
// is built with the doctor option DoctorAllowStandalone; and the fake Drive does not model permissions, so its
// folder's answer is given capabilities.canAddChildren = true (internal/doctor/doctortest).
//
//	go run ./function/cmd/doctorlocal [-dir .local] [-notify]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/siamledger/ledger-export/function"
	"github.com/siamledger/ledger-export/internal/doctor/doctortest"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/testenv"
)

// The names make run uses (function/cmd/local).
const (
	project  = "demo-ledger-export"
	database = "ledger"
	folder   = "local-exports"
)

var collections = medici.Collections{Queue: "exportqueues", Journals: "medici_journals", Transactions: "medici_transactions", ExportLogs: "exportlogs"}

func main() {
	dir := flag.String("dir", ".local", "folder of the local data (make run's)")
	notify := flag.Bool("notify", false, "send a test notice (needs NOTIFY_WEBHOOK_URL)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, *dir, *notify)
	if err != nil {
		fmt.Fprintln(os.Stderr, "doctorlocal:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, notify bool) (bool, error) {
	for _, sub := range []string{"ferretdb", "drive"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return false, fmt.Errorf("make %s: %w", sub, err)
		}
	}
	mg, err := testenv.StartMongo(filepath.Join(dir, "ferretdb"), nil)
	if err != nil {
		return false, err
	}
	defer mg.Stop()
	emu, err := testenv.StartFirestore(ctx, testenv.EmulatorOptions{})
	if err != nil {
		return false, err
	}
	defer emu.Stop()
	os.Setenv("FIRESTORE_EMULATOR_HOST", emu.Host)
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{folder}, Dir: filepath.Join(dir, "drive")})
	if err != nil {
		return false, fmt.Errorf("start fake drive: %w", err)
	}
	defer fake.Close()
	if err := prepare(ctx, mg.URI); err != nil {
		return false, err
	}

	env := map[string]string{
		"MONGODB_URI": mg.URI, "MONGODB_DATABASE": database,
		"DRIVE_FOLDER_ID": folder, "DRIVE_ENDPOINT": fake.URL(), "FIRESTORE_PROJECT": project,
		"NOTIFY_WEBHOOK_URL": os.Getenv("NOTIFY_WEBHOOK_URL"),
	}
	caps := doctortest.Capabilities{Next: fake.Client().Transport, Folder: folder, CanAddChildren: true}
	h := function.New(func(k string) string { return env[k] }, function.Options{
		DriveHTTPClient: &http.Client{Transport: caps}, DoctorAllowStandalone: true,
	})
	if err := h.Err(); err != nil {
		return false, err
	}
	defer h.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	url := "http://" + ln.Addr().String() + "/doctor?format=text"
	if notify {
		url += "&notify=1"
	}
	fmt.Fprintf(os.Stderr, "doctorlocal: FerretDB, the Firestore emulator on %s, the fake Drive on %s; GET %s\n", emu.Host, fake.URL(), url)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, url, nil)
	if err != nil {
		return false, fmt.Errorf("build request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("call the doctor: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, fmt.Errorf("read the answer: %w", err)
	}
	fmt.Print(string(body))
	fmt.Printf("HTTP %d\n", resp.StatusCode)
	return resp.StatusCode == http.StatusOK, nil
}

// prepare creates the collections and the indexes of internal/medici/README.md that the local database lacks, as
// an operator does once before the first deploy, and says which it created.
func prepare(ctx context.Context, uri string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Disconnect(context.WithoutCancel(ctx))
	db := c.Database(database)
	have, err := db.ListCollectionNames(ctx, map[string]any{})
	if err != nil {
		return fmt.Errorf("list collections: %w", err)
	}
	for _, name := range []string{collections.Queue, collections.Journals, collections.Transactions, collections.ExportLogs} {
		if slices.Contains(have, name) {
			continue
		}
		if err := db.CreateCollection(ctx, name); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "doctorlocal: created collection %s\n", name)
	}
	for _, ix := range medici.Indexes(collections) {
		// createIndex is a no-op for an index that exists.
		if _, err := db.Collection(ix.Collection).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.Keys}); err != nil {
			return fmt.Errorf("create index %v on %s: %w", ix.Keys, ix.Collection, err)
		}
	}
	fmt.Fprintf(os.Stderr, "doctorlocal: ensured the %d indexes of internal/medici/README.md\n", len(medici.Indexes(collections)))
	return nil
}
