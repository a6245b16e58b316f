// Package telemetry is the function's observability: logs, metrics and traces.
//
// Logs are the JSON lines Cloud Logging reads from stdout (NewLogger): severity instead of level, message instead
// of msg, and the trace and span of the request under logging.googleapis.com/trace and spanId, taken from the
// OpenTelemetry span in the context or, without one, from the request's traceparent header (WithTrace), so that
// the logs and the trace of one run group together.
//
// Metrics and traces use OpenTelemetry. NewProviders builds a tracer provider and a meter provider for Google Cloud
// (Cloud Trace and Cloud Monitoring), for stdout, or around readers and exporters the caller brings (tests).
// Nothing here is global: callers pass the providers on, and the function force-flushes them once per request,
// before it writes the response, because Cloud Run throttles the CPU once the response is sent.
//
// Metrics holds the instruments (under the ledger_export. prefix), Tracing makes the request span and one span per
// step of a run, and Observer joins the two behind the plain-valued methods the export orchestrator calls.
// Middleware runs each request under its span and holds the answer until the providers are flushed. MongoMonitor,
// HTTPTransport and GoogleHTTPClient trace the MongoDB and Drive clients. (Firestore's client makes its own spans,
// through the global tracer provider only.)
//
// The package imports nothing of this module, so that any package may import it.
package telemetry
