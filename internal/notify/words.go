package notify

// words are a notice's texts in one language. The table below holds them all, in the two languages the accountant
// may choose (Notifier.Language): two languages and some twenty fixed sentences, chosen once at deployment, need no
// i18n framework (golang.org/x/text/message and its catalogs would add a dependency to do what a struct does);
// TestWordsComplete checks that no text is missing in either language. Numbers (2,805,476.35) and dates
// (6 Dec 2026) are written alike in both; the failure reasons come from the code and stay English.
type words struct {
	ready, counts, totals, failures, failure, more, open string
	leftOut, leftOutDebit                                string // the count, then leftOutDebit or ""; the debit
	corrected, why, countsChange, totalsChange           string
	late                                                 string // the date, then the cause
	causeDrive, causeMongo, causeSettings, causeProgress string
	causeOther                                           string
	causeMap                                             string // the account map's problem, as the export names it
	period, accountMap                                   string // the window's from, to and zone; the map's name and version
}

// The languages of Notifier.Language.
const (
	Thai    = "th"
	English = "en"
)

var noticeWords = map[string]words{
	English: {
		ready:    "The ledger file for %s is in Drive: %s",
		counts:   "Entries exported: %s. Failed: %s. Rows: %s.",
		totals:   "Debit total: %s. Credit total: %s.",
		failures: "Entries not in the file, and why:",
		failure:  "- entry %s: %s",
		more:     "and %s more (listed in the export's summary)",
		open:     "Open it: %s",
		leftOut: "Left out on purpose: %s entries%s, voided journals with their reversals in the same file, which cancel " +
			"out; they are counted as exported and listed in the export's summary.",
		leftOutDebit: " (debit %s)",
		corrected:    "The ledger file for %s was corrected: %s now holds a new version (same link; the earlier version is kept in the file's version history).",
		why:          "Why: %s (asked by %s).",
		countsChange: "Entries exported: %s → %s. Failed: %s → %s. Rows: %s → %s.",
		totalsChange: "Debit total: %s → %s. Credit total: %s → %s.",
		late: "The ledger file for %s will be late: %s. The IT team has been alerted; nothing is lost, and " +
			"the file will be made as soon as the cause is fixed.",
		causeDrive:    "the export cannot write to the Drive folder (its access to the folder was removed, or the folder moved)",
		causeMongo:    "the ledger could not be read",
		causeSettings: "the export's settings are wrong",
		causeProgress: "the export could not record its progress",
		causeOther:    "the export stopped on an error it cannot get past by itself",
		causeMap:      "the account map in the Drive folder needs the accountant: %s",
		period:        "Entries queued from %s to before %s (%s).",
		accountMap:    "Account map: %s, version %d.",
	},
	Thai: {
		ready:    "ไฟล์บัญชีแยกประเภทของวันที่ %s อยู่ใน Drive แล้ว: %s",
		counts:   "รายการที่ส่งออก: %s รายการที่ไม่สำเร็จ: %s จำนวนแถว: %s",
		totals:   "ยอดรวมเดบิต: %s ยอดรวมเครดิต: %s",
		failures: "รายการที่ไม่อยู่ในไฟล์ และสาเหตุ:",
		failure:  "- รายการ %s: %s",
		more:     "และอีก %s รายการ (ดูได้ในสรุปของการส่งออก)",
		open:     "เปิดไฟล์: %s",
		leftOut: "ไม่รวมในไฟล์โดยตั้งใจ: %s รายการ%s เป็นรายการบัญชีที่ยกเลิกพร้อมรายการกลับรายการในไฟล์เดียวกัน ซึ่งหักล้างกันพอดี " +
			"นับเป็นรายการที่ส่งออกแล้ว และแสดงไว้ในสรุปของการส่งออก",
		leftOutDebit: " (เดบิต %s)",
		corrected:    "ไฟล์บัญชีแยกประเภทของวันที่ %s ได้รับการแก้ไขแล้ว: %s มีฉบับใหม่ (ลิงก์เดิม ฉบับก่อนหน้ายังเก็บไว้ในประวัติเวอร์ชันของไฟล์)",
		why:          "เหตุผล: %s (ขอโดย %s)",
		countsChange: "รายการที่ส่งออก: %s → %s รายการที่ไม่สำเร็จ: %s → %s จำนวนแถว: %s → %s",
		totalsChange: "ยอดรวมเดบิต: %s → %s ยอดรวมเครดิต: %s → %s",
		late: "ไฟล์บัญชีแยกประเภทของวันที่ %s จะล่าช้า: %s ทีมไอทีได้รับการแจ้งเตือนแล้ว ข้อมูลไม่สูญหาย " +
			"และไฟล์จะถูกสร้างทันทีที่แก้ไขสาเหตุได้",
		causeDrive:    "ระบบส่งออกเขียนไฟล์ลงโฟลเดอร์ใน Drive ไม่ได้ (สิทธิ์เข้าถึงโฟลเดอร์ถูกยกเลิก หรือโฟลเดอร์ถูกย้าย)",
		causeMongo:    "อ่านข้อมูลบัญชีแยกประเภทไม่ได้",
		causeSettings: "การตั้งค่าของระบบส่งออกไม่ถูกต้อง",
		causeProgress: "ระบบส่งออกบันทึกความคืบหน้าไม่ได้",
		causeOther:    "ระบบส่งออกหยุดทำงานเพราะข้อผิดพลาดที่แก้ไขเองไม่ได้",
		causeMap:      "ผังบัญชี (account map) ในโฟลเดอร์ Drive ต้องให้นักบัญชีแก้ไข: %s",
		period:        "รายการที่เข้าคิวตั้งแต่ %s ถึงก่อน %s (%s)",
		accountMap:    "ผังบัญชีที่ใช้: %s เวอร์ชัน %d",
	},
}

// wordsFor returns the notices' texts in lang; any language but Thai is English.
func wordsFor(lang string) words {
	if w, ok := noticeWords[lang]; ok {
		return w
	}
	return noticeWords[English]
}
