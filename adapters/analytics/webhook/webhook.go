// Package webhook is the analytics sink "webhook": it forwards each batch
// of events as one JSON POST to a URL of the operator's (a collector, a
// column store's ingest endpoint), signed with a shared secret. It keeps
// nothing, so the reports are not served with it.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/httpkit"
	"github.com/switchboardhq/switchboard/core"
)

func init() {
	core.AnalyticsSinks.Register("webhook", Open)
}

// Options are the sink's options (analytics.webhook).
type Options struct {
	// URL receives the batches (http or https; required).
	URL string `yaml:"url"`
	// Secret signs each body: the X-Switchboard-Signature header is
	// "sha256=" + hex HMAC-SHA256 of the body with it (empty: unsigned).
	Secret string `yaml:"secret"`
	// Timeout bounds one POST (0: 10s).
	Timeout core.Duration `yaml:"timeout"`
}

// Sink posts batches to a URL.
type Sink struct {
	opts   Options
	client *http.Client
}

var _ core.AnalyticsSink = (*Sink)(nil)

// Open checks the options.
func Open(ctx context.Context, env core.ProviderEnv) (core.AnalyticsSink, error) {
	var opts Options
	if err := core.DecodeOptions(env.Options, &opts); err != nil {
		return nil, fmt.Errorf("analytics webhook: %w", err)
	}
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("analytics webhook: url must be an absolute http(s) URL, got %q", opts.URL)
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("analytics webhook: timeout must not be negative")
	}
	if opts.Timeout == 0 {
		opts.Timeout = core.Duration(10 * time.Second)
	}
	return &Sink{opts: opts, client: &http.Client{Timeout: time.Duration(opts.Timeout)}}, nil
}

// Event is one event on the wire: {"events": [Event, ...]}.
type Event struct {
	Name           string            `json:"name"`
	At             string            `json:"at"`
	Date           string            `json:"date"` // the day in the app's time zone, YYYY-MM-DD
	InstallationID string            `json:"installationId,omitempty"`
	UserID         string            `json:"userId,omitempty"`
	Platform       string            `json:"platform,omitempty"`
	AppVersion     string            `json:"appVersion,omitempty"`
	Channel        string            `json:"channel,omitempty"`
	Dimensions     map[string]string `json:"dimensions,omitempty"`
}

// WriteEvents posts the batch; anything but a 2xx answer is an error, and
// the core sends the batch again later.
func (s *Sink) WriteEvents(ctx context.Context, events []core.AnalyticsEvent) error {
	wire := make([]Event, len(events))
	for i, ev := range events {
		wire[i] = Event{Name: ev.Name, At: ev.At.UTC().Format("2006-01-02T15:04:05.000Z"), Date: core.AnalyticsDate(ev.Day).Format(time.DateOnly),
			InstallationID: ev.InstallationID, UserID: ev.UserID, Platform: ev.Platform, AppVersion: ev.AppVersion,
			Channel: ev.Channel, Dimensions: ev.Dimensions}
	}
	body, err := json.Marshal(map[string]any{"events": wire})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if s.opts.Secret != "" {
		mac := hmac.New(sha256.New, []byte(s.opts.Secret))
		mac.Write(body)
		req.Header.Set("X-Switchboard-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("analytics webhook: %w", httpkit.Redact(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("analytics webhook: %s answered %d: %s", req.URL.Host, resp.StatusCode, httpkit.Snippet(snippet, 200))
	}
	return nil
}
