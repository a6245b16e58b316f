package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/siamledger/ledger-export/internal/medici"
)

// Prepare creates what the export needs in MongoDB and lacks: the collections, then the indexes of
// internal/medici/README.md. It is the one write of `make indexes`, run by the function with its own identity (the
// readWrite role includes createCollection and createIndex), so that no operator types into a database shell.
// Both steps are idempotent: an existing collection or index is left as it is. It returns what it created.
func Prepare(ctx context.Context, db *mongo.Database, c medici.Collections) ([]string, error) {
	have, err := db.ListCollectionNames(ctx, map[string]any{})
	if err != nil {
		return nil, fmt.Errorf("list collections of %s: %w", db.Name(), err)
	}
	var created []string
	for _, name := range []string{c.Queue, c.Journals, c.Transactions, c.ExportLogs} {
		if slices.Contains(have, name) {
			continue
		}
		if err := db.CreateCollection(ctx, name); err != nil {
			var ce mongo.CommandError
			if !errors.As(err, &ce) || ce.Name != "NamespaceExists" {
				return created, fmt.Errorf("create collection %s: %w", name, err)
			}
			continue
		}
		created = append(created, "collection "+name)
	}
	for _, ix := range medici.Indexes(c) {
		coll := db.Collection(ix.Collection)
		keys, err := (MongoDB{DB: db}).IndexKeys(ctx, ix.Collection)
		if err != nil {
			return created, err
		}
		if slices.ContainsFunc(keys, func(k bson.D) bool { return sameKeys(k, ix.Keys) }) {
			continue
		}
		if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: ix.Keys, Options: options.Index()}); err != nil {
			return created, fmt.Errorf("create index %s on %s: %w", keysJS(ix.Keys), ix.Collection, err)
		}
		created = append(created, fmt.Sprintf("index %s on %s", keysJS(ix.Keys), ix.Collection))
	}
	return created, nil
}
