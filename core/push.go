package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// PushSender is the push provider contract: JPush, FCM, APNs, WebPush and the
// built-in channel implement it, and so can a plugin. The core does the rest
// of a push (the audience query, routing, batching, retries, progress,
// checkpoints: see PushDispatcher); a sender only delivers one notification
// to one batch of devices.
//
// Promises the core makes to every sender:
//   - a batch holds 1 to MaxBatch() devices, all routed to this sender, and
//     the same *PushNotification for every device; Send never modifies them
//     and the sender must not either;
//   - batch.Notification.Data passed ParsePushData, so its size and types are
//     valid; it may still be too large for one provider;
//   - batch.Key is the same string when the core sends the same devices
//     again (a retry), and a different one for any other device set, so a
//     provider with idempotency keys (JPush's cid) can reuse its key on a
//     retry and never for another batch;
//   - ctx is never nil, and a batch whose notification has expired is not
//     sent;
//   - Send and MaxBatch may be called from many goroutines at once.
//
// Promises every sender makes:
//   - Send either returns an error that applies to the whole batch (and then
//     no result), or exactly one PushResult per device, in the order of
//     batch.Devices;
//   - a whole-batch error is an *Error: CodeConnectionFailed when trying the
//     same batch again later may work (network error, timeout, 5xx,
//     throttling), wrapped with WithRetryAfter when the provider said how
//     long to wait; CodePushMisconfigured when only the operator can fix it
//     (rejected credentials, unknown app or topic); CodeRequestLimitExceeded
//     for a quota that will not clear during this push (a daily limit);
//     CodeInvalidValue when the provider refuses this notification whatever
//     the devices (too large); anything else is internal. The core retries
//     only CodeConnectionFailed, and stops using a sender for the rest of a
//     push after CodePushMisconfigured, CodeRequestLimitExceeded or
//     CodeInvalidValue;
//   - a device the provider reports as unknown, unregistered or malformed
//     (FCM UNREGISTERED, APNs 410 or BadDeviceToken, an illegal JPush
//     registration id) is PushTokenInvalid, so its installation is marked
//     inactive and never tried again; a token the sender can tell is
//     malformed without asking the provider is PushTokenInvalid too, and is
//     not sent (it could break the whole request, or its path);
//   - a result's Err and every error's Message are safe to show an operator
//     in _PushStatus: they never hold a credential or a device token;
//   - a canceled ctx stops Send promptly with an error wrapping ctx's;
//   - a sender makes one attempt: retries belong to the core, which knows
//     the deadline, the rate-limit state and the checkpoint.
//
// Senders are found by name in the "push" registry (see PushProviders).
type PushSender interface {
	// MaxBatch is the most devices one Send accepts (JPush 1000, FCM 500).
	// It is constant for the life of the sender and at least 1.
	MaxBatch() int
	// Send delivers batch.Notification to batch.Devices.
	Send(ctx context.Context, batch PushBatch) ([]PushResult, error)
	// Close releases the sender's connections. No Send runs during or after it.
	Close() error
}

// PushBatch is one Send: a notification and the devices it goes to.
type PushBatch struct {
	// Key identifies this device set of this notification, stable across
	// retries (see PushSender).
	Key          string
	Notification *PushNotification
	Devices      []PushDevice
}

// PushOutcome is what became of one device in a batch.
type PushOutcome int

// The outcomes a sender reports per device.
const (
	// PushDelivered: the provider accepted the notification for the device.
	PushDelivered PushOutcome = iota + 1
	// PushFailed: the provider refused it for this device, for a reason that
	// trying again will not fix (Err says why).
	PushFailed
	// PushTokenInvalid: the device's token is unknown, unregistered or
	// malformed; its installation must be marked inactive.
	PushTokenInvalid
	// PushRetry: a transient failure for this device only (APNs 429 or 503
	// for one token); the core sends it again after RetryAfter or its own
	// backoff.
	PushRetry
)

func (o PushOutcome) String() string {
	switch o {
	case PushDelivered:
		return "delivered"
	case PushFailed:
		return "failed"
	case PushTokenInvalid:
		return "token invalid"
	case PushRetry:
		return "retry"
	}
	return fmt.Sprintf("PushOutcome(%d)", int(o))
}

// PushResult is the outcome for one device of a batch.
type PushResult struct {
	Outcome PushOutcome
	// Err says why, for every outcome but PushDelivered.
	Err *Error
	// RetryAfter is the provider's requested wait for PushRetry (0: none).
	RetryAfter time.Duration
}

// PushDevice is one installation as the push providers see it: the
// _Installation fields routing and delivery use.
type PushDevice struct {
	// ID is the installation's objectId. The device stream of a push is in
	// ascending ID order, and invalid-token reports name devices by ID.
	ID string
	// InstallationID is the client-generated installationId.
	InstallationID string
	// DeviceType is Parse's deviceType: "ios", "android", "web", "osx",
	// "tvos", ... Routing and sentPerType/failedPerType use it.
	DeviceType string
	// PushType is the installation's pushType ("fcm", "gcm", "jpush", "apns",
	// "webpush"), which routing can match on.
	PushType string
	// DeviceToken is the provider's token: an APNs token in hex, an FCM
	// registration token, or for WebPush the browser's PushSubscription as
	// JSON ({"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}).
	DeviceToken string
	// RegistrationID, Tags and Alias are JPush's.
	RegistrationID string
	Tags           []string
	Alias          string
	// Badge is the installation's stored badge, the base for a badge of
	// "Increment".
	Badge int
	// TimeZone is an IANA zone ("Asia/Shanghai").
	TimeZone         string
	AppIdentifier    string
	AppVersion       string
	LocaleIdentifier string
}

// PushNotification is what a push delivers.
type PushNotification struct {
	// ID identifies the push (the _PushStatus objectId). It is the same on
	// every node and every retry, and prefixes every PushBatch.Key.
	ID string
	// Data is the push's payload.
	Data PushData
	// Expiration is when the notification stops being worth delivering; zero
	// means the provider's default. A provider passes the time left as its
	// TTL, so a device that comes online later does not get it either.
	Expiration time.Time
}

// TTL is the time left before the notification expires, at now, rounded
// down to whole seconds; set is false when it has no expiration. A past
// expiration is a TTL of 0.
func (n *PushNotification) TTL(now time.Time) (ttl time.Duration, set bool) {
	if n.Expiration.IsZero() {
		return 0, false
	}
	ttl = n.Expiration.Sub(now).Truncate(time.Second)
	return max(ttl, 0), true
}

// Expired reports whether the notification's expiration has passed at now.
func (n *PushNotification) Expired(now time.Time) bool {
	return !n.Expiration.IsZero() && !now.Before(n.Expiration)
}

// PushData is a push's data in Parse's shape, parsed (see ParsePushData).
type PushData struct {
	// Alert is the text shown. AlertFields holds the keys of an alert given
	// as an object (APNs' alert dictionary: "title", "body", "loc-key", ...);
	// then Alert is its "body".
	Alert       string
	AlertFields map[string]any
	Title       string
	Badge       PushBadge
	Sound       string
	// ContentAvailable asks iOS to wake the app in the background.
	ContentAvailable bool
	MutableContent   bool
	Category         string
	// URI is opened when the notification is tapped (Parse Android SDK).
	URI string
	// Custom holds every other key of data, for the app.
	Custom map[string]any
}

// PushBadge is data.badge: absent, a number, or an increment of the stored
// badge.
type PushBadge struct {
	// Set says a badge was given; Increment says it is relative.
	Set       bool
	Increment bool
	// Value is the number, or the increment's amount.
	Value int
}

// For returns the badge to show on a device whose stored badge is current,
// and false when the push sets none.
func (b PushBadge) For(current int) (int, bool) {
	switch {
	case !b.Set:
		return 0, false
	case b.Increment:
		return max(current, 0) + b.Value, true
	}
	return b.Value, true
}

// MaxPushDataBytes bounds data as JSON: the smallest payload the providers
// take (APNs and FCM 4 KB, WebPush 4078 bytes once encrypted).
const MaxPushDataBytes = 4096

// ParsePushData checks a push's data the way Parse does and returns it
// parsed. Errors are *Error with CodeInvalidValue (or CodeIncorrectType for
// a value of the wrong type) and say which key is wrong.
func ParsePushData(data map[string]any) (PushData, error) {
	var d PushData
	if len(data) == 0 {
		return d, Errorf(CodeInvalidValue, "push data is empty: give at least alert, title, badge, content-available or a custom key")
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return d, Errorf(CodeInvalidJSON, "push data cannot be encoded as JSON")
	}
	if len(raw) > MaxPushDataBytes {
		return d, Errorf(CodeInvalidValue, "push data is %d bytes as JSON; push providers accept at most %d", len(raw), MaxPushDataBytes)
	}
	for key, v := range data {
		var err error
		switch key {
		case "alert":
			d.Alert, d.AlertFields, err = parseAlert(v)
		case "title":
			d.Title, err = pushString(key, v)
		case "sound":
			d.Sound, err = pushString(key, v)
		case "category":
			d.Category, err = pushString(key, v)
		case "uri":
			d.URI, err = pushString(key, v)
		case "badge":
			d.Badge, err = parseBadge(v)
		case "content-available":
			d.ContentAvailable, err = pushFlag(key, v)
		case "mutable-content":
			d.MutableContent, err = pushFlag(key, v)
		case "aps":
			err = Errorf(CodeInvalidKeyName, "push data key aps is reserved for APNs; use alert, badge, sound, content-available and category")
		default:
			if !utf8.ValidString(key) || key == "" {
				err = Errorf(CodeInvalidKeyName, "push data keys must be non-empty UTF-8 strings")
				break
			}
			if d.Custom == nil {
				d.Custom = map[string]any{}
			}
			d.Custom[key] = v
		}
		if err != nil {
			return PushData{}, err
		}
	}
	return d, nil
}

// Map returns the data in Parse's shape, as ParsePushData accepted it: what
// _PushStatus stores as payload and what the built-in channel and WebPush
// deliver.
func (d PushData) Map() map[string]any {
	m := make(map[string]any, len(d.Custom)+8)
	for k, v := range d.Custom {
		m[k] = v
	}
	switch {
	case d.AlertFields != nil:
		m["alert"] = d.AlertFields
	case d.Alert != "":
		m["alert"] = d.Alert
	}
	for key, s := range map[string]string{"title": d.Title, "sound": d.Sound, "category": d.Category, "uri": d.URI} {
		if s != "" {
			m[key] = s
		}
	}
	switch {
	case d.Badge.Increment && d.Badge.Value == 1:
		m["badge"] = "Increment"
	case d.Badge.Increment:
		m["badge"] = map[string]any{"__op": "Increment", "amount": d.Badge.Value}
	case d.Badge.Set:
		m["badge"] = d.Badge.Value
	}
	if d.ContentAvailable {
		m["content-available"] = 1
	}
	if d.MutableContent {
		m["mutable-content"] = 1
	}
	return m
}

func pushString(key string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", Errorf(CodeIncorrectType, "push data key %s must be a string", key)
	}
	return s, nil
}

func parseAlert(v any) (string, map[string]any, error) {
	switch a := v.(type) {
	case string:
		return a, nil, nil
	case map[string]any:
		body, _ := a["body"].(string)
		return body, a, nil
	}
	return "", nil, Errorf(CodeIncorrectType, "push data key alert must be a string or an object (the APNs alert dictionary)")
}

// parseBadge accepts Parse's forms: a number, "Increment", or
// {"__op": "Increment", "amount": n}.
func parseBadge(v any) (PushBadge, error) {
	switch b := v.(type) {
	case string:
		if strings.EqualFold(b, "Increment") {
			return PushBadge{Set: true, Increment: true, Value: 1}, nil
		}
	case map[string]any:
		if b["__op"] == "Increment" {
			n, ok := pushInt(b["amount"])
			if !ok {
				return PushBadge{}, Errorf(CodeInvalidValue, "badge: the amount of an Increment must be an integer")
			}
			return PushBadge{Set: true, Increment: true, Value: n}, nil
		}
	default:
		if n, ok := pushInt(v); ok && n >= 0 {
			return PushBadge{Set: true, Value: n}, nil
		}
	}
	return PushBadge{}, Errorf(CodeInvalidValue, `badge must be a non-negative integer, "Increment", or {"__op": "Increment", "amount": n}`)
}

// pushInt reads a JSON number that is a whole number in a sane range.
func pushInt(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		if n == math.Trunc(n) && math.Abs(n) <= 1e9 {
			return int(n), true
		}
	case int:
		if n >= -1e9 && n <= 1e9 {
			return n, true
		}
	case int64:
		if n >= -1e9 && n <= 1e9 {
			return int(n), true
		}
	}
	return 0, false
}

// pushFlag reads content-available and mutable-content: 1/0 as Parse
// sends them, or a boolean.
func pushFlag(key string, v any) (bool, error) {
	switch f := v.(type) {
	case bool:
		return f, nil
	default:
		if n, ok := pushInt(v); ok && (n == 0 || n == 1) {
			return n == 1, nil
		}
	}
	return false, Errorf(CodeInvalidValue, "push data key %s must be 1, 0, true or false", key)
}

// ParsePushExpiration reads expiration_time and expiration_interval from a
// /push body the way Parse Server does, and returns the expiration (zero for
// none). expiration_time is an ISO-8601 date, a {"__type": "Date"} object,
// or seconds since the epoch; expiration_interval is seconds after pushTime
// (or after now when pushTime is zero). Both at once, a malformed value or
// an expiration before pushTime is CodePushMisconfigured (115), as on Parse
// Server.
func ParsePushExpiration(body map[string]any, pushTime, now time.Time) (time.Time, error) {
	at, hasAt := body["expiration_time"]
	interval, hasInterval := body["expiration_interval"]
	if hasAt && at == nil {
		hasAt = false
	}
	if hasInterval && interval == nil {
		hasInterval = false
	}
	if hasAt && hasInterval {
		return time.Time{}, Errorf(CodePushMisconfigured, "Both expiration_time and expiration_interval cannot be set")
	}
	base := pushTime
	if base.IsZero() {
		base = now
	}
	var exp time.Time
	switch {
	case hasInterval:
		secs, ok := interval.(float64)
		if !ok || secs <= 0 || secs > 10*365*24*3600 || math.IsNaN(secs) {
			return time.Time{}, Errorf(CodePushMisconfigured, "expiration_interval must be a number of seconds greater than 0")
		}
		exp = base.Add(time.Duration(secs * float64(time.Second)))
	case hasAt:
		t, err := parsePushDate(at)
		if err != nil {
			return time.Time{}, Errorf(CodePushMisconfigured, "expiration_time is not a valid time: %v", err)
		}
		exp = t
	default:
		return time.Time{}, nil
	}
	if !exp.After(base) {
		return time.Time{}, Errorf(CodePushMisconfigured, "expiration_time must be after the push time (%s)", FormatTime(base))
	}
	return exp.UTC().Truncate(time.Millisecond), nil
}

func parsePushDate(v any) (time.Time, error) {
	switch t := v.(type) {
	case string:
		return ParseTime(t)
	case float64:
		if t <= 0 || t > 1e11 || math.IsNaN(t) {
			return time.Time{}, errors.New("seconds since the epoch out of range")
		}
		return time.Unix(0, int64(t*float64(time.Second))).UTC(), nil
	case map[string]any:
		if iso, ok := t["iso"].(string); ok && t["__type"] == "Date" {
			return ParseTime(iso)
		}
	}
	return time.Time{}, errors.New(`want an ISO-8601 date, {"__type": "Date", "iso": ...} or seconds since the epoch`)
}

// PushAudience is a provider-side audience: devices the provider itself
// knows by tag or alias (JPush), for a push whose audience is exactly that.
type PushAudience struct {
	// Tags: devices with any of them. TagsAnd: devices with all of them.
	// Aliases: devices with any of them. Non-empty fields combine with AND.
	Tags, TagsAnd, Aliases []string
}

// PushAudienceSender is an optional ability: a sender whose provider keeps
// its own tags and aliases sends to them in one request instead of to a
// device list. The core uses it only when a push's audience is a pure
// tag/alias audience and every matching device routes to that sender. Errors
// follow PushSender's rules; JPush's "no device matched" is
// CodeObjectNotFound.
type PushAudienceSender interface {
	SendAudience(ctx context.Context, n *PushNotification, aud PushAudience) (PushReceipt, error)
}

// PushReceipt is the provider's reference for an audience push.
type PushReceipt struct {
	// MessageID is the provider's id for the push (JPush's msg_id).
	MessageID string
}

// RetryAfterError is a retryable *Error with the wait the provider asked
// for (a Retry-After or rate-limit reset header). Make one with
// WithRetryAfter and read it with RetryAfter; IsCode and AsError see the
// *Error inside.
type RetryAfterError struct {
	Err   *Error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// WithRetryAfter marks err as one the provider asked to retry no sooner
// than d. A d of 0 or less returns err unmarked.
func WithRetryAfter(err *Error, d time.Duration) error {
	if d <= 0 {
		return err
	}
	return &RetryAfterError{Err: err, After: d}
}

// RetryAfter returns the wait a provider asked for with err, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var h *RetryAfterError
	if errors.As(err, &h) {
		return h.After, true
	}
	return 0, false
}

// OpenPushFunc opens a push provider from its config section (push.<name>),
// which it decodes strictly with DecodeOptions. It checks what it can
// without sending (keys parse, URLs are absolute) and says what to fix.
type OpenPushFunc = OpenFunc[PushSender]

// PushProviders is the registry of push providers ("jpush", "fcm", "apns",
// "webpush", "builtin").
var PushProviders = NewRegistry[OpenPushFunc]("push")

// PushDeviceFromObject reads the push fields of an _Installation row (as a
// store returns it: strings, a float64 badge, tags as an array) into a
// PushDevice. Fields of the wrong type are left empty, so one odd row
// cannot stop a push; the provider then reports its token as invalid.
func PushDeviceFromObject(o Object) PushDevice {
	str := func(key string) string { s, _ := o[key].(string); return s }
	d := PushDevice{
		ID:               o.ID(),
		InstallationID:   str("installationId"),
		DeviceType:       str("deviceType"),
		PushType:         str("pushType"),
		DeviceToken:      str("deviceToken"),
		RegistrationID:   str("registrationId"),
		Alias:            str("alias"),
		TimeZone:         str("timeZone"),
		AppIdentifier:    str("appIdentifier"),
		AppVersion:       str("appVersion"),
		LocaleIdentifier: str("localeIdentifier"),
	}
	if b, ok := pushInt(o["badge"]); ok && b > 0 {
		d.Badge = b
	}
	if tags, ok := o["tags"].([]any); ok {
		for _, t := range tags {
			if s, ok := t.(string); ok {
				d.Tags = append(d.Tags, s)
			}
		}
	}
	return d
}
