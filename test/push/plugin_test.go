package push

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// webhook records what the push-webhook plugin posts and answers each
// device: "invalid" for tokens starting with "bad", else "delivered".
type webhook struct {
	mu     sync.Mutex
	tokens []string
	alerts []string
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var body struct {
		Data    map[string]any `json:"data"`
		Devices []struct {
			Token string `json:"token"`
		} `json:"devices"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Header.Get("Idempotency-Key") == "" {
		http.Error(rw, "bad request", http.StatusBadRequest)
		return
	}
	type result struct {
		Status string `json:"status"`
		Error  string `json:"error,omitempty"`
	}
	var results []result
	w.mu.Lock()
	for _, d := range body.Devices {
		if len(d.Token) >= 3 && d.Token[:3] == "bad" {
			results = append(results, result{"invalid", "unknown device"})
			continue
		}
		w.tokens = append(w.tokens, d.Token)
		w.alerts = append(w.alerts, body.Data["alert"].(string))
		results = append(results, result{Status: "delivered"})
	}
	w.mu.Unlock()
	_ = json.NewEncoder(rw).Encode(map[string]any{"results": results})
}

func (w *webhook) received() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return sorted(w.tokens...)
}

// A push is delivered through the push-webhook example plugin (a real
// process): every device once, unknown tokens deactivated.
func TestPushThroughWebhookPlugin(t *testing.T) {
	hook := &webhook{}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	path, sum := plugintest.Build(t, "github.com/switchboardhq/switchboard/plugins/examples/push-webhook")
	s := start(t, t.TempDir(), map[string]any{
		"plugins": []any{map[string]any{"name": "hook", "path": path, "sha256": sum,
			"env": map[string]any{"PUSH_WEBHOOK_URL": srv.URL, "PUSH_WEBHOOK_MAX_BATCH": "2"}}},
		"push": map[string]any{"routes": []any{map[string]any{"provider": "plugin:hook"}}, "plugin:hook": map[string]any{}},
	})
	var devices []map[string]any
	var want []string
	for i, token := range []string{"t1", "t2", "t3", "t4", "t5", "bad6"} {
		devices = append(devices, map[string]any{"installationId": "inst-" + token, "deviceType": "android", "deviceToken": token})
		if i < 5 {
			want = append(want, token)
		}
	}
	s.installMany(devices)
	id := s.push(map[string]any{"where": map[string]any{}, "data": map[string]any{"alert": "through a plugin"}})
	st := s.waitStatus(id, 60*time.Second)
	if st["status"] != "succeeded" || num(st, "numSent") != 5 || num(st, "numFailed") != 1 {
		t.Fatalf("status %v", st)
	}
	if got := hook.received(); !slices.Equal(got, want) {
		t.Fatalf("the webhook got %v, want each of %v once", got, want)
	}
	inactive := s.query("_Installation", map[string]any{"active": false})
	if len(inactive) != 1 || inactive[0]["installationId"] != "inst-bad6" {
		t.Fatalf("inactive installations %v, want inst-bad6", inactive)
	}
}
