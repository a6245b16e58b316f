package drivefake

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error answer in the Google JSON error format:
//
//	{"error":{"code":403,"message":"...","errors":[{"domain":"usageLimits","reason":"rateLimitExceeded","message":"..."}]}}
type apiError struct {
	Code    int         `json:"code"`
	Message string      `json:"message"`
	Errors  []errorItem `json:"errors"`
}

// errorItem is one entry of apiError.Errors.
type errorItem struct {
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Message      string `json:"message"`
	LocationType string `json:"locationType,omitempty"`
	Location     string `json:"location,omitempty"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s", e.Code, e.Message)
}

// newAPIError returns an error with one item whose message is the error's.
func newAPIError(code int, domain, reason, message string) *apiError {
	return &apiError{
		Code:    code,
		Message: message,
		Errors:  []errorItem{{Domain: domain, Reason: reason, Message: message}},
	}
}

// paramError is an error about a query parameter.
func paramError(code int, reason, message, param string) *apiError {
	e := newAPIError(code, "global", reason, message)
	e.Errors[0].LocationType = "parameter"
	e.Errors[0].Location = param
	return e
}

func errBadRequest(message string) *apiError {
	return newAPIError(http.StatusBadRequest, "global", "badRequest", message)
}

// errInvalidParam is Drive's answer to a malformed parameter value, for
// example an unparsable q: 400 "Invalid Value", reason invalid.
func errInvalidParam(param string) *apiError {
	return paramError(http.StatusBadRequest, "invalid", "Invalid Value", param)
}

func errFileNotFound(id string) *apiError {
	return paramError(http.StatusNotFound, "notFound", "File not found: "+id+".", "fileId")
}

func errSessionNotFound() *apiError {
	return newAPIError(http.StatusNotFound, "global", "notFound", "Upload session not found or expired.")
}

func errBackend(err error) *apiError {
	return newAPIError(http.StatusInternalServerError, "global", "backendError", "Backend Error: "+err.Error())
}

// faultError builds the error an injected fault answers with.
func faultError(status int, reason string) *apiError {
	if reason == "" {
		reason = defaultReason(status)
	}
	domain := "global"
	switch reason {
	case "rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded",
		"storageQuotaExceeded", "sharingRateLimitExceeded", "quotaExceeded":
		domain = "usageLimits"
	}
	return newAPIError(status, domain, reason, reasonMessage(status, reason))
}

func defaultReason(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "badRequest"
	case http.StatusUnauthorized:
		return "authError"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "notFound"
	case http.StatusTooManyRequests:
		return "rateLimitExceeded"
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		return "backendError"
	default:
		return "unknown"
	}
}

func reasonMessage(status int, reason string) string {
	switch reason {
	case "rateLimitExceeded":
		return "Rate Limit Exceeded"
	case "userRateLimitExceeded":
		return "User Rate Limit Exceeded"
	case "storageQuotaExceeded":
		return "The user's Drive storage quota has been exceeded."
	case "insufficientFilePermissions":
		return "The user does not have sufficient permissions for this file."
	case "notFound":
		return "File not found."
	case "backendError":
		return "Backend Error"
	case "internalError":
		return "Internal Error"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

// writeError answers e as JSON.
func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Code, struct {
		Error *apiError `json:"error"`
	}{e})
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":500,"message":"Backend Error","errors":[{"domain":"global","reason":"backendError","message":"Backend Error"}]}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
