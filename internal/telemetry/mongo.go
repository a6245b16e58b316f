package telemetry

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// maxStatus bounds the length of a failed command's message on its span.
const maxStatus = 200

// MongoMonitor returns a command monitor for the MongoDB driver that makes one client span per command, as a child
// of the span in the operation's context, through tp (nil: no-op). Set it with options.Client().SetMonitor.
//
// A span is named "COMMAND COLLECTION" ("find exportqueues", "update exportqueues") and carries the OpenTelemetry
// database attributes: db.system.name, db.namespace, db.collection.name, db.operation.name, server.address and
// server.port. It never carries the command itself, whose filters and updates can quote a ledger's content.
func MongoMonitor(tp trace.TracerProvider) *event.CommandMonitor {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	m := &mongoMonitor{tracer: tp.Tracer(ScopeName), spans: map[mongoKey]trace.Span{}}
	return &event.CommandMonitor{Started: m.started, Succeeded: m.succeeded, Failed: m.failed}
}

type mongoKey struct {
	conn string
	req  int64
}

type mongoMonitor struct {
	tracer trace.Tracer

	mu    sync.Mutex
	spans map[mongoKey]trace.Span
}

func (m *mongoMonitor) started(ctx context.Context, e *event.CommandStartedEvent) {
	attrs := []attribute.KeyValue{
		attribute.String("db.system.name", "mongodb"),
		attribute.String("db.namespace", e.DatabaseName),
		attribute.String("db.operation.name", e.CommandName),
	}
	name := e.CommandName
	if coll := collectionOf(e); coll != "" {
		name += " " + coll
		attrs = append(attrs, attribute.String("db.collection.name", coll))
	}
	if host, port, ok := serverOf(e.ConnectionID); ok {
		attrs = append(attrs, attribute.String("server.address", host), attribute.Int("server.port", port))
	}
	_, span := m.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	m.mu.Lock()
	m.spans[mongoKey{e.ConnectionID, e.RequestID}] = span
	m.mu.Unlock()
}

func (m *mongoMonitor) succeeded(_ context.Context, e *event.CommandSucceededEvent) {
	if span := m.take(e.CommandFinishedEvent); span != nil {
		span.End()
	}
}

func (m *mongoMonitor) failed(_ context.Context, e *event.CommandFailedEvent) {
	if span := m.take(e.CommandFinishedEvent); span != nil {
		msg := e.Failure
		if len(msg) > maxStatus {
			msg = msg[:maxStatus]
		}
		span.SetStatus(codes.Error, msg)
		span.End()
	}
}

func (m *mongoMonitor) take(e event.CommandFinishedEvent) trace.Span {
	k := mongoKey{e.ConnectionID, e.RequestID}
	m.mu.Lock()
	defer m.mu.Unlock()
	span := m.spans[k]
	delete(m.spans, k)
	return span
}

// collectionOf returns the collection a command works on: the string value of its first element, whose key is
// the command's name ({find: "exportqueues", ...}), or the collection field of a getMore.
func collectionOf(e *event.CommandStartedEvent) string {
	if e.CommandName == "getMore" {
		if v, err := e.Command.LookupErr("collection"); err == nil && v.Type == bson.TypeString {
			return v.StringValue()
		}
		return ""
	}
	first, err := e.Command.IndexErr(0)
	if err != nil || first.Key() != e.CommandName {
		return ""
	}
	if v := first.Value(); v.Type == bson.TypeString {
		return v.StringValue()
	}
	return ""
}

// serverOf reads the server's address from a driver connection id, "host:port[-N]".
func serverOf(connID string) (host string, port int, ok bool) {
	addr, _, _ := strings.Cut(connID, "[")
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, false
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, false
	}
	return h, n, true
}
