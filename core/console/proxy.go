package console

import (
	"net/http"
	"net/url"
)

// forwardedHeaders are the request headers the API may see from the
// browser; every other one (cookies, X-Parse-* keys and session tokens) is
// dropped, so the call runs as the admin's key and nothing else.
var forwardedHeaders = []string{"Content-Type", "Content-Length", "Accept", "X-Parse-Request-Id", "If-None-Match", "Range"}

// proxy forwards a signed-in admin's call to the Parse API in process, with
// the master key, or the read-only master key for a read-only admin.
func (h *Handler) proxy(w http.ResponseWriter, r *http.Request, path string) {
	who, err := h.authorize(r)
	if err != nil {
		writeError(w, err)
		return
	}
	key := h.opts.MasterKey
	if who.readOnly {
		key = h.opts.ReadOnlyMasterKey
	}
	r2 := r.Clone(r.Context())
	r2.URL = &url.URL{Path: path, RawQuery: r.URL.RawQuery}
	r2.RequestURI = ""
	r2.Header = http.Header{}
	for _, k := range forwardedHeaders {
		if v := r.Header.Values(k); len(v) > 0 {
			r2.Header[k] = v
		}
	}
	r2.Header.Set("X-Parse-Application-Id", h.opts.AppID)
	r2.Header.Set("X-Parse-Master-Key", key)
	w.Header().Set("Cache-Control", "no-store")
	h.opts.API.ServeHTTP(w, r2)
}
