package medici

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/siamledger/ledger-export/internal/export"
)

// Page is one page of raw documents as MongoDB would return them for Store.Read: queue entries in _id order, the
// journals they name, and those journals' lines, the last two in any order.
type Page struct {
	Queue, Journals, Lines []bson.Raw
}

// Memory is an export.Queue whose documents come from a function instead of MongoDB. Each page goes through the
// same mapping and assembly as Store's, so a benchmark of the export measures everything but the database. It
// keeps the outcome counts a MongoDB queue would store; claims and marks change nothing else.
type Memory struct {
	// Pages returns the i-th page (from 0) of a batch. A page without queue entries ends the batch. Memory is done
	// with a page's documents when it asks for the next page (the mapped values own their bytes), so Pages may
	// reuse their memory.
	Pages func(ctx context.Context, i int) (Page, error)
	// Entries is how many entries Claim reports.
	Entries int64
	// Mapper maps the documents, as Options.Mapper does for Store.
	Mapper Mapper

	mu       sync.Mutex
	failed   int64
	marks    int // MarkFailed calls
	exported bool
}

var _ export.Queue = (*Memory)(nil)

// Claim changes nothing: the pages are the batch.
func (m *Memory) Claim(context.Context, export.Batch, time.Time) error { return nil }

// Count reports Entries, less the failures marked so far as failed, or as completed once MarkExported ran.
func (m *Memory) Count(context.Context, string, int64) (export.Counts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.exported {
		return export.Counts{Completed: m.Entries - m.failed, Failed: m.failed}, nil
	}
	return export.Counts{Exporting: m.Entries - m.failed, Failed: m.failed}, nil
}

// Read calls fn with each page's entries, mapped and joined as Store.Read does.
func (m *Memory) Read(ctx context.Context, _ export.Batch, fn func([]export.Entry) error) error {
	for i := 0; ; i++ {
		p, err := m.Pages(ctx, i)
		if err != nil {
			return fmt.Errorf("read page %d: %w", i, err)
		}
		if len(p.Queue) == 0 {
			return nil
		}
		a := newAssembler(m.Mapper, len(p.Queue))
		for _, raw := range p.Queue {
			a.entry(raw)
		}
		if a.err != nil {
			return fmt.Errorf("read page %d: %w", i, a.err)
		}
		for _, raw := range p.Journals {
			a.journal(raw)
		}
		for _, raw := range p.Lines {
			a.line(raw)
		}
		if err := fn(a.finish()); err != nil {
			return err
		}
	}
}

// MarkFailed counts the failures.
func (m *Memory) MarkFailed(_ context.Context, _ export.Batch, failures []export.Failure, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed += int64(len(failures))
	m.marks++
	return nil
}

// MarkExported reports the entries not failed, the first time only, as a queue would.
func (m *Memory) MarkExported(context.Context, export.Batch, export.File, time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.exported {
		return 0, nil
	}
	m.exported = true
	return m.Entries - m.failed, nil
}

// Release changes nothing.
func (m *Memory) Release(context.Context, export.Batch) (int64, error) { return 0, nil }

// LogExport changes nothing.
func (m *Memory) LogExport(context.Context, export.Summary, time.Time) error { return nil }

// IDs lists nothing: Memory's read and claim never differ.
func (m *Memory) IDs(context.Context, string, int64, func(string) error) error { return nil }

// Pending reports no date: Memory holds one batch, which the caller exports.
func (m *Memory) Pending(context.Context) ([]string, error) { return nil, nil }

// Unclaimable reports none.
func (m *Memory) Unclaimable(context.Context) (int64, error) { return 0, nil }

// FailureMarks reports how many times MarkFailed was called: the update commands a MongoDB queue would have sent.
func (m *Memory) FailureMarks() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.marks
}
