package api

import (
	"context"
	"net/http"
)

// sendPush serves POST /push (master key, or a policy for the point
// "push"): it records the push and answers {"result": true} with its
// _PushStatus objectId in X-Parse-Push-Status-Id, as Parse Server does;
// the push is sent in the background, now or at its push_time.
func (h *Handler) sendPush(ctx context.Context, req *request) (*reply, error) {
	id, err := h.app.SendPush(ctx, req.auth, bodyOrEmpty(req.body))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: map[string]any{"result": true}, headers: map[string]string{"X-Parse-Push-Status-Id": id}}, nil
}

// cancelPush serves POST /push/:id/cancel (Switchboard's own route): a
// pending, scheduled or running push is not started, or stops sending.
func (h *Handler) cancelPush(ctx context.Context, req *request) (*reply, error) {
	if err := h.app.CancelPush(ctx, req.auth, req.value("id")); err != nil {
		return nil, err
	}
	return ok(map[string]any{"result": true}), nil
}

// pushFeatures is serverInfo's features.push: what the dashboard may offer.
func (h *Handler) pushFeatures() map[string]any {
	on := h.app.PushService() != nil
	return map[string]any{"immediatePush": on, "scheduledPush": on, "storedPushData": on, "pushAudiences": false, "localization": false}
}
