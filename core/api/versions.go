package api

import (
	"context"
	"net/http"

	"github.com/switchboardhq/switchboard/core"
)

// Releases is app versions as the API's routes see it: the versions
// feature provides it (SetReleases). Each method authorizes the caller
// itself (the master key, or a policy for the releases point; Check is
// public and rate-limited) and answers Parse-style errors.
type Releases interface {
	Publish(ctx context.Context, auth *core.Auth, body map[string]any) (map[string]any, error)
	List(ctx context.Context, auth *core.Auth, params map[string]any) ([]map[string]any, error)
	Get(ctx context.Context, auth *core.Auth, id string) (map[string]any, error)
	Update(ctx context.Context, auth *core.Auth, id string, body map[string]any) (map[string]any, error)
	// Check answers a JSON-encodable reply (a struct, so that the hot
	// path encodes no maps).
	Check(ctx context.Context, auth *core.Auth, params map[string]any) (any, error)
}

// SetReleases makes r serve the app-versions routes. Call it before the
// handler serves.
func (h *Handler) SetReleases(r Releases) { h.releases = r }

func (h *Handler) releasesOn() error {
	if h.releases == nil {
		return core.Errorf(core.CodeCommandUnavailable, "app versions are not enabled on this server")
	}
	return nil
}

func (h *Handler) publishRelease(ctx context.Context, req *request) (*reply, error) {
	if err := h.releasesOn(); err != nil {
		return nil, err
	}
	out, err := h.releases.Publish(ctx, req.auth, bodyOrEmpty(req.body))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: out}, nil
}

func (h *Handler) listReleases(ctx context.Context, req *request) (*reply, error) {
	if err := h.releasesOn(); err != nil {
		return nil, err
	}
	list, err := h.releases.List(ctx, req.auth, req.params)
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"results": list}), nil
}

func (h *Handler) getRelease(ctx context.Context, req *request) (*reply, error) {
	if err := h.releasesOn(); err != nil {
		return nil, err
	}
	return result(h.releases.Get(ctx, req.auth, req.value("id")))
}

func (h *Handler) updateRelease(ctx context.Context, req *request) (*reply, error) {
	if err := h.releasesOn(); err != nil {
		return nil, err
	}
	return result(h.releases.Update(ctx, req.auth, req.value("id"), bodyOrEmpty(req.body)))
}

// checkUpdate serves the update check: a POST's JSON body, or a GET's
// query string.
func (h *Handler) checkUpdate(ctx context.Context, req *request) (*reply, error) {
	if err := h.releasesOn(); err != nil {
		return nil, err
	}
	params := req.body
	if req.method == http.MethodGet {
		params = req.params
	}
	out, err := h.releases.Check(ctx, req.auth, bodyOrEmpty(params))
	if err != nil {
		return nil, err
	}
	return ok(out), nil
}
