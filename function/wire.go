package function

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"cloud.google.com/go/firestore"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	drivev3 "google.golang.org/api/drive/v3"
	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"
	"google.golang.org/grpc"

	"github.com/siamledger/ledger-export/internal/config"
	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/lease"
	"github.com/siamledger/ledger-export/internal/mapsheet"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/notify"
	"github.com/siamledger/ledger-export/internal/telemetry"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

var (
	_ export.Locker = (*lease.Store)(nil)
	_ export.Queue  = (*medici.Store)(nil)
	_ export.Drive  = (*drive.Store)(nil)
)

// deps are the clients of one instance and the runner built on them.
type deps struct {
	runner *export.Runner
	locker export.Locker
	close  func()
}

// open creates the clients. None of them dials here: the Mongo driver and the gRPC Firestore client connect on
// first use, within the caller's deadline.
func open(ctx context.Context, cfg config.Config, o Options, log *slog.Logger, tel *observability) (*deps, error) {
	tp := tel.prov.TracerProvider()
	mc, err := mongo.Connect(ctx, options.Client().ApplyURI(cfg.MongoURI).SetAppName("ledger-export").
		SetTimeout(cfg.CallTimeout).SetMaxPoolSize(8).SetMonitor(telemetry.MongoMonitor(tp)))
	if err != nil {
		// The driver's message can quote the URI; say only what kind of problem it was.
		return nil, fmt.Errorf("open mongodb client: %s", redact(err.Error(), cfg.MongoURI))
	}
	// gRPC client spans for every Firestore call, on this instance's providers rather than the global ones. (With
	// the emulator the client dials its own connection and ignores dial options.)
	fs, err := firestore.NewClientWithDatabase(ctx, cfg.FirestoreProject, cfg.FirestoreDatabase,
		option.WithGRPCDialOption(grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp)))))
	if err != nil {
		_ = mc.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open firestore client: %w", err)
	}
	store, err := driveStore(ctx, cfg, o, tel)
	if err != nil {
		_ = mc.Disconnect(context.WithoutCancel(ctx))
		fs.Close()
		return nil, err
	}

	host, _ := os.Hostname()
	locker := lease.New(fs, cfg.LockCollection, host, cfg.CallTimeout)
	queue := medici.New(mc.Database(cfg.MongoDatabase), medici.Collections{
		Queue: cfg.QueueCollection, Journals: cfg.JournalsCollection,
		Transactions: cfg.TransactionsCollection, ExportLogs: cfg.ExportLogsCollection,
	}, medici.Options{
		BatchSize: cfg.BatchSize, CallTimeout: cfg.CallTimeout,
		Mapper: medici.Mapper{Meta: cfg.MetaColumns, Location: cfg.Location},
	})
	var runLocker export.Locker = locker
	if cfg.NotifyWebhookURL != "" {
		n, err := notifier(cfg, o, log, tel, locker)
		if err != nil {
			_ = mc.Disconnect(context.WithoutCancel(ctx))
			fs.Close()
			return nil, err
		}
		runLocker = notify.Locker{Locker: locker, Notifier: n}
	}
	runner := &export.Runner{
		Locker: runLocker, Queue: queue, Drive: store,
		Now: o.Now, Location: cfg.Location, CutoffHour: cfg.CutoffHour, CutoffMinute: cfg.CutoffMinute,
		Lease: cfg.Lease, BackfillWindow: cfg.BackfillWindow, FilePrefix: cfg.FilePrefix,
		ChunkSize: cfg.ChunkSize, Fingerprint: cfg.Fingerprint(), Reached: o.Reached,
		Format:   format(cfg, store),
		Logger:   log,
		Observer: tel.obs,
	}
	closeAll := func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.CallTimeout)
		defer cancel()
		_ = mc.Disconnect(ctx)
		fs.Close()
	}

	return &deps{runner: runner, locker: locker, close: closeAll}, nil
}

// driveStore opens Drive with an HTTP client whose every request is a span (and whose retried upload chunks are
// counted), authenticated as the runtime service account, as the delegated user, or not at all for the fake.
func driveStore(ctx context.Context, cfg config.Config, o Options, tel *observability) (*drive.Store, error) {
	tp, m := tel.prov.TracerProvider(), tel.obs.Metrics()
	auth := []option.ClientOption{option.WithScopes(drivev3.DriveScope)}
	var hc *http.Client
	switch {
	case o.DriveHTTPClient != nil:
		hc = &http.Client{Transport: telemetry.HTTPTransport(o.DriveHTTPClient.Transport, tp, m)}
	case cfg.DriveEndpoint != "":
		auth = append(auth, option.WithoutAuthentication())
	case cfg.DriveSubject != "":
		// Domain-wide delegation: the runtime service account signs a token for the Workspace user.
		ts, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{
			TargetPrincipal: cfg.DriveServiceAcct, Scopes: []string{drivev3.DriveScope}, Subject: cfg.DriveSubject,
		})
		if err != nil {
			return nil, fmt.Errorf("drive credentials for %s: %w", cfg.DriveSubject, err)
		}
		auth = append(auth, option.WithTokenSource(ts))
	}
	if hc == nil {
		var err error
		if hc, err = telemetry.GoogleHTTPClient(ctx, telemetry.HTTPTransport(nil, tp, m), auth...); err != nil {
			return nil, fmt.Errorf("drive http client: %w", err)
		}
	}
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if cfg.DriveEndpoint != "" {
		opts = append(opts, option.WithEndpoint(strings.TrimSuffix(cfg.DriveEndpoint, "/")+"/drive/v3/"))
	}
	return drive.New(ctx, drive.Config{
		FolderID: cfg.DriveFolderID, SharedDriveID: cfg.DriveSharedDriveID,
		ChunkSize: cfg.ChunkSize, CallTimeout: cfg.CallTimeout, MIMEType: drive.MIMEType(cfg.OutputFormat),
	}, opts...)
}

// notifier posts the delivery notices to NOTIFY_WEBHOOK_URL, recording them on the date's lock, and counts the
// ones it could not send. Its HTTP client is not instrumented: a span would carry the URL, whose query holds the
// webhook's key and token.
func notifier(cfg config.Config, o Options, log *slog.Logger, tel *observability, locker *lease.Store) (*notify.Notifier, error) {
	failed, err := tel.prov.MeterProvider().Meter("github.com/siamledger/ledger-export/internal/notify").Int64Counter(
		"ledger_export.notices_failed", metric.WithUnit("{notice}"),
		metric.WithDescription("Delivery notices that could not be sent (the date's next trigger retries them), by kind."))
	if err != nil {
		return nil, fmt.Errorf("telemetry: create the notice counter: %w", err)
	}
	return &notify.Notifier{
		URL: cfg.NotifyWebhookURL, Client: &http.Client{Timeout: cfg.CallTimeout}, Recorder: locker, Logger: log, Now: o.Now,
		Language: cfg.Language,
		Failed: func(ctx context.Context, kind string) {
			failed.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", kind)))
		},
	}, nil
}

// format is the file's kind: the CSV (the default) or the streamed XLSX workbook, each from its own package.
func format(cfg config.Config, store *drive.Store) export.Format {
	f := formatFor(cfg, cfg.Layout)
	if cfg.Layout.SheetName() != "" {
		// An import layout whose account map the accountant keeps in the export folder: read at every attempt.
		f.Load = mapsheet.Loader{Reader: store, Layout: cfg.Layout, Build: func(l layout.Layout) export.Format { return formatFor(cfg, l) }}.Load
	}
	return f
}

// formatFor is the configured file format writing with layout l.
func formatFor(cfg config.Config, l layout.Layout) export.Format {
	if cfg.OutputFormat == "xlsx" {
		return xlsxfile.Format(xlsxfile.Options{Layout: l, Location: cfg.Location, Language: cfg.Language})
	}
	return csvfile.Format(csvfile.Options{Meta: cfg.MetaColumns, Location: cfg.Location, Plain: !cfg.FormulaGuard, Layout: l})
}

// redact removes a secret from a message.
func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "[redacted]")
}
