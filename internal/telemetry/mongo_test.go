package telemetry

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/siamledger/ledger-export/internal/testenv"
)

// The monitor on the real driver, against the embedded FerretDB: one client span per command, under the step's
// span, with the database attributes and never the command's content.
func TestMongoMonitorWithTheDriver(t *testing.T) {
	mg, err := testenv.StartMongo(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mg.Stop()
	tp := newTestProviders(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(mg.URI).SetMonitor(MongoMonitor(tp.TracerProvider())))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	coll := client.Database("ledger").Collection("exportqueues")

	sctx, end := NewTracing(tp.TracerProvider()).StartStep(ctx, StepClaim, date, 1)
	if _, err := coll.InsertOne(sctx, bson.D{{Key: "status", Value: "queued"}, {Key: "memo", Value: "กาแฟ secret-memo"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateMany(sctx, bson.D{{Key: "status", Value: "queued"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "exporting"}}}}); err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	cur, err := coll.Find(sctx, bson.D{{Key: "status", Value: "exporting"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(sctx, &docs); err != nil || len(docs) != 1 {
		t.Fatalf("find: %v, %d documents", err, len(docs))
	}
	if err := client.Database("ledger").RunCommand(sctx, bson.D{{Key: "noSuchCommand", Value: 1}}).Err(); err == nil {
		t.Fatal("an unknown command succeeded")
	}
	end(nil)

	spans := tp.endedSpans(t)
	claim := spans["ledger_export.claim"]
	for name, op := range map[string]string{"insert exportqueues": "insert", "update exportqueues": "update", "find exportqueues": "find"} {
		s, ok := spans[name]
		if !ok {
			t.Errorf("no span %q among %v", name, names(spans))
			continue
		}
		if s.SpanKind != trace.SpanKindClient || s.Parent.SpanID() != claim.SpanContext.SpanID() {
			t.Errorf("%s: kind %v, parent %v; want a client span under the claim", name, s.SpanKind, s.Parent.SpanID())
		}
		want := map[string]string{"db.system.name": "mongodb", "db.namespace": "ledger", "db.collection.name": "exportqueues", "db.operation.name": op, "server.address": "127.0.0.1"}
		for k, v := range want {
			if got, _ := attrOf(s.Attributes, k); got.AsString() != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got.AsString(), v)
			}
		}
		if port, _ := attrOf(s.Attributes, "server.port"); port.AsInt64() == 0 {
			t.Errorf("%s: no server.port", name)
		}
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.String(), "secret-memo") || strings.Contains(kv.Value.String(), "queued") {
				t.Errorf("%s: attribute %s quotes the command: %s", name, kv.Key, kv.Value.String())
			}
		}
	}
	if s, ok := spans["noSuchCommand"]; !ok || s.Status.Code != codes.Error || s.Status.Description == "" {
		t.Errorf("failed command: span found %v, status %v; want an error status", ok, s.Status)
	}
}

func TestMongoCollectionOf(t *testing.T) {
	raw := func(d bson.D) bson.Raw {
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name string
		cmd  bson.D
		want string
	}{
		{"find", bson.D{{Key: "find", Value: "exportqueues"}, {Key: "filter", Value: bson.D{}}}, "exportqueues"},
		{"getMore", bson.D{{Key: "getMore", Value: int64(42)}, {Key: "collection", Value: "medici_transactions"}}, "medici_transactions"},
		{"ping", bson.D{{Key: "ping", Value: 1}}, ""},
		{"find", bson.D{{Key: "$db", Value: "x"}}, ""},
	} {
		e := &event.CommandStartedEvent{CommandName: c.name, Command: raw(c.cmd)}
		if got := collectionOf(e); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.name, c.cmd, got, c.want)
		}
	}
	if h, p, ok := serverOf("db.example.com:27017[-12]"); !ok || h != "db.example.com" || p != 27017 {
		t.Errorf("serverOf = %q %d %v", h, p, ok)
	}
	if _, _, ok := serverOf("nonsense"); ok {
		t.Error("serverOf(nonsense) ok")
	}
}
