// Command exportserver serves the ExportDaily function on loopback for the fault-injection harness, configured by
// the environment exactly as in production. It is a test build: besides the function's own variables it reads
//
//   - LEDGER_EXPORT_CRASH_AT, "POINT" or "POINT:BYTES" (an export.Point* name, and for after-chunk the bytes Drive
//     must have confirmed): the process kills itself with SIGKILL there;
//   - LEDGER_EXPORT_STOP_AT, the same form: the process stops itself with SIGSTOP there, once, and goes on where it
//     stopped when it gets SIGCONT (an instance frozen past its lease, then thawed);
//   - LEDGER_EXPORT_MARK, a file where it appends "crash POINT OFFSET" or "stop POINT OFFSET" just before it
//     does either, so that the harness can prove the point was reached (a crash point a run never reaches leaves
//     no line, and the harness fails the trial);
//   - LEDGER_EXPORT_CLOCK_SKEW, a duration added to the function's clock (function.Options.Now): an instance
//     whose clock runs a lease ahead sees another attempt's lease expired while that attempt's own deadline, which
//     runs on the real clock, has not passed, so a trial can reach what lies behind the deadline fence.
//
// The deployed function contains none of this: the archive leaves internal/faults out, and the function package
// never reads these variables.
//
// It prints "listening on http://ADDR" once it serves, and "served STATUS" after it has answered each request
// (the run included: the function keeps running after its caller gives up), so that the harness knows when no
// attempt is in flight any more.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/siamledger/ledger-export/function"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "exportserver:", err)
		os.Exit(2)
	}
}

func run() error {
	mark := os.Getenv("LEDGER_EXPORT_MARK")
	crash, err := parsePoint("LEDGER_EXPORT_CRASH_AT", os.Getenv("LEDGER_EXPORT_CRASH_AT"))
	if err != nil {
		return err
	}
	stop, err := parsePoint("LEDGER_EXPORT_STOP_AT", os.Getenv("LEDGER_EXPORT_STOP_AT"))
	if err != nil {
		return err
	}
	var stopOnce sync.Once
	reached := func(p string, offset int64) {
		if stop.matches(p, offset) {
			stopOnce.Do(func() { stopHere(mark, p, offset) })
		}
		if crash.matches(p, offset) {
			leaveMark(mark, "crash", p, offset)
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never return: the process is dying
		}
	}
	opts := function.Options{Reached: reached}
	if v := os.Getenv("LEDGER_EXPORT_CLOCK_SKEW"); v != "" {
		skew, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("LEDGER_EXPORT_CLOCK_SKEW %q: %w", v, err)
		}
		opts.Now = func() time.Time { return time.Now().Add(skew) }
	}
	h := function.New(os.Getenv, opts)
	if err := h.Err(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: served(h), ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// stopHere leaves the stop mark, stops the process with SIGSTOP and returns only once it has been continued. A
// SIGSTOP sent to the process is taken by whichever thread the kernel picks: on a loaded machine that thread may
// run only milliseconds later, while this goroutine would already go on with the run (it was seen marking entries
// after its stop mark, while the harness edited them as if it were stopped). Waiting here for SIGCONT keeps the run
// at its point whenever the stop lands.
func stopHere(mark, p string, offset int64) {
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, syscall.SIGCONT)
	defer signal.Stop(cont)
	leaveMark(mark, "stop", p, offset)
	_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	<-cont
}

// point is a parsed "POINT[:BYTES]"; the zero point matches nothing.
type point struct {
	name string
	at   int64
}

func parsePoint(variable, spec string) (point, error) {
	if spec == "" {
		return point{}, nil
	}
	name, min, hasMin := strings.Cut(spec, ":")
	p := point{name: name}
	if hasMin {
		n, err := strconv.ParseInt(min, 10, 64)
		if err != nil {
			return point{}, fmt.Errorf("%s %q: bytes %q is not a number", variable, spec, min)
		}
		p.at = n
	}
	return p, nil
}

func (p point) matches(name string, offset int64) bool {
	return p.name != "" && p.name == name && offset >= p.at
}

// leaveMark appends one line to the mark file. It writes before the signal, with no buffering, so the line
// survives a SIGKILL that follows.
func leaveMark(path, what, point string, offset int64) {
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "exportserver: mark:", err)
		return
	}
	_, _ = fmt.Fprintf(f, "%s %s %d\n", what, point, offset)
	_ = f.Close()
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's own writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// served prints "served STATUS" once the handler has returned.
func served(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() { fmt.Printf("served %d\n", sw.status) }()
		h.ServeHTTP(sw, r)
	})
}
