package function_test

import (
	"bytes"
	"io"
	"log/slog"
	"sync"

	"github.com/siamledger/ledger-export/internal/telemetry"
)

// logBuffer collects the log lines of every handler of a test; handlers on many goroutines share it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger(w io.Writer, project string) *slog.Logger {
	return telemetry.NewLogger(w, project, slog.LevelDebug)
}
