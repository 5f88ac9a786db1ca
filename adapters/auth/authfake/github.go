package authfake

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// GitHub is a fake GitHub REST API serving
//
//	GET /user
//
// for a token sent as "Authorization: Bearer <token>" (or the older
// "token <token>"): 200 with the user's login and numeric id, or 401
// {"message": "Bad credentials", "documentation_url": ..., "status": "401"}
// for a missing, unknown or revoked token. While rate limited it answers
// 403 "API rate limit exceeded" with X-RateLimit-Remaining: 0, as GitHub
// does.
type GitHub struct {
	outage

	srv         *httptest.Server
	mu          sync.Mutex
	users       map[string]githubUser // by token
	rateLimited bool
	lastHeader  http.Header
}

type githubUser struct {
	id    int64
	login string
}

// NewGitHub starts a fake GitHub API.
func NewGitHub(tb testing.TB) *GitHub {
	tb.Helper()
	g := &GitHub{users: map[string]githubUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /user", g.user)
	g.srv = httptest.NewServer(g.wrap(mux))
	tb.Cleanup(g.srv.Close)
	return g
}

// URL is the API base URL (the adapter's apiURL).
func (g *GitHub) URL() string { return g.srv.URL }

// Options is the github adapter's config section.
func (g *GitHub) Options() map[string]any { return map[string]any{"apiURL": g.srv.URL} }

// Token issues an OAuth token for the user with this id and login.
func (g *GitHub) Token(id int64, login string) string {
	tok := randomToken("gho_", 18)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.users[tok] = githubUser{id: id, login: login}
	return tok
}

// Revoke makes token unknown, as when the user revokes the app.
func (g *GitHub) Revoke(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.users, token)
}

// SetRateLimited turns GitHub's rate limit on or off.
func (g *GitHub) SetRateLimited(on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rateLimited = on
}

// LastHeader returns the headers of the last /user request.
func (g *GitHub) LastHeader() http.Header {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastHeader.Clone()
}

func (g *GitHub) user(w http.ResponseWriter, r *http.Request) {
	const ct = "application/json; charset=utf-8"
	g.mu.Lock()
	g.lastHeader = r.Header.Clone()
	limited := g.rateLimited
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		token, ok = strings.CutPrefix(auth, "token ")
	}
	u, known := g.users[token]
	g.mu.Unlock()

	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	if limited {
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		writeJSON(w, http.StatusForbidden, ct, map[string]string{
			"message":           "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
			"status":            "403",
		})
		return
	}
	if auth == "" {
		writeJSON(w, http.StatusUnauthorized, ct, map[string]string{
			"message":           "Requires authentication",
			"documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
			"status":            "401",
		})
		return
	}
	if !ok || !known {
		writeJSON(w, http.StatusUnauthorized, ct, map[string]string{
			"message":           "Bad credentials",
			"documentation_url": "https://docs.github.com/rest",
			"status":            "401",
		})
		return
	}
	writeJSON(w, http.StatusOK, ct, map[string]any{
		"login":      u.login,
		"id":         u.id,
		"node_id":    "U_kgDO" + strconv.FormatInt(u.id, 36),
		"type":       "User",
		"site_admin": false,
		"html_url":   "https://github.com/" + u.login,
	})
}
