// Package webpush is the "webpush" push provider: the Web Push protocol
// (RFC 8030) with message encryption (RFC 8291, aes128gcm) and VAPID
// (RFC 8292), through github.com/SherClockHolmes/webpush-go.
//
// A browser installation's deviceToken is its PushSubscription as JSON:
// {"endpoint": "https://...", "keys": {"p256dh": "...", "auth": "..."}}.
// Each device is one encrypted POST to its endpoint, parallel at a time
// (the first alone, so a rejected VAPID key costs one request). The
// payload is the push data in Parse's shape ({"alert", "title", "badge",
// ..., custom keys}, the badge resolved per device) for the site's service
// worker to show; TTL is the seconds left before the notification expires
// (4 weeks without an expiration) and Urgency the configured urgency.
//
// Endpoints come from clients, so they are checked before any request: a
// subscription whose endpoint is not an https URL, or whose host resolves
// to a loopback, private, link-local or unspecified address, is
// PushTokenInvalid and never reached (the check runs at dial time, so DNS
// rebinding cannot get around it); redirects are not followed.
//
// Answers: 201 is delivered; 404 and 410 (subscription gone) are
// PushTokenInvalid, as is a subscription that does not parse; 401 (the
// push service rejected the VAPID signature) is CodePushMisconfigured; 413
// is CodeInvalidValue; 429 (with Retry-After), 5xx and network errors are
// retried by the core; 400 and 403 fail that device.
//
// Options (push.webpush):
//
//	vapidPublicKey   string, required. The application server key,
//	                 base64url (the applicationServerKey browsers
//	                 subscribed with).
//	vapidPrivateKey  string, required. Its private key, base64url.
//	subscriber       string, required. A mailto: address or https URL the
//	                 push services can reach the operator at.
//	urgency          string. very-low, low, normal (default) or high.
//	caCertFile       string. PEM roots trusted besides the system's.
//	parallel         int. Requests in flight per batch, 1 to 100 (default 20).
//	allowPrivateEndpoints  bool. Tests only: let endpoints resolve to
//	                 loopback and private addresses.
package webpush

import (
	"context"
	"crypto/ecdh"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	wp "github.com/SherClockHolmes/webpush-go"

	"github.com/switchboardhq/switchboard/adapters/internal/httpkit"
	"github.com/switchboardhq/switchboard/adapters/push/internal/pushkit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.PushProviders.
const Name = "webpush"

// MaxBatch is the most devices one Send takes.
const MaxBatch = 100

// MaxPayload is the largest payload webpush-go can encrypt into one
// 4096-byte record (its header and the padding delimiter take the rest).
const MaxPayload = 3993

// DefaultTTL is the TTL of a notification without an expiration.
const DefaultTTL = 28 * 24 * time.Hour

func init() { core.PushProviders.Register(Name, Open) }

// Options is the push.webpush config section.
type Options struct {
	VAPIDPublicKey        string `json:"vapidPublicKey"`
	VAPIDPrivateKey       string `json:"vapidPrivateKey"`
	Subscriber            string `json:"subscriber"`
	Urgency               string `json:"urgency"`
	CACertFile            string `json:"caCertFile"`
	Parallel              int    `json:"parallel"`
	AllowPrivateEndpoints bool   `json:"allowPrivateEndpoints"`
}

// Open implements core.OpenPushFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.PushSender, error) {
	options := env.Options
	opts := Options{Urgency: "normal"}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if err := pushkit.Required("vapidPublicKey", opts.VAPIDPublicKey, "vapidPrivateKey", opts.VAPIDPrivateKey, "subscriber", opts.Subscriber); err != nil {
		return nil, err
	}
	if err := checkKeys(opts.VAPIDPublicKey, opts.VAPIDPrivateKey); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(opts.Subscriber, "mailto:") && !strings.HasPrefix(opts.Subscriber, "https://") {
		return nil, errors.New("subscriber: a mailto: address or an https URL, for push services to reach the operator")
	}
	switch opts.Urgency {
	case "very-low", "low", "normal", "high":
	default:
		return nil, fmt.Errorf("urgency: %q; use very-low, low, normal or high", opts.Urgency)
	}
	if opts.Parallel < 0 || opts.Parallel > MaxBatch {
		return nil, fmt.Errorf("parallel: %d is out of range; use 1 to %d", opts.Parallel, MaxBatch)
	}
	if opts.Parallel == 0 {
		opts.Parallel = 20
	}
	roots, err := pushkit.CertPool(opts.CACertFile)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if !opts.AllowPrivateEndpoints {
		dialer.Control = publicOnly
	}
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}
	client := &http.Client{
		Transport:     transport,
		Timeout:       pushkit.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &sender{opts: opts, client: client, transport: transport}, nil
}

// checkKeys checks that the VAPID keys are a P-256 pair.
func checkKeys(public, private string) error {
	pub, err1 := decodeKey(public)
	priv, err2 := decodeKey(private)
	if err1 != nil || err2 != nil {
		return errors.New("vapidPublicKey and vapidPrivateKey must be base64url (as web-push generate-vapid-keys prints them)")
	}
	key, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil {
		return errors.New("vapidPrivateKey is not a P-256 private key")
	}
	if string(key.PublicKey().Bytes()) != string(pub) {
		return errors.New("vapidPublicKey is not the public key of vapidPrivateKey")
	}
	return nil
}

func decodeKey(s string) ([]byte, error) {
	if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// errPrivateAddress is the dial error for an endpoint that resolves to an
// address the server must not call.
var errPrivateAddress = errors.New("the endpoint resolves to a private or loopback address")

// publicOnly is the dialer's Control: it refuses every address that is not
// a public unicast one, after DNS resolution.
func publicOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return errPrivateAddress
	}
	return nil
}

type sender struct {
	opts      Options
	client    *http.Client
	transport *http.Transport
}

var _ core.PushSender = (*sender)(nil)

func (s *sender) MaxBatch() int { return MaxBatch }

func (s *sender) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// subscription parses and checks a deviceToken.
func subscription(token string) (*wp.Subscription, string) {
	if len(token) > 4096 {
		return nil, "the subscription is too long"
	}
	var sub wp.Subscription
	if err := json.Unmarshal([]byte(token), &sub); err != nil {
		return nil, "the deviceToken is not a PushSubscription in JSON"
	}
	u, err := url.Parse(sub.Endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(sub.Endpoint) > 2048 {
		return nil, "the subscription's endpoint is not an https URL"
	}
	p256dh, err1 := decodeKey(sub.Keys.P256dh)
	auth, err2 := decodeKey(sub.Keys.Auth)
	if err1 != nil || err2 != nil || len(auth) != 16 {
		return nil, "the subscription's keys are not base64url p256dh and a 16-byte auth secret"
	}
	if _, err := ecdh.P256().NewPublicKey(p256dh); err != nil {
		return nil, "the subscription's p256dh is not a P-256 public key"
	}
	return &sub, ""
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
	ttl := DefaultTTL
	if t, set := n.TTL(time.Now()); set {
		ttl = t
	}
	return pushkit.ForEach(ctx, len(b.Devices), s.opts.Parallel, func(ctx context.Context, i int) (core.PushResult, error) {
		d := b.Devices[i]
		sub, problem := subscription(d.DeviceToken)
		if sub == nil {
			return pushkit.TokenInvalid(Name, problem), nil
		}
		data := n.Data.Map()
		if badge, ok := n.Data.Badge.For(d.Badge); ok {
			data["badge"] = badge
		}
		body, err := json.Marshal(data)
		if err != nil {
			return core.PushResult{}, pushkit.Internal(Name, err)
		}
		if len(body) > MaxPayload {
			return core.PushResult{}, pushkit.Refused(Name, fmt.Sprintf("the notification is %d bytes as JSON; Web Push takes at most %d", len(body), MaxPayload), errors.New("payload too large"))
		}
		resp, err := wp.SendNotificationWithContext(ctx, body, sub, &wp.Options{
			HTTPClient:      s.client,
			Subscriber:      s.opts.Subscriber,
			TTL:             int(ttl / time.Second),
			Urgency:         wp.Urgency(s.opts.Urgency),
			VAPIDPublicKey:  s.opts.VAPIDPublicKey,
			VAPIDPrivateKey: s.opts.VAPIDPrivateKey,
		})
		if err != nil {
			if errors.Is(err, errPrivateAddress) {
				return pushkit.TokenInvalid(Name, "the subscription's endpoint is not a public address"), nil
			}
			return pushkit.Retry(pushkit.Unavailable(Name, httpkit.Redact(err)), 0), nil
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return outcome(resp, raw)
	})
}

// outcome maps a push service's answer.
func outcome(resp *http.Response, raw []byte) (core.PushResult, error) {
	cause := fmt.Errorf("%s from %s: %s", resp.Status, resp.Request.URL.Host, httpkit.Snippet(raw, 200))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return pushkit.Delivered(), nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return pushkit.TokenInvalid(Name, "the push service says the subscription expired or was removed"), nil
	case code == http.StatusUnauthorized:
		return core.PushResult{}, pushkit.Misconfigured(Name, "the push service rejected the VAPID signature; check vapidPublicKey, vapidPrivateKey and subscriber", cause)
	case code == http.StatusRequestEntityTooLarge:
		return core.PushResult{}, pushkit.Refused(Name, "the notification is too large for the push service", cause)
	case code == http.StatusTooManyRequests:
		wait, _ := pushkit.RetryAfterHeader(resp.Header.Get("Retry-After"), time.Now())
		return pushkit.Retry(pushkit.Unavailable(Name, cause), max(wait, time.Second)), nil
	case code >= 500:
		return pushkit.Retry(pushkit.Unavailable(Name, cause), 0), nil
	case code == http.StatusForbidden:
		return pushkit.Failed(core.Errorf(core.CodeInvalidValue, "the push service refused this subscription for the VAPID key (it was made with another applicationServerKey)")), nil
	}
	return pushkit.Failed(pushkit.Internal(Name, cause)), nil
}
