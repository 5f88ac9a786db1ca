package authfake

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Google is a fake Google Sign-In: an IdP with Google's issuer whose keys
// stand in for https://www.googleapis.com/oauth2/v3/certs, plus
//
//	GET /tokeninfo?access_token=...
//
// answering like https://oauth2.googleapis.com/tokeninfo: 200 with the
// token's azp, aud, sub, scope, exp and expires_in (numbers as strings),
// or 400 {"error": "invalid_token", "error_description": "Invalid Value"}
// for an unknown or expired token.
type Google struct {
	*IdP

	mu     sync.Mutex
	tokens map[string]googleToken
}

type googleToken struct {
	sub, aud string
	exp      time.Time
}

// NewGoogle starts a fake Google.
func NewGoogle(tb testing.TB) *Google {
	tb.Helper()
	g := &Google{IdP: NewIdP(tb, GoogleIssuer), tokens: map[string]googleToken{}}
	g.mux.HandleFunc("/tokeninfo", g.tokenInfo)
	return g
}

// TokenInfoURL is the fake's tokeninfo endpoint.
func (g *Google) TokenInfoURL() string { return g.srv.URL + "/tokeninfo" }

// Options is the google adapter's config section for clientID.
func (g *Google) Options(clientID string) map[string]any {
	return map[string]any{"clientId": clientID, "jwksURL": g.JWKSURL(), "tokenInfoURL": g.TokenInfoURL()}
}

// AccessToken issues an OAuth access token for user sub, granted to the
// app clientID, valid for an hour.
func (g *Google) AccessToken(sub, clientID string) string {
	tok := randomToken("ya29.", 24)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens[tok] = googleToken{sub: sub, aud: clientID, exp: time.Now().Add(time.Hour)}
	return tok
}

// ExpireAccessToken makes token expired.
func (g *Google) ExpireAccessToken(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t, ok := g.tokens[token]; ok {
		t.exp = time.Now().Add(-time.Minute)
		g.tokens[token] = t
	}
}

func (g *Google) tokenInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	token := r.FormValue("access_token")
	if token == "" {
		writeJSON(w, http.StatusBadRequest, "application/json; charset=UTF-8", map[string]string{
			"error":             "invalid_request",
			"error_description": "either access_token, id_token, or token_handle required",
		})
		return
	}
	g.mu.Lock()
	t, ok := g.tokens[token]
	g.mu.Unlock()
	left := time.Until(t.exp)
	if !ok || left <= 0 {
		writeJSON(w, http.StatusBadRequest, "application/json; charset=UTF-8", map[string]string{
			"error":             "invalid_token",
			"error_description": "Invalid Value",
		})
		return
	}
	writeJSON(w, http.StatusOK, "application/json; charset=UTF-8", map[string]string{
		"azp":         t.aud,
		"aud":         t.aud,
		"sub":         t.sub,
		"scope":       "openid https://www.googleapis.com/auth/userinfo.email",
		"exp":         strconv.FormatInt(t.exp.Unix(), 10),
		"expires_in":  strconv.Itoa(int(left.Seconds())),
		"email":       t.sub + "@example.com",
		"access_type": "online",
	})
}
