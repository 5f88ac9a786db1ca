// Package fcm is the "fcm" push provider: Firebase Cloud Messaging through
// the HTTP v1 API, with the Firebase Admin SDK (firebase.google.com/go/v4).
//
// A batch is one SendEach of up to 500 messages, one per device token (FCM
// has no multi-token request in v1; the SDK sends them concurrently over
// one HTTP/2 connection). Each message carries the alert and title as the
// notification, the custom keys (and uri) as data (FCM data values are
// strings: other values are sent as JSON), and the platform block of the
// device's deviceType: APNs for ios/osx/tvos/watchos (badge, sound,
// content-available, mutable-content, category, apns-expiration),
// WebPush for web (TTL header), Android otherwise (ttl, sound). The TTL is
// the time left before the notification expires.
//
// Outcomes per token: UNREGISTERED and SENDER_ID_MISMATCH are
// PushTokenInvalid, as is a token that is not 1 to 4096 characters of
// letters, digits, ':', '_' and '-' (never sent); QUOTA_EXCEEDED (429,
// with Retry-After), INTERNAL, UNAVAILABLE and network errors are retried
// by the core (the SDK itself retries 503 and network errors up to 4 times
// first); INVALID_ARGUMENT fails that device, or is CodeInvalidValue for
// the batch when every device got it. PERMISSION_DENIED, UNAUTHENTICATED
// and THIRD_PARTY_AUTH_ERROR are CodePushMisconfigured.
//
// Options (push.fcm):
//
//	projectId        string. The Firebase project; default the
//	                 credentials' project_id.
//	credentialsFile  string. Path of a service account key (JSON).
//	credentialsJSON  string. The service account key itself; one of the
//	                 two is required unless unauthenticated is set.
//	endpoint         string. The API base URL including /v1, for an
//	                 emulator or a test fake; default FCM's.
//	unauthenticated  bool. Send no credentials; only with endpoint.
package fcm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"google.golang.org/api/option"

	"github.com/switchboardhq/switchboard/adapters/push/internal/pushkit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.PushProviders.
const Name = "fcm"

// MaxBatch is the SDK's limit of messages per SendEach.
const MaxBatch = 500

func init() { core.PushProviders.Register(Name, Open) }

// Options is the push.fcm config section.
type Options struct {
	ProjectID       string `json:"projectId"`
	CredentialsFile string `json:"credentialsFile"`
	CredentialsJSON string `json:"credentialsJSON"`
	Endpoint        string `json:"endpoint"`
	Unauthenticated bool   `json:"unauthenticated"`
}

// Open implements core.OpenPushFunc.
func Open(ctx context.Context, env core.ProviderEnv) (core.PushSender, error) {
	options := env.Options
	var opts Options
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	var clientOpts []option.ClientOption
	var keyJSON []byte
	switch {
	case opts.Unauthenticated:
		if opts.Endpoint == "" {
			return nil, errors.New("unauthenticated is only for an emulator or a test fake: set endpoint too")
		}
		if opts.CredentialsFile != "" || opts.CredentialsJSON != "" {
			return nil, errors.New("unauthenticated: remove credentialsFile and credentialsJSON, or unauthenticated")
		}
		clientOpts = append(clientOpts, option.WithoutAuthentication())
	case opts.CredentialsFile != "" && opts.CredentialsJSON != "":
		return nil, errors.New("set one of credentialsFile and credentialsJSON")
	case opts.CredentialsFile != "":
		b, err := os.ReadFile(opts.CredentialsFile)
		if err != nil {
			return nil, fmt.Errorf("credentialsFile: %w", err)
		}
		keyJSON = b
	case opts.CredentialsJSON != "":
		keyJSON = []byte(opts.CredentialsJSON)
	default:
		return nil, errors.New("option credentialsFile or credentialsJSON is required: a service account key of the Firebase project")
	}
	if keyJSON != nil {
		var key struct {
			Type       string `json:"type"`
			ProjectID  string `json:"project_id"`
			PrivateKey string `json:"private_key"`
		}
		if json.Unmarshal(keyJSON, &key) != nil || key.Type != "service_account" || key.PrivateKey == "" {
			return nil, errors.New("the credentials are not a service account key (JSON with type service_account and a private_key); download one from the Firebase console")
		}
		if opts.ProjectID == "" {
			opts.ProjectID = key.ProjectID
		}
		clientOpts = append(clientOpts, option.WithAuthCredentialsJSON(option.ServiceAccount, keyJSON))
	}
	if opts.ProjectID == "" {
		return nil, errors.New("option projectId is required")
	}
	if opts.Endpoint != "" {
		u, err := url.Parse(opts.Endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return nil, fmt.Errorf("endpoint: %q is not an absolute URL such as https://fcm.googleapis.com/v1", opts.Endpoint)
		}
		clientOpts = append(clientOpts, option.WithEndpoint(strings.TrimSuffix(opts.Endpoint, "/")))
	}
	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: opts.ProjectID}, clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("starting the Firebase app: %w", err)
	}
	client, err := app.Messaging(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting the Firebase messaging client: %w", err)
	}
	return &sender{client: client}, nil
}

type sender struct {
	client *messaging.Client
}

var _ core.PushSender = (*sender)(nil)

func (s *sender) MaxBatch() int { return MaxBatch }
func (s *sender) Close() error  { return nil }

// validToken reports whether t looks like an FCM registration token.
func validToken(t string) bool { return pushkit.TokenChars(t, 4096, ":_-") }

// Send implements core.PushSender.
func (s *sender) Send(ctx context.Context, b core.PushBatch) ([]core.PushResult, error) {
	if err := pushkit.CheckBatch(Name, b, MaxBatch); err != nil {
		return nil, err
	}
	if err := pushkit.Canceled(ctx); err != nil {
		return nil, err
	}
	results := make([]core.PushResult, len(b.Devices))
	var msgs []*messaging.Message
	var at []int
	now := time.Now()
	for i, d := range b.Devices {
		if !validToken(d.DeviceToken) {
			results[i] = pushkit.TokenInvalid(Name, "not an FCM registration token")
			continue
		}
		msgs = append(msgs, message(b.Notification, d, now))
		at = append(at, i)
	}
	if len(msgs) == 0 {
		return results, nil
	}
	// The first message goes alone: if the credentials are wrong or FCM is
	// down, that is one failed request rather than one per device.
	probe, err := s.sendEach(ctx, msgs[:1], now)
	if err != nil {
		return nil, err
	}
	if probe[0].Outcome == core.PushRetry {
		return nil, core.WithRetryAfter(probe[0].Err, probe[0].RetryAfter)
	}
	rest := probe
	if len(msgs) > 1 {
		more, err := s.sendEach(ctx, msgs[1:], now)
		if err != nil {
			return nil, err
		}
		rest = append(rest, more...)
	}
	allRetry, allInvalidArg := true, true
	var firstRetry *core.Error
	var wait time.Duration
	for j, res := range rest {
		if res.Outcome == core.PushRetry {
			firstRetry = cmpOr(firstRetry, res.Err)
			wait = max(wait, res.RetryAfter)
		} else {
			allRetry = false
		}
		if !(res.Outcome == core.PushFailed && res.Err.Code == core.CodeInvalidValue) {
			allInvalidArg = false
		}
		results[at[j]] = res
	}
	switch {
	case allRetry && len(at) == len(b.Devices):
		return nil, core.WithRetryAfter(firstRetry, wait)
	case allInvalidArg && len(at) == len(b.Devices):
		return nil, pushkit.Refused(Name, "FCM refused the notification: "+results[at[0]].Err.Message, results[at[0]].Err)
	}
	return results, nil
}

// sendEach sends msgs and maps each response; a response that condemns
// the whole app (credentials) is returned as the batch's error.
func (s *sender) sendEach(ctx context.Context, msgs []*messaging.Message, now time.Time) ([]core.PushResult, error) {
	resp, err := s.client.SendEach(ctx, msgs)
	if err != nil {
		if ctx.Err() != nil {
			return nil, pushkit.Canceled(ctx)
		}
		return nil, pushkit.Internal(Name, err)
	}
	if err := pushkit.Canceled(ctx); err != nil {
		return nil, err
	}
	out := make([]core.PushResult, len(resp.Responses))
	for i, r := range resp.Responses {
		out[i] = outcome(r, now)
		if out[i].Err != nil && out[i].Err.Code == core.CodePushMisconfigured {
			return nil, out[i].Err
		}
	}
	return out, nil
}

func cmpOr(a, b *core.Error) *core.Error {
	if a != nil {
		return a
	}
	return b
}

// outcome maps one SendEach response.
func outcome(r *messaging.SendResponse, now time.Time) core.PushResult {
	if r.Success {
		return pushkit.Delivered()
	}
	err := r.Error
	cause := errors.New(err.Error())
	switch {
	case messaging.IsUnregistered(err):
		return pushkit.TokenInvalid(Name, "FCM reports the token as unregistered")
	case messaging.IsSenderIDMismatch(err):
		return pushkit.TokenInvalid(Name, "the token belongs to another Firebase project (SENDER_ID_MISMATCH)")
	case messaging.IsThirdPartyAuthError(err):
		return pushkit.Failed(pushkit.Misconfigured(Name, "FCM rejected the APNs or WebPush credentials of the Firebase project", cause))
	case errorutils.IsPermissionDenied(err), errorutils.IsUnauthenticated(err):
		return pushkit.Failed(pushkit.Misconfigured(Name, "FCM refused the credentials for this project; check projectId and the service account's Firebase Cloud Messaging permission", cause))
	case messaging.IsQuotaExceeded(err):
		var wait time.Duration
		if resp := errorutils.HTTPResponse(err); resp != nil {
			wait, _ = pushkit.RetryAfterHeader(resp.Header.Get("Retry-After"), now)
		}
		return pushkit.Retry(pushkit.Unavailable(Name, cause), max(wait, time.Second))
	case messaging.IsInvalidArgument(err):
		return pushkit.Failed(pushkit.Refused(Name, "FCM refused the message as invalid", cause))
	}
	// INTERNAL, UNAVAILABLE, timeouts, network errors: worth another try.
	return pushkit.Retry(pushkit.Unavailable(Name, cause), 0)
}

// message builds the FCM message for one device.
func message(n *core.PushNotification, d core.PushDevice, now time.Time) *messaging.Message {
	data := n.Data
	// Token is deprecated in favour of Fid (Firebase installation ids), but
	// the devices registered through Parse SDKs hold registration tokens.
	//lint:ignore SA1019 see above
	m := &messaging.Message{Token: d.DeviceToken}
	if len(data.Custom) > 0 || data.URI != "" {
		m.Data = make(map[string]string, len(data.Custom)+1)
		for k, v := range data.Custom {
			if s, ok := v.(string); ok {
				m.Data[k] = s
			} else {
				b, _ := json.Marshal(v)
				m.Data[k] = string(b)
			}
		}
		if data.URI != "" {
			m.Data["uri"] = data.URI
		}
	}
	if data.Alert != "" || data.Title != "" {
		m.Notification = &messaging.Notification{Title: data.Title, Body: data.Alert}
	}
	ttl, hasTTL := n.TTL(now)
	switch strings.ToLower(d.DeviceType) {
	case "ios", "osx", "tvos", "watchos":
		aps := &messaging.Aps{Sound: data.Sound, ContentAvailable: data.ContentAvailable, MutableContent: data.MutableContent, Category: data.Category}
		if badge, ok := data.Badge.For(d.Badge); ok {
			aps.Badge = &badge
		}
		if data.AlertFields != nil {
			aps.CustomData = map[string]any{"alert": data.AlertFields}
		}
		headers := map[string]string{}
		if hasTTL {
			headers["apns-expiration"] = strconv.FormatInt(n.Expiration.Unix(), 10)
		}
		if data.ContentAvailable && data.Alert == "" && data.Title == "" {
			headers["apns-priority"] = "5" // a background push must not be high priority
		}
		m.APNS = &messaging.APNSConfig{Headers: headers, Payload: &messaging.APNSPayload{Aps: aps}}
	case "web":
		m.Webpush = &messaging.WebpushConfig{}
		if hasTTL {
			m.Webpush.Headers = map[string]string{"TTL": strconv.FormatInt(int64(ttl/time.Second), 10)}
		}
	default:
		a := &messaging.AndroidConfig{Priority: "high"}
		if hasTTL {
			a.TTL = &ttl
		}
		if data.Sound != "" || data.Category != "" {
			a.Notification = &messaging.AndroidNotification{Sound: data.Sound, ClickAction: data.Category}
		}
		m.Android = a
	}
	return m
}
