package smstest_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/plugins"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// hookFake is an SMS gateway speaking the Node.js example plugin's
// webhook protocol (plugins/examples/sms-node/plugin.js), with the faults
// the suite asks for.
type hookFake struct {
	*conformance.Faults
	url, token string
	mu         sync.Mutex
	sent       []smstest.Sent
}

func newHookFake(t *testing.T) *hookFake {
	f := &hookFake{Faults: conformance.NewFaults(), token: conformance.RandomHex(16)}
	srv := httptest.NewServer(f)
	t.Cleanup(func() { f.Release(); srv.Close() })
	f.url = srv.URL
	return f
}

func (f *hookFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mode, ok := f.BeginHTTP(w, r)
	if !ok {
		return
	}
	switch mode {
	case conformance.Failing:
		http.Error(w, "gateway error", http.StatusBadGateway)
		return
	case conformance.Throttled:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	var msg struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil || msg.To == smstest.InvalidNumber {
		http.Error(w, "invalid number", http.StatusBadRequest)
		return
	}
	if !f.Take(msg.To) {
		http.Error(w, "quota for this number", http.StatusConflict)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, smstest.Sent{To: msg.To, Content: msg.Text})
	w.WriteHeader(http.StatusOK)
}

func (f *hookFake) Sent() []smstest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// The sms conformance suite against the Node.js example plugin (a real
// node process, grpc-js, AutoMTLS): its options url and token become the
// plugin's SMS_WEBHOOK_URL and SMS_WEBHOOK_TOKEN.
func TestNodePluginConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node process per subtest")
	}
	t.Cleanup(plugintest.Cleanup)
	base := plugintest.NodeSMSPlugin(t, "smsnode", "")
	name := plugintest.RegisterPlugin(t, plugins.KindSMS, "plugin-test-sms-node", func(options map[string]any) (plugins.Spec, error) {
		spec := base
		spec.Env = map[string]string{}
		for _, key := range slices.Sorted(maps.Keys(options)) {
			v, _ := options[key].(string)
			switch key {
			case "url":
				spec.Env["SMS_WEBHOOK_URL"] = v
			case "token":
				spec.Env["SMS_WEBHOOK_TOKEN"] = v
			default:
				return spec, fmt.Errorf("unknown option %q (url, token)", key)
			}
		}
		if !strings.HasPrefix(spec.Env["SMS_WEBHOOK_URL"], "http") {
			return spec, fmt.Errorf("option url must be the webhook's http(s) URL")
		}
		return spec, nil
	})
	smstest.RunConformance(t, smstest.Harness{Provider: name, Setup: func(t *testing.T) *smstest.Fixture {
		fake := newHookFake(t)
		return &smstest.Fixture{
			Options:    map[string]any{"url": fake.url, "token": fake.token},
			Sent:       fake.Sent,
			Remote:     fake,
			BadOptions: map[string]map[string]any{"no url": {"token": fake.token}},
			Secrets:    []string{fake.token},
		}
	}})
}
