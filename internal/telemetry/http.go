package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"
)

// HTTPTransport wraps base (http.DefaultTransport when nil) so that every request makes an OpenTelemetry client
// span ("HTTP PUT", with method, server, path and status) through tp (nil: no-op), as a child of the span in the
// request's context, and carries a W3C traceparent header. The span's url.full leaves out the query, which for
// Drive holds resumable upload session ids and search queries. otelhttp's own HTTP metrics are not recorded.
//
// With m set, a resumable-upload request (its URL has an upload_id) that fails in a way the Drive client retries
// on its own (408, 429, 5xx, a broken connection) counts as a retry from RetryDriveUpload.
func HTTPTransport(base http.RoundTripper, tp trace.TracerProvider, m *Metrics) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	return otelhttp.NewTransport(&observedTransport{base: base, metrics: m},
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithMeterProvider(noop.NewMeterProvider()),
		otelhttp.WithPropagators(propagation.TraceContext{}))
}

// observedTransport runs under otelhttp's span: it replaces the span's url.full with the URL without its query,
// and counts retried upload requests.
type observedTransport struct {
	base    http.RoundTripper
	metrics *Metrics
}

func (t *observedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	u := url.URL{Scheme: r.URL.Scheme, Host: r.URL.Host, Path: r.URL.Path}
	trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("url.full", u.String()))
	res, err := t.base.RoundTrip(r)
	if t.metrics != nil && r.URL.Query().Has("upload_id") && retried(res, err) {
		t.metrics.Retry(r.Context(), RetryDriveUpload)
	}
	return res, err
}

// retried reports whether the Drive client retries a resumable-upload request that ended with res or err, by the
// rule of google.golang.org/api/internal/gensupport: 5xx, 408, 429, an unexpected EOF, a closed, reset or refused
// connection, a broken pipe. (The client stops retrying a chunk after its retry deadline; that last failure still
// counts.)
func retried(res *http.Response, err error) bool {
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
			return true
		}
		msg := err.Error()
		return strings.Contains(msg, "connection refused") || strings.Contains(msg, "connection reset") ||
			strings.Contains(msg, "broken pipe")
	}
	return res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusRequestTimeout
}

// GoogleHTTPClient returns an HTTP client for a Google API whose requests are authorised as opts say (scopes,
// a token source, impersonation, option.WithoutAuthentication) and then sent through rt, typically
// HTTPTransport's result. The API library's own OpenTelemetry transport, which would make a second span per
// request through the global provider, is turned off. Pass the client to the service with option.WithHTTPClient,
// together with option.WithEndpoint if any; the service then ignores its other authentication options.
//
// It does what the service's constructor does with opts, so it may read credentials (and, on Google Cloud, ask
// the metadata server for them), but it sends no request to the API.
func GoogleHTTPClient(ctx context.Context, rt http.RoundTripper, opts ...option.ClientOption) (*http.Client, error) {
	opts = append(opts[:len(opts):len(opts)], option.WithTelemetryDisabled())
	t, err := htransport.NewTransport(ctx, rt, opts...)
	if err != nil {
		return nil, fmt.Errorf("telemetry: google api transport: %w", err)
	}
	return &http.Client{Transport: t}, nil
}
