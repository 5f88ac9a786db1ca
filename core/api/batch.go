package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// maxBatchRequests bounds one /batch call. The SDKs send 20 at a time (their
// default batch size), so this leaves room without allowing unbounded work.
const maxBatchRequests = 1000

// batch runs several object requests in one call. With "transaction": true
// they commit together or not at all, and the first failure is the reply.
func (h *Handler) batch(ctx context.Context, req *request) (*reply, error) {
	raw, isList := req.body["requests"].([]any)
	if !isList {
		return nil, core.Errorf(core.CodeInvalidJSON, "requests must be an array")
	}
	if len(raw) > maxBatchRequests {
		return nil, core.Errorf(core.CodeInvalidJSON, "a batch holds at most %d requests, got %d", maxBatchRequests, len(raw))
	}
	transaction, _ := req.body["transaction"].(bool)
	subs := make([]*request, len(raw))
	for i, r := range raw {
		sub, err := h.decodeBatchEntry(r, req)
		if err != nil {
			return nil, err
		}
		subs[i] = sub
	}
	results := make([]any, len(subs))
	if !transaction {
		for i, sub := range subs {
			results[i] = batchResult(sub.route.serve(h, ctx, sub))
		}
		return ok(results), nil
	}
	err := h.app.InTransaction(ctx, func(ctx context.Context) error {
		for i, sub := range subs {
			rep, err := sub.route.serve(h, ctx, sub)
			if err != nil {
				return err
			}
			results[i] = batchResult(rep, nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok(results), nil
}

func batchResult(rep *reply, err error) map[string]any {
	if err != nil {
		e := core.AsError(err)
		return map[string]any{"error": map[string]any{"code": int(e.Code), "error": e.Message}}
	}
	return map[string]any{"success": rep.body}
}

// decodeBatchEntry reads {"method", "path", "body"}. The path carries the
// mount path ("/parse/classes/Foo"); only the object routes of the route
// table may be batched.
func (h *Handler) decodeBatchEntry(raw any, parent *request) (*request, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, core.Errorf(core.CodeInvalidJSON, "each batch request must be an object with method and path")
	}
	method, _ := m["method"].(string)
	path, _ := m["path"].(string)
	method = strings.ToUpper(method)
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
	default:
		return nil, core.Errorf(core.CodeInvalidJSON, "batch request method must be GET, POST, PUT or DELETE, got %q", method)
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	// What comes before the route must be this server's mount path (or
	// nothing): "/elsewhere/classes/X" is not ours to serve.
	if mount := mountOf(parent.http); mount != "" {
		prefix := strings.Split(mount, "/")
		if len(segs) > len(prefix) && strings.Join(segs[:len(prefix)], "/") == mount {
			segs = segs[len(prefix):]
		}
	}
	ref, found := h.router.match(method, segs)
	if !found || !ref.batch {
		return nil, core.Errorf(core.CodeInvalidJSON, "cannot route batch path %q: only /classes, /users, /roles, /sessions and /installations paths can be batched", path)
	}
	sub := &request{method: method, path: segs, auth: parent.auth, http: parent.http, route: ref, ctx: parent.ctx}
	if b, ok := m["body"]; ok && b != nil {
		body, ok := b.(map[string]any)
		if !ok {
			return nil, core.Errorf(core.CodeInvalidJSON, "batch request body must be an object")
		}
		sub.body = body
	}
	if method == http.MethodGet {
		sub.params = sub.body
	}
	return sub, nil
}

// mountOf is the mount path the request came in under, without slashes
// ("parse"), found by comparing the raw path with the stripped one.
func mountOf(r *http.Request) string {
	return strings.Trim(strings.TrimSuffix(requestPath(r), r.URL.Path), "/")
}
