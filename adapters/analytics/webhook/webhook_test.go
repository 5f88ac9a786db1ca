package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/analytics/analyticstest"
	"github.com/switchboardhq/switchboard/adapters/analytics/webhook"
	"github.com/switchboardhq/switchboard/core"
)

const secret = "s3cret"

// collector is a fake receiver: it checks the signature, keeps the events
// of each good batch, and answers 503 while failing is set.
type collector struct {
	mu      sync.Mutex
	events  []core.AnalyticsEvent
	failing bool
	bad     int // requests refused for a wrong signature
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.Header.Get("X-Switchboard-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) || r.Method != http.MethodPost {
		c.bad++
		http.Error(w, `{"error":"bad signature"}`, http.StatusUnauthorized)
		return
	}
	if c.failing {
		http.Error(w, `{"error":"overloaded"}`, http.StatusServiceUnavailable)
		return
	}
	var batch struct{ Events []webhook.Event }
	if err := json.Unmarshal(body, &batch); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, e := range batch.Events {
		at, _ := time.Parse(time.RFC3339Nano, e.At)
		day, _ := time.Parse(time.DateOnly, e.Date)
		c.events = append(c.events, core.AnalyticsEvent{Name: e.Name, At: at, Day: int(day.Unix() / 86400), InstallationID: e.InstallationID,
			UserID: e.UserID, Platform: e.Platform, AppVersion: e.AppVersion, Channel: e.Channel, Dimensions: e.Dimensions})
	}
}

func TestConformance(t *testing.T) {
	var c *collector
	analyticstest.RunConformance(t, analyticstest.Harness{
		Provider: "webhook",
		Env: func(t *testing.T) core.ProviderEnv {
			c = &collector{}
			srv := httptest.NewServer(c)
			t.Cleanup(srv.Close)
			return core.ProviderEnv{Options: map[string]any{"url": srv.URL, "secret": secret}}
		},
		Received: func(t *testing.T) []core.AnalyticsEvent {
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.events
		},
	})
}

// A receiver's error answer is an error (the core retries the batch), and
// a wrong secret is refused by the receiver, never a silent success.
func TestErrors(t *testing.T) {
	c := &collector{failing: true}
	srv := httptest.NewServer(c)
	defer srv.Close()
	sink, err := core.OpenProvider(t.Context(), core.AnalyticsSinks, "webhook", core.ProviderEnv{Options: map[string]any{"url": srv.URL, "secret": secret}})
	if err != nil {
		t.Fatal(err)
	}
	err = sink.WriteEvents(t.Context(), analyticstest.Batch())
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a 503 answer: %v", err)
	}
	wrong, _ := core.OpenProvider(t.Context(), core.AnalyticsSinks, "webhook", core.ProviderEnv{Options: map[string]any{"url": srv.URL, "secret": "other"}})
	if err := wrong.WriteEvents(t.Context(), analyticstest.Batch()); err == nil || c.bad != 1 {
		t.Fatalf("a wrong signature: %v (refused %d)", err, c.bad)
	}
	for _, url := range []string{"", "ftp://x", "/relative"} {
		if _, err := core.OpenProvider(t.Context(), core.AnalyticsSinks, "webhook", core.ProviderEnv{Options: map[string]any{"url": url}}); err == nil {
			t.Errorf("url %q was accepted", url)
		}
	}
}
