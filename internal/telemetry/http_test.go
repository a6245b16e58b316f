package telemetry

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"golang.org/x/oauth2"
	drivev3 "google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

func TestHTTPTransportSpans(t *testing.T) {
	tp := newTestProviders(t)
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()

	ctx, end := NewTracing(tp.TracerProvider()).StartStep(context.Background(), StepUpload, date, 1)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL+"/upload/drive/v3/files?uploadType=resumable&upload_id=SESSION", nil)
	res, err := (&http.Client{Transport: HTTPTransport(nil, tp.TracerProvider(), nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	end(nil)

	spans := tp.endedSpans(t)
	s, ok := spans["HTTP PUT"]
	if !ok {
		t.Fatalf("no HTTP span among %v", names(spans))
	}
	if s.SpanKind != trace.SpanKindClient || s.Parent.SpanID() != spans["ledger_export.upload"].SpanContext.SpanID() {
		t.Errorf("kind %v parent %v: want a client span under the upload step", s.SpanKind, s.Parent.SpanID())
	}
	if v, _ := attrOf(s.Attributes, "url.full"); v.AsString() != srv.URL+"/upload/drive/v3/files" {
		t.Errorf("url.full %q: want it without the query", v.AsString())
	}
	if v, _ := attrOf(s.Attributes, "http.response.status_code"); v.AsInt64() != http.StatusTeapot {
		t.Errorf("status %v", v.String())
	}
	if tp := got.Get("traceparent"); !strings.Contains(tp, s.SpanContext.TraceID().String()+"-"+s.SpanContext.SpanID().String()) {
		t.Errorf("the server got traceparent %q, want the HTTP span's", tp)
	}
}

// A real Drive upload through the fake Drive, with the client built as the function would build it: one span per
// request (the library's own, global-provider transport is off), and the retried chunk counted.
func TestDriveUploadThroughTheTransport(t *testing.T) {
	// A global provider catches any span the Google library would make on its own.
	global := tracetest.NewInMemoryExporter()
	gtp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(global))
	otel.SetTracerProvider(gtp)
	defer otel.SetTracerProvider(tracenoop.NewTracerProvider())

	const folder = "folder-1"
	fake, err := drivefake.NewServer(drivefake.Options{
		Folders: []string{folder},
		Faults:  []drivefake.Fault{{Op: drivefake.OpChunk, Chunk: 2, Status: http.StatusServiceUnavailable}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	tp := newTestProviders(t)
	o, err := NewObserver(tp.TracerProvider(), tp.MeterProvider())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hc, err := GoogleHTTPClient(ctx, HTTPTransport(fake.Client().Transport, tp.TracerProvider(), o.Metrics()), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := drivev3.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(fake.URL()+"/drive/v3/"))
	if err != nil {
		t.Fatal(err)
	}

	sctx, end := o.StartStep(ctx, StepUpload, date, 1)
	content := bytes.Repeat([]byte("a,b\r\n"), 3*googleapi.MinUploadChunkSize/5+7) // three chunks
	f, err := svc.Files.Create(&drivev3.File{Name: "x.csv", Parents: []string{folder}}).
		Media(bytes.NewReader(content), googleapi.ChunkSize(googleapi.MinUploadChunkSize)).
		SupportsAllDrives(true).Context(sctx).Do()
	end(err)
	if err != nil {
		t.Fatal(err)
	}
	if stored, ok := fake.File(f.Id); !ok || !bytes.Equal(stored.Content, content) {
		t.Fatalf("stored %d bytes, want %d", len(stored.Content), len(content))
	}

	spans := tp.spansOf(t)
	var puts, failed int
	for _, s := range spans {
		if !strings.HasPrefix(s.Name, "HTTP ") {
			continue
		}
		if s.Parent.SpanID() != spansNamed(spans, "ledger_export.upload").SpanContext.SpanID() {
			t.Errorf("%s is not under the upload step", s.Name)
		}
		puts++
		if v, _ := attrOf(s.Attributes, "http.response.status_code"); v.AsInt64() == http.StatusServiceUnavailable {
			failed++
		}
	}
	if puts < 4 || failed != 1 {
		t.Errorf("%d HTTP spans, %d with 503; want the initiation, 3 chunks and the retried one", puts, failed)
	}
	if n := len(global.GetSpans()); n != 0 {
		t.Errorf("the Google library made %d spans of its own", n)
	}
	if got := sumPoints(t, tp.collect(t)[MetricRetries], AttrSource); got[RetryDriveUpload] != 1 {
		t.Errorf("retries %v, want drive_upload=1", got)
	}
}

// spansOf flushes and returns every ended span.
func (tp testProviders) spansOf(t *testing.T) tracetest.SpanStubs {
	t.Helper()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return tp.spans.GetSpans()
}

func spansNamed(spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	return tracetest.SpanStub{}
}

func TestGoogleHTTPClientAuthorises(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"files":[]}`))
	}))
	defer srv.Close()
	tp := newTestProviders(t)
	ctx := context.Background()
	hc, err := GoogleHTTPClient(ctx, HTTPTransport(nil, tp.TracerProvider(), nil),
		option.WithScopes(drivev3.DriveScope), option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t0ken"})))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := drivev3.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(srv.URL+"/drive/v3/"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Files.List().Q("trashed = false").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if auth != "Bearer t0ken" {
		t.Errorf("Authorization %q", auth)
	}
	if spans := tp.spansOf(t); len(spans) != 1 || spans[0].Name != "HTTP GET" {
		t.Errorf("spans %v, want one HTTP GET", spans)
	}
	// The token never reaches a span.
	for _, kv := range tp.spans.GetSpans()[0].Attributes {
		if strings.Contains(kv.Value.String(), "t0ken") {
			t.Errorf("attribute %s holds the token", kv.Key)
		}
	}
}
