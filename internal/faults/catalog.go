package faults

import (
	"net/http"
	"time"

	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// Catalog is the full fault matrix. minute is the harness's scaled minute.
func Catalog(minute time.Duration) []Fault {
	chunk := func(n int, f drivefake.Fault) []drivefake.Fault {
		f.Op, f.Chunk = drivefake.OpChunk, n
		return []drivefake.Fault{f}
	}
	permanent := func(status int, reason string) []drivefake.Fault {
		return []drivefake.Fault{{Op: drivefake.OpInitiate, Status: status, Reason: reason, Times: -1}}
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
		{Name: "SIGKILL at a random moment", KillWithin: 600 * time.Millisecond},
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
	}
}
