// Package apns is the "apns" push provider: Apple Push Notification service
// over HTTP/2 with token-based authentication (a .p8 signing key), through
// github.com/sideshow/apns2.
//
// APNs takes one request per device token; a batch of up to 100 devices is
// sent over one HTTP/2 connection, parallel requests at a time (the first
// device alone, so rejected credentials cost one request). The payload's
// aps dictionary carries the alert (title and body, or the alert
// dictionary as given), the badge (an increment is resolved against the
// installation's stored badge), sound, content-available, mutable-content
// and category; custom keys (and uri) sit beside aps. apns-expiration is
// the notification's expiration, apns-push-type is background (priority 5)
// for a push with content-available and no alert, alert (priority 10)
// otherwise, and apns-topic is the configured bundle id.
//
// Reasons mapped: 410 Unregistered and ExpiredToken, BadDeviceToken and
// DeviceTokenNotForTopic are PushTokenInvalid, as is a token that is not
// 64 to 200 hex digits (never sent); InvalidProviderToken,
// ExpiredProviderToken, MissingProviderToken, BadCertificate(Environment),
// Forbidden, BadTopic, MissingTopic and TopicDisallowed are
// CodePushMisconfigured; PayloadTooLarge is CodeInvalidValue;
// TooManyRequests, TooManyProviderTokenUpdates, 5xx and network errors are
// retried by the core.
//
// Options (push.apns):
//
//	keyFile     string. Path of the .p8 key from the Apple developer account.
//	key         string. The .p8 key's PEM text; one of key and keyFile.
//	keyId       string, required. The key's 10-character id.
//	teamId      string, required. The 10-character team id.
//	topic       string, required. The app's bundle id.
//	production  bool. api.push.apple.com instead of the sandbox.
//	endpoint    string. Another APNs host (a test fake); overrides production.
//	caCertFile  string. PEM roots trusted besides the system's, for endpoint.
//	parallel    int. Requests in flight per batch, 1 to 100 (default 20).
package apns

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"time"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/payload"
	"github.com/sideshow/apns2/token"

	"github.com/switchboardhq/switchboard/adapters/internal/httpkit"
	"github.com/switchboardhq/switchboard/adapters/push/internal/pushkit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.PushProviders.
const Name = "apns"

// MaxBatch is the most devices one Send takes.
const MaxBatch = 100

// MaxPayload is APNs' limit on a notification's payload.
const MaxPayload = 4096

func init() { core.PushProviders.Register(Name, Open) }

// Options is the push.apns config section.
type Options struct {
	KeyFile    string `json:"keyFile"`
	Key        string `json:"key"`
	KeyID      string `json:"keyId"`
	TeamID     string `json:"teamId"`
	Topic      string `json:"topic"`
	Production bool   `json:"production"`
	Endpoint   string `json:"endpoint"`
	CACertFile string `json:"caCertFile"`
	Parallel   int    `json:"parallel"`
}

var appleID = regexp.MustCompile(`^[A-Z0-9]{10}$`)

// Open implements core.OpenPushFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.PushSender, error) {
	options := env.Options
	var opts Options
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if err := pushkit.Required("keyId", opts.KeyID, "teamId", opts.TeamID, "topic", opts.Topic); err != nil {
		return nil, err
	}
	if !appleID.MatchString(opts.KeyID) || !appleID.MatchString(opts.TeamID) {
		return nil, errors.New("keyId and teamId are 10 upper-case letters and digits, as the Apple developer account shows them")
	}
	pem := []byte(opts.Key)
	switch {
	case opts.Key != "" && opts.KeyFile != "":
		return nil, errors.New("set one of key and keyFile")
	case opts.KeyFile != "":
		b, err := os.ReadFile(opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("keyFile: %w", err)
		}
		pem = b
	case opts.Key == "":
		return nil, errors.New("option keyFile or key is required: the .p8 signing key")
	}
	authKey, err := token.AuthKeyFromBytes(pem)
	if err != nil {
		return nil, fmt.Errorf("the APNs key is not a .p8 (PKCS#8 EC) key: %w", err)
	}
	if opts.Parallel < 0 || opts.Parallel > MaxBatch {
		return nil, fmt.Errorf("parallel: %d is out of range; use 1 to %d", opts.Parallel, MaxBatch)
	}
	if opts.Parallel == 0 {
		opts.Parallel = 20
	}
	host := apns2.HostDevelopment
	if opts.Production {
		host = apns2.HostProduction
	}
	if opts.Endpoint != "" {
		u, err := url.Parse(opts.Endpoint)
		if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return nil, fmt.Errorf("endpoint: %q is not an https base URL such as %s", opts.Endpoint, apns2.HostProduction)
		}
		host = "https://" + u.Host
	}
	roots, err := pushkit.CertPool(opts.CACertFile)
	if err != nil {
		return nil, err
	}
	client := apns2.NewTokenClient(&token.Token{AuthKey: authKey, KeyID: opts.KeyID, TeamID: opts.TeamID})
	client.Host = host
	// APNs speaks HTTP/2 only; pings find a dead connection before a send
	// waits on it.
	protocols := new(http.Protocols)
	protocols.SetHTTP2(true)
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		Protocols:       protocols,
		HTTP2:           &http.HTTP2Config{SendPingTimeout: 15 * time.Second, PingTimeout: 15 * time.Second},
	}
	client.HTTPClient = &http.Client{Transport: transport, Timeout: pushkit.Timeout}
	return &sender{opts: opts, client: client, transport: transport}, nil
}

type sender struct {
	opts      Options
	client    *apns2.Client
	transport *http.Transport
}

var _ core.PushSender = (*sender)(nil)

func (s *sender) MaxBatch() int { return MaxBatch }

func (s *sender) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// validToken reports whether t is an APNs device token: 64 to 200 hex
// digits. Checking it also keeps a token from changing the request path.
func validToken(t string) bool {
	if len(t) < 64 || len(t) > 200 || len(t)%2 != 0 {
		return false
	}
	_, err := hex.DecodeString(t)
	return err == nil
}

// Send implements core.PushSender.
func (s *sender) Send(ctx context.Context, b core.PushBatch) ([]core.PushResult, error) {
	if err := pushkit.CheckBatch(Name, b, MaxBatch); err != nil {
		return nil, err
	}
	if err := pushkit.Canceled(ctx); err != nil {
		return nil, err
	}
	n := b.Notification
	return pushkit.ForEach(ctx, len(b.Devices), s.opts.Parallel, func(ctx context.Context, i int) (core.PushResult, error) {
		d := b.Devices[i]
		if !validToken(d.DeviceToken) {
			return pushkit.TokenInvalid(Name, "not an APNs device token (64 to 200 hex digits)"), nil
		}
		note, err := s.notification(n, d)
		if err != nil {
			return core.PushResult{}, err
		}
		resp, err := s.client.PushWithContext(ctx, note)
		if err != nil { // the URL holds the token: Redact drops it
			return pushkit.Retry(pushkit.Unavailable(Name, httpkit.Redact(err)), 0), nil
		}
		return outcome(resp)
	})
}

// notification builds the request for one device.
func (s *sender) notification(n *core.PushNotification, d core.PushDevice) (*apns2.Notification, error) {
	data := n.Data
	p := payload.NewPayload()
	switch {
	case data.AlertFields != nil:
		p.Alert(data.AlertFields)
	case data.Title != "":
		p.AlertTitle(data.Title).AlertBody(data.Alert)
	case data.Alert != "":
		p.Alert(data.Alert)
	}
	if badge, ok := data.Badge.For(d.Badge); ok {
		p.Badge(badge)
	}
	if data.Sound != "" {
		p.Sound(data.Sound)
	}
	if data.ContentAvailable {
		p.ContentAvailable()
	}
	if data.MutableContent {
		p.MutableContent()
	}
	if data.Category != "" {
		p.Category(data.Category)
	}
	for k, v := range data.Custom {
		p.Custom(k, v)
	}
	if data.URI != "" {
		p.Custom("uri", data.URI)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, pushkit.Internal(Name, err)
	}
	if len(raw) > MaxPayload {
		return nil, pushkit.Refused(Name, fmt.Sprintf("the notification is %d bytes for APNs, which takes at most %d", len(raw), MaxPayload), errors.New("payload too large"))
	}
	note := &apns2.Notification{
		DeviceToken: d.DeviceToken,
		Topic:       s.opts.Topic,
		Payload:     json.RawMessage(raw),
		ApnsID:      apnsID(n.ID, d.DeviceToken),
		PushType:    apns2.PushTypeAlert,
		Priority:    apns2.PriorityHigh,
	}
	if data.ContentAvailable && data.Alert == "" && data.Title == "" && data.AlertFields == nil && data.Sound == "" && !data.Badge.Set {
		note.PushType, note.Priority = apns2.PushTypeBackground, apns2.PriorityLow
	}
	if !n.Expiration.IsZero() {
		note.Expiration = n.Expiration
	}
	return note, nil
}

// apnsID is the request's apns-id: a UUID derived from the push and the
// token, so a retry carries the same id and the two show as one in
// Apple's delivery logs.
func apnsID(pushID, token string) string {
	h := sha256.Sum256([]byte(pushID + "\x00" + token))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// outcome maps APNs' answer for one device.
func outcome(r *apns2.Response) (core.PushResult, error) {
	if r.StatusCode == http.StatusOK {
		return pushkit.Delivered(), nil
	}
	cause := fmt.Errorf("HTTP %d %s", r.StatusCode, r.Reason)
	switch r.Reason {
	case apns2.ReasonUnregistered, apns2.ReasonExpiredToken:
		return pushkit.TokenInvalid(Name, "APNs reports the device token as no longer active ("+r.Reason+")"), nil
	case apns2.ReasonBadDeviceToken, apns2.ReasonDeviceTokenNotForTopic:
		return pushkit.TokenInvalid(Name, "APNs refused the device token for this app ("+r.Reason+")"), nil
	case apns2.ReasonInvalidProviderToken, apns2.ReasonExpiredProviderToken, apns2.ReasonMissingProviderToken:
		return core.PushResult{}, pushkit.Misconfigured(Name, "APNs rejected the signing key ("+r.Reason+"); check keyId, teamId and the .p8 key, and the server's clock", cause)
	case apns2.ReasonBadCertificate, apns2.ReasonBadCertificateEnvironment, apns2.ReasonForbidden:
		return core.PushResult{}, pushkit.Misconfigured(Name, "APNs refused the credentials ("+r.Reason+"); check production and the key's permissions", cause)
	case apns2.ReasonBadTopic, apns2.ReasonMissingTopic, apns2.ReasonTopicDisallowed:
		return core.PushResult{}, pushkit.Misconfigured(Name, "APNs refused the topic ("+r.Reason+"); set topic to the app's bundle id", cause)
	case apns2.ReasonPayloadTooLarge:
		return core.PushResult{}, pushkit.Refused(Name, "the notification is too large for APNs (4 KB)", cause)
	case apns2.ReasonTooManyRequests, apns2.ReasonTooManyProviderTokenUpdates:
		return pushkit.Retry(pushkit.Unavailable(Name, cause), time.Second), nil
	}
	if r.StatusCode >= 500 {
		return pushkit.Retry(pushkit.Unavailable(Name, cause), 0), nil
	}
	return pushkit.Failed(pushkit.Internal(Name, cause)), nil
}
