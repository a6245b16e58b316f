package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func minimal() map[string]string {
	return map[string]string{
		"MONGODB_URI":       "mongodb://user:s3cret-pw@db.example:27017/?authSource=admin",
		"MONGODB_DATABASE":  "ledger",
		"DRIVE_FOLDER_ID":   "1AbC_d-E",
		"FIRESTORE_PROJECT": "demo-project",
	}
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := config.FromEnv(env(minimal()))
	if err != nil {
		t.Fatalf("FromEnv(minimal) error = %v", err)
	}
	if c.QueueCollection != "exportqueues" || c.JournalsCollection != "medici_journals" ||
		c.TransactionsCollection != "medici_transactions" || c.ExportLogsCollection != "exportlogs" {
		t.Errorf("collections = %q %q %q %q, want the Medici defaults", c.QueueCollection, c.JournalsCollection,
			c.TransactionsCollection, c.ExportLogsCollection)
	}
	if c.Location.String() != "Asia/Bangkok" || c.CutoffHour != 18 || c.CutoffMinute != 0 {
		t.Errorf("zone and cutoff = %v %02d:%02d, want Asia/Bangkok 18:00", c.Location, c.CutoffHour, c.CutoffMinute)
	}
	if c.Lease != 35*time.Minute || c.ChunkSize != 4<<20 || c.BatchSize != 1000 || !c.FormulaGuard {
		t.Errorf("lease %v chunk %d batch %d guard %v, want 35m 4MiB 1000 true", c.Lease, c.ChunkSize, c.BatchSize, c.FormulaGuard)
	}
}

func TestFromEnvProjectFallback(t *testing.T) {
	m := minimal()
	delete(m, "FIRESTORE_PROJECT")
	m["GOOGLE_CLOUD_PROJECT"] = "from-runtime"
	c, err := config.FromEnv(env(m))
	if err != nil || c.FirestoreProject != "from-runtime" {
		t.Errorf("FromEnv without FIRESTORE_PROJECT = %q, %v; want from-runtime", c.FirestoreProject, err)
	}
}

func TestFromEnvErrors(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"missing uri", "MONGODB_URI", "", "MONGODB_URI is required"},
		{"bad uri scheme", "MONGODB_URI", "postgres://user:s3cret-pw@x", "MONGODB_URI must start with"},
		{"missing folder", "DRIVE_FOLDER_ID", "", "DRIVE_FOLDER_ID is required"},
		{"quote in folder", "DRIVE_FOLDER_ID", "abc' or name != '", "DRIVE_FOLDER_ID"},
		{"zone", "TIME_ZONE", "Mars/Olympus", "TIME_ZONE"},
		{"cutoff", "CUTOFF_TIME", "25:00", "CUTOFF_TIME"},
		{"chunk not multiple", "CHUNK_SIZE", "300000", "CHUNK_SIZE"},
		{"chunk not number", "CHUNK_SIZE", "8MB", "CHUNK_SIZE"},
		{"batch too large", "BATCH_SIZE", "5000", "BATCH_SIZE"},
		{"lease", "LEASE_DURATION", "soon", "LEASE_DURATION"},
		{"meta dollar", "META_COLUMNS", "invoice,$where", "META_COLUMNS"},
		{"meta twice", "META_COLUMNS", "a,a", "listed twice"},
		{"plain http endpoint", "DRIVE_ENDPOINT", "http://drive.example.com/", "DRIVE_ENDPOINT"},
		{"guard", "CSV_FORMULA_GUARD", "maybe", "CSV_FORMULA_GUARD"},
		{"format", "OUTPUT_FORMAT", "pdf", "OUTPUT_FORMAT \"pdf\" is not csv or xlsx"},
		{"layout unknown", "LAYOUT", "sage", `LAYOUT "sage" is not default, a preset`},
		{"webhook scheme", "NOTIFY_WEBHOOK_URL", "http://chat.example.com/v1/spaces/A/messages?key=k&token=s3cret-pw", "NOTIFY_WEBHOOK_URL must be an https URL"},
		{"layout column", "LAYOUT", `{"columns":[{"header":"A","field":"acount"}]}`, `LAYOUT column 1 ("A"): unknown field "acount"`},
		{"layout duplicate", "LAYOUT", `{"columns":[{"header":"Ref","field":"journal_id"},{"header":"ref","field":"line_id"}]}`, `LAYOUT column 2 ("ref"): duplicate header "ref"`},
		{"layout date", "LAYOUT", `{"columns":[{"header":"Date","field":"posted_at"}],"dateFormat":"02/01"}`, `LAYOUT date format "02/01" loses the date`},
		{"layout meta", "LAYOUT", `{"columns":[{"header":"Inv","field":"meta.invoice"}]}`, `meta field "invoice" is not in META_COLUMNS`},
		{"layout json", "LAYOUT", `{"columns":[],"extra":1}`, "LAYOUT is not a layout object"},
		{"collection", "QUEUE_COLLECTION", "a$b", "QUEUE_COLLECTION"},
		{"language", "LANGUAGE", "fr", `LANGUAGE "fr" is not th (Thai) or en (English)`},
		{"language name", "LANGUAGE", "Thai", `LANGUAGE "Thai" is not th (Thai) or en (English)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := minimal()
			m[tt.key] = tt.value
			_, err := config.FromEnv(env(m))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("FromEnv(%s=%q) error = %v, want one containing %q", tt.key, tt.value, err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("FromEnv error %q shows the Mongo password", err)
			}
		})
	}
}

func TestFromEnvLoopbackEndpoint(t *testing.T) {
	m := minimal()
	m["DRIVE_ENDPOINT"] = "http://127.0.0.1:9999/"
	if _, err := config.FromEnv(env(m)); err != nil {
		t.Errorf("FromEnv(DRIVE_ENDPOINT=loopback http) error = %v, want nil", err)
	}
}

func TestFromEnvMeta(t *testing.T) {
	m := minimal()
	m["META_COLUMNS"] = "invoiceNo, taxId"
	c, err := config.FromEnv(env(m))
	if err != nil || strings.Join(c.MetaColumns, "|") != "invoiceNo|taxId" {
		t.Errorf("FromEnv(META_COLUMNS) = %q, %v; want [invoiceNo taxId]", c.MetaColumns, err)
	}
}

// TestOutputFormat: csv is the default, xlsx is accepted, and the format is part of the fingerprint (a date blocked
// by a permanent failure in one format is retried in the other) while csv keeps the fingerprint earlier versions
// computed. Fails if the default changes or the fingerprint ignores the format.
func TestOutputFormat(t *testing.T) {
	c, err := config.FromEnv(env(minimal()))
	if err != nil || c.OutputFormat != "csv" {
		t.Fatalf("default OUTPUT_FORMAT = %q, %v; want csv", c.OutputFormat, err)
	}
	m := minimal()
	m["OUTPUT_FORMAT"] = "xlsx"
	x, err := config.FromEnv(env(m))
	if err != nil || x.OutputFormat != "xlsx" {
		t.Fatalf("OUTPUT_FORMAT=xlsx = %q, %v", x.OutputFormat, err)
	}
	if x.Fingerprint() == c.Fingerprint() {
		t.Errorf("the fingerprint is the same for csv and xlsx")
	}
	if c.Fingerprint() != "e8310a119433f338" {
		t.Errorf("csv fingerprint = %s, want the one earlier versions computed", c.Fingerprint())
	}
}

// TestLayout: default is today's columns, a preset is accepted, and the layout is part of the fingerprint (a
// change of columns retries a blocked date) while the default keeps earlier fingerprints. Fails if LAYOUT is not
// read or not checked.
func TestLayout(t *testing.T) {
	c, err := config.FromEnv(env(minimal()))
	if err != nil || !c.Layout.IsDefault() {
		t.Fatalf("default LAYOUT = %+v, %v; want the default layout", c.Layout, err)
	}
	m := minimal()
	m["LAYOUT"] = `{"preset":"xero-manual-journal","accountMapCSV":"account,code\nAssets:Cash,091\n"}`
	x, err := config.FromEnv(env(m))
	if err != nil || x.Layout.Name != "xero-manual-journal" || x.Layout.IsDefault() {
		t.Fatalf("LAYOUT=xero-manual-journal with a map = %+v, %v", x.Layout, err)
	}
	if x.Fingerprint() == c.Fingerprint() {
		t.Errorf("the fingerprint is the same for two layouts")
	}
}

// TestLanguage: Thai is the default (the accountant is Thai), en is accepted, and the language stays out of the
// fingerprint (a change of words must not unblock, or block, a date). Fails if the default is not th, if LANGUAGE
// is not read, or if it changes the fingerprint.
func TestLanguage(t *testing.T) {
	c, err := config.FromEnv(env(minimal()))
	if err != nil || c.Language != "th" {
		t.Fatalf("default LANGUAGE = %q, %v; want th", c.Language, err)
	}
	m := minimal()
	m["LANGUAGE"] = "en"
	e, err := config.FromEnv(env(m))
	if err != nil || e.Language != "en" {
		t.Fatalf("LANGUAGE=en = %q, %v", e.Language, err)
	}
	if e.Fingerprint() != c.Fingerprint() {
		t.Errorf("the fingerprint changes with the language")
	}
}
