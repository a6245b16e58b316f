// Package doctor is the preflight of a deployment (`make doctor`): the deployed function checks its own
// dependencies with its own identity, changes nothing, and reports one line per check, OK, WARN or FAIL, with the
// exact fix of each failure: the role and member to grant, the command to run, or the variable to set.
//
// The checks reach MongoDB, Firestore, Drive and the notice webhook through the small interfaces below (Mongo,
// Locks, Folders, Notifier); adapters.go implements them on the real clients. No result holds a secret: the
// MongoDB URI and the webhook URL are checked but never quoted, and error texts are redacted of both.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/medici"
)

// Status is a check's verdict.
type Status string

// The verdicts. A WARN does not fail the preflight; a FAIL does.
const (
	OK   Status = "OK"
	Warn Status = "WARN"
	Fail Status = "FAIL"
)

// Result is one check's line.
type Result struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the whole preflight.
type Report struct {
	OK      bool     `json:"ok"` // no check failed
	Results []Result `json:"results"`
	// Created lists what `make indexes` (Prepare) created before the checks ran.
	Created []string `json:"created,omitempty"`
}

// Result returns the named check's result, and whether it ran.
func (r Report) Result(check string) (Result, bool) {
	for _, res := range r.Results {
		if res.Check == check {
			return res, true
		}
	}
	return Result{}, false
}

// Text is the report as lines: "STATUS check: detail", then "  fix: ..." under each failure or warning.
func (r Report) Text() string {
	var b strings.Builder
	for _, c := range r.Created {
		fmt.Fprintf(&b, "created %s\n", c)
	}
	for _, res := range r.Results {
		fmt.Fprintf(&b, "%-4s %s: %s\n", res.Status, res.Check, res.Detail)
		if res.Fix != "" {
			fmt.Fprintf(&b, "     fix: %s\n", res.Fix)
		}
	}
	return b.String()
}

// Hello is what the server's hello command says of its topology.
type Hello struct {
	SetName string // the replica set's name; empty on a standalone server or mongos
	Msg     string // "isdbgrid" on mongos (a sharded cluster, which accepts majority concerns too)
}

// Mongo is the MongoDB side of the checks, on the configured database.
type Mongo interface {
	// Ping connects and authenticates.
	Ping(ctx context.Context) error
	// Hello reads the server's topology.
	Hello(ctx context.Context) (Hello, error)
	// Collections lists the database's collection names.
	Collections(ctx context.Context) ([]string, error)
	// IndexKeys lists the key documents of a collection's indexes.
	IndexKeys(ctx context.Context, collection string) ([]bson.D, error)
	// ReadMajority reads at most one document of the collection with a majority read concern from the primary.
	ReadMajority(ctx context.Context, collection string) error
	// NoOpUpdate runs an update that matches no document, with a majority write concern: it needs the same
	// privilege as a real one and changes nothing.
	NoOpUpdate(ctx context.Context, collection string) error
}

// Locks is the Firestore side: a probe document in the lock collection, written and deleted.
type Locks interface {
	Probe(ctx context.Context) error
}

// Folder is what Drive says of the export folder to the function's identity.
type Folder struct {
	ID, Name, MimeType string
	DriveID            string // the Shared Drive holding it; empty in My Drive
	Trashed            bool
	CanAddChildren     bool
}

// Folders reads a folder as the function's identity (the runtime account, or the delegated user).
type Folders interface {
	Folder(ctx context.Context, id string) (Folder, error)
}

// Notifier sends a test notice to the configured webhook.
type Notifier interface {
	Test(ctx context.Context, text string) error
}

// Config is what the checks compare against: the function's configuration, its identity and where its
// settings come from (for the fixes).
type Config struct {
	Project  string // the function's project, for the commands in the fixes
	Identity string // the runtime service account's email; empty when unknown (local)

	Database    string
	Collections medici.Collections
	MongoURISet bool   // MONGODB_URI resolved to a value (the value itself is never given to the doctor)
	MongoSecret string // the secret's id, for the fix: ledger-export-mongodb-uri

	LockCollection    string
	FirestoreProject  string
	FirestoreDatabase string

	FolderID      string
	SharedDriveID string
	Subject       string // DRIVE_IMPERSONATE_SUBJECT
	FakeDrive     bool   // DRIVE_ENDPOINT names a local fake: its folder is neither a Shared Drive nor My Drive
	// AccountMapSheet is the name of the account map the layout reads from the export folder; empty when it reads
	// none.
	AccountMapSheet string

	NotifySet    bool   // NOTIFY_WEBHOOK_URL resolved to a value
	NotifySecret string // its secret's id, for the fix

	Location     *time.Location
	CutoffHour   int
	CutoffMinute int

	// AllowStandalone accepts a MongoDB that is not a replica set (the local stack's FerretDB). It is named in the
	// check's line whenever it is used.
	AllowStandalone bool
}

// Doctor runs the checks.
type Doctor struct {
	Config   Config
	Mongo    Mongo
	Locks    Locks
	Drive    Folders
	Notifier Notifier // nil when NOTIFY_WEBHOOK_URL is unset
	// AccountMap reads the account map from the export folder as every export attempt does; nil when the layout
	// reads none (Config.AccountMapSheet is empty).
	AccountMap func(ctx context.Context) (*export.Source, error)
	Now        func() time.Time
	// CallTimeout bounds each check's calls.
	CallTimeout time.Duration
}

// The checks' names, in the order they run.
const (
	CheckMongoConnect     = "mongodb.connect"
	CheckMongoReplicaSet  = "mongodb.replica_set"
	CheckMongoCollections = "mongodb.collections"
	CheckMongoIndexes     = "mongodb.indexes"
	CheckMongoQueueWrite  = "mongodb.queue_write"
	CheckFirestore        = "firestore.lock_probe"
	CheckDriveFolder      = "drive.folder"
	CheckDriveAdd         = "drive.can_add_files"
	CheckDriveQuota       = "drive.storage"
	CheckAccountMap       = "drive.account_map"
	CheckSecrets          = "secrets"
	CheckNotice           = "notice"
	CheckSchedule         = "schedule"
)

// Run runs every check; sendNotice sends a test notice (make doctor NOTIFY=1). A check whose prerequisite failed
// is reported as FAIL "not checked" with the prerequisite named, so that every line is always there.
func (d *Doctor) Run(ctx context.Context, sendNotice bool) Report {
	var rs []Result
	rs = append(rs, d.secrets())
	rs = append(rs, d.mongo(ctx)...)
	rs = append(rs, d.firestore(ctx))
	rs = append(rs, d.drive(ctx)...)
	rs = append(rs, d.notice(ctx, sendNotice))
	rs = append(rs, d.schedule())
	ok := true
	for _, r := range rs {
		ok = ok && r.Status != Fail
	}
	return Report{OK: ok, Results: rs}
}

func (d *Doctor) call(ctx context.Context) (context.Context, context.CancelFunc) {
	t := d.CallTimeout
	if t <= 0 {
		t = 30 * time.Second
	}
	return context.WithTimeout(ctx, t)
}

// member is the IAM member of the function's identity, for the fixes.
func (d *Doctor) member() string {
	if d.Config.Identity != "" {
		return "serviceAccount:" + d.Config.Identity
	}
	return "serviceAccount:$(terraform -chdir=terraform output -raw runtime_service_account_email)"
}

func (d *Doctor) identity() string {
	if d.Config.Identity != "" {
		return d.Config.Identity
	}
	return "the runtime service account (terraform output runtime_service_account_email)"
}

func notChecked(check, because string) Result {
	return Result{Check: check, Status: Fail, Detail: "not checked: " + because, Fix: "fix the check above first"}
}

// ---------------------------------------------------------------- secrets --

func (d *Doctor) secrets() Result {
	c := d.Config
	if !c.MongoURISet {
		return Result{Check: CheckSecrets, Status: Fail, Detail: "MONGODB_URI is empty: its secret " + c.MongoSecret + " has no enabled version, or the variable is not bound to it",
			Fix: fmt.Sprintf("printf '%%s' 'mongodb+srv://USER:PASSWORD@HOST/' | gcloud secrets versions add %s --project=%s --data-file=- ; then redeploy (terraform apply) so that a new instance reads it", c.MongoSecret, c.Project)}
	}
	detail := "MONGODB_URI resolved (on Cloud Run: from Secret Manager)"
	if c.NotifySet {
		detail += "; NOTIFY_WEBHOOK_URL resolved"
	} else {
		detail += "; NOTIFY_WEBHOOK_URL not configured (no delivery notice)"
	}
	return Result{Check: CheckSecrets, Status: OK, Detail: detail}
}

// ---------------------------------------------------------------- MongoDB --

func (d *Doctor) mongo(ctx context.Context) []Result {
	c := d.Config
	names := []string{CheckMongoReplicaSet, CheckMongoCollections, CheckMongoIndexes, CheckMongoQueueWrite}
	if !c.MongoURISet {
		out := []Result{notChecked(CheckMongoConnect, CheckSecrets+" failed")}
		for _, n := range names {
			out = append(out, notChecked(n, CheckSecrets+" failed"))
		}
		return out
	}
	cctx, cancel := d.call(ctx)
	err := d.Mongo.Ping(cctx)
	cancel()
	if err != nil {
		out := []Result{{Check: CheckMongoConnect, Status: Fail, Detail: "cannot connect or authenticate: " + err.Error(), Fix: mongoConnectFix(err, c)}}
		for _, n := range names {
			out = append(out, notChecked(n, CheckMongoConnect+" failed"))
		}
		return out
	}
	out := []Result{{Check: CheckMongoConnect, Status: OK, Detail: "connected and authenticated to database " + c.Database}}
	out = append(out, d.replicaSet(ctx))
	colls := d.collections(ctx)
	out = append(out, colls)
	if colls.Status == Fail && strings.HasPrefix(colls.Detail, "cannot list") {
		out = append(out, notChecked(CheckMongoIndexes, CheckMongoCollections+" failed"))
	} else {
		out = append(out, d.indexes(ctx))
	}
	out = append(out, d.queueWrite(ctx))
	return out
}

func mongoConnectFix(err error, c Config) string {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "auth"):
		return fmt.Sprintf("the user or password in secret %s is wrong, or the user is not defined on its authSource: check the user in Atlas (Database Access) or with db.getUser(); then `gcloud secrets versions add %s --data-file=-` with the right URI and terraform apply", c.MongoSecret, c.MongoSecret)
	case strings.Contains(msg, "server selection") || strings.Contains(msg, "timeout") || strings.Contains(msg, "deadline") ||
		strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host"):
		return "the function cannot reach the server: for Atlas set nat_static_ip = true (with egress = \"direct-vpc\" and vpc_egress_traffic = \"all-traffic\"), terraform apply, and add `terraform output -raw nat_ip`/32 to Atlas's IP access list (or use a private endpoint); for a MongoDB in a VPC set egress = \"direct-vpc\" or \"connector\" (terraform/README.md, \"MongoDB Atlas\" and \"A MongoDB inside a VPC\")"
	}
	return fmt.Sprintf("check the URI in secret %s (host, options, TLS) and that the server runs", c.MongoSecret)
}

func (d *Doctor) replicaSet(ctx context.Context) Result {
	cctx, cancel := d.call(ctx)
	defer cancel()
	h, err := d.Mongo.Hello(cctx)
	if err != nil {
		return Result{Check: CheckMongoReplicaSet, Status: Fail, Detail: "hello failed: " + err.Error(), Fix: "the user needs no role for hello; check the server's version (MongoDB 4.4 or later)"}
	}
	var topo string
	switch {
	case h.SetName != "":
		topo = "replica set " + h.SetName
	case h.Msg == "isdbgrid":
		topo = "sharded cluster (mongos)"
	case d.Config.AllowStandalone:
		return Result{Check: CheckMongoReplicaSet, Status: OK, Detail: "standalone server accepted by the doctor option AllowStandalone (the local stack: FerretDB is not a replica set); majority read and write concerns checked on the queue below"}
	default:
		return Result{Check: CheckMongoReplicaSet, Status: Fail,
			Detail: "the server is standalone (hello has no setName): a majority write concern is only as safe as one server, and a failover cannot happen",
			Fix:    "run MongoDB as a replica set (Atlas clusters always are; self-hosted: start mongod with --replSet rs0 and run rs.initiate()), then point the URI at it"}
	}
	cctx2, cancel2 := d.call(ctx)
	defer cancel2()
	if err := d.Mongo.ReadMajority(cctx2, d.Config.Collections.Queue); err != nil {
		return Result{Check: CheckMongoReplicaSet, Status: Fail, Detail: topo + ", but a read with majority read concern failed: " + err.Error(),
			Fix: "enable majority read concern (a replica set with majority read concern on; an arbiter-only majority (PSA) refuses it: add a data-bearing member)"}
	}
	return Result{Check: CheckMongoReplicaSet, Status: OK, Detail: topo + "; a majority read from the primary succeeded (majority write: mongodb.queue_write)"}
}

func (d *Doctor) collections(ctx context.Context) Result {
	cctx, cancel := d.call(ctx)
	defer cancel()
	have, err := d.Mongo.Collections(cctx)
	if err != nil {
		return Result{Check: CheckMongoCollections, Status: Fail, Detail: "cannot list collections: " + err.Error(),
			Fix: fmt.Sprintf("grant the MongoDB user readWrite on %s (Atlas: Database Access, edit the user, Built-in Role \"readWrite\" on %s; mongosh: db.grantRolesToUser(\"USER\", [{role: \"readWrite\", db: \"%s\"}]))", d.Config.Database, d.Config.Database, d.Config.Database)}
	}
	var missing []string
	for _, want := range d.wanted() {
		if !slices.Contains(have, want) {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		cmds := make([]string, len(missing))
		for i, m := range missing {
			cmds[i] = fmt.Sprintf("%q", m)
		}
		return Result{Check: CheckMongoCollections, Status: Fail,
			Detail: fmt.Sprintf("database %s lacks %s (a wrong MONGODB_DATABASE or *_COLLECTION variable, or a new database)", d.Config.Database, strings.Join(missing, ", ")),
			Fix:    fmt.Sprintf("if the names are right, run make indexes (the function creates %s); else set the Terraform variable mongodb_database or the collection variables and apply", strings.Join(cmds, ", "))}
	}
	return Result{Check: CheckMongoCollections, Status: OK, Detail: strings.Join(d.wanted(), ", ") + " exist"}
}

func (d *Doctor) wanted() []string {
	c := d.Config.Collections
	return []string{c.Queue, c.Journals, c.Transactions, c.ExportLogs}
}

func (d *Doctor) indexes(ctx context.Context) Result {
	var missing []string
	var errs []string
	for _, ix := range medici.Indexes(d.Config.Collections) {
		cctx, cancel := d.call(ctx)
		keys, err := d.Mongo.IndexKeys(cctx, ix.Collection)
		cancel()
		if err != nil {
			errs = append(errs, ix.Collection+": "+err.Error())
			continue
		}
		found := slices.ContainsFunc(keys, func(k bson.D) bool { return sameKeys(k, ix.Keys) })
		if !found {
			missing = append(missing, fmt.Sprintf("db.%s.createIndex(%s)", ix.Collection, keysJS(ix.Keys)))
		}
	}
	switch {
	case len(errs) > 0:
		return Result{Check: CheckMongoIndexes, Status: Fail, Detail: "cannot list indexes: " + strings.Join(errs, "; "),
			Fix: "grant the MongoDB user readWrite (it includes listIndexes) on " + d.Config.Database}
	case len(missing) > 0:
		return Result{Check: CheckMongoIndexes, Status: Fail,
			Detail: fmt.Sprintf("%d of the %d indexes of internal/medici/README.md are missing (every claim and read would scan the collection)", len(missing), len(medici.Indexes(d.Config.Collections))),
			Fix:    "make indexes (the function creates, on " + d.Config.Database + ": " + strings.Join(missing, "; ") + ")"}
	}
	return Result{Check: CheckMongoIndexes, Status: OK, Detail: fmt.Sprintf("the %d indexes of internal/medici/README.md exist", len(medici.Indexes(d.Config.Collections)))}
}

// sameKeys reports whether two index key documents name the same fields in the same order and directions.
func sameKeys(a, b bson.D) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || fmt.Sprint(num(a[i].Value)) != fmt.Sprint(num(b[i].Value)) {
			return false
		}
	}
	return true
}

// num makes 1, int32(1), int64(1) and 1.0 compare equal.
func num(v any) any {
	switch n := v.(type) {
	case int32:
		return float64(n)
	case int64:
		return float64(n)
	case int:
		return float64(n)
	case float64:
		return n
	}
	return v
}

// keysJS writes a key document as mongosh does: { status: 1, exportPath: 1 }.
func keysJS(keys bson.D) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %v", k.Key, k.Value)
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

func (d *Doctor) queueWrite(ctx context.Context) Result {
	cctx, cancel := d.call(ctx)
	defer cancel()
	q := d.Config.Collections.Queue
	if err := d.Mongo.NoOpUpdate(cctx, q); err != nil {
		fix := fmt.Sprintf("grant the MongoDB user readWrite on %s (Atlas: Database Access, edit the user, Built-in Role \"readWrite\" on %s; mongosh: db.grantRolesToUser(\"USER\", [{role: \"readWrite\", db: \"%s\"}]))", d.Config.Database, d.Config.Database, d.Config.Database)
		if strings.Contains(strings.ToLower(err.Error()), "write concern") {
			fix = "the server cannot satisfy a majority write concern: run a replica set whose majority of data-bearing members is up"
		}
		return Result{Check: CheckMongoQueueWrite, Status: Fail, Detail: "a no-op update on " + q + " was refused: " + err.Error(), Fix: fix}
	}
	return Result{Check: CheckMongoQueueWrite, Status: OK, Detail: "a no-op update on " + q + " with majority write concern was accepted (nothing changed)"}
}

// -------------------------------------------------------------- Firestore --

func (d *Doctor) firestore(ctx context.Context) Result {
	c := d.Config
	cctx, cancel := d.call(ctx)
	defer cancel()
	err := d.Locks.Probe(cctx)
	where := fmt.Sprintf("database %s of project %s, collection %s", c.FirestoreDatabase, c.FirestoreProject, c.LockCollection)
	if err == nil {
		return Result{Check: CheckFirestore, Status: OK, Detail: "a probe document was written and deleted in " + where}
	}
	r := Result{Check: CheckFirestore, Status: Fail, Detail: "the probe document could not be written and deleted in " + where + ": " + err.Error()}
	switch FirestoreCause(err) {
	case CauseNoDatabase:
		r.Fix = fmt.Sprintf("create the database: set create_firestore_database = true (and firestore_database = %q) and terraform apply, or `gcloud firestore databases create --project=%s --database=%s --location=REGION --type=firestore-native`", c.FirestoreDatabase, c.FirestoreProject, c.FirestoreDatabase)
	case CauseDenied:
		r.Fix = fmt.Sprintf("`gcloud projects add-iam-policy-binding %s --member=%s --role=roles/datastore.user` (terraform/main.tf grants it as runtime_firestore; FIRESTORE_PROJECT must be the project Terraform granted)", c.FirestoreProject, d.member())
	case CauseDisabled:
		r.Fix = fmt.Sprintf("`gcloud services enable firestore.googleapis.com --project=%s`", c.FirestoreProject)
	default:
		r.Fix = "retry; if it persists, check Firestore's status and the function's FIRESTORE_PROJECT and FIRESTORE_DATABASE"
	}
	return r
}

// ------------------------------------------------------------------ Drive --

func (d *Doctor) drive(ctx context.Context) []Result {
	c := d.Config
	cctx, cancel := d.call(ctx)
	defer cancel()
	f, err := d.Drive.Folder(cctx, c.FolderID)
	as := d.identity()
	if c.Subject != "" {
		as = c.Subject + " (domain-wide delegation by " + as + ")"
	}
	if err != nil {
		r := Result{Check: CheckDriveFolder, Status: Fail, Detail: fmt.Sprintf("folder %s cannot be read as %s: %s", c.FolderID, as, err.Error())}
		switch DriveCause(err) {
		case CauseDelegation:
			r.Fix = fmt.Sprintf("domain-wide delegation is not set up: in the Admin console (Security, API controls, Domain-wide delegation) authorise the client id of %s for https://www.googleapis.com/auth/drive, and grant it roles/iam.serviceAccountTokenCreator on itself (Terraform does when drive_impersonate_subject is set)", d.identity())
		case CauseNotFound:
			if c.SharedDriveID != "" || c.Subject == "" {
				r.Fix = fmt.Sprintf("check drive_folder_id, then add %s to the Shared Drive holding the folder as Content manager (Drive: the Shared Drive, Manage members); terraform/README.md §5", as)
			} else {
				r.Fix = fmt.Sprintf("check drive_folder_id, then share the folder with %s as Editor", c.Subject)
			}
		case CauseDenied:
			r.Fix = fmt.Sprintf("give %s access: add it to the Shared Drive as Content manager (terraform/README.md §5)", as)
		case CauseDisabled:
			r.Fix = fmt.Sprintf("`gcloud services enable drive.googleapis.com --project=%s`", c.Project)
		default:
			r.Fix = "retry; if it persists, check the Drive API's status"
		}
		return []Result{r, notChecked(CheckDriveAdd, CheckDriveFolder+" failed"), notChecked(CheckDriveQuota, CheckDriveFolder+" failed"),
			notChecked(CheckAccountMap, CheckDriveFolder+" failed")}
	}
	var out []Result
	switch {
	case f.MimeType != "application/vnd.google-apps.folder":
		out = append(out, Result{Check: CheckDriveFolder, Status: Fail, Detail: fmt.Sprintf("%s (%q) is a %s, not a folder", f.ID, f.Name, f.MimeType), Fix: "set drive_folder_id to the folder's id (the last part of its address in Drive) and terraform apply"})
	case f.Trashed:
		out = append(out, Result{Check: CheckDriveFolder, Status: Fail, Detail: fmt.Sprintf("folder %s (%q) is in the trash", f.ID, f.Name), Fix: "restore it from the trash in Drive, or set drive_folder_id to another folder"})
	case c.SharedDriveID != "" && f.DriveID != c.SharedDriveID:
		out = append(out, Result{Check: CheckDriveFolder, Status: Fail, Detail: fmt.Sprintf("folder %s is in drive %q, not in the Shared Drive %s that DRIVE_SHARED_DRIVE_ID names (lists would miss its files)", f.ID, f.DriveID, c.SharedDriveID),
			Fix: fmt.Sprintf("set drive_shared_drive_id = %q (the folder's drive) and terraform apply", f.DriveID)})
	default:
		where := "My Drive"
		if f.DriveID != "" {
			where = "Shared Drive " + f.DriveID
		}
		if c.FakeDrive {
			where = "the fake Drive at DRIVE_ENDPOINT"
		}
		out = append(out, Result{Check: CheckDriveFolder, Status: OK, Detail: fmt.Sprintf("folder %s (%q) in %s, readable as %s", f.ID, f.Name, where, as)})
	}
	if f.CanAddChildren {
		out = append(out, Result{Check: CheckDriveAdd, Status: OK, Detail: "capabilities.canAddChildren is true"})
	} else {
		out = append(out, Result{Check: CheckDriveAdd, Status: Fail, Detail: fmt.Sprintf("capabilities.canAddChildren is false: %s can see the folder but not add files (a Viewer or Commenter)", as),
			Fix: fmt.Sprintf("make %s a Content manager of the Shared Drive (or Editor of the folder)", as)})
	}
	switch {
	case c.FakeDrive:
		out = append(out, Result{Check: CheckDriveQuota, Status: OK, Detail: "the fake Drive at DRIVE_ENDPOINT has no storage quota"})
	case f.DriveID != "":
		out = append(out, Result{Check: CheckDriveQuota, Status: OK, Detail: "files belong to the Shared Drive, whose storage is the organisation's"})
	case c.Subject != "":
		out = append(out, Result{Check: CheckDriveQuota, Status: OK, Detail: "files belong to " + c.Subject + " (domain-wide delegation), on that user's storage"})
	default:
		out = append(out, Result{Check: CheckDriveQuota, Status: Warn,
			Detail: "the folder is in My Drive and the function acts as a service account, which has no storage quota: every upload will fail with storageQuotaExceeded",
			Fix:    "move the folder into a Shared Drive and set drive_shared_drive_id, or set drive_impersonate_subject (domain-wide delegation); terraform/README.md §5"})
	}
	return append(out, d.accountMap(ctx))
}

// accountMap reads the import layout's account map from the export folder, as every attempt does.
func (d *Doctor) accountMap(ctx context.Context) Result {
	name := d.Config.AccountMapSheet
	if name == "" || d.AccountMap == nil {
		return Result{Check: CheckAccountMap, Status: OK, Detail: "LAYOUT reads no account map from the export folder"}
	}
	cctx, cancel := d.call(ctx)
	defer cancel()
	src, err := d.AccountMap(cctx)
	switch {
	case err == nil:
		return Result{Check: CheckAccountMap, Status: OK, Detail: fmt.Sprintf("%s: %d accounts mapped", src, src.Rows)}
	case errors.Is(err, export.ErrAccountMap):
		return Result{Check: CheckAccountMap, Status: Fail, Detail: err.Error(),
			Fix: fmt.Sprintf("the accountant keeps the account map in the export folder: a Google Sheet (or a CSV) named %q whose first sheet has the columns account, code, name, tax_rate, tracking_name, tracking_option and a row per ledger account (internal/layout/README.md, \"The account map\"); until then every export fails as account_map and retries", name)}
	default:
		return Result{Check: CheckAccountMap, Status: Fail, Detail: "the account map cannot be read: " + err.Error(), Fix: "retry; if it persists, check the Drive API's status and the folder's sharing"}
	}
}

// ----------------------------------------------------------------- notice --

func (d *Doctor) notice(ctx context.Context, send bool) Result {
	switch {
	case !d.Config.NotifySet:
		return Result{Check: CheckNotice, Status: OK, Detail: "no NOTIFY_WEBHOOK_URL: no notice to send (set notify_webhook_secret_id to have one)"}
	case !send:
		return Result{Check: CheckNotice, Status: OK, Detail: "configured; no test notice sent (make doctor NOTIFY=1 sends one)"}
	case d.Notifier == nil:
		return Result{Check: CheckNotice, Status: Fail, Detail: "configured but no notifier could be built", Fix: "check NOTIFY_WEBHOOK_URL's secret " + d.Config.NotifySecret}
	}
	cctx, cancel := d.call(ctx)
	defer cancel()
	text := "ledger-export: a test notice from make doctor. Nothing was exported; the daily notices will come here."
	if err := d.Notifier.Test(cctx, text); err != nil {
		return Result{Check: CheckNotice, Status: Fail, Detail: "the test notice was refused: " + err.Error(),
			Fix: fmt.Sprintf("create a new incoming webhook in the chat space and `gcloud secrets versions add %s --data-file=-` with its URL, then terraform apply", d.Config.NotifySecret)}
	}
	return Result{Check: CheckNotice, Status: OK, Detail: "a test notice was sent; look for it in the chat space"}
}

// --------------------------------------------------------------- schedule --

func (d *Doctor) schedule() Result {
	c := d.Config
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	t := now().In(c.Location)
	next := time.Date(t.Year(), t.Month(), t.Day(), c.CutoffHour, c.CutoffMinute, 0, 0, c.Location)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return Result{Check: CheckSchedule, Status: OK, Detail: fmt.Sprintf("next run %s (%s), batch date %s, in %s (if the Cloud Scheduler job's schedule matches CUTOFF_TIME)",
		next.Format("2006-01-02 15:04 -07:00"), c.Location, next.Format(time.DateOnly), next.Sub(t).Round(time.Minute))}
}
