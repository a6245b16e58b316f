package function

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siamledger/ledger-export/internal/config"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/telemetry"
	"github.com/siamledger/ledger-export/internal/trigger"
)

// Options are the parts of a Handler tests and the local run replace. Zero values mean production behaviour.
type Options struct {
	Logger          *slog.Logger     // JSON for Cloud Logging on stdout when nil
	Now             func() time.Time // time.Now when nil
	DriveHTTPClient *http.Client     // used as is for Drive when set (the local fake)
	// Reached is called at the named points of each run (export.Runner.Reached). Only the fault-injection
	// harness sets it.
	Reached func(point string, offset int64)
	// Telemetry, when set, replaces the providers that TELEMETRY names (tests read metrics and spans from it).
	Telemetry *telemetry.Providers
	// DoctorAllowStandalone makes GET /doctor accept a MongoDB that is not a replica set (the local stack's
	// FerretDB); the check's line says so.
	DoctorAllowStandalone bool
}

// Handler serves the function. Its clients open on the first call and are reused by later calls on the same
// instance; nothing dials during start-up.
type Handler struct {
	cfg    config.Config
	cfgErr error
	opts   Options
	log    *slog.Logger

	mu   sync.Mutex
	deps *deps
	tel  *observability
}

// observability is one instance's telemetry: the providers and the observer on them.
type observability struct {
	prov *telemetry.Providers
	obs  *telemetry.Observer
}

// New reads the configuration through getenv and returns the handler. A configuration error is logged at once,
// naming every variable at fault, and every call then answers 500 with it.
func New(getenv func(string) string, opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, err := config.FromEnv(getenv)
	log := opts.Logger
	if log == nil {
		log = telemetry.NewLogger(os.Stdout, cfg.FirestoreProject, slog.LevelInfo)
	}
	h := &Handler{cfg: cfg, cfgErr: err, opts: opts, log: log}
	if err != nil && (getenv("K_SERVICE") != "" || getenv("FUNCTION_TARGET") != "") {
		log.Error("configuration invalid", "error", err.Error())
	}
	return h
}

// Err reports the configuration error, if any.
func (h *Handler) Err() error { return h.cfgErr }

// Close releases the clients the handler opened.
func (h *Handler) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.deps != nil {
		h.deps.close()
		h.deps = nil
	}
	if h.tel != nil && h.opts.Telemetry == nil {
		ctx, cancel := context.WithTimeout(context.Background(), telemetry.FlushTimeout)
		defer cancel()
		_ = h.tel.prov.Shutdown(ctx)
		h.tel = nil
	}
}

// telemetry returns the instance's providers, built on the first call: in gcp mode the resource detector reads
// the metadata server, which must not happen during start-up. A mode that cannot be built falls back to none, so
// that the request is still served; the problem is logged.
func (h *Handler) telemetry(ctx context.Context) *observability {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tel != nil {
		return h.tel
	}
	prov := h.opts.Telemetry
	if prov == nil {
		mode, err := telemetry.ParseMode(h.cfg.Telemetry)
		if err == nil {
			prov, err = telemetry.NewProviders(ctx, telemetry.Config{
				Mode: mode, ProjectID: h.cfg.FirestoreProject, ServiceVersion: os.Getenv("K_REVISION"), Writer: os.Stderr,
			})
		}
		if err != nil {
			h.log.ErrorContext(ctx, "telemetry unavailable; running without it", "error", err.Error())
			prov, _ = telemetry.NewProviders(ctx, telemetry.Config{Mode: telemetry.ModeNone})
		}
	}
	obs, err := telemetry.NewObserver(prov.TracerProvider(), prov.MeterProvider())
	if err != nil {
		h.log.ErrorContext(ctx, "telemetry instruments unavailable", "error", err.Error())
		obs, _ = telemetry.NewObserver(nil, nil)
	}
	h.tel = &observability{prov: prov, obs: obs}
	return h.tel
}

func (h *Handler) dependencies(ctx context.Context) (*deps, error) {
	tel := h.telemetry(ctx)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.deps != nil {
		return h.deps, nil
	}
	d, err := open(ctx, h.cfg, h.opts, h.log, tel)
	if err != nil {
		return nil, err
	}
	h.deps = d
	return d, nil
}

// ServeHTTP serves the call under a request span, and force-flushes metrics and spans before the answer is
// written: Cloud Run throttles the CPU once the response is out.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tel := h.telemetry(r.Context())
	telemetry.Middleware(http.HandlerFunc(h.serve), tel.obs.Tracing(), tel.prov, h.log).ServeHTTP(w, r)
}

// serve routes the call.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if h.cfgErr != nil {
		h.log.ErrorContext(ctx, "configuration invalid", "error", h.cfgErr.Error())
		writeJSON(w, http.StatusInternalServerError, answer{Outcome: "failed", ErrorClass: "validation", Error: h.cfgErr.Error()})
		return
	}
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == "/" || r.URL.Path == ""):
		h.run(ctx, w, r)
	case r.URL.Path == "/doctor":
		h.serveDoctor(ctx, w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/health":
		h.health(ctx, w)
	case r.Method == http.MethodGet && (r.URL.Path == "/" || r.URL.Path == ""):
		h.status(ctx, w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, answer{Outcome: "failed", Error: "use POST / to export, GET / or GET /health to read"})
	}
}

// answer is the JSON every call returns.
type answer struct {
	Outcome    string          `json:"outcome"`
	Date       string          `json:"date,omitempty"`
	Summary    *export.Summary `json:"summary,omitempty"`
	Record     *export.Record  `json:"record,omitempty"`
	RetryAfter int64           `json:"retryAfterSeconds,omitempty"`
	ErrorClass string          `json:"errorClass,omitempty"`
	Error      string          `json:"error,omitempty"`
	Healthy    *bool           `json:"healthy,omitempty"`
	AgeHours   float64         `json:"ageHours,omitempty"`
	// Healed lists the earlier dates the run finished before its own.
	Healed []export.Healed `json:"healed,omitempty"`
	// Stuck is the work that needs an operator: unclaimable entries, blocked dates, dates past the window.
	Stuck *export.Stuck `json:"stuck,omitempty"`
}

func (h *Handler) run(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	req, err := trigger.Parse(r)
	if err != nil {
		var te *trigger.Error
		errors.As(err, &te)
		writeJSON(w, te.Status, answer{Outcome: "failed", ErrorClass: string(export.ClassValidation), Error: te.Msg})
		return
	}
	d, err := h.dependencies(ctx)
	if err != nil {
		h.log.ErrorContext(ctx, "opening clients failed", "error", err.Error())
		writeJSON(w, http.StatusServiceUnavailable, answer{Outcome: "failed", ErrorClass: "startup", Error: err.Error()})
		return
	}
	rep, err := d.runner.Run(ctx, req)
	a := answer{Outcome: string(rep.Outcome), Date: rep.Date, Summary: rep.Summary, Healed: rep.Healed}
	if !rep.Stuck.Empty() {
		a.Stuck = &rep.Stuck
	}
	if err != nil {
		var e *export.Error
		if !errors.As(err, &e) {
			e = &export.Error{Step: "export", Class: export.ClassMongo, Err: err}
		}
		a.ErrorClass, a.Error = string(e.Class), err.Error()
		writeJSON(w, statusOf(e), a)
		return
	}
	if rep.Outcome == export.OutcomeBusy {
		secs := int64((rep.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		a.RetryAfter = secs
		writeJSON(w, http.StatusConflict, a)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// statusOf chooses the answer for a failed run: 400 for a request that cannot succeed, 500 for a permanent
// failure (Cloud Scheduler still retries it, and later attempts fail fast), 503 for what a retry can fix.
func statusOf(e *export.Error) int {
	switch {
	case e.Class == export.ClassValidation && errors.Is(e, export.ErrInvalid):
		return http.StatusBadRequest
	case e.Permanent():
		return http.StatusInternalServerError
	}
	return http.StatusServiceUnavailable
}

func (h *Handler) status(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	date := r.URL.Query().Get("date")
	if date != "" {
		if err := trigger.CheckDate(date); err != nil {
			writeJSON(w, http.StatusBadRequest, answer{Outcome: "failed", ErrorClass: "validation", Error: err.Error()})
			return
		}
	}
	d, err := h.dependencies(ctx)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, answer{Outcome: "failed", ErrorClass: "startup", Error: err.Error()})
		return
	}
	var (
		rec   export.Record
		found bool
	)
	if date != "" {
		rec, found, err = d.locker.Get(ctx, date)
	} else {
		rec, found, err = d.locker.Latest(ctx, false)
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, answer{Outcome: "failed", ErrorClass: string(export.ClassFirestore), Error: err.Error()})
		return
	}
	if !found {
		writeJSON(w, http.StatusNotFound, answer{Outcome: "none", Date: date, Error: "no export has been attempted for this date"})
		return
	}
	writeJSON(w, http.StatusOK, answer{Outcome: string(rec.State), Date: rec.Date, Record: &rec, Summary: rec.Summary})
}

// health answers from one Firestore query: the newest done date and how long ago it finished.
func (h *Handler) health(ctx context.Context, w http.ResponseWriter) {
	d, err := h.dependencies(ctx)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, answer{Outcome: "unhealthy", Error: err.Error()})
		return
	}
	rec, found, err := d.locker.Latest(ctx, true)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, answer{Outcome: "unhealthy", ErrorClass: string(export.ClassFirestore), Error: err.Error()})
		return
	}
	healthy := false
	a := answer{Outcome: "unhealthy", Healthy: &healthy, Error: "no export has succeeded yet"}
	if found {
		age := h.opts.Now().Sub(rec.UpdatedAt)
		healthy = age <= h.cfg.HealthWindow
		a = answer{Date: rec.Date, Summary: rec.Summary, Healthy: &healthy, AgeHours: age.Hours()}
		a.Outcome = "healthy"
		if !healthy {
			a.Outcome, a.Error = "unhealthy", fmt.Sprintf("the last successful export finished %s ago, more than %s", age.Round(time.Minute), h.cfg.HealthWindow)
		}
	}
	// Work no run can finish by itself makes the export unhealthy too: an operator must act (see the runbook).
	stuck, err := d.runner.Stuck(ctx)
	switch {
	case err != nil:
		healthy = false
		a.Outcome, a.Error = "unhealthy", "cannot look for stuck work: "+err.Error()
	case !stuck.Empty():
		a.Stuck = &stuck
		if healthy {
			healthy = false
			a.Outcome, a.Error = "unhealthy", stuckMessage(stuck)
		}
	}
	code := http.StatusOK
	if !healthy {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, a)
}

// stuckMessage says in one line what needs an operator.
func stuckMessage(s export.Stuck) string {
	var parts []string
	if s.Unclaimable > 0 {
		parts = append(parts, fmt.Sprintf("%d queued entries can never be claimed (createdAt missing or not a date)", s.Unclaimable))
	}
	if len(s.Blocked) > 0 {
		parts = append(parts, fmt.Sprintf("dates blocked by a permanent failure: %s", strings.Join(s.Blocked, ", ")))
	}
	if len(s.Abandoned) > 0 {
		parts = append(parts, fmt.Sprintf("dates past the backfill window still unfinished: %s", strings.Join(s.Abandoned, ", ")))
	}
	if len(s.Failing) > 0 {
		parts = append(parts, fmt.Sprintf("dates whose failure repeats on every attempt: %s", strings.Join(s.Failing, ", ")))
	}
	return strings.Join(parts, "; ")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
