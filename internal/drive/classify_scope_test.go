package drive

import (
	"fmt"
	"testing"
)

// TestUsageLimitsAnywhere: Drive's usage-limit reasons mean "back off and retry" on every kind of request, with
// a 403 or a 429: a metadata call, a chunk sent to an upload session and a status query of one. The rows are
// written out rather than derived from rules, so a rule whose scope shrinks fails here. Fails if a usage limit
// is rate limited on metadata calls only (then a 403 sharingRateLimitExceeded on a chunk is a 4xx no rule names,
// permanent, and blocks the date until a human clears it).
func TestUsageLimitsAnywhere(t *testing.T) {
	for _, reason := range []string{"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded", "sharingRateLimitExceeded"} {
		for _, status := range []int{403, 429} {
			for _, sc := range []scope{onMetadata, onChunk, onQuery} {
				t.Run(fmt.Sprintf("%d %s on %s", status, reason, sc), func(t *testing.T) {
					if got := classOf(apiError(status, reason), sc); got != rateLimited {
						t.Errorf("classOf(%d %s) on %s = %s, want rate limited", status, reason, sc, got)
					}
				})
			}
		}
	}
}
