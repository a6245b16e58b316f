// Package demo makes a realistic ledger of a small Thai business, shaped exactly as Medici stores it, with its
// export queue: cash sales with VAT, rent, utilities, salaries with withholding tax, customer payments, a voided
// journal, memos that look like formulas, and a few broken entries of the kinds production meets. The same seed
// always gives the same documents. The local run and the tests seed from it.
package demo

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
)

// Book is the Medici book the demo journals belong to.
const Book = "siam-coffee"

// Options shape the data.
type Options struct {
	Journals int       // balanced journals to make
	Seed     uint64    // same seed, same documents
	From, To time.Time // postings and queue times fall in [From, To)
	Broken   bool      // add the broken entries listed in Broken
	// MediciVoids voids journals as Medici's Book.void does (flash-oss/medici src/Book.ts): the journal is posted
	// live, then it and its lines are marked voided with void_reason, and a reversal journal is committed whose
	// journal and lines carry _original_journal, with debits and credits swapped; the app queues the reversal as a
	// new entry. Off, a voided journal is made voided from the start and has no reversal (the data every existing
	// test was written against).
	MediciVoids bool
}

// VoidReason is the reason the demo's voided journals carry.
const VoidReason = "บันทึกซ้ำ"

// Broken describes the broken entries Options.Broken adds, by the memo of their journal.
var Broken = []string{
	"queue entry whose journal is missing",
	"unbalanced journal",
	"line whose debit is a string",
	"journal without lines",
}

// Data is the generated documents.
type Data struct {
	Journals, Transactions, Queue []any
	// Valid counts the queue entries that should export; Invalid those that should fail.
	Valid, Invalid int
}

type gen struct {
	rnd  *rand.Rand
	seed uint64
	n    uint32
}

// id makes a deterministic ObjectId: the time, the seed and a counter.
func (g *gen) id(t time.Time) primitive.ObjectID {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(t.Unix()))
	binary.BigEndian.PutUint32(b[4:8], uint32(g.seed))
	g.n++
	binary.BigEndian.PutUint32(b[8:12], g.n)
	return primitive.ObjectID(b)
}

type line struct {
	account string
	debit   int64 // satang
	credit  int64
	meta    bson.D
}

// Generate makes the documents.
func Generate(o Options) Data {
	g := &gen{rnd: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed)), seed: o.Seed}
	var d Data
	span := o.To.Sub(o.From)
	for i := range o.Journals {
		at := o.From.Add(time.Duration(float64(span) * float64(i) / float64(max(o.Journals, 1))))
		memo, lines := g.template(i)
		void := i%97 == 13
		jid := d.add(g, at, memo, lines, void && !o.MediciVoids)
		d.Valid++
		if void && o.MediciVoids {
			d.void(g, jid, at.Add(time.Minute), lines)
			d.Valid++
		}
	}
	if o.Broken {
		at := o.To.Add(-time.Minute)
		// A queue entry whose journal does not exist.
		d.Queue = append(d.Queue, queueDoc(g.id(at), g.id(at), at))
		// Unbalanced: debit 100.00, credit 99.99.
		d.add(g, at, Broken[1], []line{{account: "Expenses:Supplies", debit: 10000}, {account: "Assets:Cash", credit: 9999}}, false)
		// A debit stored as a string.
		d.add(g, at, Broken[2], []line{{account: "Expenses:Supplies", debit: 5000}, {account: "Assets:Cash", credit: 5000}}, false)
		last := d.Transactions[len(d.Transactions)-2].(bson.D)
		for k := range last {
			if last[k].Key == "debit" {
				last[k].Value = "50.00"
			}
		}
		// A journal without lines.
		d.add(g, at, Broken[3], nil, false)
		d.Invalid = 4
	}
	return d
}

// add appends one journal, its lines and its queue entry, and returns the journal's id.
func (d *Data) add(g *gen, at time.Time, memo string, lines []line, voided bool) primitive.ObjectID {
	jid := g.id(at)
	ids := bson.A{}
	for _, l := range lines {
		tid := g.id(at)
		ids = append(ids, tid)
		t := bson.D{
			{Key: "_id", Value: tid}, {Key: "_journal", Value: jid},
			{Key: "credit", Value: float64(l.credit) / 100}, {Key: "debit", Value: float64(l.debit) / 100},
			{Key: "datetime", Value: at}, {Key: "timestamp", Value: at},
			{Key: "account_path", Value: split(l.account)}, {Key: "accounts", Value: l.account},
			{Key: "book", Value: Book}, {Key: "memo", Value: memo}, {Key: "voided", Value: voided}, {Key: "approved", Value: true},
		}
		if l.meta != nil {
			t = append(t, bson.E{Key: "meta", Value: l.meta})
		}
		d.Transactions = append(d.Transactions, t)
	}
	j := bson.D{
		{Key: "_id", Value: jid}, {Key: "datetime", Value: at}, {Key: "memo", Value: memo},
		{Key: "_transactions", Value: ids}, {Key: "book", Value: Book}, {Key: "voided", Value: voided}, {Key: "approved", Value: true},
	}
	if voided {
		j = append(j, bson.E{Key: "void_reason", Value: VoidReason})
	}
	d.Journals = append(d.Journals, j)
	d.Queue = append(d.Queue, queueDoc(g.id(at), jid, at.Add(time.Second)))
	return jid
}

// void voids the journal jid the way Medici's Book.void does, at the time at: the journal and its lines get voided
// and void_reason, and a reversal journal (memo: the reason, as Medici's handleVoidMemo gives a reason) swaps each
// line's debit and credit, keeps its meta, and carries _original_journal on the journal and every line. The app
// queues the reversal.
func (d *Data) void(g *gen, jid primitive.ObjectID, at time.Time, lines []line) {
	mark := func(doc bson.D) bson.D {
		for k := range doc {
			if doc[k].Key == "voided" {
				doc[k].Value = true
			}
		}
		return append(doc, bson.E{Key: "void_reason", Value: VoidReason})
	}
	d.Journals[len(d.Journals)-1] = mark(d.Journals[len(d.Journals)-1].(bson.D))
	for k := len(d.Transactions) - len(lines); k < len(d.Transactions); k++ {
		d.Transactions[k] = mark(d.Transactions[k].(bson.D))
	}
	rev := make([]line, len(lines))
	for k, l := range lines {
		rev[k] = line{account: l.account, debit: l.credit, credit: l.debit, meta: l.meta}
	}
	d.add(g, at, VoidReason, rev, false)
	orig := bson.E{Key: "_original_journal", Value: jid}
	d.Journals[len(d.Journals)-1] = append(d.Journals[len(d.Journals)-1].(bson.D), orig)
	for k := len(d.Transactions) - len(rev); k < len(d.Transactions); k++ {
		d.Transactions[k] = append(d.Transactions[k].(bson.D), orig)
	}
}

func queueDoc(id, journal primitive.ObjectID, at time.Time) bson.D {
	return bson.D{
		{Key: "_id", Value: id}, {Key: "entryId", Value: journal}, {Key: "exportPath", Value: "scheduled"},
		{Key: "status", Value: "queued"}, {Key: "createdAt", Value: at}, {Key: "updatedAt", Value: at},
	}
}

func split(account string) bson.A {
	var out bson.A
	start := 0
	for i := 0; i <= len(account); i++ {
		if i == len(account) || account[i] == ':' {
			out = append(out, account[start:i])
			start = i + 1
		}
	}
	return out
}

var customers = []string{"บริษัท ก้าวหน้า จำกัด", "ร้านกาแฟบ้านสวน", "คุณสมชาย ใจดี", "หจก. เชียงใหม่เทรดดิ้ง", "โรงแรมริมน้ำ"}

// template picks the journal for the i-th posting.
func (g *gen) template(i int) (string, []line) {
	baht := func(lo, hi int64) int64 { return (lo + g.rnd.Int64N(hi-lo)) * 100 }
	cust := customers[g.rnd.IntN(len(customers))]
	inv := bson.D{{Key: "invoiceNo", Value: fmt.Sprintf("INV-%05d", i+1)}, {Key: "customer", Value: cust}}
	switch i % 8 {
	case 0, 1, 2:
		net := baht(80, 5000) + g.rnd.Int64N(100)
		vat := (net*7 + 50) / 100
		return "ขายสินค้าเงินสด " + cust, []line{
			{account: "Assets:Cash", debit: net + vat, meta: inv},
			{account: "Revenue:Sales", credit: net, meta: inv},
			{account: "Liabilities:VAT:Output", credit: vat, meta: inv},
		}
	case 3:
		amt := baht(800, 20000)
		return "รับชำระหนี้จาก " + cust, []line{
			{account: "Assets:Bank:KBank", debit: amt, meta: inv},
			{account: "Assets:Receivables", credit: amt, meta: inv},
		}
	case 4:
		net := baht(1500, 6000) + g.rnd.Int64N(100)
		vat := (net*7 + 50) / 100
		return "ค่าไฟฟ้า การไฟฟ้านครหลวง", []line{
			{account: "Expenses:Utilities:Electricity", debit: net},
			{account: "Assets:VAT:Input", debit: vat},
			{account: "Assets:Bank:SCB", credit: net + vat},
		}
	case 5:
		return "ค่าเช่าสำนักงาน", []line{
			{account: "Expenses:Rent", debit: 2500000},
			{account: "Assets:Bank:KBank", credit: 2500000},
		}
	case 6:
		gross := baht(15000, 40000)
		wht := gross * 3 / 100
		return "จ่ายเงินเดือนพนักงาน", []line{
			{account: "Expenses:Salaries", debit: gross},
			{account: "Liabilities:WithholdingTax", credit: wht},
			{account: "Assets:Bank:KBank", credit: gross - wht},
		}
	default:
		amt := baht(20, 900) + g.rnd.Int64N(100)
		// Memos typed by staff sometimes start like a formula; the CSV must show them as text.
		memos := []string{"=ค่ากาแฟลูกค้า", "-ส่วนลดพิเศษ", "+ค่าขนส่ง", "@ร้านวัสดุ", "ซื้อวัสดุสิ้นเปลือง, \"ด่วน\""}
		return memos[g.rnd.IntN(len(memos))], []line{
			{account: "Expenses:Supplies", debit: amt},
			{account: "Assets:Cash", credit: amt},
		}
	}
}

// Collections names where Seed writes.
type Collections struct{ Queue, Journals, Transactions string }

// Seed inserts the data in batches of at most 500 documents.
func Seed(ctx context.Context, db *mongo.Database, c Collections, d Data) error {
	for _, part := range []struct {
		coll string
		docs []any
	}{{c.Journals, d.Journals}, {c.Transactions, d.Transactions}, {c.Queue, d.Queue}} {
		for i := 0; i < len(part.docs); i += 500 {
			end := min(i+500, len(part.docs))
			if _, err := db.Collection(part.coll).InsertMany(ctx, part.docs[i:end]); err != nil {
				return fmt.Errorf("seed %s: %w", part.coll, err)
			}
		}
	}
	return nil
}
