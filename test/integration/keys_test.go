package integration

import (
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

// TestMasterKeyIPs: the master key is refused from addresses outside
// masterKeyIps, and honoured from inside them. The harness's clients come
// from 127.0.0.1.
func TestMasterKeyIPs(t *testing.T) {
	tests := []struct {
		name   string
		allow  []string
		status int
		code   int
	}{
		{"loopback allowed by CIDR", []string{"127.0.0.0/8"}, 200, 0},
		{"loopback allowed by address", []string{"10.0.0.1", "127.0.0.1"}, 200, 0},
		{"only another network", []string{"10.0.0.0/8"}, 400, 119},
		{"only IPv6 loopback", []string{"::1"}, 400, 119},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(o *core.Options) { o.MasterKeyIPs = tt.allow })
			res := h.do("GET", "/schemas", "master", nil)
			if res.status != tt.status || res.code() != tt.code {
				t.Fatalf("GET /schemas with the master key: %d %s, want %d code %d", res.status, res.raw, tt.status, tt.code)
			}
			// Without the master key nothing changes: the request is an
			// ordinary one, refused by the schema route as always.
			if res := h.do("GET", "/schemas", "", nil); res.code() != 119 {
				t.Fatalf("GET /schemas without a key: %d %s", res.status, res.raw)
			}
		})
	}
}

// TestClientKeys: once a client key is configured, requests without the
// master key must present one of the client keys (403 otherwise).
func TestClientKeys(t *testing.T) {
	h := newHarness(t, func(o *core.Options) { o.ClientKeys = []string{"rest-key", "js-key"} })
	cases := []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"no key", nil, 403},
		{"wrong key", map[string]string{"X-Parse-REST-API-Key": "nope"}, 403},
		{"REST key", map[string]string{"X-Parse-REST-API-Key": "rest-key"}, 200},
		{"JavaScript key", map[string]string{"X-Parse-Javascript-Key": "js-key"}, 200},
		{"master key instead", map[string]string{"X-Parse-Master-Key": masterKey}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := httpGet(t, h.url+"/classes/Thing", withAppID(c.headers))
			if err != nil {
				t.Fatal(err)
			}
			if res.status != c.status {
				t.Fatalf("%d %s, want %d", res.status, res.raw, c.status)
			}
			if c.status == 403 && res.body["error"] != "unauthorized" {
				t.Fatalf("refusal is not Parse's unauthorized: %s", res.raw)
			}
		})
	}
	// The JS SDK's envelope carries the key in the body.
	res := h.doWithHeaders("POST", "/classes/Thing", map[string]any{"_method": "GET", "_JavaScriptKey": "js-key"}, nil)
	if res.status != 200 {
		t.Fatalf("envelope with _JavaScriptKey: %d %s", res.status, res.raw)
	}
	res = h.doWithHeaders("POST", "/classes/Thing", map[string]any{"_method": "GET", "_JavaScriptKey": "bad"}, nil)
	if res.status != 403 {
		t.Fatalf("envelope with a wrong _JavaScriptKey: %d %s", res.status, res.raw)
	}
}

func withAppID(h map[string]string) map[string]string {
	out := map[string]string{"X-Parse-Application-Id": appID}
	for k, v := range h {
		out[k] = v
	}
	return out
}
