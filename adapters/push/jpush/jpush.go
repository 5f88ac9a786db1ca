// Package jpush is the "jpush" push provider: JPush (极光推送) through its
// REST API v3, written here because JPush publishes no Go client that the
// module proxy serves.
//
// A batch is one POST {endpoint}/v3/push with HTTP Basic auth
// appKey:masterSecret, platform "all" and the audience
// {"registration_id": [...]} (at most 1000, JPush's limit). Each device's
// registration id is its registrationId, or else its deviceToken. The
// notification carries the alert and title for Android (custom keys as
// extras) and for iOS the alert, sound, badge ("+n" for an increment, which
// JPush keeps per device), content-available, mutable-content and
// category; data without an alert or title is sent as a JPush message
// (透传) instead. options carries time_to_live (the seconds left before the
// notification expires, at most JPush's 10 days), apns_production and the
// configured third_party_channel settings for the vendor channels (Xiaomi,
// Huawei, Honor, OPPO, vivo, Meizu).
//
// Retries are idempotent: each batch gets a cid from GET /v3/push/cid
// (fetched cidPool at a time) and a retry of the same batch (same
// core.PushBatch.Key) sends the same cid, so JPush answers with the first
// push's result instead of pushing twice.
//
// Rate limits: every answer carries X-Rate-Limit-Quota (or -Limit),
// -Remaining and -Reset (seconds). When Remaining reaches 0 the sender
// waits for the reset before its next request; a 429 (code 2002) is
// CodeConnectionFailed carrying the reset as the wait.
//
// Errors: registration ids in illegal_rids, and every id of a batch JPush
// answers 1011 for (no such user, or inactive for 255 days), are
// PushTokenInvalid, as are ids that are not 1 to 64 letters and digits
// (never sent). 1004 (auth), 1008 (app key), 2003 and 2004 (no permission,
// IP not allowed) are CodePushMisconfigured; 2005 and 2008 (quotas) are
// CodeRequestLimitExceeded; 1005 (too long) is CodeInvalidValue; 1000,
// 1030 and 5xx are CodeConnectionFailed; anything else is internal with
// JPush's code and message in the log.
//
// Options (push.jpush):
//
//	appKey             string, required.
//	masterSecret       string, required.
//	endpoint           string. API base URL, default https://api.jpush.cn;
//	                   apps in the Beijing data centre use
//	                   https://bjapi.push.jiguang.cn.
//	apnsProduction     bool. iOS environment; default true (production).
//	thirdPartyChannel  map. Per vendor (xiaomi, huawei, honor, oppo, vivo,
//	                   meizu) the options JPush documents, e.g.
//	                   {xiaomi: {channel_id: "123"}, vivo: {classification: 1}};
//	                   distribution, if set, is jpush, ospush,
//	                   secondary_push or first_ospush.
//	classification     int. 0 operations, 1 system message (vendor channels).
//	cidPool            int. cids fetched per request, 1 to 1000 (default 10;
//	                   JPush allows more than 10 to VIP apps only). 0 keeps
//	                   the default; useCid false turns cids off.
//	useCid             bool. Default true.
package jpush

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/switchboardhq/switchboard/adapters/internal/httpkit"
	"github.com/switchboardhq/switchboard/adapters/push/internal/pushkit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.PushProviders.
const Name = "jpush"

// DefaultEndpoint is JPush's API; BeijingEndpoint serves apps in the
// Beijing data centre.
const (
	DefaultEndpoint = "https://api.jpush.cn"
	BeijingEndpoint = "https://bjapi.push.jiguang.cn"
)

// MaxBatch is JPush's limit of registration ids per push.
const MaxBatch = 1000

// MaxTTL is JPush's longest time_to_live: 10 days.
const MaxTTL = 10 * 24 * time.Hour

func init() { core.PushProviders.Register(Name, Open) }

// Options is the push.jpush config section.
type Options struct {
	AppKey            string                    `json:"appKey"`
	MasterSecret      string                    `json:"masterSecret"`
	Endpoint          string                    `json:"endpoint"`
	APNsProduction    *bool                     `json:"apnsProduction"`
	ThirdPartyChannel map[string]map[string]any `json:"thirdPartyChannel"`
	Classification    *int                      `json:"classification"`
	CIDPool           int                       `json:"cidPool"`
	UseCID            *bool                     `json:"useCid"`
}

// Vendors are the vendor channels third_party_channel configures.
var Vendors = []string{"xiaomi", "huawei", "honor", "oppo", "vivo", "meizu"}

var distributions = map[string]bool{"jpush": true, "ospush": true, "secondary_push": true, "first_ospush": true}

// Open implements core.OpenPushFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.PushSender, error) {
	options := env.Options
	opts := Options{Endpoint: DefaultEndpoint}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if err := pushkit.Required("appKey", opts.AppKey, "masterSecret", opts.MasterSecret); err != nil {
		return nil, err
	}
	base, err := url.Parse(strings.TrimSuffix(opts.Endpoint, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.Path != "" || base.RawQuery != "" {
		return nil, fmt.Errorf("endpoint: %q is not a base URL such as %s", opts.Endpoint, DefaultEndpoint)
	}
	for vendor, o := range opts.ThirdPartyChannel {
		if !isVendor(vendor) {
			return nil, fmt.Errorf("thirdPartyChannel.%s: unknown vendor; use %s", vendor, strings.Join(Vendors, ", "))
		}
		if d, set := o["distribution"]; set {
			if s, _ := d.(string); !distributions[s] {
				return nil, fmt.Errorf("thirdPartyChannel.%s.distribution: %v; use jpush, ospush, secondary_push or first_ospush", vendor, d)
			}
		}
	}
	if c := opts.Classification; c != nil && *c != 0 && *c != 1 {
		return nil, fmt.Errorf("classification: %d; use 0 (operations) or 1 (system)", *c)
	}
	if opts.CIDPool < 0 || opts.CIDPool > 1000 {
		return nil, fmt.Errorf("cidPool: %d is out of range; use 1 to 1000", opts.CIDPool)
	}
	if opts.CIDPool == 0 {
		opts.CIDPool = 10
	}
	keys, _ := lru.New[string, string](4096)
	return &sender{
		opts:   opts,
		base:   base.String(),
		client: pushkit.Client(),
		cids:   keys,
	}, nil
}

func isVendor(v string) bool {
	for _, x := range Vendors {
		if x == v {
			return true
		}
	}
	return false
}

type sender struct {
	opts   Options
	base   string
	client *http.Client

	cids   *lru.Cache[string, string] // batch key -> cid, so a retry reuses it
	poolMu sync.Mutex
	pool   []string

	rateMu   sync.Mutex
	resumeAt time.Time // JPush said the window's quota is used up until then
}

var (
	_ core.PushSender         = (*sender)(nil)
	_ core.PushAudienceSender = (*sender)(nil)
)

func (s *sender) MaxBatch() int { return MaxBatch }

func (s *sender) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// validRegistrationID reports whether rid looks like a JPush registration
// id: 1 to 64 letters and digits.
func validRegistrationID(rid string) bool { return pushkit.TokenChars(rid, 64, "") }

// Send implements core.PushSender.
func (s *sender) Send(ctx context.Context, b core.PushBatch) ([]core.PushResult, error) {
	if err := pushkit.CheckBatch(Name, b, MaxBatch); err != nil {
		return nil, err
	}
	if err := pushkit.Canceled(ctx); err != nil {
		return nil, err
	}
	results := make([]core.PushResult, len(b.Devices))
	index := make(map[string][]int, len(b.Devices))
	rids := make([]string, 0, len(b.Devices))
	for i, d := range b.Devices {
		rid := d.RegistrationID
		if rid == "" {
			rid = d.DeviceToken
		}
		if !validRegistrationID(rid) {
			results[i] = pushkit.TokenInvalid(Name, "not a JPush registration id (1 to 64 letters and digits)")
			continue
		}
		if _, dup := index[rid]; !dup {
			rids = append(rids, rid)
		}
		index[rid] = append(index[rid], i)
	}
	if len(rids) == 0 {
		return results, nil
	}
	payload := s.payload(b.Notification, map[string]any{"registration_id": rids})
	if s.useCID() {
		cid, err := s.cidFor(ctx, b.Key)
		if err != nil {
			return nil, err
		}
		payload["cid"] = cid
	}
	ans, err := s.push(ctx, payload)
	if err != nil {
		if ans != nil && ans.Error.Code == 1011 {
			for _, rid := range rids {
				for _, i := range index[rid] {
					results[i] = pushkit.TokenInvalid(Name, "JPush knows no such registration id, or it was inactive for 255 days (1011)")
				}
			}
			return results, nil
		}
		return nil, err
	}
	illegal := make(map[string]bool, len(ans.IllegalRIDs))
	for _, rid := range ans.IllegalRIDs {
		illegal[rid] = true
	}
	for _, rid := range rids {
		r := pushkit.Delivered()
		if illegal[rid] {
			r = pushkit.TokenInvalid(Name, "JPush reported the registration id as illegal")
		}
		for _, i := range index[rid] {
			results[i] = r
		}
	}
	return results, nil
}

// SendAudience implements core.PushAudienceSender: a push to JPush's own
// tags and aliases.
func (s *sender) SendAudience(ctx context.Context, n *core.PushNotification, aud core.PushAudience) (core.PushReceipt, error) {
	if err := pushkit.Canceled(ctx); err != nil {
		return core.PushReceipt{}, err
	}
	audience := map[string]any{}
	for key, values := range map[string][]string{"tag": aud.Tags, "tag_and": aud.TagsAnd, "alias": aud.Aliases} {
		if len(values) > 0 {
			audience[key] = values
		}
	}
	if len(audience) == 0 {
		return core.PushReceipt{}, core.Errorf(core.CodeInvalidValue, "a JPush audience needs tags or aliases")
	}
	if len(aud.Tags) > 20 || len(aud.TagsAnd) > 20 || len(aud.Aliases) > 1000 {
		return core.PushReceipt{}, core.Errorf(core.CodeInvalidValue, "JPush takes at most 20 tags and 1000 aliases in one push")
	}
	payload := s.payload(n, audience)
	if s.useCID() {
		cid, err := s.cidFor(ctx, n.ID+"/audience")
		if err != nil {
			return core.PushReceipt{}, err
		}
		payload["cid"] = cid
	}
	ans, err := s.push(ctx, payload)
	if err != nil {
		if ans != nil && ans.Error.Code == 1011 {
			return core.PushReceipt{}, core.Errorf(core.CodeObjectNotFound, "no JPush device has these tags or aliases")
		}
		return core.PushReceipt{}, err
	}
	return core.PushReceipt{MessageID: ans.MsgID}, nil
}

func (s *sender) useCID() bool { return s.opts.UseCID == nil || *s.opts.UseCID }

// payload builds the push object for an audience.
func (s *sender) payload(n *core.PushNotification, audience map[string]any) map[string]any {
	d := n.Data
	extras := map[string]any{}
	for k, v := range d.Custom {
		extras[k] = v
	}
	if d.URI != "" {
		extras["uri"] = d.URI
	}
	p := map[string]any{"platform": "all", "audience": audience}
	if d.Alert != "" || d.Title != "" || d.AlertFields != nil {
		android := map[string]any{"alert": d.Alert}
		if d.Title != "" {
			android["title"] = d.Title
		}
		ios := map[string]any{"alert": d.Alert}
		if d.AlertFields != nil {
			ios["alert"] = d.AlertFields
		} else if d.Title != "" {
			ios["alert"] = map[string]any{"title": d.Title, "body": d.Alert}
		}
		if badge, ok := d.Badge.For(0); ok {
			if d.Badge.Increment {
				ios["badge"] = "+" + strconv.Itoa(d.Badge.Value)
				android["badge_add_num"] = d.Badge.Value
			} else {
				ios["badge"] = badge
				android["badge_set_num"] = badge
			}
		}
		if d.Sound != "" {
			ios["sound"] = d.Sound
		}
		if d.ContentAvailable {
			ios["content-available"] = true
		}
		if d.MutableContent {
			ios["mutable-content"] = true
		}
		if d.Category != "" {
			ios["category"] = d.Category
			android["category"] = d.Category
		}
		if len(extras) > 0 {
			android["extras"] = extras
			ios["extras"] = extras
		}
		p["notification"] = map[string]any{"android": android, "ios": ios}
	} else {
		content, _ := json.Marshal(d.Map())
		msg := map[string]any{"msg_content": string(content), "content_type": "application/json"}
		if len(extras) > 0 {
			msg["extras"] = extras
		}
		p["message"] = msg
	}
	options := map[string]any{"apns_production": s.opts.APNsProduction == nil || *s.opts.APNsProduction}
	if ttl, set := n.TTL(time.Now()); set {
		options["time_to_live"] = int64(min(ttl, MaxTTL) / time.Second)
	}
	if len(s.opts.ThirdPartyChannel) > 0 {
		options["third_party_channel"] = s.opts.ThirdPartyChannel
	}
	if s.opts.Classification != nil {
		options["classification"] = *s.opts.Classification
	}
	p["options"] = options
	return p
}

// answer is JPush's reply to a push.
type answer struct {
	SendNo      json.RawMessage `json:"sendno"`
	MsgID       string          `json:"msg_id"`
	IllegalRIDs []string        `json:"illegal_rids"`
	Error       struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// push sends one push object. On a JPush error it returns the decoded
// answer too, so callers can read the code.
func (s *sender) push(ctx context.Context, payload map[string]any) (*answer, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, pushkit.Internal(Name, fmt.Errorf("encoding the push: %w", err))
	}
	status, header, raw, err := s.do(ctx, http.MethodPost, "/v3/push", body)
	if err != nil {
		return nil, err
	}
	var ans answer
	if jerr := json.Unmarshal(raw, &ans); jerr != nil {
		return nil, s.unexpected(status, raw)
	}
	if status == http.StatusOK && ans.Error.Code == 0 {
		if ans.MsgID == "" {
			return nil, s.unexpected(status, raw)
		}
		return &ans, nil
	}
	return &ans, s.classify(status, header, ans.Error.Code, ans.Error.Message)
}

// cidFor returns the cid of a batch: the one used before for the same key,
// or a fresh one from the pool.
func (s *sender) cidFor(ctx context.Context, key string) (string, error) {
	if cid, ok := s.cids.Get(key); ok {
		return cid, nil
	}
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	if cid, ok := s.cids.Get(key); ok { // another goroutine got it meanwhile
		return cid, nil
	}
	if len(s.pool) == 0 {
		status, header, raw, err := s.do(ctx, http.MethodGet, "/v3/push/cid?count="+strconv.Itoa(s.opts.CIDPool)+"&type=push", nil)
		if err != nil {
			return "", err
		}
		var ans struct {
			CIDList []string `json:"cidlist"`
			Error   struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(raw, &ans) != nil {
			return "", s.unexpected(status, raw)
		}
		if status != http.StatusOK || ans.Error.Code != 0 || len(ans.CIDList) == 0 {
			if ans.Error.Code == 0 && status == http.StatusOK {
				return "", s.unexpected(status, raw)
			}
			return "", s.classify(status, header, ans.Error.Code, ans.Error.Message)
		}
		s.pool = ans.CIDList
	}
	cid := s.pool[0]
	s.pool = s.pool[1:]
	s.cids.Add(key, cid)
	return cid, nil
}

// do sends one request, waiting first if JPush said the rate window is used
// up. Transport errors, timeouts and 5xx answers are CodeConnectionFailed.
func (s *sender) do(ctx context.Context, method, path string, body []byte) (int, http.Header, []byte, error) {
	if err := s.waitForQuota(ctx); err != nil {
		return 0, nil, nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return 0, nil, nil, pushkit.Internal(Name, err)
	}
	req.SetBasicAuth(s.opts.AppKey, s.opts.MasterSecret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Switchboard")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, pushkit.Canceled(ctx)
		}
		return 0, nil, nil, pushkit.Unavailable(Name, fmt.Errorf("%s %s: %w", method, path, httpkit.Redact(err)))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, pushkit.Canceled(ctx)
		}
		return 0, nil, nil, pushkit.Unavailable(Name, fmt.Errorf("%s %s: reading the answer: %w", method, path, httpkit.Redact(err)))
	}
	s.noteQuota(resp.Header)
	if resp.StatusCode >= 500 {
		return 0, nil, nil, pushkit.Unavailable(Name, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, httpkit.Snippet(raw, 300)))
	}
	return resp.StatusCode, resp.Header, raw, nil
}

// noteQuota reads the rate-limit headers: with nothing remaining, requests
// wait for the reset.
func (s *sender) noteQuota(h http.Header) {
	remaining, err := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	if err != nil || remaining > 0 {
		return
	}
	if reset, ok := resetOf(h); ok {
		s.rateMu.Lock()
		if until := time.Now().Add(reset); until.After(s.resumeAt) {
			s.resumeAt = until
		}
		s.rateMu.Unlock()
	}
}

// resetOf reads X-Rate-Limit-Reset (seconds until the window resets),
// capped at a minute, JPush's window.
func resetOf(h http.Header) (time.Duration, bool) {
	secs, err := strconv.Atoi(h.Get("X-Rate-Limit-Reset"))
	if err != nil || secs < 0 {
		return 0, false
	}
	return min(time.Duration(secs)*time.Second, time.Minute), true
}

func (s *sender) waitForQuota(ctx context.Context) error {
	s.rateMu.Lock()
	wait := time.Until(s.resumeAt)
	s.rateMu.Unlock()
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return pushkit.Canceled(ctx)
	case <-t.C:
		return nil
	}
}

// classify maps a JPush error answer to the contract's codes.
func (s *sender) classify(status int, h http.Header, code int, message string) error {
	cause := fmt.Errorf("HTTP %d, error %d: %s", status, code, message)
	switch {
	case status == http.StatusTooManyRequests || code == 2002 || code == 2001:
		wait, ok := resetOf(h)
		if !ok {
			wait, _ = pushkit.RetryAfterHeader(h.Get("Retry-After"), time.Now())
		}
		return pushkit.Throttled(Name, max(wait, time.Second), cause)
	case code == 1000 || code == 1030:
		return pushkit.Unavailable(Name, cause)
	case code == 1004 || status == http.StatusUnauthorized:
		return pushkit.Misconfigured(Name, "JPush rejected the appKey and masterSecret (1004); check them in the JPush console", cause)
	case code == 1008:
		return pushkit.Misconfigured(Name, "JPush does not know the appKey (1008)", cause)
	case code == 2003 || code == 2004 || status == http.StatusForbidden:
		return pushkit.Misconfigured(Name, fmt.Sprintf("JPush refused this app the push API (%d); check the app's permissions and IP allow-list", code), cause)
	case code == 2005 || code == 2008:
		return pushkit.QuotaExceeded(Name, cause)
	case code == 1005:
		return pushkit.Refused(Name, "the notification is too large for JPush; shorten the alert and custom data", cause)
	case code == 1011:
		return pushkit.Refused(Name, "JPush found no device for this audience (1011)", cause)
	}
	return pushkit.Internal(Name, cause)
}

func (s *sender) unexpected(status int, raw []byte) error {
	return pushkit.Misconfigured(Name, "the endpoint does not answer like JPush's API; check push.jpush.endpoint",
		errors.New("HTTP "+strconv.Itoa(status)+": "+httpkit.Snippet(raw, 300)))
}
