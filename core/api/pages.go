package api

import (
	"context"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// The pages behind the links in verification and password reset e-mails
// (Parse Server serves them under /apps/:appId/). They are plain HTML with
// no script, so they work in any mail client's browser.

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · {{.App}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}
input,button{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p>
{{if .Form}}<form method="post" action="">
<input type="hidden" name="token" value="{{.Token}}"><input type="hidden" name="username" value="{{.Username}}">
<label>New password <input type="password" name="new_password" autocomplete="new-password" required minlength="1" maxlength="72"></label>
<button type="submit">Set password</button></form>{{end}}
</body></html>`))

type page struct {
	App, Title, Message string
	Form                bool
	Token, Username     string
}

func (h *Handler) servePages(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[1] != h.opts.AppID {
		http.NotFound(w, r)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	p := page{App: h.opts.AppName}
	status := http.StatusOK
	switch {
	case parts[2] == "verify_email" && r.Method == http.MethodGet:
		q := r.URL.Query()
		if err := h.app.VerifyEmail(ctx, q.Get("username"), q.Get("token")); err != nil {
			p.Title, p.Message, status = "Invalid link", "This verification link is invalid or has expired. Request a new one from the app.", http.StatusBadRequest
		} else {
			p.Title, p.Message = "E-mail verified", "Your e-mail address has been verified. You can close this page."
		}
	case parts[2] == "request_password_reset" && r.Method == http.MethodGet:
		q := r.URL.Query()
		p.Title, p.Message, p.Form = "Choose a new password", "Enter the new password for "+q.Get("username")+".", true
		p.Token, p.Username = q.Get("token"), q.Get("username")
	case parts[2] == "request_password_reset" && r.Method == http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		if err := r.ParseForm(); err != nil {
			p.Title, p.Message, status = "Bad request", "The form could not be read.", http.StatusBadRequest
			break
		}
		err := h.app.ResetPassword(ctx, r.PostForm.Get("username"), r.PostForm.Get("token"), r.PostForm.Get("new_password"))
		if err != nil {
			p.Title, p.Message, status = "Password not changed", "This reset link is invalid or has expired, or the password was not accepted. Request a new link from the app.", http.StatusBadRequest
		} else {
			p.Title, p.Message = "Password changed", "Your password has been changed. You can log in with it now."
		}
	default:
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// The token is in the URL: keep it out of Referer headers, frames and scripts.
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, p)
}
