package drive

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"google.golang.org/api/googleapi"

	"github.com/siamledger/ledger-export/internal/export"
)

func apiError(code int, reason string) error {
	e := &googleapi.Error{Code: code, Message: http.StatusText(code)}
	if reason != "" {
		e.Errors = []googleapi.ErrorItem{{Reason: reason, Message: reason}}
	}
	return fmt.Errorf("wrapped by the client: %w", e) // the client wraps its errors (gensupport.WrapError)
}

// TestClassOf is the classification table, a row per documented status and reason, with the request kinds where
// the meaning differs. Each row fails if its error is classified any other way.
func TestClassOf(t *testing.T) {
	tests := []struct {
		status int
		reason string
		scope  scope
		want   class
	}{
		// 400: a request that will never be valid, except a chunk whose Content-Range Drive does not expect.
		{400, "badRequest", onMetadata, permanent},
		{400, "invalid", onMetadata, permanent},
		{400, "badRequest", onChunk, requerySession},
		{400, "badRequest", onQuery, permanent},
		// 401: refresh the token, which the next request does.
		{401, "authError", onMetadata, retry},
		{401, "authError", onChunk, retry},
		{401, "authError", onQuery, retry},
		{401, "", onMetadata, retry},
		// 403 usage limits: back off.
		{403, "dailyLimitExceeded", onMetadata, rateLimited},
		{403, "userRateLimitExceeded", onMetadata, rateLimited},
		{403, "rateLimitExceeded", onMetadata, rateLimited},
		{403, "sharingRateLimitExceeded", onMetadata, rateLimited},
		{403, "dailyLimitExceeded", onChunk, rateLimited},
		{403, "userRateLimitExceeded", onChunk, rateLimited},
		{403, "rateLimitExceeded", onChunk, rateLimited},
		// 403 that a human must resolve.
		{403, "insufficientFilePermissions", onMetadata, permanent},
		{403, "appNotAuthorizedToFile", onMetadata, permanent},
		{403, "domainPolicy", onMetadata, permanent},
		{403, "storageQuotaExceeded", onMetadata, permanent},
		{403, "storageQuotaExceeded", onChunk, permanent},
		{403, "teamDriveFileLimitExceeded", onMetadata, permanent},
		{403, "teamDriveHierarchyTooDeep", onMetadata, permanent},
		{403, "numChildrenInNonRootLimitExceeded", onMetadata, permanent},
		{403, "activeItemCreationLimitExceeded", onMetadata, permanent},
		{403, "cannotAddParent", onMetadata, permanent},
		{403, "forbidden", onMetadata, permanent},
		{403, "", onChunk, permanent},
		// 404: a missing file or folder, but on an upload session an expired session.
		{404, "notFound", onMetadata, permanent},
		{404, "notFound", onChunk, restartUpload},
		{404, "notFound", onQuery, restartUpload},
		{410, "", onChunk, restartUpload},
		{410, "", onQuery, restartUpload},
		{410, "", onMetadata, permanent},
		// Timeouts, rate limits and server errors.
		{408, "", onChunk, retry},
		{408, "", onMetadata, retry},
		{429, "", onMetadata, rateLimited},
		{429, "rateLimitExceeded", onChunk, rateLimited},
		{500, "backendError", onMetadata, retry},
		{500, "internalError", onChunk, retry},
		{502, "", onMetadata, retry},
		{503, "backendError", onChunk, retry},
		{504, "", onQuery, retry},
		// A 4xx no rule names.
		{409, "conflict", onMetadata, permanent},
		{413, "", onChunk, permanent},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s on %s", tt.status, tt.reason, tt.scope), func(t *testing.T) {
			if got := classOf(apiError(tt.status, tt.reason), tt.scope); got != tt.want {
				t.Errorf("classOf(%d %q) = %s, want %s", tt.status, tt.reason, got, tt.want)
			}
		})
	}

	// Every reason the table names has a row, so no rule goes untested.
	for _, r := range rules {
		if r.reason == "" {
			continue
		}
		found := false
		for _, tt := range tests {
			found = found || tt.reason == r.reason
		}
		if !found {
			t.Errorf("rule for reason %q has no test row", r.reason)
		}
	}
}

// TestClassOfNonHTTPErrors: network and context errors are retried.
func TestClassOfNonHTTPErrors(t *testing.T) {
	for _, err := range []error{
		&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")},
		context.DeadlineExceeded,
		fmt.Errorf("list: %w", context.Canceled),
		errors.New("unexpected EOF"),
	} {
		for _, sc := range []scope{onMetadata, onChunk, onQuery} {
			if got := classOf(err, sc); got != retry {
				t.Errorf("classOf(%v) on %s = %s, want retry", err, sc, got)
			}
		}
	}
}

// TestClassifyWrapsTheSentinel: each class wraps exactly its sentinel, and the original error stays reachable.
func TestClassifyWrapsTheSentinel(t *testing.T) {
	sentinels := []error{export.ErrPermanent, ErrRateLimited, ErrSessionGone, ErrSessionOutOfSync}
	tests := []struct {
		err  error
		sc   scope
		want error // nil: no sentinel
	}{
		{apiError(404, "notFound"), onMetadata, export.ErrPermanent},
		{apiError(403, "dailyLimitExceeded"), onMetadata, ErrRateLimited},
		{apiError(404, "notFound"), onChunk, ErrSessionGone},
		{apiError(400, "badRequest"), onChunk, ErrSessionOutOfSync},
		{apiError(401, "authError"), onMetadata, nil},
		{apiError(503, "backendError"), onChunk, nil},
	}
	for _, tt := range tests {
		got := classify(tt.err, tt.sc)
		for _, s := range sentinels {
			if errors.Is(got, s) != (s == tt.want) {
				t.Errorf("classify(%v, %s): errors.Is(%v) = %t, want %t", tt.err, tt.sc, s, errors.Is(got, s), s == tt.want)
			}
		}
		var gerr *googleapi.Error
		if !errors.As(got, &gerr) {
			t.Errorf("classify(%v) = %v lost the *googleapi.Error", tt.err, got)
		}
	}
}

func TestRangeStart(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"bytes 0-262143/*", 0},
		{"bytes 262144-524287/*", 262144},
		{"bytes 524288-600000/600001", 524288},
		{"bytes */600001", 600001},
		{"bytes */*", -1},
		{"", -1},
		{"bytes x-1/*", -1},
	}
	for _, tt := range tests {
		if got := rangeStart(tt.in); got != tt.want {
			t.Errorf("rangeStart(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func (s scope) String() string {
	switch s {
	case onMetadata:
		return "metadata"
	case onChunk:
		return "chunk"
	case onQuery:
		return "status query"
	}
	return fmt.Sprintf("scope(%d)", uint8(s))
}
