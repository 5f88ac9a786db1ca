package api

import "context"

// verifySmsCode checks a code sent by /requestSmsCode without logging in
// (LeanCloud's route: apps check a number they collected themselves).
func (h *Handler) verifySmsCode(ctx context.Context, req *request) (*reply, error) {
	return empty(h.app.VerifySMSCode(ctx, req.auth, bodyOrEmpty(req.body)["mobilePhoneNumber"], req.value("code")))
}
