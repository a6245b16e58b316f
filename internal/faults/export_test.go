package faults

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
)

// WithEnv returns f with kv ("NAME=value") added to the environment of every instance of its trials.
func WithEnv(f Fault, kv ...string) Fault {
	f.env = append(append([]string(nil), f.env...), kv...)
	return f
}

// WithLineAddedAfterExport returns f with one line added in MongoDB to the journal of the first day's first valid
// entry once the schedule is over, so that the file holds that entry with a line missing.
func WithLineAddedAfterExport(f Fault) Fault {
	f.tamper = func(ctx context.Context, w *world) error {
		d := w.days[0]
		q := docMap(d.data.Queue[0])
		journal := q["entryId"].(primitive.ObjectID)
		id := primitive.NewObjectID()
		tx := bson.D{{Key: "_id", Value: id}, {Key: "_journal", Value: journal}, {Key: "debit", Value: 0.0},
			{Key: "credit", Value: 12.34}, {Key: "accounts", Value: "Assets:Cash"}, {Key: "memo", Value: "added after the export"}}
		if _, err := w.db.Collection("medici_transactions").InsertOne(ctx, tx); err != nil {
			return fmt.Errorf("add a line: %w", err)
		}
		_, err := w.db.Collection("medici_journals").UpdateByID(ctx, journal, bson.D{{Key: "$push", Value: bson.D{{Key: "_transactions", Value: id}}}})
		return err
	}
	return f
}
