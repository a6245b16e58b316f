package function

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// caller returns the email of the OIDC identity token the request carries ("Authorization: Bearer <JWT>").
//
// The token is not verified here: Cloud Run's invoker IAM check verifies it (signature, audience, expiry) before
// the request reaches the function, and refuses a caller without roles/run.invoker. Cloud Run then forwards the
// header with the signature replaced (SIGNATURE_REMOVED_BY_GOOGLE), so google.golang.org/api/idtoken could not
// verify it again anyway; the function reads the verified token's email claim. This relies on the service never
// allowing unauthenticated calls (terraform/ grants run.invoker to named members only).
func caller(r *http.Request) (string, error) {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || tok == "" {
		return "", errors.New("a re-export needs the caller's identity token (Authorization: Bearer, as make reexport sends it)")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("the Authorization bearer token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", errors.New("the identity token's payload is not base64url")
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", errors.New("the identity token's payload is not JSON")
	}
	email := strings.TrimSpace(claims.Email)
	switch {
	case email == "" || len(email) > 254 || !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n\"<>"):
		return "", errors.New("the identity token names no email: create it with gcloud auth print-identity-token (a user or a service account)")
	case claims.EmailVerified != nil && !*claims.EmailVerified:
		return "", errors.New("the identity token's email is not verified")
	}
	return email, nil
}
