package testenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Mongo is an embedded FerretDB serving MongoDB's wire protocol from SQLite files. It is a small-data stand-in:
// it has no transactions, no $lookup and no Decimal128, and every filter is a full scan.
type Mongo struct {
	// URI is the connection string for the official driver.
	URI    string
	cancel context.CancelFunc
	done   chan struct{}
}

// StartMongo serves FerretDB on a free loopback port, keeping its data under dir. logs receives FerretDB's own
// log lines; nil discards them.
func StartMongo(dir string, logs io.Writer) (*Mongo, error) {
	if logs == nil {
		logs = io.Discard
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, fmt.Errorf("start ferretdb: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Mongo{cancel: cancel, done: make(chan struct{})}
	go func() {
		_ = f.Run(ctx)
		close(m.done)
	}()
	m.URI = f.MongoDBURI()
	return m, nil
}

// Stop shuts FerretDB down and waits for it.
func (m *Mongo) Stop() {
	m.cancel()
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
	}
}
