package github_test

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/auth/authfake"
	"github.com/switchboardhq/switchboard/adapters/auth/authtest"
	"github.com/switchboardhq/switchboard/adapters/auth/github"
	"github.com/switchboardhq/switchboard/core"
)

func TestConformance(t *testing.T) {
	authtest.RunConformance(t, authtest.Harness{Provider: github.Name, Setup: setup})
}

func setup(t *testing.T) *authtest.Fixture {
	gh := authfake.NewGitHub(t)
	return &authtest.Fixture{
		Options: gh.Options(),
		Valid: map[string]func(*testing.T) (map[string]any, string){
			"access_token": func(*testing.T) (map[string]any, string) {
				return map[string]any{"id": "583231", "access_token": gh.Token(583231, "octocat")}, "583231"
			},
		},
		Invalid: map[string]func(*testing.T) map[string]any{
			"unknown": func(*testing.T) map[string]any {
				return map[string]any{"id": "583231", "access_token": "gho_unknown"}
			},
			"revoked": func(*testing.T) map[string]any {
				tok := gh.Token(583231, "octocat")
				gh.Revoke(tok)
				return map[string]any{"id": "583231", "access_token": tok}
			},
			"other user's token": func(*testing.T) map[string]any {
				return map[string]any{"id": "583231", "access_token": gh.Token(9919, "someone")}
			},
		},
		Outages: map[string]func(){
			"down":       func() { gh.SetOutage(authfake.Down) },
			"503":        func() { gh.SetOutage(authfake.Failing) },
			"rate limit": func() { gh.SetRateLimited(true) },
		},
	}
}

func TestNumericIDAndHeaders(t *testing.T) {
	gh := authfake.NewGitHub(t)
	p := authtest.Open(t, github.Name, gh.Options())
	// JSON numbers decode to float64; the SDKs may send the id as a number.
	id, stored, err := p.Validate(context.Background(), map[string]any{"id": float64(583231), "access_token": gh.Token(583231, "octocat")})
	if err != nil || id != "583231" || stored["id"] != "583231" {
		t.Fatalf("Validate = %q, %v, %v", id, stored, err)
	}
	h := gh.LastHeader()
	if got := h.Get("Accept"); got != "application/vnd.github+json" {
		t.Errorf("Accept = %q", got)
	}
	if got := h.Get("User-Agent"); got == "" {
		t.Error("no User-Agent; GitHub rejects requests without one")
	}
}

func TestWrongAPIURL(t *testing.T) {
	gh := authfake.NewGitHub(t)
	p := authtest.Open(t, github.Name, map[string]any{"apiURL": gh.URL() + "/api/v3"})
	_, _, err := p.Validate(context.Background(), map[string]any{"id": "1", "access_token": gh.Token(1, "a")})
	authtest.WantCode(t, err, core.CodeInternalServerError)
}
