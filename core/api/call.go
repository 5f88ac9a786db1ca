package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// Call runs one API call in process, with no HTTP and no JSON round trip:
// cloud code's Parse SDK and the LeanCloud dialect reach the API this way.
// method and path are what a client would send, path relative to the mount
// ("classes/Game", "users/me", "functions/hello", "batch", with a query
// string if any); body is the JSON body, or for a GET the query parameters
// (where, limit, ...). auth is the caller, already resolved (see
// core.App.AuthForSession); ctx may carry a core.CallInfo with the
// cloud-code context. The call goes through the same route table,
// idempotency check and pipeline as an HTTP request, so every permission
// applies. It returns the reply's status, body and extra headers (such as
// X-Parse-Job-Status-Id), or the error a client would get (a *core.Error).
func (h *Handler) Call(ctx context.Context, method, path string, body map[string]any, auth *core.Auth) (status int, result any, headers map[string]string, err error) {
	rawPath, rawQuery, _ := strings.Cut(strings.Trim(path, "/"), "?")
	req := &request{method: strings.ToUpper(method), auth: auth, ctx: ctx,
		http: &http.Request{Method: strings.ToUpper(method), URL: &url.URL{Path: "/" + rawPath, RawQuery: rawQuery}, Header: http.Header{}}}
	if rawPath != "" {
		req.path = strings.Split(rawPath, "/")
	}
	if req.method == http.MethodGet {
		req.params = body
		if req.params == nil {
			req.params = map[string]any{}
			for k, v := range req.http.URL.Query() {
				req.params[k] = v[0]
			}
		}
	} else {
		req.body = body
	}
	ref, found := h.router.match(req.method, req.path)
	if !found {
		return 0, nil, nil, errNoRoute(req.method, req.path)
	}
	req.route = ref
	rep, err := h.route(req)
	if err != nil {
		return 0, nil, nil, err
	}
	return rep.status, rep.body, rep.headers, nil
}
