package api

import (
	"context"
	"net/http"

	"github.com/switchboardhq/switchboard/core"
)

// classAliases are Parse's shortcut routes for system classes: /users is
// /classes/_User, and so on, with the special cases handled in users().
var classAliases = map[string]string{
	"users": "_User", "roles": "_Role", "sessions": "_Session", "installations": "_Installation",
}

// aliasToClasses rewrites /users/x into /classes/_User/x.
func aliasToClasses(path []string) []string {
	out := make([]string, 0, len(path)+1)
	out = append(out, "classes", classAliases[path[0]])
	return append(out, path[1:]...)
}

// params returns the request's parameters: the query (GET) or the body.
func (req *request) paramsOrBody() map[string]any {
	if req.params != nil {
		return req.params
	}
	return bodyOrEmpty(req.body)
}

// users serves the user, session and login routes.
func (h *Handler) users(ctx context.Context, req *request) (*reply, error) {
	p, auth := req.path, req.auth
	switch {
	case p[0] == "users" && len(p) == 1 && req.method == http.MethodPost:
		res, created, err := h.app.Signup(ctx, auth, bodyOrEmpty(req.body))
		if err != nil {
			return nil, err
		}
		if !created {
			return ok(res), nil
		}
		return &reply{status: http.StatusCreated, body: res, location: h.locationFor(req.http, "users", res[core.FieldObjectID].(string))}, nil
	case p[0] == "users" && len(p) == 2 && p[1] == "me" && req.method == http.MethodGet:
		return result(h.app.Me(ctx, auth))
	case p[0] == "sessions" && len(p) == 2 && p[1] == "me" && req.method == http.MethodGet:
		return result(h.app.CurrentSession(ctx, auth))
	case p[0] == "sessions" && len(p) == 1 && req.method == http.MethodPost:
		return result(h.app.CreateRestrictedSession(ctx, auth))
	case p[0] == "login" && len(p) == 1 && (req.method == http.MethodGet || req.method == http.MethodPost):
		return result(h.app.Login(ctx, auth, req.paramsOrBody()))
	case p[0] == "verifyPassword" && len(p) == 1 && (req.method == http.MethodGet || req.method == http.MethodPost):
		return result(h.app.VerifyPassword(ctx, auth, req.paramsOrBody()))
	case p[0] == "logout" && len(p) == 1 && req.method == http.MethodPost:
		return empty(h.app.Logout(ctx, auth))
	case p[0] == "upgradeToRevocableSession" && len(p) == 1 && req.method == http.MethodPost:
		// Every session is revocable already: answer with the current one.
		return result(h.app.CurrentSession(ctx, auth))
	case p[0] == "requestPasswordReset" && len(p) == 1 && req.method == http.MethodPost:
		return empty(h.app.RequestPasswordReset(ctx, auth, bodyOrEmpty(req.body)["email"]))
	case p[0] == "verificationEmailRequest" && len(p) == 1 && req.method == http.MethodPost:
		return empty(h.app.RequestVerificationEmail(ctx, auth, bodyOrEmpty(req.body)["email"]))
	case (p[0] == "requestSmsCode" || p[0] == "requestLoginSmsCode") && len(p) == 1 && req.method == http.MethodPost:
		b := bodyOrEmpty(req.body)
		purpose, _ := b["purpose"].(string)
		return empty(h.app.RequestSMSCode(ctx, auth, b["mobilePhoneNumber"], purpose))
	case p[0] == "requestMobilePhoneVerify" && len(p) == 1 && req.method == http.MethodPost:
		return empty(h.app.RequestSMSCode(ctx, auth, bodyOrEmpty(req.body)["mobilePhoneNumber"], core.PurposeVerify))
	case p[0] == "usersByMobilePhone" && len(p) == 1 && req.method == http.MethodPost:
		res, created, err := h.app.LoginWithPhone(ctx, auth, bodyOrEmpty(req.body))
		if err != nil {
			return nil, err
		}
		if created {
			return &reply{status: http.StatusCreated, body: res}, nil
		}
		return ok(res), nil
	case p[0] == "verifyMobilePhone" && len(p) == 2 && req.method == http.MethodPost:
		return empty(h.app.VerifyMobilePhone(ctx, auth, bodyOrEmpty(req.body)["mobilePhoneNumber"], p[1]))
	}
	if _, alias := classAliases[p[0]]; alias && len(p) <= 2 {
		sub := *req
		sub.path = aliasToClasses(p)
		return h.classes(ctx, &sub)
	}
	return nil, errNoRoute(req)
}

func result(body map[string]any, err error) (*reply, error) {
	if err != nil {
		return nil, err
	}
	return ok(body), nil
}

func empty(err error) (*reply, error) {
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{}), nil
}
