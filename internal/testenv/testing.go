package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"cloud.google.com/go/firestore"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// MongoURIVar names the variable through which Main hands the FerretDB address to the tests.
const MongoURIVar = "LEDGER_TEST_MONGODB_URI"

// Main starts the services for one test binary, runs its tests and stops the services. It reuses a Firestore
// emulator named by FIRESTORE_EMULATOR_HOST (make test starts one for all packages) and starts its own otherwise.
// Use it as: func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }.
func Main(m *testing.M) int {
	ctx := context.Background()
	if os.Getenv("FIRESTORE_EMULATOR_HOST") == "" {
		e, err := StartFirestore(ctx, EmulatorOptions{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		defer e.Stop()
		os.Setenv("FIRESTORE_EMULATOR_HOST", e.Host)
	}
	dir, err := os.MkdirTemp("", "ferretdb-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	mg, err := StartMongo(dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer mg.Stop()
	os.Setenv(MongoURIVar, mg.URI)
	return m.Run()
}

// Name derives a short name, unique to the test, usable as a Firestore project id and a MongoDB database name.
func Name(tb testing.TB) string {
	sum := sha256.Sum256([]byte(tb.Name()))
	return "t" + hex.EncodeToString(sum[:6])
}

// Firestore returns a client of the emulator on a project of the test's own, closed when the test ends.
func Firestore(tb testing.TB) (*firestore.Client, string) {
	tb.Helper()
	if os.Getenv("FIRESTORE_EMULATOR_HOST") == "" {
		tb.Fatal("FIRESTORE_EMULATOR_HOST is not set: call testenv.Main from TestMain")
	}
	project := Name(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := firestore.NewClient(ctx, project)
	if err != nil {
		tb.Fatalf("firestore.NewClient(%s): %v", project, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c, project
}

// MongoDB returns a database of the test's own on FerretDB, its URI, and a client closed when the test ends.
func MongoDB(tb testing.TB) (*mongo.Database, string) {
	tb.Helper()
	uri := os.Getenv(MongoURIVar)
	if uri == "" {
		tb.Fatalf("%s is not set: call testenv.Main from TestMain", MongoURIVar)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		tb.Fatalf("mongo.Connect: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.Disconnect(ctx)
	})
	db := c.Database(Name(tb))
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
	})
	return db, uri
}
