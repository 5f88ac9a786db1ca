package integration

import (
	"net/http"
	"sort"
	"testing"
)

// installationsWith returns the installations holding field = value, read
// with the master key, sorted by objectId.
func (h *harness) installationsWith(field string, value any) []map[string]any {
	h.t.Helper()
	r := h.do("GET", "/installations", "master", map[string]any{"_method": "GET", "where": map[string]any{field: value}})
	if r.status != http.StatusOK {
		h.t.Fatalf("listing installations: %d %s", r.status, r.raw)
	}
	var out []map[string]any
	for _, o := range r.body["results"].([]any) {
		out = append(out, o.(map[string]any))
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["objectId"].(string) < out[j]["objectId"].(string) })
	return out
}

// device sends a request as a device: the app id and, if set, its
// installation id header.
func (h *harness) device(installationID, method, path string, body any) response {
	h.t.Helper()
	headers := map[string]string{}
	if installationID != "" {
		headers["X-Parse-Installation-Id"] = installationID
	}
	return h.request(method, path, body, headers)
}

const apnsToken = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"

// Creating installations: the required fields, normalisation, and
// deduplication by installationId and deviceToken, as Parse Server does.
func TestInstallationCreate(t *testing.T) {
	tests := []struct {
		name  string
		setup []map[string]any // created first, with the master key
		body  map[string]any
		hdrID string // X-Parse-Installation-Id of the create
		code  int    // expected Parse error code, 0 for success
		// after a success: how many installations hold the id and the
		// token, and whether the create hit setup[updates].
		byID, byToken int
		updates       int // -1: a new object
	}{
		{name: "no id at all", body: map[string]any{"deviceType": "ios"}, code: 135},
		{name: "no deviceType", body: map[string]any{"installationId": "a1"}, code: 135},
		{name: "installationId from the header", body: map[string]any{"deviceType": "android"}, hdrID: "HDR-1", byID: 1, updates: -1},
		{name: "new", body: map[string]any{"installationId": "n1", "deviceType": "android", "channels": []any{"news"}}, byID: 1, updates: -1},
		{name: "wrong type", body: map[string]any{"installationId": 7, "deviceType": "android"}, code: 111},
		{
			name:  "same installationId updates, deviceType not needed",
			setup: []map[string]any{{"installationId": "same", "deviceType": "android", "badge": 1}},
			body:  map[string]any{"installationId": "SAME", "badge": 5},
			byID:  1, updates: 0,
		},
		{
			name:  "same token without installationId updates it",
			setup: []map[string]any{{"deviceToken": apnsToken, "deviceType": "ios"}},
			body:  map[string]any{"deviceToken": apnsToken, "deviceType": "ios", "installationId": "tok-1"},
			byID:  1, byToken: 1, updates: 0,
		},
		{
			name: "token held by another installation: the stale one goes",
			setup: []map[string]any{
				{"installationId": "old-install", "deviceToken": "fcm-token-1", "deviceType": "android"},
			},
			body: map[string]any{"installationId": "new-install", "deviceToken": "fcm-token-1", "deviceType": "android"},
			byID: 1, byToken: 1, updates: -1,
		},
		{
			name: "token held by several installations needs an installationId",
			setup: []map[string]any{
				// Two apps of one vendor: a token is only stale within an app.
				{"installationId": "m1", "deviceToken": "shared", "deviceType": "android", "appIdentifier": "com.a"},
				{"installationId": "m2", "deviceToken": "shared", "deviceType": "android", "appIdentifier": "com.b"},
			},
			body: map[string]any{"deviceToken": "shared", "deviceType": "android"},
			code: 132,
		},
		{
			name: "merge: the id's installation goes, the token's one is kept",
			setup: []map[string]any{
				{"deviceToken": "merge-token", "deviceType": "android"},
				{"installationId": "merge-id", "deviceType": "android"},
			},
			body: map[string]any{"installationId": "merge-id", "deviceToken": "merge-token"},
			byID: 1, byToken: 1, updates: 0,
		},
		{
			name: "an installation's new token drops its stale holders",
			setup: []map[string]any{
				{"installationId": "keeper", "deviceToken": "t-old", "deviceType": "android"},
				{"installationId": "stale", "deviceToken": "t-new", "deviceType": "android"},
			},
			body: map[string]any{"installationId": "keeper", "deviceToken": "t-new"},
			byID: 1, byToken: 1, updates: 0,
		},
		{name: "tags over JPush's limit", body: map[string]any{"installationId": "tg", "deviceType": "android", "tags": []any{"this-tag-is-much-longer-than-forty-bytes-in-all"}}, code: 162},
		{name: "tags of the wrong type", body: map[string]any{"installationId": "tg2", "deviceType": "android", "tags": []any{1}}, code: 162},
		{name: "JPush fields", body: map[string]any{"installationId": "jp", "deviceType": "android", "pushType": "jpush", "registrationId": "1a0018970a", "tags": []any{"vip", "beijing"}, "alias": "u42"}, byID: 1, updates: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			var ids []string
			for _, s := range tc.setup {
				r := h.do("POST", "/classes/_Installation", "master", s)
				if r.status != http.StatusCreated {
					t.Fatalf("setup: %d %s", r.status, r.raw)
				}
				ids = append(ids, r.body["objectId"].(string))
			}
			r := h.device(tc.hdrID, "POST", "/installations", tc.body)
			if tc.code != 0 {
				if r.code() != tc.code {
					t.Fatalf("got %d %s, want code %d", r.status, r.raw, tc.code)
				}
				return
			}
			if r.status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.status, r.raw)
			}
			got, _ := r.body["objectId"].(string)
			if tc.updates >= 0 && got != ids[tc.updates] {
				t.Fatalf("the create made or updated %q, want the existing %q (%s)", got, ids[tc.updates], r.raw)
			}
			if tc.updates < 0 && len(ids) > 0 && got == ids[0] {
				t.Fatalf("the create updated %q, want a new installation", got)
			}
			if id, _ := tc.body["installationId"].(string); id != "" || tc.hdrID != "" {
				if id == "" {
					id = tc.hdrID
				}
				lower := toLower(id)
				if n := len(h.installationsWith("installationId", lower)); n != tc.byID {
					t.Errorf("%d installations with installationId %q, want %d", n, lower, tc.byID)
				}
			}
			if tok, _ := tc.body["deviceToken"].(string); tok != "" {
				if n := len(h.installationsWith("deviceToken", tok)); n != tc.byToken {
					t.Errorf("%d installations with deviceToken %q, want %d", n, tok, tc.byToken)
				}
			}
		})
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// The stored values: ids in lower case, an APNs token too, and the reply
// of a create that updated names the object.
func TestInstallationNormalised(t *testing.T) {
	h := newHarness(t, nil)
	r := h.device("", "POST", "/installations", map[string]any{"installationId": "ABC-Def", "deviceType": "ios", "deviceToken": apnsToken})
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	id := r.body["objectId"].(string)
	got := h.do("GET", "/installations/"+id, "master", nil)
	if got.body["installationId"] != "abc-def" || got.body["deviceToken"] != toLower(apnsToken) {
		t.Fatalf("stored %v", got.body)
	}
	again := h.device("", "POST", "/installations", map[string]any{"installationId": "abc-DEF", "badge": 3})
	if again.status != http.StatusCreated || again.body["objectId"] != id || again.body["updatedAt"] == nil || again.body["createdAt"] == nil {
		t.Fatalf("a second save of the same device: %d %s", again.status, again.raw)
	}
}

// Updates: immutable fields, and only the device itself (or the master
// key) may change its installation.
func TestInstallationUpdate(t *testing.T) {
	h := newHarness(t, nil)
	mk := func(body map[string]any) string {
		r := h.do("POST", "/installations", "master", body)
		if r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		return r.body["objectId"].(string)
	}
	withID := mk(map[string]any{"installationId": "dev-1", "deviceType": "android", "deviceToken": "tok-a"})
	noID := mk(map[string]any{"deviceType": "ios", "deviceToken": "ab" + apnsToken[2:]})
	tests := []struct {
		name   string
		id     string
		hdrID  string
		master bool
		body   map[string]any
		code   int
	}{
		{"another device", withID, "dev-2", false, map[string]any{"badge": 2}, 119},
		{"no installation id", withID, "", false, map[string]any{"badge": 2}, 119},
		{"its own device", withID, "DEV-1", false, map[string]any{"badge": 2}, 0},
		{"installationId is immutable", withID, "dev-1", false, map[string]any{"installationId": "dev-9"}, 136},
		{"deviceType is immutable", withID, "dev-1", false, map[string]any{"deviceType": "ios"}, 136},
		{"even for the master key", withID, "", true, map[string]any{"deviceType": "ios"}, 136},
		{"the token of a device with an id may change", withID, "dev-1", false, map[string]any{"deviceToken": "tok-b"}, 0},
		{"the token of a device without an id may not", noID, "", true, map[string]any{"deviceToken": "cd" + apnsToken[2:]}, 136},
		{"a device without id is the one with its token", noID, "", false, map[string]any{"deviceToken": toLower("ab" + apnsToken[2:]), "badge": 4}, 0},
		{"missing", "AAAAAAAAAA", "", true, map[string]any{"badge": 1}, 101},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			headers := map[string]string{}
			if tc.hdrID != "" {
				headers["X-Parse-Installation-Id"] = tc.hdrID
			}
			if tc.master {
				headers["X-Parse-Master-Key"] = masterKey
			}
			r := h.request("PUT", "/installations/"+tc.id, tc.body, headers)
			if tc.code == 0 && r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			if tc.code != 0 && r.code() != tc.code {
				t.Fatalf("got %d %s, want code %d", r.status, r.raw, tc.code)
			}
		})
	}
}

// Clients cannot list or delete installations; they may get one.
func TestInstallationClientRestrictions(t *testing.T) {
	h := newHarness(t, nil)
	r := h.device("c-1", "POST", "/installations", map[string]any{"deviceType": "web"})
	id := r.body["objectId"].(string)
	if g := h.device("c-1", "GET", "/installations/"+id, nil); g.status != http.StatusOK {
		t.Fatalf("get: %d %s", g.status, g.raw)
	}
	if f := h.device("c-1", "GET", "/installations", nil); f.code() != 119 {
		t.Fatalf("find: %d %s", f.status, f.raw)
	}
	if d := h.device("c-1", "DELETE", "/installations/"+id, nil); d.code() != 119 {
		t.Fatalf("delete: %d %s", d.status, d.raw)
	}
}

// An installation marked inactive (a provider reported its token invalid)
// is active again once its device saves a new token.
func TestInstallationReactivatedByNewToken(t *testing.T) {
	h := newHarness(t, nil)
	r := h.do("POST", "/installations", "master", map[string]any{"installationId": "re-1", "deviceType": "android", "deviceToken": "t1", "active": false})
	id := r.body["objectId"].(string)
	h.device("re-1", "PUT", "/installations/"+id, map[string]any{"badge": 1})
	if got := h.do("GET", "/installations/"+id, "master", nil); got.body["active"] != false {
		t.Fatalf("a save without a new token reactivated it: %v", got.body)
	}
	h.device("re-1", "PUT", "/installations/"+id, map[string]any{"deviceToken": "t2"})
	if got := h.do("GET", "/installations/"+id, "master", nil); got.body["active"] != true {
		t.Fatalf("a new token did not reactivate it: %v", got.body)
	}
}
