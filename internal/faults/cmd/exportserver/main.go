// Command exportserver serves the ExportDaily function on loopback for the fault-injection harness, configured by
// the environment exactly as in production. It is a test build: besides the function's own variables it reads
// LEDGER_EXPORT_CRASH_AT, "POINT" or "POINT:BYTES" (an export.Point* name, and for after-chunk the bytes Drive must
// have confirmed), and kills itself with SIGKILL there. The deployed function contains none of this: the archive
// leaves internal/faults out, and the function package never reads that variable.
//
// It prints "listening on http://ADDR" once it serves.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/siamledger/ledger-export/function"
)

func main() {
	crash, err := parseCrash(os.Getenv("LEDGER_EXPORT_CRASH_AT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "exportserver:", err)
		os.Exit(2)
	}
	h := function.New(os.Getenv, function.Options{Reached: crash})
	if err := h.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "exportserver:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "exportserver:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "exportserver:", err)
		os.Exit(1)
	}
}

// parseCrash turns "POINT[:BYTES]" into a hook that kills the process at that point.
func parseCrash(spec string) (func(string, int64), error) {
	if spec == "" {
		return nil, nil
	}
	point, min, hasMin := strings.Cut(spec, ":")
	var at int64
	if hasMin {
		n, err := strconv.ParseInt(min, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("LEDGER_EXPORT_CRASH_AT %q: bytes %q is not a number", spec, min)
		}
		at = n
	}
	return func(p string, offset int64) {
		if p == point && offset >= at {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never return: the process is dying
		}
	}, nil
}
