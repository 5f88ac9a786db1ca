// Package authfake runs local stand-ins for the login providers that the
// adapters under adapters/auth call: an OpenID provider (discovery, a JWKS
// with rotating RSA keys, real RS256 JWTs) that also plays Apple, Google's
// JWKS and tokeninfo endpoints, GitHub's /user and WeChat's sns endpoints.
// Each speaks the provider's wire protocol, including its error bodies, so
// the adapters are tested against what they will meet in production.
//
// Every fake is an httptest.Server closed by tb.Cleanup, is safe for
// concurrent use, and has an Options method that returns the provider's
// config section pointing at the fake, for end-to-end login tests:
//
//	gh := authfake.NewGitHub(t)
//	token := gh.Token(4242, "octocat")
//	// config: auth: {github: gh.Options()}
//	// login:  authData: {github: {id: "4242", access_token: token}}
package authfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync/atomic"
)

// Outage is how a fake fails, to test that adapters report an unreachable
// or failing provider as retryable (CodeConnectionFailed).
type Outage int32

const (
	// Up serves normally.
	Up Outage = iota
	// Down drops every connection without an answer.
	Down
	// Failing answers every request with 503 Service Unavailable.
	Failing
)

// outage is the switch every fake embeds.
type outage struct{ mode atomic.Int32 }

// SetOutage switches the fake into the given failure mode.
func (o *outage) SetOutage(m Outage) { o.mode.Store(int32(m)) }

func (o *outage) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch Outage(o.mode.Load()) {
		case Down:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case Failing:
			http.Error(w, "upstream connect error or disconnect/reset before headers", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// randomToken returns n random bytes in hex, prefixed.
func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
