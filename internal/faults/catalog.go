package faults

import (
	"net/http"
	"time"

	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// Catalog is the full fault matrix. minute is the harness's scaled minute. The classes of issue 10 (paths 1, 3
// and 4, and healing) are written against the behaviour that issue specifies.
func Catalog(minute time.Duration) []Fault {
	chunk := func(n int, f drivefake.Fault) []drivefake.Fault {
		f.Op, f.Chunk = drivefake.OpChunk, n
		return []drivefake.Fault{f}
	}
	permanent := func(status int, reason string) []drivefake.Fault {
		return []drivefake.Fault{{Op: drivefake.OpInitiate, Status: status, Reason: reason, Times: -1}}
	}
	adoptRefused := func(op drivefake.Op) []drivefake.Fault {
		return []drivefake.Fault{{Op: op, Status: http.StatusForbidden, Reason: "insufficientFilePermissions", Times: -1}}
	}
	return []Fault{
		{Name: "SIGKILL after the lock", Crash: export.PointLocked},
		{Name: "SIGKILL after the claim", Crash: export.PointClaimed},
		{Name: "SIGKILL after the first chunk", Crash: export.PointChunk + ":1"},
		{Name: "SIGKILL mid-upload, 50% confirmed", Crash: export.PointChunk, CrashAtFraction: 0.5},
		{Name: "SIGKILL mid-upload, 80% confirmed", Crash: export.PointChunk, CrashAtFraction: 0.8},
		{Name: "SIGKILL after the upload, before it is recorded", Crash: export.PointUploaded},
		{Name: "SIGKILL after the upload is recorded, before the mark", Crash: export.PointRecorded},
		{Name: "SIGKILL between the mark and the export log", Crash: export.PointMarked},
		{Name: "SIGKILL before the lock is set done", Crash: export.PointLogged},
		{Name: "SIGKILL at a random moment", RandomKill: true},
		{Name: "20 simultaneous triggers on 4 instances", Burst: 20, BurstInstances: 4},
		{Name: "duplicate trigger while a run is in progress", Duplicate: true,
			Drive: chunk(2, drivefake.Fault{Delay: 400 * time.Millisecond})},
		{Name: "Drive 503 on a chunk", Drive: chunk(2, drivefake.Fault{Status: http.StatusServiceUnavailable, Reason: "backendError"})},
		{Name: "Drive 429 rateLimitExceeded on a chunk", Drive: chunk(2, drivefake.Fault{Status: http.StatusTooManyRequests, Reason: "rateLimitExceeded"})},
		{Name: "Drive 403 userRateLimitExceeded on a chunk", Drive: chunk(3, drivefake.Fault{Status: http.StatusForbidden, Reason: "userRateLimitExceeded"})},
		{Name: "connection reset mid-chunk", Drive: chunk(2, drivefake.Fault{Drop: true})},
		{Name: "Drive 500 on files.list", Drive: []drivefake.Fault{{Op: drivefake.OpList, Status: http.StatusInternalServerError, Reason: "backendError"}}},
		{Name: "slow chunk past the attempt deadline", Drive: chunk(3, drivefake.Fault{Delay: 31 * minute})},
		{Name: "MongoDB connections dropped mid-run", MongoOutage: true},
		{Name: "Firestore unavailable briefly", FirestoreOutage: true},
		{Name: "permanent: folder not found (404)", Drive: permanent(http.StatusNotFound, "notFound"), Permanent: true},
		{Name: "permanent: 403 insufficientFilePermissions", Drive: permanent(http.StatusForbidden, "insufficientFilePermissions"), Permanent: true},
		{Name: "permanent: 403 storageQuotaExceeded", Drive: permanent(http.StatusForbidden, "storageQuotaExceeded"), Permanent: true},

		// Issue 10, path 1: a permanent error after an earlier attempt finished the file.
		{Name: "path 1: file finished, unrecorded, then 403 on files.update", Crash: export.PointUploaded,
			DriveAfterFirst: adoptRefused(drivefake.OpUpdate), Operator: true},
		{Name: "path 1: file finished, unrecorded, then 403 on files.list", Crash: export.PointUploaded,
			DriveAfterFirst: adoptRefused(drivefake.OpList), Operator: true},
		// Issue 10, path 3: errors a fresh start fixes.
		{Name: "Drive 404 on an upload-session PUT", Drive: chunk(2, drivefake.Fault{Status: http.StatusNotFound, Reason: "notFound"})},
		{Name: "Drive 410 on an upload-session PUT", Drive: chunk(2, drivefake.Fault{Status: http.StatusGone})},
		{Name: "Drive 401 authError once, on a chunk", Drive: chunk(2, drivefake.Fault{Status: http.StatusUnauthorized, Reason: "authError"})},
		{Name: "Drive 403 dailyLimitExceeded on a chunk", Drive: chunk(2, drivefake.Fault{Status: http.StatusForbidden, Reason: "dailyLimitExceeded"})},
		// Drive acknowledges chunk 2 without storing it, so the next chunk meets Drive's own 400 for a
		// Content-Range mismatch; a status query then tells what Drive really holds.
		{Name: "Drive 400 Content-Range mismatch on a chunk", Drive: chunk(2, drivefake.Fault{Lose: true})},
		// Issue 10, path 4: a writer that lost its lease.
		{Name: "path 4: SIGSTOP past the lease after the claim, SIGCONT after the next attempt finished", Stop: export.PointClaimed},
		// Issue 10, healing.
		{Name: "healing: every attempt of two days fails, day three's single attempt heals", Heal: true},

		// Issue 18: the boundary with operators and the app, one class per reproduced defect (edges.go).
		{Name: "reexport: two attempts fail on a Drive 503, then the operator's re-export", edge: edgeReexportStalled,
			Drive: chunk(2, drivefake.Fault{Status: http.StatusServiceUnavailable, Reason: "backendError", Times: -1})},
		{Name: "reexport: a done date re-exported, the same file gets a new revision", edge: edgeReexportDone},
		{Name: "reexport: retry-failed on a done date after the app fixed a failed entry's journal", edge: edgeReexportRetryFailed},
		{Name: "reexport: a re-export killed after its first chunk, then repeated", edge: edgeReexportInterrupted},
		{Name: "app-requeue: an exporting entry deleted after the claim, before the read", edge: edgeRequeue, Stop: export.PointClaimed},
		{Name: "app-requeue: a failed entry re-queued and an exporting one deleted after the upload, before it is recorded",
			edge: edgeRequeue, Stop: export.PointUploaded},
		{Name: "app-requeue: a failed entry re-queued and an exporting one deleted right after the file is recorded",
			edge: edgeRequeue, Stop: export.PointRecorded},
		// The 503 is on files.list, which the Drive client does not retry: healing fails at once instead of
		// spending the attempt in the client's chunk retries (a 503 on a chunk would fill the attempt's deadline).
		{Name: "heal-stops-early: a Drive 503 on the earlier date while healing", edge: edgeHealDrive,
			DriveAfterFirst: []drivefake.Fault{{Op: drivefake.OpList, Status: http.StatusServiceUnavailable, Reason: "backendError"}}},
		{Name: "heal-stops-early: the earlier date busy", edge: edgeHealBusy},
		{Name: "journal-twice: one journal queued at 17:59:59 and again at 18:00:01", edge: edgeJournalTwice},
		{Name: "thaw-reexport: a re-export frozen past its lease (a skewed clock) thawed while a second re-export is under way", edge: edgeThawReexport},
		{Name: "thaw-reexport: an attempt frozen past its lease (a skewed clock) thawed while a newer attempt adopts its file", edge: edgeThawAdopt},
		{Name: "thaw-reexport: an attempt frozen past its lease (real clock: the deadline fence) thawed while a newer attempt adopts its file", edge: edgeThawAdoptFence},
	}
}
