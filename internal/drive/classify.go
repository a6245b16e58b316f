package drive

import (
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/api/googleapi"

	"github.com/siamledger/ledger-export/internal/export"
)

// Errors a caller can test with errors.Is. None of them is permanent: each says how a later attempt succeeds.
var (
	// ErrRateLimited reports a 429, or an error with a rate-limit reason: worth a later retry.
	ErrRateLimited = errors.New("drive: rate limited")
	// ErrSessionGone reports a 404 or 410 from an upload session URI: the session expired or was discarded, and
	// the upload must start over with a new session (Google's resumable upload guide). A status query of such a
	// session answers SessionStatus.Gone, so the next attempt starts over rather than resuming.
	ErrSessionGone = errors.New("drive: upload session gone; start the upload over")
	// ErrSessionOutOfSync reports a 400 on a chunk sent to an upload session while Drive holds a different number
	// of bytes than the chunk's Content-Range assumed: query the session again (Status) and resume from what it
	// holds, or start over.
	ErrSessionOutOfSync = errors.New("drive: upload session out of sync; query it again")
)

// scope is the kind of request an error answered, as a bit set: a status can mean something else on a session.
type scope uint8

const (
	// onMetadata is a files.* request: files.list, files.update, and files.create's resumable initiation or
	// single multipart request, which name the parent folder.
	onMetadata scope = 1 << iota
	// onChunk is a request that sends bytes (or the final empty chunk) to an upload session URI.
	onChunk
	// onQuery is a status query of an upload session ("Content-Range: bytes */*").
	onQuery

	onSession = onChunk | onQuery
	anywhere  = onMetadata | onSession
)

// class is what a later attempt should do about an error.
type class uint8

const (
	retry          class = iota // try again: the client retried within its deadline, the next attempt will too
	rateLimited                 // try again later (ErrRateLimited)
	permanent                   // a human must act first (share the folder, free quota): export.ErrPermanent
	restartUpload               // the session is gone: upload anew (ErrSessionGone)
	requerySession              // query the session and continue from what Drive holds (ErrSessionOutOfSync)
)

func (c class) String() string {
	return [...]string{"retry", "rate limited", "permanent", "restart upload", "re-query session"}[c]
}

// rule classes the errors with a status (0: any) and a reason ("": any) on requests in scope.
type rule struct {
	status int
	reason string
	scope  scope
	class  class
}

// rules follows Drive v3's "Resolve errors" page (developers.google.com/drive/api/guides/handle-errors) and the
// resumable upload guide (developers.google.com/drive/api/guides/manage-uploads#resumable). The first rule that
// matches wins; an error no rule matches is retried when it is a 5xx (or not an HTTP error at all: network and
// context errors) and permanent when it is another 4xx.
var rules = []rule{
	// Usage limits clear by themselves: back off and retry, whatever the status (403 or 429).
	{0, "rateLimitExceeded", anywhere, rateLimited},
	{0, "userRateLimitExceeded", anywhere, rateLimited},
	{0, "dailyLimitExceeded", anywhere, rateLimited},
	{0, "sharingRateLimitExceeded", anywhere, rateLimited},
	{http.StatusTooManyRequests, "", anywhere, rateLimited},

	// 401 Invalid Credentials: the access token expired or was revoked; the client's token source gets a new one
	// for the next request.
	{http.StatusUnauthorized, "", anywhere, retry},

	// On an upload session, 404 and 410 mean the session expired: start the upload over. On files.* a 404 is
	// a missing file or folder.
	{http.StatusNotFound, "", onSession, restartUpload},
	{http.StatusGone, "", onSession, restartUpload},
	// A 400 on a chunk is a Content-Range Drive does not expect: re-query the session. A 400 elsewhere is a
	// request that will never be valid.
	{http.StatusBadRequest, "", onChunk, requerySession},

	// 403s a human must resolve: permissions, policies and storage or item limits.
	{http.StatusForbidden, "insufficientFilePermissions", anywhere, permanent},
	{http.StatusForbidden, "appNotAuthorizedToFile", anywhere, permanent},
	{http.StatusForbidden, "domainPolicy", anywhere, permanent},
	{http.StatusForbidden, "storageQuotaExceeded", anywhere, permanent},
	{http.StatusForbidden, "teamDriveFileLimitExceeded", anywhere, permanent},
	{http.StatusForbidden, "teamDriveHierarchyTooDeep", anywhere, permanent},
	{http.StatusForbidden, "numChildrenInNonRootLimitExceeded", anywhere, permanent},
	{http.StatusForbidden, "activeItemCreationLimitExceeded", anywhere, permanent},
	{http.StatusForbidden, "cannotAddParent", anywhere, permanent},

	{http.StatusRequestTimeout, "", anywhere, retry},
}

// classOf returns the class of err on a request in scope.
func classOf(err error, sc scope) class {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return retry // network and context errors
	}
	for _, r := range rules {
		if r.scope&sc != 0 && (r.status == 0 || r.status == gerr.Code) && (r.reason == "" || hasReason(gerr, r.reason)) {
			return r.class
		}
	}
	if gerr.Code >= 400 && gerr.Code < 500 {
		return permanent
	}
	return retry
}

func hasReason(gerr *googleapi.Error, reason string) bool {
	for _, it := range gerr.Errors {
		if it.Reason == reason {
			return true
		}
	}
	return false
}

// classify wraps err, a failure of a request in scope, with the sentinel of its class: export.ErrPermanent for the
// errors no retry can fix, ErrRateLimited, ErrSessionGone or ErrSessionOutOfSync. Retryable errors come back as
// they are.
func classify(err error, sc scope) error {
	switch classOf(err, sc) {
	case rateLimited:
		return fmt.Errorf("%w: %w", ErrRateLimited, err)
	case permanent:
		return fmt.Errorf("%w: %w", export.ErrPermanent, err)
	case restartUpload:
		return fmt.Errorf("%w: %w", ErrSessionGone, err)
	case requerySession:
		return fmt.Errorf("%w: %w", ErrSessionOutOfSync, err)
	}
	return err
}
