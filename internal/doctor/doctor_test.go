package doctor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	drivev3 "google.golang.org/api/drive/v3"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/siamledger/ledger-export/internal/doctor"
	"github.com/siamledger/ledger-export/internal/doctor/doctortest"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

const (
	folder   = "exports-folder"
	shared   = "0ADoctorShared"
	identity = "ledger-export-run@my-ledger-project.iam.gserviceaccount.com"
)

var collections = medici.Collections{Queue: "exportqueues", Journals: "medici_journals", Transactions: "medici_transactions", ExportLogs: "exportlogs"}

// setup is one test's world: FerretDB with the collections and indexes, the Firestore emulator, the fake Drive
// with the folder in a Shared Drive, and a doctor on them whose every check passes.
type setup struct {
	t      *testing.T
	db     *mongo.Database
	fake   *drivefake.Server
	caps   *doctortest.Capabilities
	doctor *doctor.Doctor
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	ctx := t.Context()
	db, _ := testenv.MongoDB(t)
	for _, c := range []string{collections.Queue, collections.Journals, collections.Transactions, collections.ExportLogs} {
		if err := db.CreateCollection(ctx, c); err != nil {
			t.Fatalf("create %s: %v", c, err)
		}
	}
	for _, ix := range medici.Indexes(collections) {
		if _, err := db.Collection(ix.Collection).Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.Keys}); err != nil {
			t.Fatalf("create index %v on %s: %v", ix.Keys, ix.Collection, err)
		}
	}
	fs, project := testenv.Firestore(t)
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{folder}, SharedDrive: shared})
	if err != nil {
		t.Fatalf("drivefake: %v", err)
	}
	t.Cleanup(fake.Close)
	caps := &doctortest.Capabilities{Next: fake.Client().Transport, Folder: folder, CanAddChildren: true, DriveID: shared}
	svc, err := drivev3.NewService(ctx, option.WithHTTPClient(&http.Client{Transport: caps}),
		option.WithEndpoint(fake.URL()+"/drive/v3/"))
	if err != nil {
		t.Fatalf("drive service: %v", err)
	}
	bkk, _ := time.LoadLocation("Asia/Bangkok")
	d := &doctor.Doctor{
		Config: doctor.Config{
			Project: "my-ledger-project", Identity: identity,
			Database: db.Name(), Collections: collections, MongoURISet: true, MongoSecret: "ledger-export-mongodb-uri",
			LockCollection: "ledger-export-runs", FirestoreProject: project, FirestoreDatabase: "(default)",
			FolderID: folder, SharedDriveID: shared,
			Location: bkk, CutoffHour: 18,
			AllowStandalone: true,
		},
		Mongo:       doctor.MongoDB{DB: db},
		Locks:       doctor.Firestore{Client: fs, Collection: "ledger-export-runs"},
		Drive:       doctor.DriveAPI{Service: svc},
		Now:         func() time.Time { return time.Date(2026, 12, 6, 13, 0, 0, 0, time.UTC) }, // 20:00 in Bangkok
		CallTimeout: 20 * time.Second,
	}
	return &setup{t: t, db: db, fake: fake, caps: caps, doctor: d}
}

// expect runs the doctor and checks one check's verdict, and that its detail and fix hold each wanted text.
func (s *setup) expect(check string, want doctor.Status, texts ...string) doctor.Report {
	s.t.Helper()
	rep := s.doctor.Run(s.t.Context(), false)
	r, ok := rep.Result(check)
	if !ok {
		s.t.Fatalf("no result for %s:\n%s", check, rep.Text())
	}
	if r.Status != want {
		s.t.Errorf("%s = %s (%s; fix: %s), want %s", check, r.Status, r.Detail, r.Fix, want)
	}
	for _, w := range texts {
		if !strings.Contains(r.Detail+" | "+r.Fix, w) {
			s.t.Errorf("%s lacks %q:\n  detail: %s\n  fix: %s", check, w, r.Detail, r.Fix)
		}
	}
	if want == doctor.Fail && rep.OK {
		s.t.Errorf("report OK with %s failing", check)
	}
	return rep
}

// With every dependency in place, every check is OK, the report is OK, and the checks changed nothing: no
// queue document gained the probe's field, and the lock collection holds no probe document.
//
// Bugs it catches: a check that fails on a healthy setup (an index compared by name instead of keys, an int32
// key against an int one, a probe that is not deleted), a missing line, and a no-op update that is not one (an
// upsert, or a filter that matches a real entry).
func TestEveryCheckOK(t *testing.T) {
	s := newSetup(t)
	if _, err := s.db.Collection(collections.Queue).InsertOne(t.Context(), bson.D{{Key: "status", Value: "queued"}}); err != nil {
		t.Fatal(err)
	}
	rep := s.doctor.Run(t.Context(), false)
	t.Logf("\n%s", rep.Text())
	want := []string{doctor.CheckSecrets, doctor.CheckMongoConnect, doctor.CheckMongoReplicaSet, doctor.CheckMongoCollections,
		doctor.CheckMongoIndexes, doctor.CheckMongoQueueWrite, doctor.CheckFirestore, doctor.CheckDriveFolder,
		doctor.CheckDriveAdd, doctor.CheckDriveQuota, doctor.CheckAccountMap, doctor.CheckNotice, doctor.CheckSchedule}
	if len(rep.Results) != len(want) {
		t.Errorf("%d results, want %d", len(rep.Results), len(want))
	}
	for i, name := range want {
		if i < len(rep.Results) && rep.Results[i].Check != name {
			t.Errorf("result %d is %s, want %s", i, rep.Results[i].Check, name)
		}
		if r, _ := rep.Result(name); r.Status != doctor.OK {
			t.Errorf("%s = %s: %s (fix: %s)", name, r.Status, r.Detail, r.Fix)
		}
	}
	if !rep.OK {
		t.Errorf("report not OK")
	}
	if r, _ := rep.Result(doctor.CheckMongoReplicaSet); !strings.Contains(r.Detail, "AllowStandalone") {
		t.Errorf("replica_set with a standalone server accepted does not name the option: %s", r.Detail)
	}
	n, err := s.db.Collection(collections.Queue).CountDocuments(t.Context(), bson.D{{Key: "doctorProbe", Value: bson.D{{Key: "$exists", Value: true}}}})
	if err != nil || n != 0 {
		t.Errorf("queue documents with doctorProbe = %d, %v; want 0 (the update must change nothing)", n, err)
	}
	if n, _ := s.db.Collection(collections.Queue).CountDocuments(t.Context(), bson.D{}); n != 1 {
		t.Errorf("queue holds %d documents, want the 1 inserted (no upsert)", n)
	}
	docs, err := s.doctor.Locks.(doctor.Firestore).Client.Collection("ledger-export-runs").Documents(t.Context()).GetAll()
	if err != nil || len(docs) != 0 {
		t.Errorf("lock collection holds %d documents, %v; want 0 (the probe is deleted)", len(docs), err)
	}
}

// Each MongoDB dependency broken in turn on FerretDB names its own fix.
//
// Bugs it catches: a missing collection or index reported OK or with a fix that does not create it; a standalone
// server accepted without the option; an unreachable server whose fix does not point at egress and the NAT
// address; a refused login (FerretDB's own SCRAM refusal) whose fix is not the secret, or a report quoting the
// password; a refused write whose fix does not grant readWrite.
func TestMongoBrokenNamesTheFix(t *testing.T) {
	t.Run("missing collection", func(t *testing.T) {
		s := newSetup(t)
		if err := s.db.Collection(collections.ExportLogs).Drop(t.Context()); err != nil {
			t.Fatal(err)
		}
		s.expect(doctor.CheckMongoCollections, doctor.Fail, `make indexes (the function creates "exportlogs")`, "mongodb_database")
	})
	t.Run("missing index", func(t *testing.T) {
		s := newSetup(t)
		if _, err := s.db.Collection(collections.Queue).Indexes().DropOne(t.Context(), "status_1_batchDate_1"); err != nil {
			t.Fatal(err)
		}
		rep := s.expect(doctor.CheckMongoIndexes, doctor.Fail, "db.exportqueues.createIndex({ status: 1, batchDate: 1 })", fmt.Sprintf("1 of the %d", len(medici.Indexes(collections))))
		if r, _ := rep.Result(doctor.CheckMongoIndexes); strings.Contains(r.Fix, "_journal") {
			t.Errorf("fix names an index that exists: %s", r.Fix)
		}
	})
	t.Run("standalone server", func(t *testing.T) {
		s := newSetup(t)
		s.doctor.Config.AllowStandalone = false
		s.expect(doctor.CheckMongoReplicaSet, doctor.Fail, "standalone", "rs.initiate()")
	})
	t.Run("replica set", func(t *testing.T) {
		s := newSetup(t)
		s.doctor.Config.AllowStandalone = false
		s.doctor.Mongo = replicaSet{s.doctor.Mongo}
		s.expect(doctor.CheckMongoReplicaSet, doctor.OK, "replica set rs0", "majority read")
	})
	t.Run("unreachable", func(t *testing.T) {
		s := newSetup(t)
		c, err := mongo.Connect(t.Context(), options.Client().ApplyURI("mongodb://127.0.0.1:1/").SetServerSelectionTimeout(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
		s.doctor.Mongo = doctor.MongoDB{DB: c.Database(s.db.Name())}
		rep := s.expect(doctor.CheckMongoConnect, doctor.Fail, "nat_static_ip", "terraform output -raw nat_ip", "egress")
		for _, n := range []string{doctor.CheckMongoReplicaSet, doctor.CheckMongoIndexes, doctor.CheckMongoQueueWrite} {
			if r, _ := rep.Result(n); r.Status != doctor.Fail || !strings.Contains(r.Detail, "not checked") {
				t.Errorf("%s after a failed connect = %s %s, want FAIL not checked", n, r.Status, r.Detail)
			}
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		s := newSetup(t)
		_, uri := testenv.MongoDB(t)
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword("ledger", "wrong-password")
		c, err := mongo.Connect(t.Context(), options.Client().ApplyURI(u.String()).SetServerSelectionTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
		s.doctor.Mongo = doctor.MongoDB{DB: c.Database(s.db.Name())}
		rep := s.expect(doctor.CheckMongoConnect, doctor.Fail, "user or password", "gcloud secrets versions add ledger-export-mongodb-uri")
		if strings.Contains(rep.Text(), "wrong-password") {
			t.Errorf("the report quotes the password:\n%s", rep.Text())
		}
	})
	t.Run("write refused", func(t *testing.T) {
		s := newSetup(t)
		s.doctor.Mongo = readOnly{s.doctor.Mongo}
		s.expect(doctor.CheckMongoQueueWrite, doctor.Fail, "Unauthorized", `role: "readWrite", db: "`+s.db.Name()+`"`)
	})
}

// replicaSet is a server that says, in hello, it is a member of replica set rs0 (FerretDB cannot).
type replicaSet struct{ doctor.Mongo }

func (replicaSet) Hello(context.Context) (doctor.Hello, error) {
	return doctor.Hello{SetName: "rs0"}, nil
}

// readOnly is a user with the read role only: the server refuses its updates as MongoDB does (code 13).
type readOnly struct{ doctor.Mongo }

func (readOnly) NoOpUpdate(context.Context, string) error {
	return mongo.CommandError{Code: 13, Name: "Unauthorized", Message: "not authorized on ledger to execute command { update: \"exportqueues\" ... }"}
}

// Firestore broken in turn (the emulator has every database and no permissions, so the two errors Firestore
// answers are given through the interface) names its fix.
//
// Bugs it catches: a missing database whose fix is a grant (or the reverse); a disabled API taken for a missing
// grant; a fix without the member and the role; a classification that loses the gRPC code of a wrapped error.
func TestFirestoreBrokenNamesTheFix(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		texts []string
	}{
		{"missing database", status.Error(codes.NotFound, "The database (default) does not exist for project my-ledger-project Please visit https://console.cloud.google.com/datastore/setup"),
			[]string{"create_firestore_database = true", "gcloud firestore databases create"}},
		{"permission", status.Error(codes.PermissionDenied, "Missing or insufficient permissions."),
			[]string{"gcloud projects add-iam-policy-binding", "--member=serviceAccount:" + identity, "--role=roles/datastore.user"}},
		{"api disabled", status.Error(codes.PermissionDenied, "Cloud Firestore API has not been used in project 123 before or it is disabled."),
			[]string{"gcloud services enable firestore.googleapis.com"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSetup(t)
			s.doctor.Locks = failingLocks{c.err}
			s.expect(doctor.CheckFirestore, doctor.Fail, c.texts...)
		})
	}
}

type failingLocks struct{ err error }

func (f failingLocks) Probe(context.Context) error { return fmtWrap(f.err) }

// fmtWrap wraps the error as the adapter does, so the classification must unwrap it.
func fmtWrap(err error) error { return errors.Join(errors.New("create probe"), err) }

// Drive broken in turn on the fake Drive names its fix.
//
// Bugs it catches: a missing folder reported OK or with a fix that does not share the drive; canAddChildren
// not read (a Viewer passes); My Drive without delegation not warned of storageQuotaExceeded; a folder in
// another Shared Drive than DRIVE_SHARED_DRIVE_ID accepted; a refused delegation whose fix is a sharing step.
func TestDriveBrokenNamesTheFix(t *testing.T) {
	t.Run("missing folder", func(t *testing.T) {
		s := newSetup(t)
		s.doctor.Config.FolderID = "no-such-folder"
		rep := s.expect(doctor.CheckDriveFolder, doctor.Fail, "404", identity, "Content manager")
		if r, _ := rep.Result(doctor.CheckDriveAdd); r.Status != doctor.Fail || !strings.Contains(r.Detail, "not checked") {
			t.Errorf("can_add_files after a missing folder = %s %s", r.Status, r.Detail)
		}
	})
	t.Run("no canAddChildren", func(t *testing.T) {
		s := newSetup(t)
		s.caps.CanAddChildren = false
		s.expect(doctor.CheckDriveAdd, doctor.Fail, "canAddChildren is false", "Content manager")
	})
	t.Run("My Drive without delegation", func(t *testing.T) {
		s := newSetup(t)
		s.caps.DriveID = ""
		s.doctor.Config.SharedDriveID = ""
		s.fake.Close()
		fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{folder}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fake.Close)
		s.caps.Next = fake.Client().Transport
		svc, err := drivev3.NewService(t.Context(), option.WithHTTPClient(&http.Client{Transport: s.caps}), option.WithEndpoint(fake.URL()+"/drive/v3/"))
		if err != nil {
			t.Fatal(err)
		}
		s.doctor.Drive = doctor.DriveAPI{Service: svc}
		rep := s.expect(doctor.CheckDriveQuota, doctor.Warn, "storageQuotaExceeded", "drive_shared_drive_id", "drive_impersonate_subject")
		if !rep.OK {
			t.Errorf("a warning failed the report:\n%s", rep.Text())
		}
		s.doctor.Config.Subject = "exports@example.co.th"
		s.expect(doctor.CheckDriveQuota, doctor.OK, "exports@example.co.th")
	})
	t.Run("other Shared Drive", func(t *testing.T) {
		s := newSetup(t)
		s.doctor.Config.SharedDriveID = "0AOtherDrive"
		s.expect(doctor.CheckDriveFolder, doctor.Fail, `drive_shared_drive_id = "`+shared+`"`)
	})
	t.Run("delegation refused", func(t *testing.T) {
		s := newSetup(t)
		s.doctor.Config.Subject = "exports@example.co.th"
		s.doctor.Drive = failingFolders{errors.New(`files.get exports-folder: Get "https://www.googleapis.com/drive/v3/files/x": impersonate: oauth2: "unauthorized_client" "Client is unauthorized to retrieve access tokens using this method"`)}
		s.expect(doctor.CheckDriveFolder, doctor.Fail, "Domain-wide delegation", "roles/iam.serviceAccountTokenCreator")
	})
}

type failingFolders struct{ err error }

func (f failingFolders) Folder(context.Context, string) (doctor.Folder, error) {
	return doctor.Folder{}, f.err
}

// An unresolved secret fails with the command that adds a version, and MongoDB is then not checked.
//
// Bugs it catches: an empty URI reported OK, or passed on to a connection attempt whose error hides the cause.
func TestSecretUnresolved(t *testing.T) {
	s := newSetup(t)
	s.doctor.Config.MongoURISet = false
	rep := s.expect(doctor.CheckSecrets, doctor.Fail, "gcloud secrets versions add ledger-export-mongodb-uri", "--data-file=-")
	if r, _ := rep.Result(doctor.CheckMongoConnect); !strings.Contains(r.Detail, "not checked") {
		t.Errorf("mongodb.connect with no URI = %s %s, want not checked", r.Status, r.Detail)
	}
}

// The test notice is sent only when asked, once, and a refused one names the fix without quoting the URL.
//
// Bugs it catches: a notice on every make doctor; none with NOTIFY=1; the webhook's key or token in the
// answer.
func TestNotice(t *testing.T) {
	var posts atomic.Int32
	var body atomic.Value
	code := atomic.Int32{}
	code.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		b, _ := io.ReadAll(r.Body)
		body.Store(string(b))
		w.WriteHeader(int(code.Load()))
	}))
	t.Cleanup(srv.Close)
	s := newSetup(t)
	s.doctor.Config.NotifySet = true
	s.doctor.Config.NotifySecret = "ledger-export-notify-webhook"
	url := srv.URL + "/v1/spaces/AAA/messages?key=SECRETKEY&token=SECRETTOKEN"
	s.doctor.Notifier = doctor.Webhook{URL: url, Client: srv.Client()}

	s.expect(doctor.CheckNotice, doctor.OK, "no test notice sent")
	if n := posts.Load(); n != 0 {
		t.Errorf("make doctor without NOTIFY posted %d notices, want 0", n)
	}
	rep := s.doctor.Run(t.Context(), true)
	if r, _ := rep.Result(doctor.CheckNotice); r.Status != doctor.OK || posts.Load() != 1 {
		t.Errorf("with NOTIFY: %s %s, %d posts; want OK and 1", r.Status, r.Detail, posts.Load())
	}
	var msg map[string]string
	if err := json.Unmarshal([]byte(body.Load().(string)), &msg); err != nil || !strings.Contains(msg["text"], "test notice") {
		t.Errorf("posted %v (%v), want {\"text\": \"... test notice ...\"}", body.Load(), err)
	}
	code.Store(http.StatusNotFound)
	rep = s.doctor.Run(t.Context(), true)
	r, _ := rep.Result(doctor.CheckNotice)
	if r.Status != doctor.Fail || !strings.Contains(r.Fix, "gcloud secrets versions add ledger-export-notify-webhook") {
		t.Errorf("refused notice = %s %s (fix %s), want FAIL naming the secret", r.Status, r.Detail, r.Fix)
	}
	out, _ := json.Marshal(rep)
	if strings.Contains(string(out), "SECRET") {
		t.Errorf("the report quotes the webhook's key or token: %s", out)
	}
}

// The schedule line names the next run and its batch date in the configured zone, on both sides of the cutoff.
//
// Bugs it catches: the next run computed in UTC (13:00 UTC is 20:00 in Bangkok, after the cutoff); a batch date
// one day off.
func TestSchedule(t *testing.T) {
	s := newSetup(t)
	s.expect(doctor.CheckSchedule, doctor.OK, "next run 2026-12-07 18:00 +07:00", "batch date 2026-12-07", "in 22h0m")
	s.doctor.Now = func() time.Time { return time.Date(2026, 12, 6, 10, 30, 0, 0, time.UTC) } // 17:30 in Bangkok
	s.expect(doctor.CheckSchedule, doctor.OK, "next run 2026-12-06 18:00 +07:00", "batch date 2026-12-06", "in 30m")
}
