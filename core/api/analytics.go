package api

import (
	"context"
	"net/http"

	"github.com/switchboardhq/switchboard/core"
)

// Analytics is the analytics feature as the API's routes see it (the
// analytics feature provides it with SetAnalytics). Without it, events are
// accepted and dropped, as Parse Server does, and reports answer 119.
type Analytics interface {
	// Track takes in one event a client sent to POST /events/:name.
	Track(ctx context.Context, auth *core.Auth, name string, body map[string]any) error
	// Report answers GET /analytics/:report with the query parameters.
	Report(ctx context.Context, auth *core.Auth, report string, params map[string]any) (map[string]any, error)
}

// SetAnalytics makes a serve the analytics routes. Call it before the
// handler serves.
func (h *Handler) SetAnalytics(a Analytics) { h.analytics = a }

// trackEvent serves POST /events/:name (Parse.Analytics.track, and
// AppOpened from the mobile SDKs' trackAppOpened): {} once the event is
// buffered, 155 when too many wait to be written.
func (h *Handler) trackEvent(ctx context.Context, req *request) (*reply, error) {
	if h.analytics != nil {
		if err := h.analytics.Track(ctx, req.auth, req.value("name"), req.body); err != nil {
			return nil, err
		}
	}
	return ok(map[string]any{}), nil
}

// analyticsReport serves GET /analytics/:report (master key or policy).
func (h *Handler) analyticsReport(ctx context.Context, req *request) (*reply, error) {
	if h.analytics == nil {
		return nil, core.Errorf(core.CodeCommandUnavailable, "analytics is not enabled on this server (analytics.provider: none)")
	}
	params := req.params
	if req.method != http.MethodGet {
		params = req.body
	}
	out, err := h.analytics.Report(ctx, req.auth, req.value("report"), params)
	if err != nil {
		return nil, err
	}
	return ok(out), nil
}
