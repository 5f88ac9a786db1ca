package api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

// FuzzDecodeRequest throws arbitrary bodies at the request decoder (the JS
// SDK envelope included): it must never panic, and it must answer either a
// decoded request or a client error.
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range []string{
		`{"_method":"GET","_ApplicationId":"app","where":{"a":1},"limit":10}`,
		`{"_ApplicationId":"app","_MasterKey":"mk","title":"x"}`,
		`{"_ApplicationId":"app","_SessionToken":"r:abc"}`,
		`{"_method":"DELETE","_ApplicationId":"app"}`, `[]`, `null`, `{`, `"x"`,
		`{"_ApplicationId":"wrong"}`, `{"_ApplicationId":"app","_method":7}`,
	} {
		f.Add(seed)
	}
	h := &Handler{opts: core.Options{AppID: "app", MasterKey: "mk"}.WithDefaults()}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/classes/Foo", strings.NewReader(body))
		r.Header.Set("Content-Type", "text/plain")
		req, err := h.decode(r)
		if err != nil {
			if errors.Is(err, errUnauthorized) {
				return
			}
			e := core.AsError(err)
			if e.Code == core.CodeInternalServerError {
				t.Fatalf("decode %q: internal error %v", body, err)
			}
			return
		}
		if req.auth == nil {
			t.Fatalf("decode %q: no auth on a decoded request", body)
		}
		for _, k := range envelopeKeys {
			if _, left := req.body[k]; left {
				t.Fatalf("decode %q: envelope key %s left in the body", body, k)
			}
		}
	})
}
