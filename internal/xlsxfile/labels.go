package xlsxfile

// labels are the Summary sheet's words in one language. The table below holds them all, in the two languages
// the accountant may choose (Options.Language). Two languages and some thirty fixed strings, chosen once at
// deployment, need no i18n framework (golang.org/x/text/message and its catalogs would add a dependency to do
// what a struct does); TestLabelsComplete checks that no label is missing in either language. Numbers and dates
// are cells with the same number formats in both languages; the failure reasons and the left-out reasons come
// from the code and stay English.
type labels struct {
	title, batchDate, exported, failed, rows, debitTotal, creditTotal, sheets string
	allOnEntries                                                              string
	continued                                                                 string // the sheets' names, the most rows a sheet holds
	accountsTitle, account, debit, credit, net, voidDebit, voidCredit         string
	total, other, noAccounts                                                  string
	failedEntry, journal, date, memo, accounts, reason, noneFailed, more      string // more: the count not listed
	voidLeftDebit, voidLeftCredit, leftOutEntry, why, noneLeftOut             string
}

// The languages of Options.Language.
const (
	Thai    = "th"
	English = "en"
)

var summaryLabels = map[string]labels{
	English: {
		title: "Ledger export summary", batchDate: "Batch date", exported: "Entries exported",
		failed: "Entries failed", rows: "Rows", debitTotal: "Debit total", creditTotal: "Credit total",
		sheets:        "Sheets",
		allOnEntries:  "All rows are on the sheet Entries.",
		continued:     "The rows are on the sheets %s: a sheet holds at most %s rows, so the rows continue on the next sheet, with the header repeated.",
		accountsTitle: "Totals per account: the day's movement, voided amounts apart",
		account:       "Account", debit: "Debit", credit: "Credit", net: "Net (debit − credit)",
		voidDebit: "Voided debit", voidCredit: "Voided credit",
		total: "Total", other: "Other accounts", noAccounts: "No entry exported.",
		failedEntry: "Failed entry", journal: "Journal", date: "Date", memo: "Memo", accounts: "Accounts",
		reason: "Reason", noneFailed: "No entry failed.",
		more:          "… and %s more failed entries, not listed here.",
		voidLeftDebit: "Voided, left out: debit", voidLeftCredit: "Voided, left out: credit",
		leftOutEntry: "Left out entry", why: "Why", noneLeftOut: "No voided journal was left out.",
	},
	Thai: {
		title: "สรุปการส่งออกบัญชีแยกประเภท", batchDate: "วันที่ของชุดข้อมูล", exported: "รายการที่ส่งออก",
		failed: "รายการที่ไม่สำเร็จ", rows: "จำนวนแถว", debitTotal: "ยอดรวมเดบิต", creditTotal: "ยอดรวมเครดิต",
		sheets:        "ชีต",
		allOnEntries:  "ทุกแถวอยู่ในชีต Entries",
		continued:     "แถวอยู่ในชีต %s: ชีตหนึ่งมีได้ไม่เกิน %s แถว แถวที่เกินจึงต่อในชีตถัดไป โดยมีหัวตารางซ้ำ",
		accountsTitle: "ยอดรวมตามบัญชี: ยอดเคลื่อนไหวของวัน แยกยอดที่ยกเลิกไว้ต่างหาก",
		account:       "บัญชี", debit: "เดบิต", credit: "เครดิต", net: "สุทธิ (เดบิต − เครดิต)",
		voidDebit: "เดบิตที่ยกเลิก", voidCredit: "เครดิตที่ยกเลิก",
		total: "ยอดรวม", other: "บัญชีอื่น ๆ", noAccounts: "ไม่มีรายการที่ส่งออก",
		failedEntry: "รายการที่ไม่สำเร็จ", journal: "รหัสรายการบัญชี", date: "วันที่", memo: "คำอธิบายรายการ",
		accounts: "บัญชี", reason: "สาเหตุ", noneFailed: "ไม่มีรายการที่ไม่สำเร็จ",
		more:          "… และรายการที่ไม่สำเร็จอีก %s รายการ ซึ่งไม่ได้แสดงไว้ที่นี่",
		voidLeftDebit: "ยกเลิกและไม่รวมในไฟล์: เดบิต", voidLeftCredit: "ยกเลิกและไม่รวมในไฟล์: เครดิต",
		leftOutEntry: "รายการที่ไม่รวมในไฟล์", why: "เหตุผล", noneLeftOut: "ไม่มีรายการบัญชีที่ยกเลิกถูกตัดออก",
	},
}

// labelsFor returns the Summary sheet's words in lang; any language but Thai is English.
func labelsFor(lang string) labels {
	if l, ok := summaryLabels[lang]; ok {
		return l
	}
	return summaryLabels[English]
}
