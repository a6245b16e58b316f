package function

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"cloud.google.com/go/firestore"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	drivev3 "google.golang.org/api/drive/v3"
	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/config"
	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/lease"
	"github.com/siamledger/ledger-export/internal/medici"
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
func open(ctx context.Context, cfg config.Config, o Options, log *slog.Logger) (*deps, error) {
	mc, err := mongo.Connect(ctx, options.Client().ApplyURI(cfg.MongoURI).SetAppName("ledger-export").
		SetTimeout(cfg.CallTimeout).SetMaxPoolSize(8))
	if err != nil {
		// The driver's message can quote the URI; say only what kind of problem it was.
		return nil, fmt.Errorf("open mongodb client: %s", redact(err.Error(), cfg.MongoURI))
	}
	fs, err := firestore.NewClientWithDatabase(ctx, cfg.FirestoreProject, cfg.FirestoreDatabase)
	if err != nil {
		_ = mc.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("open firestore client: %w", err)
	}
	store, err := driveStore(ctx, cfg, o)
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
	runner := &export.Runner{
		Locker: locker, Queue: queue, Drive: store,
		Now: o.Now, Location: cfg.Location, CutoffHour: cfg.CutoffHour, CutoffMinute: cfg.CutoffMinute,
		Lease: cfg.Lease, BackfillWindow: cfg.BackfillWindow, FilePrefix: cfg.FilePrefix,
		ChunkSize: cfg.ChunkSize, Fingerprint: cfg.Fingerprint(), Reached: o.Reached,
		CSV:    csvfile.Options{Meta: cfg.MetaColumns, Location: cfg.Location, Plain: !cfg.FormulaGuard},
		Logger: log,
	}
	closeAll := func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.CallTimeout)
		defer cancel()
		_ = mc.Disconnect(ctx)
		fs.Close()
	}
	return &deps{runner: runner, locker: locker, close: closeAll}, nil
}

func driveStore(ctx context.Context, cfg config.Config, o Options) (*drive.Store, error) {
	var opts []option.ClientOption
	switch {
	case o.DriveHTTPClient != nil:
		opts = append(opts, option.WithHTTPClient(o.DriveHTTPClient))
	case cfg.DriveEndpoint != "":
		opts = append(opts, option.WithoutAuthentication())
	case cfg.DriveSubject != "":
		// Domain-wide delegation: the runtime service account signs a token for the Workspace user.
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
	return drive.New(ctx, drive.Config{
		FolderID: cfg.DriveFolderID, SharedDriveID: cfg.DriveSharedDriveID,
		ChunkSize: cfg.ChunkSize, CallTimeout: cfg.CallTimeout,
	}, opts...)
}

// redact removes a secret from a message.
func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "[redacted]")
}
