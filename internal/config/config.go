// Package config turns the process environment into one typed, validated Config. Every problem names the variable
// it came from; no message ever contains a secret value.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/siamledger/ledger-export/internal/layout"
)

// Config is everything one export needs to know.
type Config struct {
	MongoURI               string // secret: never log it
	MongoDatabase          string
	QueueCollection        string
	JournalsCollection     string
	TransactionsCollection string
	ExportLogsCollection   string

	DriveFolderID      string
	DriveSharedDriveID string // optional: lists search that shared drive
	DriveSubject       string // optional: the Workspace user to act as, through domain-wide delegation
	DriveServiceAcct   string // with DriveSubject: the service account that signs for the subject
	DriveEndpoint      string // optional: a Drive-compatible endpoint, such as the local fake

	FirestoreProject  string
	FirestoreDatabase string
	LockCollection    string

	TimeZone     string
	Location     *time.Location
	CutoffHour   int
	CutoffMinute int

	Lease          time.Duration
	ChunkSize      int
	BatchSize      int
	MetaColumns    []string
	FilePrefix     string
	FormulaGuard   bool
	OutputFormat   string        // the file's format: csv or xlsx
	Layout         layout.Layout // the file's columns (LAYOUT), checked at start-up
	LayoutSpec     string        // LAYOUT as given, for the fingerprint
	HealthWindow   time.Duration
	BackfillWindow time.Duration
	CallTimeout    time.Duration
	// Telemetry is where metrics and spans go: gcp (Cloud Monitoring and Cloud Trace), stdout, or none.
	Telemetry string
	// NotifyWebhookURL is the incoming webhook that hears of each date's file (optional). Secret: never log it.
	NotifyWebhookURL string
	// Language is the accountant's language, "th" or "en": the delivery notice's text and the XLSX Summary sheet's
	// words. Thai by default: the accountant who reads them is Thai. The file's column headers stay the layout's.
	Language string
}

// Variable describes one environment variable, for the README table and for error messages.
type Variable struct {
	Name, Default, Meaning string
}

// Variables lists every variable FromEnv reads, in the order of the README's table.
var Variables = []Variable{
	{"MONGODB_URI", "(required, secret)", "MongoDB connection string; comes from Secret Manager"},
	{"MONGODB_DATABASE", "(required)", "database holding the queue and Medici's collections"},
	{"QUEUE_COLLECTION", "exportqueues", "export queue collection"},
	{"JOURNALS_COLLECTION", "medici_journals", "Medici journals collection"},
	{"TRANSACTIONS_COLLECTION", "medici_transactions", "Medici transactions (lines) collection"},
	{"EXPORTLOGS_COLLECTION", "exportlogs", "collection the app reads export logs from"},
	{"DRIVE_FOLDER_ID", "(required)", "Drive folder that receives the CSV files"},
	{"DRIVE_SHARED_DRIVE_ID", "", "id of the Shared Drive holding the folder; lists then search that drive"},
	{"DRIVE_IMPERSONATE_SUBJECT", "", "Workspace user to act as through domain-wide delegation (instead of a Shared Drive)"},
	{"DRIVE_SERVICE_ACCOUNT", "", "with DRIVE_IMPERSONATE_SUBJECT: the runtime service account's email, which signs for the user"},
	{"DRIVE_ENDPOINT", "", "Drive API base URL, for the local fake; http only on loopback"},
	{"FIRESTORE_PROJECT", "$GOOGLE_CLOUD_PROJECT", "project of the Firestore database holding the locks"},
	{"FIRESTORE_DATABASE", "(default)", "Firestore database id"},
	{"LOCK_COLLECTION", "ledger-export-runs", "Firestore collection of the per-date lock documents"},
	{"TIME_ZONE", "Asia/Bangkok", "IANA zone of the batch date, the cutoff and posted_at"},
	{"CUTOFF_TIME", "18:00", "entries queued before this time of the batch date belong to it (HH:MM)"},
	{"LEASE_DURATION", "35m", "how long a run's lock is held; must exceed the function timeout (30 min at most)"},
	{"CHUNK_SIZE", "4194304", "resumable upload chunk size in bytes; a multiple of 262144"},
	{"BATCH_SIZE", "1000", "entries per page, the ids of each $in lookup (1 to 1000); one queue query reads 5 pages"},
	{"META_COLUMNS", "", "comma-separated fields of each line's meta written as extra columns"},
	{"FILE_PREFIX", "ledger-export", "file name prefix: PREFIX_YYYY-MM-DD.csv"},
	{"CSV_FORMULA_GUARD", "true", "prefix text cells that start like a formula with an apostrophe"},
	{"OUTPUT_FORMAT", "csv", "the file's format: csv, or xlsx (typed cells, every text exact, a summary sheet; PREFIX_YYYY-MM-DD.xlsx)"},
	{"LAYOUT", "default", "the file's columns: default (the default columns, voids marked), an accounting package's journal import as a preset (xero-manual-journal, quickbooks-journal-entry), whose account map is the Google Sheet account-map in the export folder, read at every run; or a JSON layout; see internal/layout/README.md"},
	{"LANGUAGE", "th", "the accountant's language for the delivery notice and the XLSX Summary sheet: th (Thai) or en (English); the data columns' headers stay the layout's"},
	{"NOTIFY_WEBHOOK_URL", "", "optional, secret (Secret Manager): a Google Chat incoming webhook (or a Slack one, hooks.slack.com) that gets one message when a date's file is in Drive, or will be late; see internal/notify/README.md"},
	{"HEALTH_WINDOW", "26h", "GET /health answers 503 when no export succeeded within this window"},
	{"BACKFILL_WINDOW", "1488h", "oldest batch date a request may name, counted back from today (62 days)"},
	{"CALL_TIMEOUT", "60s", "deadline of each single call to MongoDB, Firestore or Drive metadata"},
	{"TELEMETRY", "auto", "metrics and spans: gcp (Cloud Monitoring and Cloud Trace), stdout (JSON on stderr), or none; auto is gcp on Cloud Run (K_SERVICE set), none elsewhere"},
}

var (
	driveID     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)
	collection  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$`)
	metaField   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	filePrefix  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
	projectID   = regexp.MustCompile(`^[a-z][a-z0-9-]{4,61}[a-z0-9]$|^[a-z][a-z0-9-]*$`)
	databaseID  = regexp.MustCompile(`^\(default\)$|^[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
	cutoffShape = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
)

// MinChunk is the smallest chunk Drive accepts; every chunk but the last must be a multiple of it.
const MinChunk = 256 << 10

// FromEnv reads the configuration through getenv (os.Getenv in production). It reports every problem at once.
func FromEnv(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		MongoURI:               r.required("MONGODB_URI"),
		MongoDatabase:          r.required("MONGODB_DATABASE"),
		QueueCollection:        r.str("QUEUE_COLLECTION", "exportqueues"),
		JournalsCollection:     r.str("JOURNALS_COLLECTION", "medici_journals"),
		TransactionsCollection: r.str("TRANSACTIONS_COLLECTION", "medici_transactions"),
		ExportLogsCollection:   r.str("EXPORTLOGS_COLLECTION", "exportlogs"),
		DriveFolderID:          r.required("DRIVE_FOLDER_ID"),
		DriveSharedDriveID:     r.str("DRIVE_SHARED_DRIVE_ID", ""),
		DriveSubject:           r.str("DRIVE_IMPERSONATE_SUBJECT", ""),
		DriveServiceAcct:       r.str("DRIVE_SERVICE_ACCOUNT", ""),
		DriveEndpoint:          r.str("DRIVE_ENDPOINT", ""),
		FirestoreProject:       r.str("FIRESTORE_PROJECT", getenv("GOOGLE_CLOUD_PROJECT")),
		FirestoreDatabase:      r.str("FIRESTORE_DATABASE", "(default)"),
		LockCollection:         r.str("LOCK_COLLECTION", "ledger-export-runs"),
		TimeZone:               r.str("TIME_ZONE", "Asia/Bangkok"),
		Lease:                  r.duration("LEASE_DURATION", "35m"),
		ChunkSize:              r.integer("CHUNK_SIZE", "4194304"),
		BatchSize:              r.integer("BATCH_SIZE", "1000"),
		FilePrefix:             r.str("FILE_PREFIX", "ledger-export"),
		FormulaGuard:           r.boolean("CSV_FORMULA_GUARD", "true"),
		OutputFormat:           r.str("OUTPUT_FORMAT", "csv"),
		HealthWindow:           r.duration("HEALTH_WINDOW", "26h"),
		BackfillWindow:         r.duration("BACKFILL_WINDOW", "1488h"),
		CallTimeout:            r.duration("CALL_TIMEOUT", "60s"),
		Telemetry:              r.str("TELEMETRY", "auto"),
		Language:               r.str("LANGUAGE", "th"),
	}

	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		r.fail("MONGODB_URI", "must start with mongodb:// or mongodb+srv:// (value not shown)")
	}
	if c.MongoDatabase != "" && strings.ContainsAny(c.MongoDatabase, `/\. "$`+"\x00") {
		r.fail("MONGODB_DATABASE", "must not contain / \\ . space \" $ or NUL")
	}
	for name, v := range map[string]string{
		"QUEUE_COLLECTION": c.QueueCollection, "JOURNALS_COLLECTION": c.JournalsCollection,
		"TRANSACTIONS_COLLECTION": c.TransactionsCollection, "EXPORTLOGS_COLLECTION": c.ExportLogsCollection,
	} {
		if !collection.MatchString(v) {
			r.fail(name, fmt.Sprintf("%q is not a collection name (letters, digits, _ . -)", v))
		}
	}
	if c.DriveFolderID != "" && !driveID.MatchString(c.DriveFolderID) {
		r.fail("DRIVE_FOLDER_ID", fmt.Sprintf("%q is not a Drive id (letters, digits, _ and -)", c.DriveFolderID))
	}
	if c.DriveSharedDriveID != "" && !driveID.MatchString(c.DriveSharedDriveID) {
		r.fail("DRIVE_SHARED_DRIVE_ID", fmt.Sprintf("%q is not a Drive id (letters, digits, _ and -)", c.DriveSharedDriveID))
	}
	if c.DriveSubject != "" && !strings.Contains(c.DriveSubject, "@") {
		r.fail("DRIVE_IMPERSONATE_SUBJECT", "must be a user's email address")
	}
	if c.DriveSubject != "" && !strings.HasSuffix(c.DriveServiceAcct, ".gserviceaccount.com") {
		r.fail("DRIVE_SERVICE_ACCOUNT", "must be the runtime service account's email when DRIVE_IMPERSONATE_SUBJECT is set")
	}
	if c.DriveEndpoint != "" {
		if err := checkEndpoint(c.DriveEndpoint); err != nil {
			r.fail("DRIVE_ENDPOINT", err.Error())
		}
	}
	switch {
	case c.FirestoreProject == "":
		r.fail("FIRESTORE_PROJECT", "is required (or set GOOGLE_CLOUD_PROJECT)")
	case !projectID.MatchString(c.FirestoreProject):
		r.fail("FIRESTORE_PROJECT", fmt.Sprintf("%q is not a project id", c.FirestoreProject))
	}
	if !databaseID.MatchString(c.FirestoreDatabase) {
		r.fail("FIRESTORE_DATABASE", fmt.Sprintf("%q is not a database id", c.FirestoreDatabase))
	}
	if c.LockCollection == "" || strings.Contains(c.LockCollection, "/") || strings.HasPrefix(c.LockCollection, "__") {
		r.fail("LOCK_COLLECTION", fmt.Sprintf("%q is not a collection id", c.LockCollection))
	}
	if loc, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" || c.TimeZone == "Local" {
		r.fail("TIME_ZONE", fmt.Sprintf("%q is not an IANA time zone such as Asia/Bangkok", c.TimeZone))
	} else {
		c.Location = loc
	}
	cutoff := r.str("CUTOFF_TIME", "18:00")
	if m := cutoffShape.FindStringSubmatch(cutoff); m == nil {
		r.fail("CUTOFF_TIME", fmt.Sprintf("%q is not a time of day as HH:MM", cutoff))
	} else {
		c.CutoffHour, _ = strconv.Atoi(m[1])
		c.CutoffMinute, _ = strconv.Atoi(m[2])
	}
	if c.Lease < time.Second {
		r.fail("LEASE_DURATION", "must be longer than the function timeout")
	}
	if c.ChunkSize < MinChunk || c.ChunkSize%MinChunk != 0 || c.ChunkSize > 256<<20 {
		r.fail("CHUNK_SIZE", fmt.Sprintf("%d is not a multiple of %d between %d and %d", c.ChunkSize, MinChunk, MinChunk, 256<<20))
	}
	if c.BatchSize < 1 || c.BatchSize > 1000 {
		r.fail("BATCH_SIZE", fmt.Sprintf("%d is not between 1 and 1000", c.BatchSize))
	}
	if !filePrefix.MatchString(c.FilePrefix) {
		r.fail("FILE_PREFIX", fmt.Sprintf("%q may hold only letters, digits, _ . and -", c.FilePrefix))
	}
	if c.OutputFormat != "csv" && c.OutputFormat != "xlsx" {
		r.fail("OUTPUT_FORMAT", fmt.Sprintf("%q is not csv or xlsx", c.OutputFormat))
	}
	if c.Language != "th" && c.Language != "en" {
		r.fail("LANGUAGE", fmt.Sprintf("%q is not th (Thai) or en (English)", c.Language))
	}
	if c.HealthWindow < time.Hour {
		r.fail("HEALTH_WINDOW", "must be at least 1h")
	}
	if c.BackfillWindow < 24*time.Hour {
		r.fail("BACKFILL_WINDOW", "must be at least 24h")
	}
	switch c.Telemetry {
	case "auto":
		c.Telemetry = "none"
		if getenv("K_SERVICE") != "" {
			c.Telemetry = "gcp"
		}
	case "gcp", "stdout", "none":
	default:
		r.fail("TELEMETRY", fmt.Sprintf("%q is not gcp, stdout, none or auto", c.Telemetry))
	}
	if c.CallTimeout < time.Second {
		r.fail("CALL_TIMEOUT", "must be at least 1s")
	}
	if meta := r.str("META_COLUMNS", ""); meta != "" {
		seen := map[string]bool{}
		for _, f := range strings.Split(meta, ",") {
			f = strings.TrimSpace(f)
			switch {
			case !metaField.MatchString(f):
				r.fail("META_COLUMNS", fmt.Sprintf("%q is not a field name (letters, digits and _)", f))
			case seen[f]:
				r.fail("META_COLUMNS", fmt.Sprintf("%q is listed twice", f))
			}
			seen[f] = true
			c.MetaColumns = append(c.MetaColumns, f)
		}
	}
	if c.NotifyWebhookURL = r.str("NOTIFY_WEBHOOK_URL", ""); c.NotifyWebhookURL != "" {
		if u, err := url.Parse(c.NotifyWebhookURL); err != nil || u.Host == "" || checkEndpoint(c.NotifyWebhookURL) != nil {
			r.fail("NOTIFY_WEBHOOK_URL", "must be an https URL, or http on a loopback address (value not shown)")
		}
	}
	c.LayoutSpec = r.str("LAYOUT", "default")
	if lay, err := layout.Parse(c.LayoutSpec, c.MetaColumns); err != nil {
		r.fail("LAYOUT", err.Error())
	} else {
		c.Layout = lay
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// Fingerprint identifies the parts of the configuration a permanent failure can depend on: where files go, as
// whom, and which data is read. A date blocked by a permanent failure is retried once the fingerprint changes.
func (c Config) Fingerprint() string {
	h := sha256.New()
	for _, v := range []string{
		c.DriveFolderID, c.DriveSharedDriveID, c.DriveSubject, c.DriveServiceAcct, c.DriveEndpoint, c.FilePrefix,
		c.MongoDatabase, c.QueueCollection, c.JournalsCollection, c.TransactionsCollection, c.ExportLogsCollection,
		strings.Join(c.MetaColumns, ","), strconv.FormatBool(c.FormulaGuard),
	} {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	// The format and the layout are left out at their defaults, so that the fingerprints of earlier versions stay
	// the same.
	if c.OutputFormat != "csv" || c.LayoutSpec != "default" {
		h.Write([]byte(c.OutputFormat))
		h.Write([]byte{0})
		h.Write([]byte(c.LayoutSpec))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// checkEndpoint accepts https anywhere and plain http only on a loopback address, for the local fake.
func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); u.Scheme == "http" && (host == "localhost" || (ip != nil && ip.IsLoopback())) {
		return nil
	}
	return fmt.Errorf("%q must be https, or http on a loopback address", s)
}

type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) fail(name, msg string) { r.errs = append(r.errs, fmt.Errorf("%s %s", name, msg)) }

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) required(name string) string {
	v := strings.TrimSpace(r.getenv(name))
	if v == "" {
		r.fail(name, "is required")
	}
	return v
}

func (r *reader) duration(name, def string) time.Duration {
	v := r.str(name, def)
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("%q is not a duration such as 65m", v))
	}
	return d
}

func (r *reader) integer(name, def string) int {
	v := r.str(name, def)
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("%q is not a whole number", v))
	}
	return n
}

func (r *reader) boolean(name, def string) bool {
	v := r.str(name, def)
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, fmt.Sprintf("%q is not true or false", v))
	}
	return b
}
