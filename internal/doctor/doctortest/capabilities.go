// Package doctortest gives the project's fake Drive (internal/drivefake) the two fields of a folder that the
// doctor reads and the fake does not model: capabilities.canAddChildren (the fake has no permissions) and driveId
// (its folder answer names no drive). The doctor's tests and the local stack (`make doctor-local`) wrap the fake's
// client in Capabilities; the real Drive answers both fields itself.
package doctortest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Capabilities is an http.RoundTripper that rewrites the fake Drive's answer to files.get of Folder (not a
// download): it sets capabilities.canAddChildren to CanAddChildren and, when DriveID is set, driveId. Everything
// else passes through unchanged.
type Capabilities struct {
	Next           http.RoundTripper // http.DefaultTransport when nil
	Folder         string
	CanAddChildren bool
	DriveID        string
}

// RoundTrip forwards the request and rewrites the folder's answer.
func (c Capabilities) RoundTrip(req *http.Request) (*http.Response, error) {
	next := c.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK ||
		!strings.HasSuffix(req.URL.Path, "/files/"+c.Folder) || req.URL.Query().Get("alt") == "media" {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("doctortest: read the folder's answer: %w", err)
	}
	var f map[string]any
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, fmt.Errorf("doctortest: the folder's answer is not JSON: %w", err)
	}
	f["capabilities"] = map[string]any{"canAddChildren": c.CanAddChildren}
	if c.DriveID != "" {
		f["driveId"] = c.DriveID
	}
	out, _ := json.Marshal(f)
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return resp, nil
}
