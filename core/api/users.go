package api

import (
	"context"
	"net/http"

	"github.com/switchboardhq/switchboard/core"
)

// The user, session and phone-login routes beside the data routes of
// _User and _Session (see the route table).

// paramsOrBody returns the request's parameters: the query (GET) or the body.
func (req *request) paramsOrBody() map[string]any {
	if req.params != nil {
		return req.params
	}
	return bodyOrEmpty(req.body)
}

func (h *Handler) signup(ctx context.Context, req *request) (*reply, error) {
	res, created, err := h.app.Signup(ctx, req.auth, bodyOrEmpty(req.body))
	if err != nil {
		return nil, err
	}
	if !created {
		return ok(res), nil
	}
	return &reply{status: http.StatusCreated, body: res, location: h.locationFor(req.http, "users", res[core.FieldObjectID].(string))}, nil
}

func (h *Handler) me(ctx context.Context, req *request) (*reply, error) {
	return result(h.app.Me(ctx, req.auth))
}

func (h *Handler) currentSession(ctx context.Context, req *request) (*reply, error) {
	// upgradeToRevocableSession lands here too: every session is
	// revocable already, so it answers with the current one.
	return result(h.app.CurrentSession(ctx, req.auth))
}

func (h *Handler) createSession(ctx context.Context, req *request) (*reply, error) {
	return result(h.app.CreateRestrictedSession(ctx, req.auth))
}

func (h *Handler) login(ctx context.Context, req *request) (*reply, error) {
	return result(h.app.Login(ctx, req.auth, req.paramsOrBody()))
}

func (h *Handler) loginAs(ctx context.Context, req *request) (*reply, error) {
	return result(h.app.LoginAs(ctx, req.auth, req.paramsOrBody()))
}

func (h *Handler) verifyPassword(ctx context.Context, req *request) (*reply, error) {
	return result(h.app.VerifyPassword(ctx, req.auth, req.paramsOrBody()))
}

func (h *Handler) logout(ctx context.Context, req *request) (*reply, error) {
	return empty(h.app.Logout(ctx, req.auth))
}

func (h *Handler) requestPasswordReset(ctx context.Context, req *request) (*reply, error) {
	return empty(h.app.RequestPasswordReset(ctx, req.auth, bodyOrEmpty(req.body)["email"]))
}

func (h *Handler) verificationEmailRequest(ctx context.Context, req *request) (*reply, error) {
	return empty(h.app.RequestVerificationEmail(ctx, req.auth, bodyOrEmpty(req.body)["email"]))
}

func (h *Handler) requestSmsCode(ctx context.Context, req *request) (*reply, error) {
	b := bodyOrEmpty(req.body)
	purpose, _ := b["purpose"].(string)
	return empty(h.app.RequestSMSCode(ctx, req.auth, b["mobilePhoneNumber"], purpose))
}

func (h *Handler) requestMobilePhoneVerify(ctx context.Context, req *request) (*reply, error) {
	return empty(h.app.RequestSMSCode(ctx, req.auth, bodyOrEmpty(req.body)["mobilePhoneNumber"], core.PurposeVerify))
}

func (h *Handler) usersByMobilePhone(ctx context.Context, req *request) (*reply, error) {
	res, created, err := h.app.LoginWithPhone(ctx, req.auth, bodyOrEmpty(req.body))
	if err != nil {
		return nil, err
	}
	if created {
		return &reply{status: http.StatusCreated, body: res}, nil
	}
	return ok(res), nil
}

func (h *Handler) verifyMobilePhone(ctx context.Context, req *request) (*reply, error) {
	return empty(h.app.VerifyMobilePhone(ctx, req.auth, bodyOrEmpty(req.body)["mobilePhoneNumber"], req.value("code")))
}
