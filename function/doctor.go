package function

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"cloud.google.com/go/firestore"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	drivev3 "google.golang.org/api/drive/v3"
	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/config"
	"github.com/siamledger/ledger-export/internal/doctor"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/medici"
)

// serveDoctor answers GET /doctor[?notify=1][&format=text], the preflight of `make doctor`: the function checks
// its own dependencies with its own identity (internal/doctor) and changes nothing; notify=1 also sends a test
// notice. It opens clients of its own for the call, so that it sees what a new instance would, and closes them.
// 200 when no check failed, 503 otherwise; the answer holds no secret.
func (h *Handler) serveDoctor(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	prepare := r.Method == http.MethodPost && q.Get("indexes") == "1"
	if r.Method != http.MethodGet && !prepare {
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, answer{Outcome: "failed", Error: "use GET /doctor[?notify=1], or POST /doctor?indexes=1 to create the missing collections and indexes"})
		return
	}
	rep, closeAll := h.runDoctor(ctx, q.Get("notify") == "1", prepare)
	defer closeAll()
	code := http.StatusOK
	if !rep.OK {
		code = http.StatusServiceUnavailable
	}
	h.log.InfoContext(ctx, "doctor finished", "ok", rep.OK, "checks", len(rep.Results))
	if q.Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, rep.Text())
		return
	}
	writeJSON(w, code, rep)
}

// runDoctor builds the doctor on fresh clients and runs it. The report is redacted of the MongoDB URI and the
// webhook URL whatever a driver's message quotes.
func (h *Handler) runDoctor(ctx context.Context, notify, prepare bool) (doctor.Report, func()) {
	cfg := h.cfg
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	d := &doctor.Doctor{
		Config: doctor.Config{
			Project: cfg.FirestoreProject, Identity: h.identity(ctx),
			Database: cfg.MongoDatabase,
			Collections: medici.Collections{Queue: cfg.QueueCollection, Journals: cfg.JournalsCollection,
				Transactions: cfg.TransactionsCollection, ExportLogs: cfg.ExportLogsCollection},
			MongoURISet: cfg.MongoURI != "", MongoSecret: "$(terraform -chdir=terraform output -raw mongodb_uri_secret)",
			LockCollection: cfg.LockCollection, FirestoreProject: cfg.FirestoreProject, FirestoreDatabase: cfg.FirestoreDatabase,
			FolderID: cfg.DriveFolderID, SharedDriveID: cfg.DriveSharedDriveID, Subject: cfg.DriveSubject,
			FakeDrive: cfg.DriveEndpoint != "",
			NotifySet: cfg.NotifyWebhookURL != "", NotifySecret: "NOTIFY_SECRET_ID (Terraform variable notify_webhook_secret_id)",
			Location: cfg.Location, CutoffHour: cfg.CutoffHour, CutoffMinute: cfg.CutoffMinute,
			AllowStandalone: h.opts.DoctorAllowStandalone,
		},
		Now: h.opts.Now, CallTimeout: cfg.CallTimeout,
	}
	mc, err := mongo.Connect(ctx, options.Client().ApplyURI(cfg.MongoURI).SetAppName("ledger-export-doctor").SetTimeout(cfg.CallTimeout))
	if err != nil {
		d.Mongo = brokenMongo{fmt.Errorf("open mongodb client: %s", redact(err.Error(), cfg.MongoURI))}
	} else {
		closers = append(closers, func() {
			c, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.CallTimeout)
			defer cancel()
			_ = mc.Disconnect(c)
		})
		d.Mongo = doctor.MongoDB{DB: mc.Database(cfg.MongoDatabase)}
	}
	var created []string
	if prepare && err == nil {
		pctx, cancel := context.WithTimeout(ctx, 5*cfg.CallTimeout)
		created, err = doctor.Prepare(pctx, mc.Database(cfg.MongoDatabase), d.Config.Collections)
		cancel()
		if err != nil {
			h.log.WarnContext(ctx, "creating the missing collections and indexes failed", "error", redact(err.Error(), cfg.MongoURI))
		}
	}
	fs, err := firestore.NewClientWithDatabase(ctx, cfg.FirestoreProject, cfg.FirestoreDatabase)
	if err != nil {
		d.Locks = brokenLocks{fmt.Errorf("open firestore client: %w", err)}
	} else {
		closers = append(closers, func() { fs.Close() })
		d.Locks = doctor.Firestore{Client: fs, Collection: cfg.LockCollection}
	}
	svc, err := h.doctorDrive(ctx)
	if err != nil {
		d.Drive = brokenFolders{err}
	} else {
		d.Drive = doctor.DriveAPI{Service: svc}
	}
	if cfg.NotifyWebhookURL != "" {
		d.Notifier = doctor.Webhook{URL: cfg.NotifyWebhookURL, Client: &http.Client{Timeout: cfg.CallTimeout}}
	}
	if d.Config.AccountMapSheet = cfg.Layout.SheetName(); d.Config.AccountMapSheet != "" {
		d.AccountMap = func(ctx context.Context) (*export.Source, error) {
			deps, err := h.dependencies(ctx)
			if err != nil {
				return nil, fmt.Errorf("open the export's clients: %w", err)
			}
			_, src, err := deps.runner.Format.Load(ctx)
			return src, err
		}
	}
	rep := d.Run(ctx, notify)
	rep.Created = created
	for i := range rep.Results {
		rep.Results[i].Detail = redactAll(rep.Results[i].Detail, cfg)
		rep.Results[i].Fix = redactAll(rep.Results[i].Fix, cfg)
	}
	return rep, closeAll
}

// doctorDrive opens Drive as the export does (wire.go's driveStore): the fake's client, no authentication for a
// DRIVE_ENDPOINT, the delegated user, or the runtime account.
func (h *Handler) doctorDrive(ctx context.Context) (*drivev3.Service, error) {
	cfg := h.cfg
	opts := []option.ClientOption{option.WithScopes(drivev3.DriveScope)}
	switch {
	case h.opts.DriveHTTPClient != nil:
		opts = []option.ClientOption{option.WithHTTPClient(h.opts.DriveHTTPClient)}
	case cfg.DriveEndpoint != "":
		opts = append(opts, option.WithoutAuthentication())
	case cfg.DriveSubject != "":
		ts, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{
			TargetPrincipal: cfg.DriveServiceAcct, Scopes: []string{drivev3.DriveScope}, Subject: cfg.DriveSubject,
		})
		if err != nil {
			return nil, fmt.Errorf("drive credentials for %s: %w", cfg.DriveSubject, err)
		}
		opts = append(opts, option.WithTokenSource(ts))
	}
	if cfg.DriveEndpoint != "" {
		opts = append(opts, option.WithEndpoint(strings.TrimSuffix(cfg.DriveEndpoint, "/")+"/drive/v3/"))
	}
	svc, err := drivev3.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("drive client: %w", err)
	}
	return svc, nil
}

// identity is the runtime service account's email, from the metadata server on Cloud Run; empty elsewhere (the
// fixes then name the Terraform output instead).
func (h *Handler) identity(ctx context.Context) string {
	if os.Getenv("K_SERVICE") == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		"http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/email", nil)
	if err != nil {
		return ""
	}
	req.Header.Set("Metadata-Flavor", "Google")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 512))
	if err != nil || resp.StatusCode != http.StatusOK {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// redactAll removes the MongoDB URI, the webhook URL and its query values from a text.
func redactAll(s string, cfg config.Config) string {
	s = redact(s, cfg.MongoURI)
	s = redact(s, cfg.NotifyWebhookURL)
	if u, err := url.Parse(cfg.NotifyWebhookURL); err == nil && cfg.NotifyWebhookURL != "" {
		for _, vs := range u.Query() {
			for _, v := range vs {
				s = redact(s, v)
			}
		}
	}
	if u, err := url.Parse(cfg.MongoURI); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			s = redact(s, p)
		}
	}
	return s
}

// The doctor's stand-ins for a client that could not be opened: each check then fails with the opening error.
type (
	brokenMongo   struct{ err error }
	brokenLocks   struct{ err error }
	brokenFolders struct{ err error }
)

func (b brokenMongo) Ping(context.Context) error                          { return b.err }
func (b brokenMongo) Hello(context.Context) (doctor.Hello, error)         { return doctor.Hello{}, b.err }
func (b brokenMongo) Collections(context.Context) ([]string, error)       { return nil, b.err }
func (b brokenMongo) IndexKeys(context.Context, string) ([]bson.D, error) { return nil, b.err }
func (b brokenMongo) ReadMajority(context.Context, string) error          { return b.err }
func (b brokenMongo) NoOpUpdate(context.Context, string) error            { return b.err }
func (b brokenLocks) Probe(context.Context) error                         { return b.err }
func (b brokenFolders) Folder(context.Context, string) (doctor.Folder, error) {
	return doctor.Folder{}, b.err
}
