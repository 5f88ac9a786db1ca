package plugins_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// smsWebhook is an SMS gateway that records what it receives and answers
// with status.
type smsWebhook struct {
	mu     sync.Mutex
	got    []map[string]any
	status int
}

func newSMSWebhook(t *testing.T) (*smsWebhook, string) {
	w := &smsWebhook{status: 200}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var msg map[string]any
		_ = json.NewDecoder(r.Body).Decode(&msg)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.got = append(w.got, msg)
		rw.WriteHeader(w.status)
	}))
	t.Cleanup(srv.Close)
	return w, srv.URL
}

func (w *smsWebhook) received() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.got...)
}

func (w *smsWebhook) answer(status int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status = status
}

// The Node.js plugin (grpc-js, its own AutoMTLS certificate, the health
// service, go-plugin's handshake line) serves sms.v1: messages reach the
// webhook and its refusals come back with their codes.
func TestNodeSMSPlugin(t *testing.T) {
	hook, url := newSMSWebhook(t)
	h := plugintest.Start(t, plugintest.NodeSMSPlugin(t, "smshook", url))
	sms, err := core.OpenProvider(context.Background(), core.SMSProviders, "plugin:smshook", core.ProviderEnv{Plugins: h})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	msg := core.SMSMessage{To: "+8613800138000", Purpose: "login", Text: "Your code is 123456", Params: map[string]string{"code": "123456"}}
	if err := sms.Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	got := hook.received()
	if len(got) != 1 || got[0]["to"] != msg.To || got[0]["text"] != msg.Text || got[0]["params"].(map[string]any)["code"] != "123456" {
		t.Fatalf("the webhook received %v", got)
	}
	for status, code := range map[int]core.Code{409: core.CodeRequestLimitExceeded, 503: core.CodeConnectionFailed, 400: core.CodeInvalidValue, 403: core.CodeInternalServerError} {
		hook.answer(status)
		if err := sms.Send(ctx, msg); !core.IsCode(err, code) {
			t.Errorf("webhook %d: %v; want code %d", status, err, code)
		}
	}
}
