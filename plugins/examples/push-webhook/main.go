// Command push-webhook is an example push plugin: it delivers each batch
// of a push as one JSON POST to a webhook (an in-house push gateway, a
// chat bot, a queue's HTTP front), through the same core.PushSender an
// in-process provider implements, served with plugins/sdk.
//
//	plugins:
//	  - name: hook
//	    path: /opt/switchboard/plugins/push-webhook
//	    sha256: <sha256sum of the binary>
//	    env: {PUSH_WEBHOOK_URL: "https://gateway.internal/push", PUSH_WEBHOOK_SECRET: "..."}
//	push:
//	  routes: [{provider: "plugin:hook"}]
//	  plugin:hook: {}
//
// The request body is
//
//	{"push": ID, "key": BATCH-KEY, "data": {Parse's push data},
//	 "expiresAt": ISO-8601 or absent,
//	 "devices": [{"id", "installationId", "deviceType", "pushType",
//	              "token", "badge"}]}
//
// with the batch key also in Idempotency-Key (the same on a retry of the
// same batch), and, when PUSH_WEBHOOK_SECRET is set, X-Signature:
// sha256=HEX, the HMAC-SHA256 of the body with the secret. The webhook
// answers 2xx with {"results": [{"status": "delivered" | "invalid" |
// "failed" | "retry", "error": "..."}]}, one per device in order (no body:
// all delivered); 429 or 5xx to have the batch retried (Retry-After is
// honoured); 401 or 403 when our secret is wrong.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins/sdk"
)

func main() {
	log := sdk.Logger()
	s, err := newSender(os.Getenv("PUSH_WEBHOOK_URL"), os.Getenv("PUSH_WEBHOOK_SECRET"), os.Getenv("PUSH_WEBHOOK_MAX_BATCH"))
	if err != nil {
		log.Error("push-webhook cannot start", "err", err.Error())
		os.Exit(2)
	}
	log.Info("push-webhook serving", "url", s.url)
	sdk.ServePush(s)
}

// sender posts batches to the webhook.
type sender struct {
	url      string
	secret   []byte
	maxBatch int
	client   *http.Client
}

func newSender(rawURL, secret, maxBatch string) (*sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("PUSH_WEBHOOK_URL must be an absolute http(s) URL, got %q", rawURL)
	}
	s := &sender{url: rawURL, secret: []byte(secret), maxBatch: 100, client: &http.Client{}}
	if maxBatch != "" {
		n, err := strconv.Atoi(maxBatch)
		if err != nil || n < 1 || n > 10000 {
			return nil, fmt.Errorf("PUSH_WEBHOOK_MAX_BATCH must be 1 to 10000, got %q", maxBatch)
		}
		s.maxBatch = n
	}
	return s, nil
}

func (s *sender) MaxBatch() int { return s.maxBatch }

func (s *sender) Close() error { s.client.CloseIdleConnections(); return nil }

type device struct {
	ID             string `json:"id"`
	InstallationID string `json:"installationId,omitempty"`
	DeviceType     string `json:"deviceType,omitempty"`
	PushType       string `json:"pushType,omitempty"`
	Token          string `json:"token,omitempty"`
	Badge          *int   `json:"badge,omitempty"`
}

type result struct {
	Status string `json:"status"`
	Error  string `json:"error"`
}

func (s *sender) Send(ctx context.Context, batch core.PushBatch) ([]core.PushResult, error) {
	n := batch.Notification
	body := map[string]any{"push": n.ID, "key": batch.Key, "data": n.Data.Map()}
	if !n.Expiration.IsZero() {
		body["expiresAt"] = core.FormatTime(n.Expiration)
	}
	devices := make([]device, len(batch.Devices))
	for i, d := range batch.Devices {
		devices[i] = device{ID: d.ID, InstallationID: d.InstallationID, DeviceType: d.DeviceType, PushType: d.PushType, Token: d.DeviceToken}
		if d.RegistrationID != "" {
			devices[i].Token = d.RegistrationID
		}
		if badge, ok := n.Data.Badge.For(d.Badge); ok {
			devices[i].Badge = &badge
		}
	}
	body["devices"] = devices
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, core.Errorf(core.CodeInvalidValue, "the push cannot be encoded as JSON")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(raw))
	if err != nil {
		return nil, core.Internal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", batch.Key)
	if len(s.secret) > 0 {
		mac := hmac.New(sha256.New, s.secret)
		mac.Write(raw)
		req.Header.Set("X-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, &core.Error{Code: core.CodeConnectionFailed, Message: "the push webhook call was canceled", Err: ctxErr}
		}
		return nil, core.Errorf(core.CodeConnectionFailed, "the push webhook is unreachable")
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, core.Errorf(core.CodeConnectionFailed, "reading the push webhook's answer failed")
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		e := core.Errorf(core.CodeConnectionFailed, "the push webhook answered %d", resp.StatusCode)
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			return nil, core.WithRetryAfter(e, time.Duration(secs)*time.Second)
		}
		return nil, e
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, core.Errorf(core.CodePushMisconfigured, "the push webhook refused our signature (%d): check PUSH_WEBHOOK_SECRET", resp.StatusCode)
	case resp.StatusCode >= 300:
		return nil, core.Errorf(core.CodeInvalidValue, "the push webhook refused the push (%d)", resp.StatusCode)
	}
	return results(answer, len(batch.Devices))
}

// results reads the webhook's per-device answer.
func results(answer []byte, n int) ([]core.PushResult, error) {
	out := make([]core.PushResult, n)
	if len(bytes.TrimSpace(answer)) == 0 {
		for i := range out {
			out[i] = core.PushResult{Outcome: core.PushDelivered}
		}
		return out, nil
	}
	var body struct {
		Results []result `json:"results"`
	}
	if err := json.Unmarshal(answer, &body); err != nil || len(body.Results) != n {
		return nil, core.Internal(errors.New("the push webhook's answer is not one result per device"))
	}
	for i, r := range body.Results {
		reason := core.Errorf(core.CodeInternalServerError, "the push webhook said: %s", r.Error)
		switch r.Status {
		case "delivered":
			out[i] = core.PushResult{Outcome: core.PushDelivered}
		case "invalid":
			out[i] = core.PushResult{Outcome: core.PushTokenInvalid, Err: reason}
		case "retry":
			out[i] = core.PushResult{Outcome: core.PushRetry, Err: reason}
		default:
			out[i] = core.PushResult{Outcome: core.PushFailed, Err: reason}
		}
	}
	return out, nil
}
